package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The images hack/cluster.sh imports into the node's containerd: nothing
// can be pulled from a registry here.
const (
	PauseImage   = "palisade.test/pause:3.10"
	BusyboxImage = "palisade.test/busybox:1"
)

// busyboxApplets are linked in the test image's /bin: a shell, the HTTP
// server and clients the traffic tests use, the usual tools, and what the
// sensor's tests do in a container (cp a binary to run it, arping opens a
// packet socket).
var busyboxApplets = []string{
	"arping", "cat", "cp", "echo", "env", "hostname", "httpd", "id", "ip", "kill", "ls", "mkdir",
	"nc", "ps", "sh", "sleep", "test", "timeout", "touch", "true", "false", "wget",
}

// buildTestImages writes the node's images as `docker save` tarballs in out
// (pause.tar, busybox.tar) and prints each digest.
func buildTestImages(root, out, busybox string, created time.Time) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	pauseBin := filepath.Join(out, "pause")
	abs, err := filepath.Abs(pauseBin)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w", "-o", abs, "./hack/image/pause")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH, "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./hack/image/pause: %w", err)
	}
	pause, err := os.ReadFile(pauseBin)
	if err != nil {
		return err
	}
	if err := writeTestImage(filepath.Join(out, "pause.tar"), PauseImage, created,
		[]file{{path: "pause", mode: 0o755, data: pause}},
		v1.Config{Entrypoint: []string{"/pause"}, User: "65535:65535"}); err != nil {
		return err
	}

	bb, err := os.ReadFile(busybox)
	if err != nil {
		return fmt.Errorf("busybox: %w (Debian: apt-get install busybox-static)", err)
	}
	if !bytes.Contains(bb, []byte("BusyBox")) {
		return fmt.Errorf("busybox: %s is not a BusyBox binary", busybox)
	}
	files := []file{
		{path: "bin", mode: 0o755},
		{path: "bin/busybox", mode: 0o755, data: bb},
	}
	applets := append([]string(nil), busyboxApplets...)
	sort.Strings(applets)
	for _, a := range applets {
		files = append(files, file{path: "bin/" + a, mode: 0o777, link: "busybox"})
	}
	files = append(files,
		file{path: "etc", mode: 0o755},
		file{path: "etc/group", mode: 0o644, data: []byte("root:x:0:\nnobody:x:65534:\n")},
		file{path: "etc/passwd", mode: 0o644, data: []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n")},
		file{path: "etc/group", mode: 0o644, data: []byte("root:x:0:\nnogroup:x:65534:\n")},
		// A sensitive file for the sensor's "Read sensitive file untrusted".
		file{path: "etc/shadow", mode: 0o640, data: []byte("root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n")},
		file{path: "root", mode: 0o700},
		file{path: "tmp", mode: 0o1777},
		file{path: "var", mode: 0o755},
		file{path: "var/www", mode: 0o755},
		file{path: "var/www/index.html", mode: 0o644, data: []byte("palisade test page\n")},
	)
	if err := writeTestImage(filepath.Join(out, "busybox.tar"), BusyboxImage, created, files,
		v1.Config{Cmd: []string{"sh"}, Env: []string{"PATH=/bin"}}); err != nil {
		return err
	}
	return nil
}

// writeTestImage assembles a one-layer image and writes it in `docker save`
// format, tagged ref.
func writeTestImage(path, ref string, created time.Time, files []file, config v1.Config) error {
	layerTar, err := tarFiles(files, created)
	if err != nil {
		return err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return err
	}
	img, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mutate.Addendum{Layer: layer})
	if err != nil {
		return err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cfg = cfg.DeepCopy()
	cfg.Created = v1.Time{Time: created}
	cfg.Architecture, cfg.OS = runtime.GOARCH, "linux"
	cfg.Config = config
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return err
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s@%s\n", ref, strings.TrimSpace(digest.String()))
	return nil
}

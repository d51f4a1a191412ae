// Command image builds Palisade's container image without a container
// daemon, as ko does: the static palisade binary (CGO off, stamped with its
// version and commit), a CA bundle, /etc/passwd and /etc/group with the
// chart's non-root user 65532, and OCI labels, assembled with
// go-containerregistry. It writes an OCI image layout, a `docker save`-style
// tarball and a CycloneDX SBOM of the binary's Go module graph, and prints
// the image's digest. hack/image.sh runs it.
//
// The build is reproducible: every time in the image is the commit's time
// (SOURCE_DATE_EPOCH overrides it), files are written in a fixed order with
// fixed owners and modes, and the binary is built with -trimpath, so two
// builds of one commit on one machine give the same digest.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func main() {
	var o options
	flag.StringVar(&o.out, "out", "bin/image", "output folder: oci/ (OCI layout), palisade.tar (docker save format), sbom.cdx.json, digest")
	flag.StringVar(&o.repo, "repository", "ghcr.io/palisade-dev/palisade", "image repository named in the tarball and the layout")
	flag.StringVar(&o.version, "version", "", "version to stamp and tag (default: git describe, else 0.0.0-dev)")
	flag.StringVar(&o.caBundle, "ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "CA bundle copied to /etc/ssl/certs/ca-certificates.crt")
	flag.StringVar(&o.source, "source", "https://github.com/palisade-dev/palisade", "org.opencontainers.image.source label")
	testImages := flag.String("test-images", "", "instead of Palisade's image, write the test node's images (pause.tar: "+PauseImage+", busybox.tar: "+BusyboxImage+") to this folder")
	busybox := flag.String("busybox", "/bin/busybox", "with -test-images: the static BusyBox binary (Debian busybox-static)")
	flag.Parse()
	var err error
	if *testImages != "" {
		err = runTestImages(".", *testImages, *busybox)
	} else {
		err = run(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

type options struct {
	out, repo, version, caBundle, source string
	// root is the module's folder ("" for the working directory).
	root string
}

func run(o options) error {
	if o.root == "" {
		o.root = "."
	}
	commit, created, err := gitStamp(o.root)
	if err != nil {
		return err
	}
	if o.version == "" {
		o.version = gitVersion(o.root)
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(o.out, "palisade")
	if err := buildBinary(o.root, bin, o.version, commit, created); err != nil {
		return err
	}
	res, err := assemble(o, bin, commit, created)
	if err != nil {
		return err
	}
	fmt.Println(res.digest)
	return nil
}

func runTestImages(root, out, busybox string) error {
	_, created, err := gitStamp(root)
	if err != nil {
		return err
	}
	return buildTestImages(root, out, busybox, created)
}

// gitStamp is the commit built and its time (SOURCE_DATE_EPOCH when set,
// as reproducible-builds.org specifies).
func gitStamp(root string) (commit string, created time.Time, err error) {
	out, err := git(root, "rev-parse", "HEAD")
	if err != nil {
		return "", time.Time{}, fmt.Errorf("git rev-parse HEAD: %w (the image is built from a git checkout)", err)
	}
	commit = out
	epoch := os.Getenv("SOURCE_DATE_EPOCH")
	if epoch == "" {
		if epoch, err = git(root, "log", "-1", "--format=%ct"); err != nil {
			return "", time.Time{}, err
		}
	}
	sec, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", epoch, err)
	}
	return commit, time.Unix(sec, 0).UTC(), nil
}

func gitVersion(root string) string {
	if v, err := git(root, "describe", "--tags", "--match", "v*", "--dirty"); err == nil && v != "" {
		return strings.TrimPrefix(v, "v")
	}
	return "0.0.0-dev"
}

func git(root string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = root
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// buildBinary builds the static binary, stamped for `palisade version`.
func buildBinary(root, out, version, commit string, created time.Time) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	const pkg = "github.com/palisade-dev/palisade/internal/platform/version"
	ldflags := fmt.Sprintf("-s -w -X %s.version=%s -X %s.commit=%s -X %s.date=%s",
		pkg, version, pkg, commit, pkg, created.Format(time.RFC3339))
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", abs, "./cmd/palisade")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH, "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/palisade: %w", err)
	}
	return nil
}

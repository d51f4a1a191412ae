package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The user the chart runs as (runAsUser, runAsGroup, fsGroup).
const (
	uid      = 65532
	userName = "nonroot"
	binPath  = "usr/local/bin/palisade"
)

type result struct {
	digest string
	image  v1.Image
}

// file is one entry of the image's only layer.
type file struct {
	path string
	mode int64
	data []byte // nil for a folder or a link
	link string // target of a symbolic link
	uid  int    // owner (root when zero)
}

// assemble builds the image around the binary and writes the layout, the
// tarball, the SBOM and the digest file.
func assemble(o options, bin, commit string, created time.Time) (result, error) {
	binData, err := os.ReadFile(bin)
	if err != nil {
		return result{}, err
	}
	ca, err := os.ReadFile(o.caBundle)
	if err != nil {
		return result{}, fmt.Errorf("CA bundle: %w (Debian: apt-get install ca-certificates)", err)
	}
	files := []file{
		{path: "etc", mode: 0o755},
		{path: "etc/group", mode: 0o644, data: []byte(fmt.Sprintf("root:x:0:\n%s:x:%d:\n", userName, uid))},
		{path: "etc/passwd", mode: 0o644, data: []byte(fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:/home/%s:/sbin/nologin\n", userName, uid, uid, userName, userName))},
		{path: "etc/ssl", mode: 0o755},
		{path: "etc/ssl/certs", mode: 0o755},
		{path: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: ca},
		{path: "home", mode: 0o755},
		{path: "home/" + userName, mode: 0o700, uid: uid},
		{path: "tmp", mode: 0o1777},
		{path: "usr", mode: 0o755},
		{path: "usr/local", mode: 0o755},
		{path: "usr/local/bin", mode: 0o755},
		{path: binPath, mode: 0o755, data: binData},
	}
	layerTar, err := tarFiles(files, created)
	if err != nil {
		return result{}, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return result{}, err
	}
	img, err := mutate.Append(mutate.MediaType(empty.Image, types.OCIManifestSchema1), mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Author:    "hack/image",
			Created:   v1.Time{Time: created},
			CreatedBy: "palisade " + o.version + " (" + commit + ")",
			Comment:   "the static palisade binary, a CA bundle, /etc/passwd and /etc/group",
		},
	})
	if err != nil {
		return result{}, err
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		return result{}, err
	}
	cfg = cfg.DeepCopy()
	cfg.Created = v1.Time{Time: created}
	cfg.Architecture, cfg.OS = runtime.GOARCH, "linux"
	cfg.Config.User = fmt.Sprintf("%d:%d", uid, uid)
	cfg.Config.Entrypoint = []string{"/" + binPath}
	cfg.Config.WorkingDir = "/home/" + userName
	cfg.Config.Env = []string{"PATH=/usr/local/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "HOME=/home/" + userName}
	cfg.Config.Labels = map[string]string{
		"org.opencontainers.image.source":   o.source,
		"org.opencontainers.image.revision": commit,
		"org.opencontainers.image.version":  o.version,
		"org.opencontainers.image.created":  created.Format(time.RFC3339),
		"org.opencontainers.image.title":    "palisade",
		"org.opencontainers.image.licenses": "Apache-2.0",
	}
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		return result{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return result{}, err
	}

	tag, err := name.NewTag(o.repo + ":" + o.version)
	if err != nil {
		return result{}, fmt.Errorf("--repository and --version: %w", err)
	}
	// The layout and the tarball are written anew: an old one would
	// otherwise keep images of earlier builds.
	oci := filepath.Join(o.out, "oci")
	if err := os.RemoveAll(oci); err != nil {
		return result{}, err
	}
	lp, err := layout.Write(oci, empty.Index)
	if err != nil {
		return result{}, err
	}
	if err := lp.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag.String(),
	})); err != nil {
		return result{}, err
	}
	if err := tarball.WriteToFile(filepath.Join(o.out, "palisade.tar"), tag, img); err != nil {
		return result{}, err
	}
	sbom, err := cycloneDX(bin, o, commit, created, digest.String())
	if err != nil {
		return result{}, err
	}
	if err := os.WriteFile(filepath.Join(o.out, "sbom.cdx.json"), sbom, 0o644); err != nil {
		return result{}, err
	}
	if err := os.WriteFile(filepath.Join(o.out, "digest"), []byte(digest.String()+"\n"), 0o644); err != nil {
		return result{}, err
	}
	return result{digest: digest.String(), image: img}, nil
}

// tarFiles writes the layer: files in the order given, owned by root,
// every time the commit's.
func tarFiles(files []file, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.path, Mode: f.mode, ModTime: mtime, Format: tar.FormatUSTAR, Uname: "root", Gname: "root"}
		if f.uid != 0 {
			h.Uid, h.Gid, h.Uname, h.Gname = f.uid, f.uid, userName, userName
		}
		switch {
		case f.link != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, f.link
		case f.data == nil:
			h.Typeflag, h.Name = tar.TypeDir, f.path+"/"
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if f.data != nil {
			if _, err := tw.Write(f.data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

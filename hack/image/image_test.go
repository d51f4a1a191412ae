package main

import (
	"archive/tar"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Two builds of one commit give the same image, byte for byte; the image
// holds what the chart expects of it; the tarball, the layout and the SBOM
// describe that image.
func TestImageReproducibleAndComplete(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	commit, err := git(root, "rev-parse", "HEAD")
	if err != nil {
		t.Skipf("not a git checkout: %v", err) // a source archive has no commit to stamp
	}
	// A fixed time and version, so that the test does not depend on tags.
	t.Setenv("SOURCE_DATE_EPOCH", "1765000000")
	build := func(out string) string {
		t.Helper()
		o := options{out: out, repo: "palisade.test/palisade", version: "1.2.3-test", caBundle: caBundle(t),
			source: "https://example.com/palisade", root: root}
		c, created, err := gitStamp(root)
		if err != nil {
			t.Fatal(err)
		}
		if err := buildBinary(root, filepath.Join(out, "palisade"), o.version, c, created); err != nil {
			t.Fatal(err)
		}
		res, err := assemble(o, filepath.Join(out, "palisade"), c, created)
		if err != nil {
			t.Fatal(err)
		}
		return res.digest
	}
	a, b := t.TempDir(), t.TempDir()
	da, db := build(a), build(b)
	if da != db {
		t.Fatalf("two builds of one commit: %s and %s", da, db)
	}
	for _, f := range []string{"palisade.tar", "sbom.cdx.json", "oci/index.json"} {
		x, _ := os.ReadFile(filepath.Join(a, f))
		y, _ := os.ReadFile(filepath.Join(b, f))
		if len(x) == 0 || string(x) != string(y) {
			t.Errorf("%s differs between the two builds (or is empty)", f)
		}
	}

	// The docker-save tarball holds the same configuration and layer (its
	// manifest is rebuilt by whoever loads it, so only those are compared).
	fromTar, err := tarball.ImageFromPath(filepath.Join(a, "palisade.tar"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// So does the OCI layout, under its tag.
	lp, err := layout.FromPath(filepath.Join(a, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Digest.String() != da ||
		im.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "palisade.test/palisade:1.2.3-test" {
		t.Fatalf("layout index: %+v", im.Manifests)
	}
	img, err := lp.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	tarCfg, err1 := fromTar.ConfigName()
	cfgName, err2 := img.ConfigName()
	if err1 != nil || err2 != nil || tarCfg != cfgName {
		t.Errorf("tarball config %s, layout config %s (%v %v)", tarCfg, cfgName, err1, err2)
	}

	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" || strings.Join(cfg.Config.Entrypoint, " ") != "/usr/local/bin/palisade" {
		t.Errorf("user %q, entrypoint %q", cfg.Config.User, cfg.Config.Entrypoint)
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.source":   "https://example.com/palisade",
		"org.opencontainers.image.revision": commit,
		"org.opencontainers.image.version":  "1.2.3-test",
	} {
		if got := cfg.Config.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
	if !cfg.Created.Time.Equal(time.Unix(1765000000, 0)) {
		t.Errorf("created %v", cfg.Created)
	}

	// The layer: the user, the CA bundle and the binary, every time the
	// commit's, owned by root.
	got := map[string][]byte{}
	for _, e := range layerEntries(t, img) {
		h := e.header
		// Everything is root's but the user's home, which the agent
		// reads (kubectl's loading rules look for ~/.kube/config there: a
		// home it may not enter is an error, not an absent file).
		wantUID := 0
		if h.Name == "home/nonroot/" {
			wantUID = 65532
		}
		if h.Uid != wantUID || h.Gid != wantUID || !h.ModTime.Equal(time.Unix(1765000000, 0)) {
			t.Errorf("%s: uid %d gid %d, time %v", h.Name, h.Uid, h.Gid, h.ModTime)
		}
		got[h.Name] = e.data
	}
	if !strings.Contains(string(got["etc/passwd"]), "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd:\n%s", got["etc/passwd"])
	}
	if !strings.Contains(string(got["etc/ssl/certs/ca-certificates.crt"]), "BEGIN CERTIFICATE") {
		t.Error("no CA bundle")
	}
	bin := filepath.Join(t.TempDir(), "palisade")
	if err := os.WriteFile(bin, got["usr/local/bin/palisade"], 0o755); err != nil {
		t.Fatal(err)
	}
	// The binary is static and says what it is.
	out, err := exec.Command(bin, "version", "-o", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Version, GitCommit string }
	if err := json.Unmarshal(out, &v); err != nil || v.Version != "1.2.3-test" || v.GitCommit != commit {
		t.Errorf("palisade version -o json: %s (%v)", out, err)
	}

	// The SBOM lists the modules linked in, and the image it describes.
	var doc bom
	sb, _ := os.ReadFile(filepath.Join(a, "sbom.cdx.json"))
	if err := json.Unmarshal(sb, &doc); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range doc.Components {
		names[c.Name] = true
	}
	for _, want := range []string{"k8s.io/client-go", "github.com/google/cel-go", "github.com/sigstore/cosign/v2", "go"} {
		if !names[want] {
			t.Errorf("SBOM lacks %s", want)
		}
	}
	if doc.BOMFormat != "CycloneDX" || doc.SpecVersion != "1.5" || !strings.Contains(string(sb), da) {
		t.Errorf("SBOM header %s %s, or it does not name the image %s", doc.BOMFormat, doc.SpecVersion, da)
	}
}

func caBundle(t *testing.T) string {
	const p = "/etc/ssl/certs/ca-certificates.crt"
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%v (hack/image.sh installs Debian's ca-certificates)", err)
	}
	return p
}

type layerEntry struct {
	header *tar.Header
	data   []byte
}

// layerEntries reads the image's only layer.
func layerEntries(t *testing.T, img v1.Image) []layerEntry {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var entries []layerEntry
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return entries
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, layerEntry{h, b})
	}
}

package main

import (
	"archive/tar"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The node's test images: the busybox image links the applets the tests
// use to the binary given, and two builds give the same tarballs.
func TestTestImages(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(t.TempDir(), "busybox")
	if err := os.WriteFile(fake, []byte("\x7fELF ... BusyBox v1.35.0 ..."), 0o755); err != nil {
		t.Fatal(err)
	}
	created := time.Unix(1765000000, 0).UTC()
	a, b := t.TempDir(), t.TempDir()
	for _, out := range []string{a, b} {
		if err := buildTestImages(root, out, fake, created); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"pause.tar", "busybox.tar"} {
		x, _ := os.ReadFile(filepath.Join(a, f))
		y, _ := os.ReadFile(filepath.Join(b, f))
		if len(x) == 0 || string(x) != string(y) {
			t.Errorf("%s differs between two builds (or is empty)", f)
		}
	}
	tag, _ := name.NewTag(BusyboxImage)
	img, err := tarball.ImageFromPath(filepath.Join(a, "busybox.tar"), &tag)
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]string{}
	for _, e := range layerEntries(t, img) {
		if e.header.Typeflag == tar.TypeSymlink {
			links[e.header.Name] = e.header.Linkname
		}
	}
	for _, applet := range []string{"sh", "httpd", "wget", "nc", "timeout", "sleep"} {
		if links["bin/"+applet] != "busybox" {
			t.Errorf("bin/%s links to %q, want busybox", applet, links["bin/"+applet])
		}
	}
	if err := buildTestImages(root, t.TempDir(), filepath.Join(t.TempDir(), "missing"), created); err == nil {
		t.Error("a missing busybox binary was not an error")
	}
}

package scanreport

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/core/image"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
)

// malwareDoc is a Palisade ScanResult of ref with one malware finding.
func malwareDoc(ref, malware string) string {
	return fmt.Sprintf(`apiVersion: palisade.dev/v1
kind: ScanResult
image: {reference: %q}
scans: [{type: malware, time: "2026-05-03T10:00:00Z"}]
malware: [{name: %q}]
`, ref, malware)
}

func writeFile(t *testing.T, path, data string, mtime time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	// Explicit times: two writes within the file system's timestamp
	// granularity must still be told apart.
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func malwareOf(images []*scanresult.Image, ref string) string {
	x := scanresult.NewIndex()
	_ = x.Add(images...)
	im, ok := x.Lookup(ref, "")
	if !ok || len(im.Malware) == 0 {
		return "-"
	}
	return im.Malware[0].Name
}

func TestDirReload(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	writeFile(t, filepath.Join(dir, "a.yaml"), malwareDoc("shop/a:1", "A1"), t0)
	writeFile(t, filepath.Join(dir, "sub", "b.json"), `{"apiVersion": "palisade.dev/v1", "kind": "ScanResult", "image": {"reference": "shop/b:1"}, "scans": [{"type": "malware", "time": "2026-05-03T10:00:00Z"}]}`, t0)
	writeFile(t, filepath.Join(dir, "notes.txt"), "not a report", t0)
	writeFile(t, filepath.Join(dir, ".hidden.yaml"), "not: [valid", t0)

	d := NewDir(dir)
	ch, err := d.Reload()
	if err != nil || !ch.Changed || len(ch.Read) != 2 || len(ch.Errors) != 0 {
		t.Fatalf("first Reload = %+v, %v; want 2 files read", ch, err)
	}
	if got := malwareOf(d.Images(), "shop/a:1"); got != "A1" {
		t.Errorf("shop/a:1 malware = %s", got)
	}

	if ch, _ := d.Reload(); ch.Changed || len(ch.Read) != 0 {
		t.Errorf("Reload with nothing changed = %+v", ch)
	}

	// A report being rewritten, caught half-written: its error is
	// reported once, and its last results stay.
	writeFile(t, filepath.Join(dir, "a.yaml"), "apiVersion: palisade.dev/v1\nkind: ScanResult\nimage: {reference: shop/a:1}\nscans: [{type: malware", t0.Add(time.Second))
	ch, _ = d.Reload()
	if ch.Changed || len(ch.Errors) != 1 || !strings.Contains(ch.Errors[0].Error(), "a.yaml") {
		t.Errorf("Reload of a broken file = %+v; want one error naming a.yaml", ch)
	}
	if got := malwareOf(d.Images(), "shop/a:1"); got != "A1" {
		t.Errorf("after a broken rewrite, shop/a:1 malware = %s, want the last good A1", got)
	}
	if ch, _ := d.Reload(); len(ch.Errors) != 0 {
		t.Errorf("an unchanged broken file is reported again: %+v", ch)
	}

	writeFile(t, filepath.Join(dir, "a.yaml"), malwareDoc("shop/a:1", "A2"), t0.Add(2*time.Second))
	if ch, _ := d.Reload(); !ch.Changed || len(ch.Read) != 1 {
		t.Errorf("Reload after the fix = %+v", ch)
	}
	if got := malwareOf(d.Images(), "shop/a:1"); got != "A2" {
		t.Errorf("shop/a:1 malware = %s, want A2", got)
	}

	if err := os.Remove(filepath.Join(dir, "a.yaml")); err != nil {
		t.Fatal(err)
	}
	ch, _ = d.Reload()
	if !ch.Changed || len(ch.Deleted) != 1 {
		t.Errorf("Reload after a delete = %+v", ch)
	}
	if got := malwareOf(d.Images(), "shop/a:1"); got != "-" {
		t.Errorf("a deleted file's results remain: %s", got)
	}
	if d.Files() != 1 {
		t.Errorf("Files = %d, want 1", d.Files())
	}
}

func TestDirMissingAndSingleFile(t *testing.T) {
	d := NewDir(filepath.Join(t.TempDir(), "nope"))
	if ch, err := d.Reload(); err != nil || ch.Changed {
		t.Errorf("missing directory: %+v, %v; want empty", ch, err)
	}
	f := filepath.Join(t.TempDir(), "one.yaml")
	writeFile(t, f, malwareDoc("shop/a:1", "A1"), time.Now())
	d = NewDir(f)
	if _, err := d.Reload(); err != nil || malwareOf(d.Images(), "shop/a:1") != "A1" {
		t.Errorf("a single file is not read: %v", err)
	}
}

func TestReadPath(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.yaml"), malwareDoc("shop/a:1", "A1"), time.Now())
	writeFile(t, filepath.Join(dir, "b.yaml"), "apiVersion: palisade.dev/v1\nkind: ScanResult\nscans: []\n", time.Now())
	reports, err := ReadPath(dir)
	if err == nil || !strings.Contains(err.Error(), "b.yaml:") {
		t.Errorf("ReadPath error = %v, want one naming b.yaml", err)
	}
	if len(reports) != 1 {
		t.Errorf("ReadPath returned %d reports, want the good one", len(reports))
	}
	if _, err := ReadPath(filepath.Join(dir, "nope")); err == nil {
		t.Error("ReadPath of a missing path: want an error")
	}
}

func TestSources(t *testing.T) {
	s := NewSources()
	a := &scanresult.Image{References: []string{"shop/a:1"}, Scans: []scanresult.Scan{{Type: scanresult.ScanMalware, Time: at(1)}}, Malware: []scanresult.Malware{{Name: "from-dir"}}}
	newer := &scanresult.Image{References: []string{"shop/a:1"}, Scans: []scanresult.Scan{{Type: scanresult.ScanMalware, Time: at(2)}}, Malware: []scanresult.Malware{{Name: "from-console"}}}
	if err := s.Set("dir", []*scanresult.Image{a}); err != nil {
		t.Fatal(err)
	}
	if err := s.Set("console", []*scanresult.Image{newer}); err != nil {
		t.Fatal(err)
	}
	if got := malwareOf(s.Index().Images(), "shop/a:1"); got != "from-console" {
		t.Errorf("merged = %s, want the later scan", got)
	}
	// A bad image is left out and reported; the rest of its source stays.
	bad := &scanresult.Image{References: []string{"Shop/A"}, Scans: []scanresult.Scan{{Type: scanresult.ScanMalware, Time: at(3)}}}
	b := &scanresult.Image{References: []string{"shop/b:1"}, Scans: []scanresult.Scan{{Type: scanresult.ScanMalware, Time: at(1)}}}
	if err := s.Set("dir", []*scanresult.Image{a, bad, b}); err == nil || !strings.Contains(err.Error(), "dir: image 1") {
		t.Errorf("Set with a bad image: err = %v", err)
	}
	if _, ok := s.Lookup("shop/b:1", ""); !ok || s.Len() != 2 {
		t.Errorf("after a partly bad Set: Len = %d, shop/b:1 found = %v", s.Len(), ok)
	}
	if err := s.Set("console", nil); err != nil {
		t.Fatal(err)
	}
	if got := malwareOf(s.Index().Images(), "shop/a:1"); got != "from-dir" {
		t.Errorf("after the console source emptied: %s", got)
	}
}

// TestSourcesConcurrent looks images up while sources change (run with
// -race).
func TestSourcesConcurrent(t *testing.T) {
	s := NewSources()
	ref := image.Parse("shop/a:1")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					s.LookupRef(ref, "")
				}
			}
		}()
	}
	for i := range 50 {
		im := &scanresult.Image{References: []string{"shop/a:1"}, Scans: []scanresult.Scan{{Type: scanresult.ScanMalware, Time: at(1 + i%20)}}}
		if err := s.Set(fmt.Sprint("src", i%3), []*scanresult.Image{im}); err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	if _, ok := s.LookupRef(ref, ""); !ok {
		t.Error("shop/a:1 not found at the end")
	}
}

func at(day int) time.Time { return time.Date(2026, 5, day, 0, 0, 0, 0, time.UTC) }

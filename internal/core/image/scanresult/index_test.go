package scanresult

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/image"
)

const digestC = "sha256:c0ffee0000000000000000000000000000000000000000000000000000000000"

func at(day int) time.Time { return time.Date(2026, 5, day, 0, 0, 0, 0, time.UTC) }

func vulnScan(day int, ids ...string) *Image {
	im := &Image{Scans: []Scan{{Type: ScanVulnerability, Time: at(day)}}}
	for _, id := range ids {
		im.Vulnerabilities = append(im.Vulnerabilities, Vulnerability{ID: id, Severity: SeverityHigh})
	}
	return im
}

func with(im *Image, refs []string, digests ...string) *Image {
	im.References, im.Digests = refs, digests
	return im
}

// lookupID names what Lookup found by its first vulnerability, or "-".
func lookupID(x *Index, ref, digest string) string {
	im, ok := x.Lookup(ref, digest)
	if !ok {
		return "-"
	}
	if len(im.Vulnerabilities) == 0 {
		return "clean"
	}
	return im.Vulnerabilities[0].ID
}

func TestLookup(t *testing.T) {
	x := NewIndex()
	err := x.Add(
		with(vulnScan(1, "scanned-at-A"), []string{"nginx:1.25"}, digestA),
		with(vulnScan(2, "api-no-digest"), []string{"registry.example.com/shop/api:1.4"}),
		with(vulnScan(3, "web-at-B"), []string{"registry.example.com/shop/web:2"}, digestB),
		with(vulnScan(1, "web-no-digest"), []string{"registry.example.com/shop/web:2"}),
	)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, ref, digest, want string
	}{
		{"the digest first, whatever the reference", "other/image:9", digestA, "scanned-at-A"},
		{"a digest pinned in the reference", "other/image:9@" + digestA, "", "scanned-at-A"},
		{"a digest as a pod status gives it", "nginx:1.25", "docker.io/library/nginx@" + digestA, "scanned-at-A"},
		{"the tag, digest unknown", "nginx:1.25", "", "scanned-at-A"},
		{"the tag normalised", "docker.io/library/nginx:1.25", "", "scanned-at-A"},
		{"the tag, Docker Hub's other names", "index.docker.io/library/nginx:1.25", "", "scanned-at-A"},
		{"another tag", "nginx:1.26", "", "-"},
		{"no tag is latest", "nginx", "", "-"},
		{"a retagged image is unscanned", "nginx:1.25", digestC, "-"},
		{"a retagged image pinned in the reference", "nginx:1.25@" + digestC, "", "-"},
		{"a result without digest stands for any digest", "registry.example.com/shop/api:1.4", digestC, "api-no-digest"},
		{"the newest result of a tag", "registry.example.com/shop/web:2", "", "web-at-B"},
		{"at another digest, only the result without digest", "registry.example.com/shop/web:2", digestC, "web-no-digest"},
		{"at its digest", "registry.example.com/shop/web:2", digestB, "web-at-B"},
		{"an invalid reference", "Bad Image", "", "-"},
		{"an invalid digest in the reference", "docker.io/library/nginx:1.25@sha256:zz", "", "-"},
		{"empty", "", "", "-"},
	}
	for _, tt := range tests {
		if got := lookupID(x, tt.ref, tt.digest); got != tt.want {
			t.Errorf("%s: Lookup(%q, %q) = %s, want %s", tt.name, tt.ref, tt.digest, got, tt.want)
		}
		r := image.Parse(tt.ref)
		if r.Err != nil {
			continue
		}
		im, ok := x.LookupRef(r, tt.digest)
		got := "-"
		if ok {
			got = im.Vulnerabilities[0].ID
		}
		if got != tt.want {
			t.Errorf("%s: LookupRef(%q, %q) = %s, want %s", tt.name, tt.ref, tt.digest, got, tt.want)
		}
	}
	if x.Len() != 4 || len(x.Images()) != 4 {
		t.Errorf("Len %d, Images %d; want 4", x.Len(), len(x.Images()))
	}
}

func TestIndexMerge(t *testing.T) {
	malware := &Image{Digests: []string{digestA}, Scans: []Scan{{Type: ScanMalware, Time: at(2), Scanner: "ClamAV"}}, Malware: []Malware{{Name: "Eicar-Signature"}}}
	tests := []struct {
		name   string
		add    []*Image
		lookup [2]string
		want   *Image
		len    int
	}{
		{
			name:   "the latest scan of a type wins, whatever the order of adding",
			add:    []*Image{with(vulnScan(5, "new"), []string{"nginx:1.25"}, digestA), with(vulnScan(1, "old"), []string{"nginx:latest"}, digestA)},
			lookup: [2]string{"nginx:latest", ""},
			want:   with(vulnScan(5, "new"), []string{"docker.io/library/nginx:1.25", "docker.io/library/nginx:latest"}, digestA),
			len:    1,
		},
		{
			name:   "on equal times the one added last",
			add:    []*Image{with(vulnScan(1, "first"), nil, digestA), with(vulnScan(1, "second"), nil, digestA)},
			lookup: [2]string{"x", digestA},
			want:   with(vulnScan(1, "second"), nil, digestA),
			len:    1,
		},
		{
			name:   "scans of other types are kept",
			add:    []*Image{with(vulnScan(1, "cve"), []string{"nginx:1.25"}, digestA), malware},
			lookup: [2]string{"nginx:1.25", ""},
			want: &Image{
				Digests: []string{digestA}, References: []string{"docker.io/library/nginx:1.25"},
				Scans:           []Scan{{Type: ScanVulnerability, Time: at(1)}, {Type: ScanMalware, Time: at(2), Scanner: "ClamAV"}},
				Vulnerabilities: []Vulnerability{{ID: "cve", Severity: SeverityHigh}},
				Malware:         []Malware{{Name: "Eicar-Signature"}},
			},
			len: 1,
		},
		{
			name:   "results without digest merge by reference",
			add:    []*Image{with(vulnScan(1, "old"), []string{"nginx:1.25"}), with(vulnScan(2, "new"), []string{"docker.io/library/nginx:1.25", "nginx:stable"})},
			lookup: [2]string{"nginx:stable", digestC},
			want:   with(vulnScan(2, "new"), []string{"docker.io/library/nginx:1.25", "docker.io/library/nginx:stable"}),
			len:    1,
		},
		{
			name: "a result without digest does not merge into one with a digest",
			add:  []*Image{with(vulnScan(2, "at-A"), []string{"nginx:1.25"}, digestA), with(vulnScan(1, "no-digest"), []string{"nginx:1.25"})},
			len:  2,
		},
		{
			name: "the image ID ties a registry scan to an archive scan",
			add: []*Image{
				{Digests: []string{digestA}, References: []string{"nginx:1.25"}, Scans: []Scan{{Type: ScanSecret, Time: at(1)}}},
				{ImageID: digestB, Scans: []Scan{{Type: ScanVulnerability, Time: at(3)}}, Vulnerabilities: []Vulnerability{{ID: "from-archive"}}},
				{Digests: []string{digestA}, ImageID: digestB, Scans: []Scan{{Type: ScanVulnerability, Time: at(2)}}, Vulnerabilities: []Vulnerability{{ID: "older"}}},
			},
			lookup: [2]string{"nginx:1.25", digestB},
			want: &Image{
				Digests: []string{digestA}, ImageID: digestB, References: []string{"docker.io/library/nginx:1.25"},
				Scans:           []Scan{{Type: ScanVulnerability, Time: at(3)}, {Type: ScanSecret, Time: at(1)}},
				Vulnerabilities: []Vulnerability{{ID: "from-archive"}},
			},
			len: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := NewIndex()
			for _, im := range tt.add {
				if err := x.Add(im); err != nil {
					t.Fatal(err)
				}
			}
			if x.Len() != tt.len {
				t.Errorf("Len = %d, want %d", x.Len(), tt.len)
			}
			if tt.want == nil {
				return
			}
			got, ok := x.Lookup(tt.lookup[0], tt.lookup[1])
			if !ok {
				t.Fatalf("Lookup(%q, %q): not found", tt.lookup[0], tt.lookup[1])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// Replacing a result (a newer scan of the same digest) leaves no trace of
// the old one under its references.
func TestIndexMergeMovesReferences(t *testing.T) {
	x := NewIndex()
	_ = x.Add(with(vulnScan(1, "old"), []string{"nginx:1.25"}, digestA))
	_ = x.Add(with(vulnScan(2, "new"), []string{"nginx:stable"}, digestA))
	for _, ref := range []string{"nginx:1.25", "nginx:stable"} {
		if got := lookupID(x, ref, ""); got != "new" {
			t.Errorf("Lookup(%q) = %s, want new", ref, got)
		}
	}
	if x.Len() != 1 || len(x.Images()) != 1 {
		t.Errorf("Len %d, Images %d", x.Len(), len(x.Images()))
	}
}

func TestIndexAddRefusesBadImages(t *testing.T) {
	tests := []struct {
		im   *Image
		want string
	}{
		{&Image{}, "image 1: no digest, image ID or reference"},
		{&Image{Digests: []string{"sha256:1"}}, `image 1: not a digest ("sha256:1"): want "sha256:" and 64 lower-case hex digits`},
		{&Image{ImageID: "x"}, `image 1: image ID: not a digest ("x"): want "sha256:" and 64 lower-case hex digits`},
		{&Image{References: []string{"Bad Image"}}, `image 1: invalid image reference "Bad Image": invalid reference format: repository name (library/Bad Image) must be lowercase`},
		{&Image{References: []string{"nginx@" + digestA}}, `image 1: reference "nginx@` + digestA + `" has no tag: give its digest in Digests`},
		{&Image{References: []string{"nginx:1@" + digestA}}, `image 1: reference "nginx:1@` + digestA + `" pins a digest that is not among the image's digests`},
		{&Image{Digests: []string{digestA}, Scans: []Scan{{Type: "virus"}}}, `image 1: unsupported scan type "virus"`},
		{&Image{Digests: []string{digestA}, Scans: []Scan{{Type: ScanSecret}, {Type: ScanSecret}}}, "image 1: two secret scans"},
	}
	for _, tt := range tests {
		x := NewIndex()
		err := x.Add(with(vulnScan(1, "ok"), []string{"nginx:1"}), tt.im)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Add(%+v) = %v, want %s", tt.im, err, tt.want)
		}
		if x.Len() != 0 {
			t.Errorf("Add(%+v) added %d images despite the error", tt.im, x.Len())
		}
	}
}

// Add copies: changing the image afterwards changes nothing in the index.
func TestIndexAddCopies(t *testing.T) {
	im := with(vulnScan(1, "cve"), []string{"nginx:1.25"}, digestA)
	x := NewIndex()
	if err := x.Add(im); err != nil {
		t.Fatal(err)
	}
	im.References[0] = "evil:1"
	im.Digests[0] = digestB
	im.Scans[0].Type = ScanMalware
	im.Vulnerabilities[0].ID = "changed"
	got, ok := x.Lookup("nginx:1.25", digestA)
	if !ok || got.References[0] != "docker.io/library/nginx:1.25" || got.Digests[0] != digestA || got.Scans[0].Type != ScanVulnerability || got.Vulnerabilities[0].ID != "cve" {
		t.Errorf("index changed with its input: %+v", got)
	}
}

func TestIndexConcurrent(t *testing.T) {
	x := NewIndex()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 200 {
				_ = x.Add(with(vulnScan(1+i%20, "cve"), []string{fmt.Sprintf("app%d:%d", w, i%50)}))
			}
		}()
		go func() {
			defer wg.Done()
			for i := range 200 {
				x.Lookup(fmt.Sprintf("app%d:%d", w, i%50), "")
				x.Images()
			}
		}()
	}
	wg.Wait()
	if x.Len() != 200 {
		t.Errorf("Len = %d, want 200", x.Len())
	}
}

// Keys are normalised references, which normalise to themselves: the fast
// path of Lookup (the reference as a key) and image.Parse agree.
func TestRefKeyIsIdempotent(t *testing.T) {
	for _, s := range []string{"nginx", "nginx:1.25", "acme/api:1", "EVIL.io:443/x:1", "localhost:5000/a:b", "index.docker.io/redis", "ghcr.io/a/b:v1@" + digestA} {
		k := refKey(image.Parse(s))
		if k2 := refKey(image.Parse(k)); k2 != k {
			t.Errorf("%q: key %q normalises to %q", s, k, k2)
		}
	}
}

// TestIndexUpdateChanges replays an index's changes into a map keyed by
// Key, as a store mirroring it does, and checks the map ends equal to the
// index.
func TestIndexUpdateChanges(t *testing.T) {
	x := NewIndex()
	mirror := map[string]*Image{}
	apply := func(images ...*Image) Changes {
		t.Helper()
		ch, err := x.Update(images...)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range ch.Removed {
			if mirror[im.Key()] != im {
				t.Fatalf("removed %s, which the mirror does not hold", im.Key())
			}
			delete(mirror, im.Key())
		}
		for _, im := range ch.Added {
			mirror[im.Key()] = im
		}
		got := map[string]*Image{}
		for _, im := range x.Images() {
			if got[im.Key()] != nil {
				t.Fatalf("two images in the index share key %s", im.Key())
			}
			got[im.Key()] = im
		}
		if diff := cmp.Diff(got, mirror); diff != "" {
			t.Fatalf("mirror differs from the index (-index +mirror):\n%s", diff)
		}
		return ch
	}
	ch := apply(with(vulnScan(1, "CVE-1"), []string{"shop/api:1"}), with(vulnScan(2, "CVE-2"), []string{"shop/web:1"}, digestA))
	if len(ch.Added) != 2 || len(ch.Removed) != 0 {
		t.Errorf("first update: %d added, %d removed", len(ch.Added), len(ch.Removed))
	}
	// A tag scanned again without digest merges; the same call also adds
	// a digest under the other tag twice: only the last merge is added.
	ch = apply(with(vulnScan(3, "CVE-3"), []string{"shop/api:1"}),
		with(vulnScan(4, "CVE-4"), []string{"shop/web:2"}, digestB),
		with(vulnScan(5, "CVE-5"), []string{"shop/web:2"}, digestB, digestC))
	if len(ch.Added) != 2 || len(ch.Removed) != 1 {
		t.Errorf("second update: %d added, %d removed", len(ch.Added), len(ch.Removed))
	}
	apply(with(vulnScan(6), []string{"shop/web:1", "shop/web:latest"}, digestA, digestC))
	if x.Len() != 2 {
		t.Errorf("Len = %d, want 2 after merging the two digests", x.Len())
	}
}

const (
	digestA = "sha256:0f5b1f8e5c8a4e6d0b3c2a1f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"
	digestB = "sha256:9c1e4b7a2d5f8e0c3b6a9d2f5e8c1b4a7d0e3f6c9b2a5d8e1f4c7b0a3d6e9f2c"
)

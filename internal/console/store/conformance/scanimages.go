package conformance

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	refKeyZ = "ref:docker.io/library/Zed:1" // sorts before lower case
	refKeyA = "ref:docker.io/library/nginx:1.25"
)

// scanBodies lists a store's scan images as key → body, checking the
// order.
func scanBodies(t *testing.T, s store.Store) map[string]string {
	t.Helper()
	ims, err := s.ListScanImages(ctx(t))
	must(t, "list scan images", err)
	out := map[string]string{}
	for i, im := range ims {
		if i > 0 && ims[i-1].Key >= im.Key {
			t.Errorf("scan images out of key order: %q before %q", ims[i-1].Key, im.Key)
		}
		out[im.Key] = string(im.Body)
	}
	return out
}

func wantScanBodies(t *testing.T, what string, s store.Store, want map[string]string) {
	t.Helper()
	got := scanBodies(t, s)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: scan images = %v, want %v", what, got, want)
	}
}

func testScanImages(t *testing.T, s store.Store) {
	c := ctx(t)
	wantScanBodies(t, "an empty store", s, map[string]string{})
	must(t, "replace nothing", s.ReplaceScanImages(c, nil, nil))

	// Insert: bytes kept exactly, UpdatedAt set by the store or kept.
	body := "{ \"digests\" : [\"" + digestA + "\"],\n \"scans\": [] }\n"
	at := time.Date(2031, 1, 2, 3, 4, 5, 678901234, time.FixedZone("CET", 3600))
	before := time.Now()
	must(t, "insert", s.ReplaceScanImages(c, nil, []store.ScanImage{
		{Key: digestA, Body: []byte(body)},
		{Key: refKeyA, Body: []byte(`{"v":1}`), UpdatedAt: at},
		{Key: refKeyZ, Body: []byte(`{"z":1}`)},
	}))
	after := time.Now()
	ims, err := s.ListScanImages(c)
	must(t, "list", err)
	if len(ims) != 3 || ims[0].Key != refKeyZ || ims[1].Key != refKeyA || ims[2].Key != digestA {
		t.Fatalf("listed %+v, want %s, %s, %s in that order", ims, refKeyZ, refKeyA, digestA)
	}
	if string(ims[2].Body) != body {
		t.Errorf("body = %q, want %q byte for byte", ims[2].Body, body)
	}
	recent(t, "UpdatedAt set by the store", ims[2].UpdatedAt, before, after)
	sameInstant(t, "UpdatedAt given", ims[1].UpdatedAt, storedTime(at))

	// Upsert by key; the others are untouched.
	before = time.Now()
	must(t, "upsert", s.ReplaceScanImages(c, nil, []store.ScanImage{{Key: refKeyA, Body: []byte(`{"v":2}`)}}))
	after = time.Now()
	wantScanBodies(t, "after an upsert", s, map[string]string{digestA: body, refKeyA: `{"v":2}`, refKeyZ: `{"z":1}`})
	ims, err = s.ListScanImages(c)
	must(t, "list", err)
	recent(t, "UpdatedAt after an upsert", ims[1].UpdatedAt, before, after)

	// Remove and add together; removing a missing key is no error.
	must(t, "remove and add", s.ReplaceScanImages(c, []string{refKeyZ, "sha256:missing"},
		[]store.ScanImage{{Key: digestB, Body: []byte(`{"b":1}`)}}))
	wantScanBodies(t, "after remove and add", s, map[string]string{digestA: body, refKeyA: `{"v":2}`, digestB: `{"b":1}`})

	// A key both removed and added is written: an image replaced by its
	// merge with new results keeps its key.
	must(t, "remove and add one key", s.ReplaceScanImages(c, []string{digestA, refKeyA},
		[]store.ScanImage{{Key: digestA, Body: []byte(`{"merged":true}`)}}))
	wantScanBodies(t, "after replacing a key", s, map[string]string{digestA: `{"merged":true}`, digestB: `{"b":1}`})

	// A key given twice: the last wins.
	must(t, "add a key twice", s.ReplaceScanImages(c, nil, []store.ScanImage{
		{Key: digestB, Body: []byte(`{"b":"first"}`)}, {Key: digestB, Body: []byte(`{"b":"last"}`)}}))
	wantScanBodies(t, "after a key given twice", s, map[string]string{digestA: `{"merged":true}`, digestB: `{"b":"last"}`})

	// An empty key is refused, and nothing else is done.
	err = s.ReplaceScanImages(c, []string{digestA}, []store.ScanImage{{Key: refKeyA, Body: []byte(`{}`)}, {Body: []byte(`{}`)}})
	wantErr(t, "add without a key", err, store.ErrInvalid)
	wantErr(t, "remove an empty key", s.ReplaceScanImages(c, []string{digestA, ""}, nil), store.ErrInvalid)
	wantScanBodies(t, "after refused replaces", s, map[string]string{digestA: `{"merged":true}`, digestB: `{"b":"last"}`})

	// Large bodies (an image with thousands of findings).
	big := bytes.Repeat([]byte(`{"id":"CVE-2024-0000","severity":"HIGH"},`), 50000)
	must(t, "a large body", s.ReplaceScanImages(c, nil, []store.ScanImage{{Key: digestA, Body: big}}))
	if got := scanBodies(t, s)[digestA]; got != string(big) {
		t.Errorf("a body of %d bytes came back as %d bytes", len(big), len(got))
	}
}

// testScanImagesAtomic checks that readers see a replace whole: a writer
// swaps one image for another, in both directions, while readers list.
func testScanImagesAtomic(t *testing.T, s store.Store) {
	c := ctx(t)
	must(t, "seed", s.ReplaceScanImages(c, nil, []store.ScanImage{
		{Key: digestA, Body: []byte(`{"a":0}`)}, {Key: refKeyZ, Body: []byte(`{"kept":true}`)}}))
	var (
		done    atomic.Bool
		wg      sync.WaitGroup
		reads   atomic.Int64
		mu      sync.Mutex
		readErr []string
	)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() || reads.Load() == 0 {
				ims, err := s.ListScanImages(c)
				reads.Add(1)
				keys := map[string]bool{}
				for _, im := range ims {
					keys[im.Key] = true
				}
				if err != nil || len(ims) != 2 || !keys[refKeyZ] || keys[digestA] == keys[digestB] {
					mu.Lock()
					readErr = append(readErr, fmt.Sprintf("%v, %v", ims, err))
					mu.Unlock()
					return
				}
			}
		}()
	}
	from, to := digestA, digestB
	for i := range 60 {
		if err := s.ReplaceScanImages(c, []string{from}, []store.ScanImage{{Key: to, Body: []byte(fmt.Sprintf(`{"n":%d}`, i))}}); err != nil {
			t.Errorf("replace %d: %v", i, err)
			break
		}
		from, to = to, from
	}
	done.Store(true)
	wg.Wait()
	for _, e := range readErr {
		t.Errorf("a reader saw a replace half done: %s", e)
	}
	t.Logf("%d concurrent reads", reads.Load())
}

package service

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/storetest"
	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
	"github.com/palisade-dev/palisade/internal/supply/scanreport"
)

const (
	apiRef    = "registry.example.com/shop/api:1.4.2"
	apiDigest = "sha256:9c1e4b7a2d5f8e0c3b6a9d2f5e8c1b4a7d0e3f6c9b2a5d8e1f4c7b0a3d6e9f2c"
)

// secretScan is a later secret scan of the image palisade-malware.yaml
// describes first.
const secretScan = `apiVersion: palisade.dev/v1
kind: ScanResult
image: {reference: "` + apiRef + `", digest: "` + apiDigest + `"}
scans:
  - {type: secret, time: "2026-06-01T00:00:00Z"}
secrets:
  - {ruleID: aws-access-key-id, severity: CRITICAL, target: /app/.env}
`

func newScanService(t *testing.T, st store.Store) *Service {
	t.Helper()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Store: st, Registry: reg})
	if _, err := s.LoadScanResults(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixture.Repo(t, "internal/supply/scanreport/testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// storedKeys are the keys of the store's scan images.
func storedKeys(t *testing.T, st store.Store) []string {
	t.Helper()
	rows, err := st.ListScanImages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, r := range rows {
		keys = append(keys, r.Key)
	}
	return keys
}

func scanTypes(im *scanresult.Image) []scanresult.ScanType {
	var ts []scanresult.ScanType
	for _, s := range im.Scans {
		ts = append(ts, s.Type)
	}
	return ts
}

// Imports reach the index and the store; a restarted console finds them.
func TestImportScanResults(t *testing.T) {
	ctx := context.Background()
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			st, _ := be.Open(t)
			defer st.Close()
			s := newScanService(t, st)

			sum, err := s.ImportScanResults(ctx, "palisade-malware.yaml", readTestdata(t, "palisade-malware.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			want := ImportSummary{Format: scanreport.FormatPalisade, Images: 2, Added: 2, Warnings: []string{}}
			if diff := cmp.Diff(want, sum); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			im, ok := s.LookupScanResults("registry.example.com/shop/api:1.4.2", "")
			if !ok || len(im.Malware) != 1 || im.Scans[0].Source != "palisade-malware.yaml:3" {
				t.Fatalf("lookup by tag = %+v, %v", im, ok)
			}
			if diff := cmp.Diff([]string{"sha256:0f5b1f8e5c8a4e6d0b3c2a1f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d", apiDigest}, storedKeys(t, st)); diff != "" {
				t.Errorf("stored keys (-want +got):\n%s", diff)
			}

			// A later scan of the same image merges: the image is replaced
			// under its key, and keeps its earlier scans.
			sum, err = s.ImportScanResults(ctx, "secret.yaml", []byte(secretScan))
			if err != nil {
				t.Fatal(err)
			}
			if sum.Added != 1 || sum.Removed != 1 {
				t.Errorf("merge summary %+v, want 1 added, 1 removed", sum)
			}
			if len(storedKeys(t, st)) != 2 {
				t.Errorf("stored keys after a merge: %v", storedKeys(t, st))
			}
			im, _ = s.LookupScanResults("registry.example.com/shop/api:1.4.2@"+apiDigest, "")
			if diff := cmp.Diff([]scanresult.ScanType{"vulnerability", "malware", "secret"}, scanTypes(im)); diff != "" {
				t.Errorf("scans after the merge (-want +got):\n%s", diff)
			}

			// A restarted console loads what was stored.
			again := newScanService(t, st)
			got, ok := again.LookupScanResults(apiRef, apiDigest)
			if !ok {
				t.Fatal("a restarted console lacks the image")
			}
			if diff := cmp.Diff(im, got); diff != "" {
				t.Errorf("image after a restart (-before +after):\n%s", diff)
			}
		})
	}
}

func TestImportScanResultsRefusesBadReports(t *testing.T) {
	ctx := context.Background()
	st, _ := storetest.Backends(t)[0].Open(t)
	defer st.Close()
	s := newScanService(t, st)
	bad := strings.Replace(secretScan, "type: secret", "type: virus", 1)
	_, err := s.ImportScanResults(ctx, "bad.yaml", []byte(bad))
	var serr *scanreport.Error
	if !errors.As(err, &serr) || len(serr.Problems) == 0 || serr.Problems[0].Line != 5 || !strings.Contains(err.Error(), "bad.yaml:5: scans[0].type") {
		t.Fatalf("import of a bad report = %v, want a *scanreport.Error at bad.yaml:5", err)
	}
	if keys := storedKeys(t, st); len(keys) != 0 {
		t.Errorf("a refused report stored %v", keys)
	}
}

// failingStore fails every ReplaceScanImages.
type failingStore struct {
	store.Store
}

func (failingStore) ReplaceScanImages(context.Context, []string, []store.ScanImage) error {
	return errors.New("disk full")
}

// The index holds nothing the store does not: when the store refuses an
// import, the index is what it was.
func TestImportScanResultsStoreFailure(t *testing.T) {
	ctx := context.Background()
	st, _ := storetest.Backends(t)[0].Open(t)
	defer st.Close()
	s := newScanService(t, st)
	if _, err := s.ImportScanResults(ctx, "palisade-malware.yaml", readTestdata(t, "palisade-malware.yaml")); err != nil {
		t.Fatal(err)
	}
	before, _ := s.LookupScanResults(apiRef, "")

	s.store = failingStore{st}
	if _, err := s.ImportScanResults(ctx, "secret.yaml", []byte(secretScan)); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("import with the store failing = %v, want its error", err)
	}
	after, ok := s.LookupScanResults(apiRef, "")
	if !ok || len(after.Secrets) != 0 {
		t.Fatalf("after a failed import the index holds %+v, %v; want the image as before", after, ok)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("image after a failed import (-before +after):\n%s", diff)
	}
	if n := s.scans.Load().Len(); n != 2 {
		t.Errorf("index holds %d images after a failed import, want 2", n)
	}
	if _, ok := s.LookupScanResults("docker.io/library/nginx:1.25.3", ""); ok {
		t.Error("an image of the failed import is in the index")
	}

	// The store works again: the import goes through.
	s.store = st
	if sum, err := s.ImportScanResults(ctx, "secret.yaml", []byte(secretScan)); err != nil || sum.Removed != 1 {
		t.Fatalf("import after the store recovered = %+v, %v", sum, err)
	}
	if im, _ := s.LookupScanResults(apiRef, ""); len(im.Secrets) != 1 {
		t.Errorf("secret scan missing after the retry: %+v", im)
	}
}

// Rows not stored under their image's key, or of one image, are rewritten
// at load.
func TestLoadScanResultsRewritesStaleRows(t *testing.T) {
	ctx := context.Background()
	st, _ := storetest.Backends(t)[0].Open(t)
	defer st.Close()
	rep, err := scanreport.Import("x.yaml", []byte(secretScan))
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := json.Marshal(rep.Images[0])
	malware := []byte(`{"digests":["` + apiDigest + `"],"scans":[{"type":"malware","time":"2026-05-01T00:00:00Z"}],"malware":[{"name":"x"}]}`)
	if err := st.ReplaceScanImages(ctx, nil, []store.ScanImage{
		{Key: "old-key", Body: secret},
		{Key: apiDigest, Body: malware},
	}); err != nil {
		t.Fatal(err)
	}
	s := newScanService(t, st)
	if diff := cmp.Diff([]string{apiDigest}, storedKeys(t, st)); diff != "" {
		t.Errorf("stored keys after load (-want +got):\n%s", diff)
	}
	im, ok := s.LookupScanResults(apiRef, apiDigest)
	if !ok || len(im.Malware) != 1 || len(im.Secrets) != 1 {
		t.Fatalf("merged image = %+v, %v", im, ok)
	}
	again := newScanService(t, st)
	if got, _ := again.LookupScanResults(apiRef, apiDigest); !cmp.Equal(im, got) {
		t.Errorf("reloaded image differs: %s", cmp.Diff(im, got))
	}
}

func TestLoadScanResultsRefusesCorruptRows(t *testing.T) {
	ctx := context.Background()
	st, _ := storetest.Backends(t)[0].Open(t)
	defer st.Close()
	if err := st.ReplaceScanImages(ctx, nil, []store.ScanImage{{Key: apiDigest, Body: []byte("{not json")}}); err != nil {
		t.Fatal(err)
	}
	s := New(Options{Store: st})
	if _, err := s.LoadScanResults(ctx); err == nil || !strings.Contains(err.Error(), apiDigest) {
		t.Errorf("load of a corrupt row = %v, want an error naming its key", err)
	}
}

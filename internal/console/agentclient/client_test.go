package agentclient

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/console/consoletest"
	"github.com/palisade-dev/palisade/internal/console/httpapi"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

const shopAPIDigest = "sha256:9c1e4b7a2d5f8e0c3b6a9d2f5e8c1b4a7d0e3f6c9b2a5d8e1f4c7b0a3d6e9f2c"

// A managed agent asks a real console for the scan results of the images its
// cluster runs: answers come in the order asked, across batches.
func TestConsoleClientScanResults(t *testing.T) {
	svc, _, _ := consoletest.New(t)
	report, err := os.ReadFile(fixture.Repo(t, "internal/supply/scanreport/testdata/palisade-malware.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ImportScanResults(context.Background(), "palisade-malware.yaml", report); err != nil {
		t.Fatal(err)
	}
	_, token, err := svc.RegisterCluster(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Options{Service: svc, AdminToken: "admin-token-for-client-tests"}))
	t.Cleanup(srv.Close)
	client, err := New(srv.URL, token, "")
	if err != nil {
		t.Fatal(err)
	}

	// More queries than one batch holds, the known images among them.
	queries := make([]ImageQuery, ScanQueryBatch+5)
	for i := range queries {
		queries[i] = ImageQuery{Image: fmt.Sprintf("registry.example.com/unknown/app-%d:1", i)}
	}
	queries[3] = ImageQuery{Image: "registry.example.com/shop/api:1.4.2"}
	queries[ScanQueryBatch+2] = ImageQuery{Image: "registry.example.com/shop/api:1.4.2", Digest: shopAPIDigest}
	queries[ScanQueryBatch+3] = ImageQuery{Image: "registry.example.com/shop/api:1.4.2", Digest: "sha256:" + fmt.Sprintf("%064d", 7)}

	results, err := client.ScanResults(context.Background(), queries)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(queries) {
		t.Fatalf("%d results for %d queries", len(results), len(queries))
	}
	for i, r := range results {
		if r.Image != queries[i].Image || r.Digest != queries[i].Digest {
			t.Fatalf("result %d answers %s@%s, want %s@%s", i, r.Image, r.Digest, queries[i].Image, queries[i].Digest)
		}
		wantFound := i == 3 || i == ScanQueryBatch+2
		if r.Found != wantFound {
			t.Errorf("result %d (%s %s): found %v, want %v", i, r.Image, r.Digest, r.Found, wantFound)
		}
	}
	if im := results[3].Result; im == nil || len(im.Malware) != 1 || im.Malware[0].Name != "Eicar-Signature" || len(im.Vulnerabilities) != 2 {
		t.Errorf("result by tag = %+v", im)
	}

	if results, err := client.ScanResults(context.Background(), nil); err != nil || len(results) != 0 {
		t.Errorf("no queries = %v, %v", results, err)
	}

	// A token the console does not know is refused.
	bad, err := New(srv.URL, "not-a-token", "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.ScanResults(context.Background(), queries[:1])
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 401 {
		t.Errorf("unknown token: %v, want a 401 StatusError", err)
	}
}

// A --console URL carrying a password never shows it in an error.
func TestNewHidesTheURLPassword(t *testing.T) {
	for _, bad := range []string{"ftp://agent:s3cret@console", "http://agent:s3cret@console:port"} {
		_, err := New(bad, "token", "")
		if err == nil {
			t.Fatalf("New(%q) accepted", bad)
		}
		if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "agent:xxxxx@") {
			t.Errorf("New(%q): %v: want the password hidden", bad, err)
		}
	}
}

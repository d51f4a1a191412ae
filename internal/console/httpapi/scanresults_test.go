package httpapi

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/console/consoletest"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

// trivyReport reads a real Trivy report kept in the repository's testdata/.
func trivyReport(t *testing.T, name string) string {
	t.Helper()
	return string(fixture.Read(t, "trivy-reports", name))
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(fixture.Repo(t, "internal/supply/scanreport/testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const alpineRef = "ghcr.io/aquasecurity/trivy-test-images:alpine-310"

// badScanResult has three problems, on lines 5, 6 and 7.
const badScanResult = `apiVersion: palisade.dev/v1
kind: ScanResult
image: {reference: "nginx:1.25"}
scans:
  - {type: virus, time: "2026-05-03T10:00:00Z"}
vulnerabilities:
  - {id: CVE-2024-6387, severity: dreadful}
`

func TestScanResultsImportAndLookup(t *testing.T) {
	srv := newServer(t)
	report := trivyReport(t, "alpine-310.json")
	if c := do(t, srv, "POST", "/api/v1/scan-results", "", "application/json", report); c.status != 401 {
		t.Errorf("no token: %d", c.status)
	}
	if c := do(t, srv, "POST", "/api/v1/scan-results", viewer, "application/json", report); c.status != 403 {
		t.Errorf("viewer import: %d", c.status)
	}
	if c := do(t, srv, "GET", "/api/v1/scan-results?image="+alpineRef, viewer, "", ""); c.status != 404 || !strings.Contains(c.body["error"].(string), alpineRef) {
		t.Errorf("lookup before the import: %d %s", c.status, c.raw)
	}

	// A real Trivy report.
	c := do(t, srv, "POST", "/api/v1/scan-results?name=alpine-310.json", admin, "application/json", report)
	if c.status != 200 || c.body["format"] != "trivy" || c.body["images"] != 1.0 || c.body["added"] != 1.0 || c.body["removed"] != 0.0 {
		t.Fatalf("import: %d %s", c.status, c.raw)
	}
	if w, ok := c.body["warnings"].([]any); !ok || len(w) != 0 {
		t.Errorf("warnings: want an empty list: %s", c.raw)
	}
	c = do(t, srv, "GET", "/api/v1/scan-results?image="+url.QueryEscape(alpineRef), viewer, "", "")
	vulns, _ := c.body["vulnerabilities"].([]any)
	scans, _ := c.body["scans"].([]any)
	if c.status != 200 || len(vulns) != 4 || len(scans) != 1 || scans[0].(map[string]any)["source"] != "alpine-310.json" {
		t.Fatalf("lookup by tag: %d %s", c.status, c.raw)
	}
	// A tag scanned without a manifest digest stands for any digest; a
	// reference the console cannot read is simply unknown.
	if c := do(t, srv, "GET", "/api/v1/scan-results?image="+alpineRef+"&digest=sha256:"+strings.Repeat("1", 64), admin, "", ""); c.status != 200 {
		t.Errorf("lookup with a digest: %d %s", c.status, c.raw)
	}
	if c := do(t, srv, "GET", "/api/v1/scan-results?image=Not%20An%20Image", admin, "", ""); c.status != 404 {
		t.Errorf("lookup of an invalid reference: %d %s", c.status, c.raw)
	}
	if c := do(t, srv, "GET", "/api/v1/scan-results", viewer, "", ""); c.status != 400 {
		t.Errorf("lookup without image: %d %s", c.status, c.raw)
	}

	// Trivy Operator resources in YAML, found by digest.
	c = do(t, srv, "POST", "/api/v1/scan-results", admin, "application/yaml", testdata(t, "operator-vulnerabilityreport.yaml"))
	if c.status != 200 || c.body["format"] != "trivy-operator" {
		t.Fatalf("operator import: %d %s", c.status, c.raw)
	}
	c = do(t, srv, "GET", "/api/v1/scan-results?image=nginx:1.25.3&digest=sha256:0f5b1f8e5c8a4e6d0b3c2a1f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d", viewer, "", "")
	if scans, _ := c.body["scans"].([]any); c.status != 200 || len(scans) != 1 || !strings.HasPrefix(scans[0].(map[string]any)["source"].(string), "request:") {
		t.Errorf("operator result, its source named \"request\": %d %s", c.status, c.raw)
	}
	if c := do(t, srv, "GET", "/api/v1/scan-results?image=nginx:1.25.3&digest=sha256:"+strings.Repeat("2", 64), viewer, "", ""); c.status != 404 {
		t.Errorf("the tag at another digest than the one scanned: %d, want 404", c.status)
	}

	// A List of two reports of one image, and one the console skips.
	c = do(t, srv, "POST", "/api/v1/scan-results?name=operator-list.yaml", admin, "application/yaml", testdata(t, "operator-list.yaml"))
	w, _ := c.body["warnings"].([]any)
	if c.status != 200 || c.body["images"] != 2.0 || c.body["added"] != 1.0 || len(w) != 1 ||
		!strings.HasPrefix(w[0].(string), "operator-list.yaml:") || !strings.Contains(w[0].(string), "ConfigAuditReport") {
		t.Errorf("operator List: %d %s", c.status, c.raw)
	}
	c = do(t, srv, "GET", "/api/v1/scan-results?image=registry.example.com/shop/api:1.4.2", viewer, "", "")
	if scans, _ := c.body["scans"].([]any); c.status != 200 || len(scans) != 2 {
		t.Errorf("merged operator reports: %d %s", c.status, c.raw)
	}
}

func TestScanResultsImportRefusals(t *testing.T) {
	srv := newServer(t)
	c := do(t, srv, "POST", "/api/v1/scan-results?name=scan.yaml", admin, "application/yaml", badScanResult)
	if c.status != 422 {
		t.Fatalf("bad report: %d %s", c.status, c.raw)
	}
	details, _ := c.body["details"].([]any)
	var got []string
	for _, d := range details {
		m := d.(map[string]any)
		got = append(got, fmt.Sprintf("%v:%v %v", m["source"], m["line"], m["field"]))
	}
	if want := "[scan.yaml:5 scans[0].type scan.yaml:6 vulnerabilities scan.yaml:7 vulnerabilities[0].severity]"; fmt.Sprint(got) != want {
		t.Errorf("details %v, want %s\n%s", got, want, c.raw)
	}
	if !strings.Contains(c.body["error"].(string), "scan.yaml:5: scans[0].type: Unsupported value") {
		t.Errorf("error: %s", c.raw)
	}
	if c := do(t, srv, "GET", "/api/v1/scan-results?image=nginx:1.25", admin, "", ""); c.status != 404 {
		t.Errorf("a refused report was imported: %d %s", c.status, c.raw)
	}
	if c := do(t, srv, "POST", "/api/v1/scan-results", admin, "", "{}"); c.status != 422 {
		t.Errorf("not a scan report: %d %s", c.status, c.raw)
	}
	if c := do(t, srv, "POST", "/api/v1/scan-results?name=a%0Ab", admin, "", badScanResult); c.status != 400 {
		t.Errorf("a name with a newline: %d %s", c.status, c.raw)
	}
	huge := `{"SchemaVersion": 2, "pad": "` + strings.Repeat("x", MaxScanReportBytes) + `"}`
	if c := do(t, srv, "POST", "/api/v1/scan-results", admin, "application/json", huge); c.status != 413 {
		t.Errorf("a report over %d bytes: %d", MaxScanReportBytes, c.status)
	}
}

func TestAgentScanResults(t *testing.T) {
	srv := newServer(t)
	do(t, srv, "POST", "/api/v1/scan-results", admin, "application/yaml", testdata(t, "palisade-malware.yaml"))
	token := do(t, srv, "POST", "/api/v1/clusters", admin, "application/json", `{"name":"east"}`).body["token"].(string)

	body := `{"images":[
		{"image":"registry.example.com/shop/api:1.4.2"},
		{"image":"busybox"},
		{"image":"registry.example.com/shop/api:1.4.2","digest":"sha256:` + strings.Repeat("3", 64) + `"},
		{"image":"anything@sha256:0f5b1f8e5c8a4e6d0b3c2a1f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"}]}`
	if c := do(t, srv, "POST", "/api/v1/agent/scan-results", admin, "application/json", body); c.status != 403 {
		t.Errorf("admin token on the agent endpoint: %d", c.status)
	}
	c := do(t, srv, "POST", "/api/v1/agent/scan-results", token, "application/json", body)
	results, _ := c.body["results"].([]any)
	if c.status != 200 || len(results) != 4 {
		t.Fatalf("agent lookup: %d %s", c.status, c.raw)
	}
	// Each result: image, found, and the scans of the result if any.
	var got []string
	for _, r := range results {
		m := r.(map[string]any)
		scans := "none"
		if res, ok := m["result"].(map[string]any); ok {
			scans = fmt.Sprint(len(res["scans"].([]any)))
		}
		got = append(got, fmt.Sprintf("%v %v %s", m["image"], m["found"], scans))
	}
	want := []string{
		"registry.example.com/shop/api:1.4.2 true 2",
		"busybox false none",
		"registry.example.com/shop/api:1.4.2 false none",
		"anything@sha256:0f5b1f8e5c8a4e6d0b3c2a1f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d true 1",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("results\n got %q\nwant %q", got, want)
	}
	if d := results[2].(map[string]any)["digest"]; d != "sha256:"+strings.Repeat("3", 64) {
		t.Errorf("the digest asked is not echoed: %v", d)
	}

	if c := do(t, srv, "POST", "/api/v1/agent/scan-results", token, "application/json", `{"images":[]}`); c.status != 200 || c.raw != "{\"results\":[]}\n" {
		t.Errorf("no images: %d %q", c.status, c.raw)
	}
	if c := do(t, srv, "POST", "/api/v1/agent/scan-results", token, "application/json", `{"images":[{"digest":"sha256:x"}]}`); c.status != 400 {
		t.Errorf("an image without a reference: %d %s", c.status, c.raw)
	}
	if c := do(t, srv, "POST", "/api/v1/agent/scan-results", token, "application/json", `{"images":{}}`); c.status != 400 {
		t.Errorf("a malformed body: %d %s", c.status, c.raw)
	}
	many := `{"images":[` + strings.TrimSuffix(strings.Repeat(`{"image":"nginx"},`, MaxImageQueries+1), ",") + `]}`
	if c := do(t, srv, "POST", "/api/v1/agent/scan-results", token, "application/json", many); c.status != 413 {
		t.Errorf("%d images: %d %s", MaxImageQueries+1, c.status, c.raw)
	}
}

// Every route is in openapi.yaml, with its method.
func TestEveryRouteIsDocumented(t *testing.T) {
	svc, _, _ := consoletest.New(t)
	a := New(Options{Service: svc, AdminToken: admin})
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := yaml.Unmarshal(openAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if len(a.patterns) < 10 {
		t.Fatalf("only %d routes recorded", len(a.patterns))
	}
	for _, p := range a.patterns {
		method, path, _ := strings.Cut(p, " ")
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("openapi.yaml does not describe %s", p)
		}
	}
}

package scanreport

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"

	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

func TestImportPalisade(t *testing.T) {
	data := readTestdata(t, "palisade-malware.yaml")
	if f, err := Detect(data); err != nil || f != FormatPalisade {
		t.Errorf("Detect = %q, %v", f, err)
	}
	rep, err := Import("palisade-malware.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	want := []*scanresult.Image{
		{
			Digests:    []string{"sha256:9c1e4b7a2d5f8e0c3b6a9d2f5e8c1b4a7d0e3f6c9b2a5d8e1f4c7b0a3d6e9f2c"},
			References: []string{"registry.example.com/shop/api:1.4.2"},
			Scans: []scanresult.Scan{
				{Type: scanresult.ScanVulnerability, Time: time.Date(2026, 5, 3, 8, 2, 0, 0, time.UTC), Scanner: "Grype 0.79.0", Source: "palisade-malware.yaml:3"},
				{Type: scanresult.ScanMalware, Time: time.Date(2026, 5, 3, 10, 0, 0, 0, time.UTC), Scanner: "ClamAV 1.3.1", Source: "palisade-malware.yaml:3"},
			},
			Vulnerabilities: []scanresult.Vulnerability{
				{ID: "CVE-2024-6387", Package: "openssh-server", InstalledVersion: "1:9.2p1-2", FixedVersion: "1:9.2p1-2+deb12u3", Severity: scanresult.SeverityHigh,
					CVSS: cv(t, "nvd", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1)},
				// No severity: the score's rating.
				{ID: "CVE-2023-45853", Package: "zlib1g", Severity: scanresult.SeverityCritical, CVSS: &scanresult.CVSS{BaseScore: 9.8}},
			},
			Malware: []scanresult.Malware{{Name: "Eicar-Signature", Path: "/srv/www/eicar.com"}},
		},
		{
			Digests: []string{"sha256:0f5b1f8e5c8a4e6d0b3c2a1f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"},
			Scans:   []scanresult.Scan{{Type: scanresult.ScanSecret, Time: time.Date(2026, 5, 3, 11, 0, 0, 0, time.UTC), Scanner: "gitleaks 8.18.2", Source: "palisade-malware.yaml:34"}},
		},
	}
	if diff := cmp.Diff(want, rep.Images, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(rep.Warnings) > 0 {
		t.Errorf("warnings: %v", rep.Warnings)
	}
}

// A List may mix Palisade documents and Trivy Operator resources, and a
// JSON document works as well as YAML.
func TestImportMixedList(t *testing.T) {
	in := `{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "palisade.dev/v1", "kind": "ScanResult",
   "image": {"reference": "nginx:1.25.3"},
   "scans": [{"type": "malware", "time": "2026-05-03T10:00:00Z"}]},
  {"apiVersion": "aquasecurity.github.io/v1alpha1", "kind": "ExposedSecretReport",
   "report": {"artifact": {"repository": "library/nginx", "tag": "1.25.3"}, "registry": {"server": "index.docker.io"},
              "updateTimestamp": "2026-05-03T09:00:00Z", "secrets": []}}
]}`
	rep, err := Import("mixed.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Format != FormatPalisade || len(rep.Images) != 2 {
		t.Fatalf("format %q, %d images", rep.Format, len(rep.Images))
	}
	x := scanresult.NewIndex()
	if err := x.Add(rep.Images...); err != nil {
		t.Fatal(err)
	}
	im, ok := x.Lookup("nginx:1.25.3", "")
	if !ok || len(im.Scans) != 2 || x.Len() != 1 {
		t.Errorf("lookup: %v %+v (%d images)", ok, im, x.Len())
	}
}

// The examples users copy import as documented.
func TestDocumentedExamples(t *testing.T) {
	doc, err := os.ReadFile(fixture.Repo(t, "docs/scan-results.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(doc), "```yaml\napiVersion: palisade.dev/v1\n")
	example, _, found := strings.Cut(rest, "```")
	if !found {
		t.Fatal("no ScanResult example in docs/scan-results.md")
	}
	rep, err := Import("scan-results.md", []byte("apiVersion: palisade.dev/v1\n"+example))
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; len(im.Malware) != 1 || len(im.Scans) != 1 || im.References[0] != "registry.example.com/shop/api:1.4.2" {
		t.Errorf("docs example: %+v", im)
	}

	// The example in Document's comment.
	const comment = `apiVersion: palisade.dev/v1
kind: ScanResult
image:
  reference: registry.example.com/shop/api:1.4.2
  digest: sha256:4f9d1c0e9a0b8e6c2b8f4f2c9c3d0e3f1a2b3c4d5e6f708192a3b4c5d6e7f809
scans:
  - {type: malware, time: "2026-05-01T10:00:00Z", scanner: ClamAV 1.3.1}
  - {type: vulnerability, time: "2026-05-01T10:02:00Z", scanner: Grype 0.79.0}
malware:
  - {name: Eicar-Signature, path: /srv/www/eicar.com}
vulnerabilities:
  - id: CVE-2024-6387
    package: openssh-server
    installedVersion: 1:9.2p1-2
    fixedVersion: 1:9.2p1-2+deb12u3
    severity: HIGH
    cvss: {vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", source: nvd}
`
	if _, err := Import("palisade.go", []byte(comment)); err != nil {
		t.Error(err)
	}
}

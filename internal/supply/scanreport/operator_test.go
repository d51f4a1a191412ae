package scanreport

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestImportTrivyOperator(t *testing.T) {
	const (
		nginx = "sha256:0f5b1f8e5c8a4e6d0b3c2a1f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"
		api   = "sha256:9c1e4b7a2d5f8e0c3b6a9d2f5e8c1b4a7d0e3f6c9b2a5d8e1f4c7b0a3d6e9f2c"
		avd   = "https://avd.aquasec.com/nvd/"
	)
	critical := "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
	tests := []struct {
		file     string
		want     []*scanresult.Image
		warnings []string
	}{
		{
			// With the optional cvss field: NVD's vector first, then the
			// vendors by name (no cvsssource vendor is present).
			file: "operator-vulnerabilityreport.yaml",
			want: []*scanresult.Image{{
				Digests:    []string{nginx},
				References: []string{"docker.io/library/nginx:1.25.3"},
				Scans: []scanresult.Scan{{Type: scanresult.ScanVulnerability, Time: time.Date(2026, 5, 2, 8, 14, 55, 0, time.UTC), Scanner: "Trivy 0.50.1",
					Source: "operator-vulnerabilityreport.yaml:5 VulnerabilityReport shop/replicaset-web-7d9f8b6c5d-nginx"}},
				Vulnerabilities: []scanresult.Vulnerability{
					{ID: "CVE-2024-45492", Package: "libexpat1", InstalledVersion: "2.5.0-1", FixedVersion: "2.5.0-1+deb12u1", Severity: scanresult.SeverityCritical, CVSS: cv(t, "nvd", critical, 9.8),
						Title: "libexpat: integer overflow for nDefaultAtts on 32-bit platforms", URL: avd + "cve-2024-45492"},
					{ID: "CVE-2023-52425", Package: "libexpat1", InstalledVersion: "2.5.0-1", Severity: scanresult.SeverityHigh, CVSS: cv(t, "nvd", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
						Title: "expat: parsing large tokens can trigger a denial of service", URL: avd + "cve-2023-52425"},
					{ID: "CVE-2023-45853", Package: "zlib1g", InstalledVersion: "1:1.2.13.dfsg-1", Severity: scanresult.SeverityCritical, CVSS: cv(t, "ghsa", critical, 9.8),
						Title: "zlib: integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_6", URL: avd + "cve-2023-45853"},
					{ID: "CVE-2011-3374", Package: "apt", InstalledVersion: "2.6.1", Severity: scanresult.SeverityLow, CVSS: &scanresult.CVSS{BaseScore: 3.7},
						Title: "It was found that apt-key in apt, all versions, do not correctly valid ...", URL: avd + "cve-2011-3374"},
				},
			}},
		},
		{
			// kubectl get ... -o yaml: a List of both report kinds for one
			// image (scores only, no vectors), and a ConfigAuditReport,
			// which holds no image scan and is skipped with a warning.
			file: "operator-list.yaml",
			want: []*scanresult.Image{
				{
					Digests:    []string{api},
					References: []string{"registry.example.com/shop/api:1.4.2"},
					Scans: []scanresult.Scan{{Type: scanresult.ScanVulnerability, Time: time.Date(2026, 5, 2, 9, 1, 12, 0, time.UTC), Scanner: "Trivy 0.50.1",
						Source: "operator-list.yaml:5 VulnerabilityReport shop/replicaset-api-5c7f9d8b4-api"}},
					Vulnerabilities: []scanresult.Vulnerability{
						{ID: "CVE-2024-4741", Package: "libssl3", InstalledVersion: "3.1.4-r5", FixedVersion: "3.1.4-r6", Severity: scanresult.SeverityHigh, CVSS: &scanresult.CVSS{BaseScore: 7.5},
							Title: "openssl: Use After Free with SSL_free_buffers", URL: avd + "cve-2024-4741"},
						{ID: "CVE-2024-45337", Package: "golang.org/x/crypto", InstalledVersion: "v0.30.0", FixedVersion: "0.31.0", Severity: scanresult.SeverityCritical, CVSS: &scanresult.CVSS{BaseScore: 9.1},
							Title: "golang.org/x/crypto/ssh: Misuse of ServerConfig.PublicKeyCallback may cause authorization bypass", URL: avd + "cve-2024-45337"},
					},
				},
				{
					Digests:    []string{api},
					References: []string{"registry.example.com/shop/api:1.4.2"},
					Scans: []scanresult.Scan{{Type: scanresult.ScanSecret, Time: time.Date(2026, 5, 2, 9, 1, 14, 0, time.UTC), Scanner: "Trivy 0.50.1",
						Source: "operator-list.yaml:63 ExposedSecretReport shop/replicaset-api-5c7f9d8b4-api"}},
					Secrets: []scanresult.Secret{{RuleID: "aws-secret-access-key", Category: "AWS", Severity: scanresult.SeverityCritical, Title: "AWS Secret Access Key", Target: "/app/config/.env"}},
				},
			},
			warnings: []string{`operator-list.yaml:99: items[2].kind: Unsupported value: "ConfigAuditReport": supported values: "VulnerabilityReport", "ClusterVulnerabilityReport", "ExposedSecretReport"`},
		},
		{
			// A typed list as the API returns it (items without kind): an
			// ExposedSecretReport without secrets is a clean secret scan.
			file: "operator-exposedsecretreports.json",
			want: []*scanresult.Image{{
				Digests:    []string{nginx},
				References: []string{"docker.io/library/nginx:1.25.3"},
				Scans: []scanresult.Scan{{Type: scanresult.ScanSecret, Time: time.Date(2026, 5, 2, 8, 14, 57, 0, time.UTC), Scanner: "Trivy 0.50.1",
					Source: "operator-exposedsecretreports.json:6 ExposedSecretReport shop/replicaset-web-7d9f8b6c5d-nginx"}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readTestdata(t, tt.file)
			if f, err := Detect(data); err != nil || f != FormatTrivyOperator {
				t.Errorf("Detect = %q, %v", f, err)
			}
			rep, err := Import(tt.file, data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, rep.Images); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			var warnings []string
			for _, w := range rep.Warnings {
				warnings = append(warnings, w.String())
			}
			if diff := cmp.Diff(tt.warnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// The two reports of one image merge in an index into one image with both
// scans.
func TestTrivyOperatorReportsMerge(t *testing.T) {
	rep, err := Import("operator-list.yaml", readTestdata(t, "operator-list.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	x := scanresult.NewIndex()
	if err := x.Add(rep.Images...); err != nil {
		t.Fatal(err)
	}
	im, ok := x.Lookup("registry.example.com/shop/api:1.4.2", "")
	if !ok || x.Len() != 1 {
		t.Fatalf("Lookup: %v, %d images", ok, x.Len())
	}
	_, vuln := im.Scan(scanresult.ScanVulnerability)
	_, secret := im.Scan(scanresult.ScanSecret)
	if !vuln || !secret || len(im.Vulnerabilities) != 2 || len(im.Secrets) != 1 {
		t.Errorf("merged image: %+v", im)
	}
}

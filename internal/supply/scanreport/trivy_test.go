package scanreport

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/platform/fixture"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
)

// trivyReports is the folder of real Trivy output kept in the repository's
// testdata/. The importer's tests are about those reports.
func trivyReports(t testing.TB) string {
	t.Helper()
	return fixture.Path(t, "trivy-reports")
}

func readReport(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(trivyReports(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// patchReport reads a real report and changes it as edit says.
func patchReport(t testing.TB, name string, edit func(r map[string]any)) []byte {
	t.Helper()
	var r map[string]any
	if err := json.Unmarshal(readReport(t, name), &r); err != nil {
		t.Fatal(err)
	}
	edit(r)
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// obj walks into nested objects of a decoded report.
func obj(m map[string]any, path ...any) map[string]any {
	var cur any = m
	for _, p := range path {
		switch k := p.(type) {
		case string:
			cur = cur.(map[string]any)[k]
		case int:
			cur = cur.([]any)[k]
		}
	}
	return cur.(map[string]any)
}

// cv is the CVSS the importer should produce for a vector.
func cv(t testing.TB, source, vector string, score float64) *scanresult.CVSS {
	t.Helper()
	c, err := scanresult.ParseCVSS(vector)
	if err != nil {
		t.Fatalf("%s: %v", vector, err)
	}
	if c.BaseScore != score {
		t.Fatalf("%s: go-cvss computes %v, the report says %v", vector, c.BaseScore, score)
	}
	c.Source = source
	return &c
}

var trivyTime = time.Date(2021, 8, 25, 12, 20, 30, 5, time.UTC)

func TestImportTrivyReports(t *testing.T) {
	const avd = "https://avd.aquasec.com/nvd/"
	scan := func(file string) []scanresult.Scan {
		return []scanresult.Scan{{Type: scanresult.ScanVulnerability, Time: trivyTime, Scanner: "Trivy dev", Source: file}}
	}
	nvdLowNet := "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"
	bashLocal := "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"
	padding := "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N"
	tests := []struct {
		file string
		want *scanresult.Image
	}{
		{
			// The vendors disagree on attack complexity (Red Hat: high):
			// NVD's vector is the one used.
			file: "alpine-310.json",
			want: &scanresult.Image{
				ImageID:    "sha256:961769676411f082461f9ef46626dd7a2d1e2b2a38e6a44364bcbecf51e66dd4",
				References: []string{"ghcr.io/aquasecurity/trivy-test-images:alpine-310"},
				Scans:      scan("alpine-310.json"),
				Vulnerabilities: []scanresult.Vulnerability{
					{ID: "CVE-2019-1549", Package: "libcrypto1.1", InstalledVersion: "1.1.1c-r0", FixedVersion: "1.1.1d-r0", Severity: scanresult.SeverityMedium, CVSS: cv(t, "nvd", nvdLowNet, 5.3), Title: "openssl: information disclosure in fork()", URL: avd + "cve-2019-1549"},
					{ID: "CVE-2019-1551", Package: "libcrypto1.1", InstalledVersion: "1.1.1c-r0", FixedVersion: "1.1.1d-r2", Severity: scanresult.SeverityMedium, CVSS: cv(t, "nvd", nvdLowNet, 5.3), Title: "openssl: Integer overflow in RSAZ modular exponentiation on x86_64", URL: avd + "cve-2019-1551"},
					{ID: "CVE-2019-1549", Package: "libssl1.1", InstalledVersion: "1.1.1c-r0", FixedVersion: "1.1.1d-r0", Severity: scanresult.SeverityMedium, CVSS: cv(t, "nvd", nvdLowNet, 5.3), Title: "openssl: information disclosure in fork()", URL: avd + "cve-2019-1549"},
					{ID: "CVE-2019-1551", Package: "libssl1.1", InstalledVersion: "1.1.1c-r0", FixedVersion: "1.1.1d-r2", Severity: scanresult.SeverityMedium, CVSS: cv(t, "nvd", nvdLowNet, 5.3), Title: "openssl: Integer overflow in RSAZ modular exponentiation on x86_64", URL: avd + "cve-2019-1551"},
				},
			},
		},
		{
			// Severity comes from Red Hat (SeveritySource), the vector
			// still from NVD: CVE-2018-0734 is "network" by NVD, "local"
			// by Red Hat. No fix: no FixedVersion.
			file: "centos-7.json",
			want: &scanresult.Image{
				ImageID:    "sha256:f1cb7c7d58b73eac859c395882eec49d50651244e342cd6c68a5c7809785f427",
				References: []string{"ghcr.io/aquasecurity/trivy-test-images:centos-7"},
				Scans:      scan("centos-7.json"),
				Vulnerabilities: []scanresult.Vulnerability{
					{ID: "CVE-2019-18276", Package: "bash", InstalledVersion: "4.2.46-31.el7", Severity: scanresult.SeverityLow, CVSS: cv(t, "nvd", bashLocal, 7.8), Title: "bash: when effective UID is not equal to its real UID the saved UID is not dropped", URL: avd + "cve-2019-18276"},
					{ID: "CVE-2019-1559", Package: "openssl-libs", InstalledVersion: "1:1.0.2k-16.el7", FixedVersion: "1:1.0.2k-19.el7", Severity: scanresult.SeverityMedium, CVSS: cv(t, "nvd", padding, 5.9), Title: "openssl: 0-byte record padding oracle", URL: avd + "cve-2019-1559"},
					{ID: "CVE-2018-0734", Package: "openssl-libs", InstalledVersion: "1:1.0.2k-16.el7", FixedVersion: "1:1.0.2k-19.el7", Severity: scanresult.SeverityLow, CVSS: cv(t, "nvd", padding, 5.9), Title: "openssl: timing side channel attack in the DSA signature algorithm", URL: avd + "cve-2018-0734"},
				},
			},
		},
		{
			file: "debian-buster.json",
			want: &scanresult.Image{
				ImageID:    "sha256:c2c03a296d2329a4f3ab72a7bf38b78a8a80108204d326b0139d6af700e152d1",
				References: []string{"ghcr.io/aquasecurity/trivy-test-images:debian-buster"},
				Scans:      scan("debian-buster.json"),
				Vulnerabilities: []scanresult.Vulnerability{
					{ID: "CVE-2019-18276", Package: "bash", InstalledVersion: "5.0-4", Severity: scanresult.SeverityLow, CVSS: cv(t, "nvd", bashLocal, 7.8), Title: "bash: when effective UID is not equal to its real UID the saved UID is not dropped", URL: avd + "cve-2019-18276"},
					{ID: "CVE-2019-18224", Package: "libidn2-0", InstalledVersion: "2.0.5-1", FixedVersion: "2.0.5-1+deb10u1", Severity: scanresult.SeverityCritical, CVSS: cv(t, "nvd", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8), Title: "libidn2: heap-based buffer overflow in idn2_to_ascii_4i in lib/lookup.c", URL: avd + "cve-2019-18224"},
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readReport(t, tt.file)
			if f, err := Detect(data); err != nil || f != FormatTrivy {
				t.Errorf("Detect = %q, %v; want %q", f, err, FormatTrivy)
			}
			rep, err := Import(tt.file, data)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Format != FormatTrivy || len(rep.Warnings) > 0 {
				t.Errorf("format %q, warnings %v", rep.Format, rep.Warnings)
			}
			if diff := cmp.Diff([]*scanresult.Image{tt.want}, rep.Images); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// A registry scan carries repo digests, and ArtifactName is the image as
// named on the command line; an archive's path is no reference.
func TestImportTrivyIdentity(t *testing.T) {
	const (
		digest = "sha256:b2f1c2a5a0e46fa6d1e1f4b3e7b6f0a3bb1f0d5f0e9b4c6d8a7f3e2c1b0a9f8e"
		other  = "sha256:0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000"
	)
	data := patchReport(t, "alpine-310.json", func(r map[string]any) {
		r["ArtifactName"] = "alpine:3.10"
		md := obj(r, "Metadata")
		md["RepoTags"] = []any{"alpine:3.10", "<none>:<none>"}
		md["RepoDigests"] = []any{"alpine@" + digest, "index.docker.io/library/alpine@" + other}
		md["Reference"] = "alpine:3.10"
	})
	rep, err := Import("registry.json", data)
	if err != nil {
		t.Fatal(err)
	}
	im := rep.Images[0]
	want := &scanresult.Image{Digests: []string{other, digest}, ImageID: "sha256:961769676411f082461f9ef46626dd7a2d1e2b2a38e6a44364bcbecf51e66dd4", References: []string{"docker.io/library/alpine:3.10"}}
	got := &scanresult.Image{Digests: im.Digests, ImageID: im.ImageID, References: im.References}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("identity (-want +got):\n%s", diff)
	}

	for _, name := range []string{"testdata/fixtures/images/alpine-310.tar.gz", "./alpine.tar", "/tmp/alpine.tgz"} {
		data := patchReport(t, "alpine-310.json", func(r map[string]any) {
			r["ArtifactName"] = name
			md := obj(r, "Metadata")
			delete(md, "RepoTags")
			delete(md, "Reference")
		})
		rep, err := Import("archive.json", data)
		if err != nil {
			t.Fatal(err)
		}
		if refs := rep.Images[0].References; len(refs) != 0 {
			t.Errorf("ArtifactName %q became references %q", name, refs)
		}
	}
}

// Trivy writes secret results only for files with findings: the real
// report of a repository, turned into an image report, proves a secret
// scan with its findings; no package result means no vulnerability scan.
func TestImportTrivySecrets(t *testing.T) {
	data := readReport(t, "secrets.json")
	_, err := Import("secrets.json", data)
	wantErr := `secrets.json:9: ArtifactType: Invalid value: "repository": only a report of "trivy image" (ArtifactType "container_image") describes an image`
	if err == nil || err.Error() != wantErr {
		t.Errorf("repository report: got %v, want %s", err, wantErr)
	}

	const digest = "sha256:4f9d1c0e9a0b8e6c2b8f4f2c9c3d0e3f1a2b3c4d5e6f708192a3b4c5d6e7f809"
	data = patchReport(t, "secrets.json", func(r map[string]any) {
		r["ArtifactType"] = "container_image"
		r["ArtifactName"] = "registry.example.com/shop/api:1.4.2"
		r["Metadata"] = map[string]any{"RepoDigests": []any{"registry.example.com/shop/api@" + digest}}
	})
	rep, err := Import("secrets.json", data)
	if err != nil {
		t.Fatal(err)
	}
	want := []*scanresult.Image{{
		Digests:    []string{digest},
		References: []string{"registry.example.com/shop/api:1.4.2"},
		Scans:      []scanresult.Scan{{Type: scanresult.ScanSecret, Time: trivyTime, Scanner: "Trivy dev", Source: "secrets.json"}},
		Secrets: []scanresult.Secret{
			{RuleID: "aws-access-key-id", Category: "AWS", Severity: scanresult.SeverityCritical, Title: "AWS Access Key ID", Target: "deploy.sh", Line: 3},
			{RuleID: "mysecret", Category: "Custom", Severity: scanresult.SeverityHigh, Title: "My Secret", Target: "deploy.sh", Line: 7},
		},
	}}
	if diff := cmp.Diff(want, rep.Images); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0].Message, `Results: Required value: no "os-pkgs" or "lang-pkgs" result`) {
		t.Errorf("warnings = %v, want the missing vulnerability scan", rep.Warnings)
	}
}

// How the CVSS vector is chosen among vendors, on a real finding
// (centos-7's CVE-2018-0734: NVD network, Red Hat local; severity from
// Red Hat).
func TestImportTrivyCVSSChoice(t *testing.T) {
	redhatLocal := "CVSS:3.0/AV:L/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N"
	tests := []struct {
		name     string
		edit     func(cvss map[string]any, v map[string]any)
		want     *scanresult.CVSS
		warnings []string
	}{
		{
			name: "nvd first",
			edit: func(map[string]any, map[string]any) {},
			want: cv(t, "nvd", "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
		},
		{
			name: "without nvd, the severity source",
			edit: func(c map[string]any, v map[string]any) {
				delete(c, "nvd")
				c["amazon"] = map[string]any{"V3Vector": "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", "V3Score": 2.4}
			},
			want: cv(t, "redhat", redhatLocal, 5.1),
		},
		{
			name: "then the other vendors by name",
			edit: func(c map[string]any, v map[string]any) {
				delete(c, "nvd")
				v["SeveritySource"] = "ubuntu"
				c["amazon"] = map[string]any{"V3Vector": "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", "V3Score": 2.4}
			},
			want: cv(t, "amazon", "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 2.4),
		},
		{
			name: "an invalid vector is a warning and the next vendor is used",
			edit: func(c map[string]any, v map[string]any) {
				obj(c, "nvd")["V3Vector"] = "CVSS:3.0/AV:X/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N"
			},
			want:     cv(t, "redhat", redhatLocal, 5.1),
			warnings: []string{`Results[0].Vulnerabilities[2].CVSS.nvd.V3Vector: Invalid value: "CVSS:3.0/AV:X/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N": CVE-2018-0734: invalid CVSS v3.0 vector: invalid metric value; this vendor's assessment is ignored`},
		},
		{
			name: "a vector without its version prefix is invalid",
			edit: func(c map[string]any, v map[string]any) {
				delete(c, "redhat")
				obj(c, "nvd")["V3Vector"] = "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N"
			},
			warnings: []string{`Results[0].Vulnerabilities[2].CVSS.nvd.V3Vector: Invalid value: "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N": CVE-2018-0734: not a CVSS v3 vector: it must start with "CVSS:3.0/" or "CVSS:3.1/"; this vendor's assessment is ignored`},
		},
		{
			name: "only CVSS v2: no CVSS",
			edit: func(c map[string]any, v map[string]any) {
				delete(c, "redhat")
				c["nvd"] = map[string]any{"V2Vector": "AV:N/AC:M/Au:N/C:P/I:N/A:N", "V2Score": 4.3}
			},
		},
		{
			name: "a vector without a score: the score computed from it",
			edit: func(c map[string]any, v map[string]any) {
				delete(obj(c, "nvd"), "V3Score")
			},
			want: cv(t, "nvd", "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := patchReport(t, "centos-7.json", func(r map[string]any) {
				v := obj(r, "Results", 0, "Vulnerabilities", 2)
				tt.edit(obj(v, "CVSS"), v)
			})
			rep, err := Import("centos-7.json", data)
			if err != nil {
				t.Fatal(err)
			}
			got := rep.Images[0].Vulnerabilities[2]
			if got.ID != "CVE-2018-0734" {
				t.Fatalf("finding 2 is %s", got.ID)
			}
			if diff := cmp.Diff(tt.want, got.CVSS); diff != "" {
				t.Errorf("CVSS (-want +got):\n%s", diff)
			}
			var warnings []string
			for _, w := range rep.Warnings {
				if w.Line == 0 || w.Source != "centos-7.json" {
					t.Errorf("warning not located: %+v", w)
				}
				warnings = append(warnings, w.Message)
			}
			if diff := cmp.Diff(tt.warnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImportTrivyWithoutTimeOrPackages(t *testing.T) {
	data := patchReport(t, "debian-buster.json", func(r map[string]any) {
		delete(r, "CreatedAt")
		delete(r, "Results")
	})
	rep, err := Import("scratch.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; len(im.Scans) != 0 || im.References[0] != "ghcr.io/aquasecurity/trivy-test-images:debian-buster" {
		t.Errorf("image = %+v, want no scans", im)
	}
	var got []string
	for _, w := range rep.Warnings {
		got = append(got, w.String())
	}
	want := []string{
		"scratch.json:1: CreatedAt: Required value: the report does not say when the scan ran (Trivy before 0.48): its scans have no time and count as too old for any maximum scan age",
		`scratch.json:1: Results: Required value: no "os-pkgs" or "lang-pkgs" result: vulnerability scanning was off (--scanners) or Trivy found no packages, so the report does not count as a vulnerability scan`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}

	// A clean image: the OS result without vulnerabilities is a clean
	// vulnerability scan, its time taken from CreatedAt.
	data = patchReport(t, "debian-buster.json", func(r map[string]any) {
		delete(obj(r, "Results", 0), "Vulnerabilities")
	})
	rep, err = Import("clean.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := rep.Images[0].Scan(scanresult.ScanVulnerability); !ok || !s.Time.Equal(trivyTime) || len(rep.Images[0].Vulnerabilities) != 0 {
		t.Errorf("clean image: %+v", rep.Images[0])
	}
}

// Trivy reports may come in a List, or as a sequence of JSON values.
func TestImportTrivyReportsTogether(t *testing.T) {
	alpine, debian := readReport(t, "alpine-310.json"), readReport(t, "debian-buster.json")
	list := `{"apiVersion": "v1", "kind": "List", "items": [` + string(alpine) + `,` + string(debian) + `]}`
	for name, data := range map[string]string{"list.json": list, "stream.json": string(alpine) + "\n" + string(debian)} {
		rep, err := Import(name, []byte(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []string
		for _, im := range rep.Images {
			s, _ := im.Scan(scanresult.ScanVulnerability)
			got = append(got, im.References[0]+" "+s.Source)
		}
		// Each report's scans name the line it starts on.
		lines := strings.Count(string(alpine), "\n")
		want := map[string][]string{
			"list.json":   {"ghcr.io/aquasecurity/trivy-test-images:alpine-310 list.json:1", "ghcr.io/aquasecurity/trivy-test-images:debian-buster list.json:" + fmt.Sprint(lines+1)},
			"stream.json": {"ghcr.io/aquasecurity/trivy-test-images:alpine-310 stream.json", "ghcr.io/aquasecurity/trivy-test-images:debian-buster stream.json:" + fmt.Sprint(lines+2)},
		}[name]
		if diff := cmp.Diff(want, got); diff != "" || rep.Format != FormatTrivy {
			t.Errorf("%s: format %q (-want +got):\n%s", name, rep.Format, diff)
		}
	}
}

package rules

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
)

var scanNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// vuln is a vulnerability with the given severity and CVSS v3.1 metrics
// (vector "" for none).
func vuln(t *testing.T, id string, sev scanresult.Severity, vector string) scanresult.Vulnerability {
	t.Helper()
	v := scanresult.Vulnerability{ID: id, Severity: sev}
	if vector != "" {
		c, err := scanresult.ParseCVSS("CVSS:3.1/" + vector)
		if err != nil {
			t.Fatalf("ParseCVSS(%s): %v", vector, err)
		}
		v.CVSS = &c
	}
	return v
}

// scanIndex is an index holding images.
func scanIndex(t *testing.T, images ...*scanresult.Image) *scanresult.Index {
	t.Helper()
	x := scanresult.NewIndex()
	if err := x.Add(images...); err != nil {
		t.Fatalf("Add: %v", err)
	}
	return x
}

// scanRun runs rule id (props in YAML, "" for the defaults) on a pod with
// one container "app" running img, with scan results x.
func scanRun(t *testing.T, id, props, img string, x ScanResults) []Finding {
	t.Helper()
	in := seed001Input(seed001Object(t, seed001Pod(`{containers: [{name: app, image: "`+img+`"}]}`)), "prod")
	in.ScanResults, in.Now = x, scanNow
	return seed001Check(t, id, props)(in)
}

// appFinding is the finding on container "app" running image path.
func appFinding(path, detail string) []Finding {
	return []Finding{{Where: "image", Value: path, Container: "app", Field: "spec.containers[0].image", Detail: detail}}
}

func TestImagesNotScanned(t *testing.T) {
	scanned := func(types ...scanresult.ScanType) []scanresult.Scan {
		var s []scanresult.Scan
		for _, ty := range types {
			s = append(s, scanresult.Scan{Type: ty, Time: scanNow.Add(-10 * 24 * time.Hour)})
		}
		return s
	}
	x := scanIndex(t,
		&scanresult.Image{References: []string{"shop/api:1.4"}, Digests: []string{digestA}, Scans: scanned(scanresult.ScanVulnerability)},
		&scanresult.Image{References: []string{"shop/web:2"}, Scans: scanned(scanresult.ScanVulnerability, scanresult.ScanMalware, scanresult.ScanSecret)},
		&scanresult.Image{References: []string{"shop/old:1"}, Scans: []scanresult.Scan{{Type: scanresult.ScanVulnerability, Time: scanNow.Add(-45 * 24 * time.Hour)}}},
		&scanresult.Image{References: []string{"shop/undated:1"}, Scans: []scanresult.Scan{{Type: scanresult.ScanVulnerability}}},
	)
	const api = "docker.io/shop/api:1.4"
	cases := []struct {
		name, props, image string
		want               []Finding
	}{
		{"scanned by tag", "", "shop/api:1.4", nil},
		{"scanned, found by digest under another tag", "", "shop/api:renamed@" + digestA, nil},
		{"never scanned", "", "shop/other:1", appFinding("docker.io/shop/other:1", "no scan results for this image")},
		{"the tag now points at another digest", "", "shop/api:1.4@" + digestB,
			appFinding(api+"@"+digestB, "no scan results for this image")},
		{"no scan of the type asked for", "{scanType: malware}", "shop/api:1.4", appFinding(api, "no malware scan recorded")},
		{"every type scanned", "{scanType: secret}", "shop/web:2", nil},
		{"too old", "{maxScanAge: 30}", "shop/old:1",
			appFinding("docker.io/shop/old:1", "the last vulnerability scan is 45 days old, on 2026-04-17 (maxScanAge 30 days)")},
		{"old, no maximum age", "", "shop/old:1", nil},
		{"young enough", "{maxScanAge: 30}", "shop/api:1.4", nil},
		{"scan time unknown with a maximum age", "{maxScanAge: 30}", "shop/undated:1",
			appFinding("docker.io/shop/undated:1", "the vulnerability scan's time is unknown (maxScanAge 30 days)")},
		{"scan time unknown, no maximum age", "", "shop/undated:1", nil},
		{"invalid reference", "", "Shop/API", []Finding{{Where: "image", Value: "Shop/API", Container: "app",
			Field: "spec.containers[0].image", Detail: "invalid image reference"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := seed001Diff(tc.want, scanRun(t, "imagesNotScanned", tc.props, tc.image, x)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("without scan results every image is unscanned", func(t *testing.T) {
		want := appFinding(api, "no scan results for this image")
		if diff := seed001Diff(want, scanRun(t, "imagesNotScanned", "", "shop/api:1.4", nil)); diff != "" {
			t.Errorf("findings (-want +got):\n%s", diff)
		}
	})
}

func TestImagesWithMalwareAndSecrets(t *testing.T) {
	vulnScan := scanresult.Scan{Type: scanresult.ScanVulnerability, Time: scanNow}
	x := scanIndex(t,
		&scanresult.Image{References: []string{"shop/clean:1"}, Scans: []scanresult.Scan{vulnScan,
			{Type: scanresult.ScanMalware, Time: scanNow}, {Type: scanresult.ScanSecret, Time: scanNow}}},
		&scanresult.Image{References: []string{"shop/infected:1"}, Scans: []scanresult.Scan{{Type: scanresult.ScanMalware, Time: scanNow}},
			Malware: []scanresult.Malware{{Name: "Eicar-Signature", Path: "/srv/eicar.com"}, {Name: "Linux.Mirai"}}},
		&scanresult.Image{References: []string{"shop/leaky:1"}, Scans: []scanresult.Scan{{Type: scanresult.ScanSecret, Time: scanNow}},
			Secrets: []scanresult.Secret{
				{RuleID: "github-pat", Severity: scanresult.SeverityCritical, Target: "/app/.env", Line: 3},
				{RuleID: "jwt-token", Severity: scanresult.SeverityMedium, Target: "/app/test.txt"},
				{Title: "AWS Access Key ID", Severity: scanresult.SeverityCritical, Target: "/root/.aws/credentials", Line: 2},
				{RuleID: "private-key", Severity: scanresult.SeverityHigh},
			}},
	)
	cases := []struct {
		id, image string
		want      []Finding
	}{
		{"imagesWithMalware", "shop/clean:1", nil},
		{"imagesWithMalware", "shop/unknown:1", nil}, // imagesNotScanned's business
		{"imagesWithMalware", "shop/infected:1",
			appFinding("docker.io/shop/infected:1", "malware found: Eicar-Signature (/srv/eicar.com), Linux.Mirai")},
		{"imagesWithSecrets", "shop/clean:1", nil},
		{"imagesWithSecrets", "shop/leaky:1", appFinding("docker.io/shop/leaky:1",
			"4 secrets found: github-pat in /app/.env:3, AWS Access Key ID in /root/.aws/credentials:2, private-key and 1 more")},
		{"imagesWithSecrets", "Shop/Leaky", nil}, // invalid: imagesNotScanned flags it
	}
	for _, tc := range cases {
		t.Run(tc.id+" "+tc.image, func(t *testing.T) {
			if diff := seed001Diff(tc.want, scanRun(t, tc.id, "", tc.image, x)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// The truth tables the CVSS rules follow, written out rather than derived:
// which vulnerability severities each severity property admits, and which
// metric values each filter admits.
var (
	severityAdmits = map[string][]scanresult.Severity{
		"critical": {"CRITICAL"},
		"high":     {"CRITICAL", "HIGH"},
		"medium":   {"CRITICAL", "HIGH", "MEDIUM"},
		"low":      {"CRITICAL", "HIGH", "MEDIUM", "LOW"},
		"any":      {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"},
	}
	allSeverities = []scanresult.Severity{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"}
)

// TestCVSSRuleTables runs every rule with every severity property (and
// every metric value for the CVSS rules) on an image holding a single
// vulnerability of every severity and metric value, and compares with the
// truth tables.
func TestCVSSRuleTables(t *testing.T) {
	type filter struct {
		id, prop string
		// admits maps the property's values to the vector fragments
		// (metric:value) it matches.
		admits map[string][]string
		// metric are the vector fragments to try, each with the rest of
		// a valid vector.
		metric []string
		vector func(fragment string) string
	}
	filters := []filter{
		{id: "imagesWithVulnerabilities", metric: []string{"", "AV:N"},
			vector: func(f string) string {
				if f == "" {
					return ""
				}
				return "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
			}},
		{id: "imagesWithCVSSAttackVector", prop: "attackVector",
			admits: map[string][]string{"network": {"AV:N"}, "adjacent": {"AV:A"}, "physical": {"AV:L", "AV:P"}, "local": {"AV:L", "AV:P"}},
			metric: []string{"AV:N", "AV:A", "AV:L", "AV:P", ""},
			vector: func(f string) string { return f + "/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }},
		{id: "imagesWithCVSSAttackComplexity", prop: "attackComplexity",
			admits: map[string][]string{"low": {"AC:L"}, "high": {"AC:H"}},
			metric: []string{"AC:L", "AC:H", ""},
			vector: func(f string) string { return "AV:N/" + f + "/PR:N/UI:N/S:U/C:H/I:H/A:H" }},
		{id: "imagesWithCVSSAvailabilityImpact", prop: "availabilityImpact",
			admits: map[string][]string{"low": {"A:L"}, "high": {"A:H"}},
			metric: []string{"A:N", "A:L", "A:H", ""},
			vector: func(f string) string { return "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/" + f }},
	}
	scan := []scanresult.Scan{{Type: scanresult.ScanVulnerability, Time: scanNow}}
	rows := 0
	for _, fl := range filters {
		values := []string{""}
		for v := range fl.admits {
			values = append(values, v)
		}
		if fl.admits != nil {
			values = values[1:]
		}
		slices.Sort(values)
		for _, frag := range fl.metric {
			for _, sev := range allSeverities {
				vector := ""
				if frag != "" {
					vector = fl.vector(frag)
				}
				img := fmt.Sprintf("t/%s:v%s-%s", strings.ToLower(fl.id), strings.NewReplacer(":", "", "/", "").Replace(frag), strings.ToLower(string(sev)))
				x := scanIndex(t, &scanresult.Image{References: []string{img}, Scans: scan,
					Vulnerabilities: []scanresult.Vulnerability{vuln(t, "CVE-2026-0001", sev, vector)}})
				for _, value := range values {
					for prop, admitted := range severityAdmits {
						props := "{severity: " + prop + "}"
						if fl.prop != "" {
							props = "{" + fl.prop + ": " + value + ", severity: " + prop + "}"
						}
						want := slices.Contains(admitted, sev)
						if fl.admits != nil {
							want = want && frag != "" && slices.Contains(fl.admits[value], frag)
						}
						got := scanRun(t, fl.id, props, img, x)
						rows++
						if (len(got) == 1) != want || len(got) > 1 {
							t.Errorf("%s %s on a %s vulnerability with vector %q: got %d findings, want flagged=%v", fl.id, props, sev, vector, len(got), want)
						}
					}
				}
			}
		}
	}
	t.Logf("%d combinations", rows)
}

func TestVulnerabilityMessages(t *testing.T) {
	scan := []scanresult.Scan{{Type: scanresult.ScanVulnerability, Time: scanNow}}
	network := "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"     // 9.8
	local := "AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"       // 7.8
	networkHigh := "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H" // 8.1
	x := scanIndex(t, &scanresult.Image{References: []string{"shop/api:1.4"}, Scans: scan,
		Vulnerabilities: []scanresult.Vulnerability{
			vuln(t, "CVE-2024-0004", "MEDIUM", network),
			vuln(t, "CVE-2024-0003", "CRITICAL", local),
			vuln(t, "CVE-2024-6387", "CRITICAL", network),
			vuln(t, "CVE-2024-0002", "HIGH", networkHigh),
			vuln(t, "CVE-2024-0001", "HIGH", ""),
			vuln(t, "GHSA-xxxx", "UNKNOWN", ""),
		}})
	const api = "docker.io/shop/api:1.4"
	cases := []struct {
		id, props, detail string
	}{
		{"imagesWithVulnerabilities", "", "2 vulnerabilities at or above critical: CVE-2024-6387 (critical 9.8), CVE-2024-0003 (critical 7.8)"},
		{"imagesWithVulnerabilities", "{severity: high}",
			"4 vulnerabilities at or above high: CVE-2024-6387 (critical 9.8), CVE-2024-0003 (critical 7.8), CVE-2024-0002 (high 8.1) and 1 more"},
		{"imagesWithVulnerabilities", "{severity: any}",
			"6 vulnerabilities of any severity: CVE-2024-6387 (critical 9.8), CVE-2024-0003 (critical 7.8), CVE-2024-0002 (high 8.1) and 3 more"},
		{"imagesWithCVSSAttackVector", "{attackVector: network, severity: critical}",
			"1 vulnerability with attack vector network at or above critical: CVE-2024-6387 (critical 9.8)"},
		{"imagesWithCVSSAttackVector", "{attackVector: physical, severity: high}",
			"1 vulnerability with attack vector physical at or above high: CVE-2024-0003 (critical 7.8)"},
		{"imagesWithCVSSAttackComplexity", "{attackComplexity: high, severity: medium}",
			"1 vulnerability with attack complexity high at or above medium: CVE-2024-0002 (high 8.1)"},
		{"imagesWithCVSSAvailabilityImpact", "{availabilityImpact: high, severity: medium}",
			"4 vulnerabilities with availability impact high at or above medium: CVE-2024-6387 (critical 9.8), CVE-2024-0003 (critical 7.8), CVE-2024-0002 (high 8.1) and 1 more"},
	}
	for _, tc := range cases {
		t.Run(tc.id+" "+tc.props, func(t *testing.T) {
			if diff := seed001Diff(appFinding(api, tc.detail), scanRun(t, tc.id, tc.props, "shop/api:1.4", x)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("no matching finding", func(t *testing.T) {
		if got := scanRun(t, "imagesWithCVSSAttackVector", "{attackVector: adjacent, severity: any}", "shop/api:1.4", x); len(got) != 0 {
			t.Errorf("findings = %+v, want none", got)
		}
	})
}

func TestScanResultProperties(t *testing.T) {
	seed001PropErrors(t, "imagesNotScanned", map[string][]string{
		"{scanType: virus}": {`properties.scanType: Unsupported value: "virus"`, `"vulnerability", "malware", "secret"`},
		"{maxScanAge: -1}":  {"properties.maxScanAge: Invalid value: -1"},
		"{maxAge: 3}":       {"properties.maxAge: Forbidden: unknown property of rule imagesNotScanned"},
	})
	seed001PropErrors(t, "imagesWithVulnerabilities", map[string][]string{
		"{severity: severe}": {`properties.severity: Unsupported value: "severe"`, `"critical", "high", "medium", "low", "any"`},
		"{severity: HIGH}":   {`properties.severity: Unsupported value: "HIGH"`},
	})
	seed001PropErrors(t, "imagesWithCVSSAttackVector", map[string][]string{
		"{attackVector: internet}": {`properties.attackVector: Unsupported value: "internet"`, `"network", "adjacent", "physical"`},
	})
	seed001PropErrors(t, "imagesWithCVSSAttackComplexity", map[string][]string{
		"{attackComplexity: medium}": {`properties.attackComplexity: Unsupported value: "medium"`},
	})
	seed001PropErrors(t, "imagesWithCVSSAvailabilityImpact", map[string][]string{
		"{availabilityImpact: none}": {`properties.availabilityImpact: Unsupported value: "none"`},
	})
	if _, err := seed001Build(t, "imagesWithMalware", "{severity: high}"); err == nil || !strings.Contains(err.Error(), "takes no properties") {
		t.Errorf("imagesWithMalware with properties: err = %v", err)
	}
}

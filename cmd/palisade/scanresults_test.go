package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Trivy's own report of its debian-buster test image: CVE-2019-18224 is
// critical with a network attack vector.
const debianBusterReport = "../../testdata/trivy-reports/debian-buster.json"

const debianBusterPod = `apiVersion: v1
kind: Pod
metadata: {name: legacy, namespace: shop}
spec:
  containers:
  - {name: app, image: "ghcr.io/aquasecurity/trivy-test-images:debian-buster"}
  - {name: sidecar, image: "ghcr.io/aquasecurity/trivy-test-images:alpine-310"}
`

func scanResultPolicy(t *testing.T, rules string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "policy.yaml")
	doc := "apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: images}\nspec:\n  clusterWide:\n    deployment:\n      rules:\n" + rules
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestScanWithScanResults(t *testing.T) {
	if _, err := os.Stat(debianBusterReport); err != nil {
		t.Fatalf("the Trivy reports are missing from testdata/: %v", err)
	}
	network := scanResultPolicy(t, "      - {rule: imagesWithCVSSAttackVector, action: block, properties: {attackVector: network, severity: critical}}\n"+
		"      - {rule: imagesNotScanned, action: log}\n")
	code, out, errOut := palisade(t, debianBusterPod, "scan", "--policy", network, "--scan-results", debianBusterReport, "-")
	if code != exitBlocked {
		t.Fatalf("exit %d, want 1 (blocked)\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		`image violates rule imagesWithCVSSAttackVector "ghcr.io/aquasecurity/trivy-test-images:debian-buster" in container(s) "app": ` +
			`1 vulnerability with attack vector network at or above critical: CVE-2019-18224 (critical 9.8) (block).`,
		// The sidecar's image has no results: only imagesNotScanned speaks of it.
		`image violates rule imagesNotScanned "ghcr.io/aquasecurity/trivy-test-images:alpine-310" in container(s) "sidecar": no scan results for this image (log).`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// The same image passes once the filter asks for another vector.
	// A folder of reports covers both images.
	dir := t.TempDir()
	for _, name := range []string{"debian-buster.json", "alpine-310.json"} {
		data, err := os.ReadFile(filepath.Join(filepath.Dir(debianBusterReport), name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	adjacent := scanResultPolicy(t, "      - {rule: imagesWithCVSSAttackVector, action: block, properties: {attackVector: adjacent, severity: critical}}\n"+
		"      - {rule: imagesNotScanned, action: block}\n")
	if code, out, errOut := palisade(t, debianBusterPod, "scan", "--policy", adjacent, "--scan-results", dir, "-"); code != 0 {
		t.Errorf("adjacent: exit %d, want 0\n%s%s", code, out, errOut)
	}
	// A repository scan is no image's report: refused with its reason.
	code, _, errOut = palisade(t, debianBusterPod, "scan", "--policy", adjacent, "--scan-results", filepath.Dir(debianBusterReport), "-")
	if code != exitInput || !strings.Contains(errOut, `secrets.json:9: ArtifactType: Invalid value: "repository"`) {
		t.Errorf("repository report: exit %d, stderr:\n%s", code, errOut)
	}

	// A bad report is bad input, named with its file and line.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: palisade.dev/v1\nkind: ScanResult\nimage: {reference: shop/api:1}\nscans:\n- {type: virus, time: '2026-01-01T00:00:00Z'}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = palisade(t, debianBusterPod, "scan", "--policy", network, "--scan-results", bad, "-")
	if code != exitInput || !strings.Contains(errOut, "bad.yaml:5: scans[0].type: Unsupported value: \"virus\"") {
		t.Errorf("bad report: exit %d, stderr:\n%s", code, errOut)
	}
}

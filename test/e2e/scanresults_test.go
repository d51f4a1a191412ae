package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Trivy's own report of its debian-buster test image: CVE-2019-18224 is
// critical, with a network attack vector (NVD: 9.8).
const debianBusterReport = "../../testdata/trivy-reports/debian-buster.json"

const debianBusterPod = `apiVersion: v1
kind: Pod
metadata: {name: legacy, namespace: scans}
spec:
  containers:
  - {name: app, image: "ghcr.io/aquasecurity/trivy-test-images:debian-buster"}
`

// scanPolicy enforces the given deployment rules in namespace scans.
func scanPolicy(rules string) string {
	return `clusterWide: {}
namespaced:
  - name: scans
    namespaces: [scans]
    deployment:
      rules:
` + rules
}

// waitScanImages waits until the agent's scan-result source holds at least
// n images.
func waitScanImages(t *testing.T, source string, n int) {
	t.Helper()
	waitFor(t, source+" scan results", 15*time.Second, func() bool {
		v, err := strconv.ParseFloat(metric(t, `palisade_scan_results_images{source="`+source+`"}`), 64)
		return err == nil && v >= float64(n)
	})
}

// TestScanResultsGateAdmission: the image with a critical network-vector
// CVE is denied, naming the CVE; the same image is allowed when the rule
// filters on another attack vector; an image nobody scanned is denied by
// imagesNotScanned.
func TestScanResultsGateAdmission(t *testing.T) {
	namespace(t, "scans")
	data, err := os.ReadFile(debianBusterReport)
	if err != nil {
		t.Fatalf("the shared Trivy reports are missing: %v", err)
	}
	if err := os.WriteFile(filepath.Join(env.scanResults, "debian-buster.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	waitScanImages(t, "dir", 1)
	ctx := context.Background()

	usePolicy(t, "scan-network", scanPolicy(
		"      - {rule: imagesWithCVSSAttackVector, action: block, properties: {attackVector: network, severity: critical}}\n"))
	r := kubectlStdin(ctx, debianBusterPod, "", "apply", "-f", "-")
	want := `admission webhook "validate.palisade.dev" denied the request:
- image violates rule imagesWithCVSSAttackVector "ghcr.io/aquasecurity/trivy-test-images:debian-buster" in container(s) "app": ` +
		`1 vulnerability with attack vector network at or above critical: CVE-2019-18224 (critical 9.8) (block).`
	if r.err == nil || !strings.Contains(trimLines(r.stderr), want) {
		t.Fatalf("network vector: kubectl apply:\n%s\nwant:\n%s", r, want)
	}
	if ev := lastEvent(t); ev["rule"] != "imagesWithCVSSAttackVector" || ev["action"] != "block" || ev["namespace"] != "scans" {
		t.Errorf("event %v", ev)
	}

	// The same image, the finding filtered out by attack vector.
	usePolicy(t, "scan-adjacent", scanPolicy(
		"      - {rule: imagesWithCVSSAttackVector, action: block, properties: {attackVector: adjacent, severity: critical}}\n"+
			"      - {rule: imagesNotScanned, action: block}\n"))
	cleanup(t, "pod", "legacy", "-n", "scans")
	if r := kubectlStdin(ctx, debianBusterPod, "", "apply", "-f", "-"); r.err != nil || !strings.Contains(r.stdout, "pod/legacy created") {
		t.Fatalf("adjacent vector: kubectl apply:\n%s", r)
	}

	// Nobody scanned this one.
	unscanned := strings.NewReplacer("legacy", "fresh", "trivy-test-images:debian-buster", "trivy-test-images:debian-bookworm").Replace(debianBusterPod)
	r = kubectlStdin(ctx, unscanned, "", "apply", "-f", "-")
	want = `- image violates rule imagesNotScanned "ghcr.io/aquasecurity/trivy-test-images:debian-bookworm" in container(s) "app": no scan results for this image (block).`
	if r.err == nil || !strings.Contains(r.stderr, want) {
		t.Fatalf("unscanned image: kubectl apply:\n%s\nwant: %s", r, want)
	}
}

// shopReport is a VulnerabilityReport as Trivy Operator writes it for a
// running container, with one critical network-vector CVE.
const shopReport = `apiVersion: aquasecurity.github.io/v1alpha1
kind: VulnerabilityReport
metadata:
  name: replicaset-api-6f7d9-api
  namespace: scans
  labels: {trivy-operator.container.name: api, trivy-operator.resource.kind: ReplicaSet, trivy-operator.resource.name: api-6f7d9}
report:
  updateTimestamp: "2026-11-20T08:00:00Z"
  scanner: {name: Trivy, vendor: Aqua Security, version: 0.50.1}
  registry: {server: registry.example.com}
  artifact: {repository: shop/api, tag: "1.4.2"}
  summary: {criticalCount: 1, highCount: 0, mediumCount: 0, lowCount: 0, noneCount: 0, unknownCount: 0}
  vulnerabilities:
  - vulnerabilityID: CVE-2024-6387
    resource: openssh-server
    installedVersion: 1:9.2p1-2
    fixedVersion: 1:9.2p1-2+deb12u3
    severity: CRITICAL
    score: 8.1
    title: "openssh: regreSSHion, remote code execution in sshd"
    primaryLink: https://avd.aquasec.com/nvd/cve-2024-6387
    cvss:
      nvd: {V3Score: 8.1, V3Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"}
`

const shopPod = `apiVersion: v1
kind: Pod
metadata: {name: api, namespace: scans}
spec:
  containers:
  - {name: api, image: "registry.example.com/shop/api:1.4.2"}
`

// TestTrivyOperatorReportsFromTheCluster: a VulnerabilityReport created in
// the cluster reaches admission; deleting it makes the image unscanned.
func TestTrivyOperatorReportsFromTheCluster(t *testing.T) {
	namespace(t, "scans")
	ctx := context.Background()
	usePolicy(t, "scan-operator", scanPolicy(
		"      - {rule: imagesWithVulnerabilities, action: block, properties: {severity: critical}}\n"+
			"      - {rule: imagesNotScanned, action: block}\n"))
	if r := kubectlStdin(ctx, shopReport, "", "apply", "-f", "-"); r.err != nil {
		t.Fatalf("create the VulnerabilityReport: %s", r)
	}
	cleanup(t, "vulnerabilityreport", "replicaset-api-6f7d9-api", "-n", "scans")
	waitScanImages(t, "trivy-operator", 1)
	r := kubectlStdin(ctx, shopPod, "", "apply", "-f", "-")
	want := `- image violates rule imagesWithVulnerabilities "registry.example.com/shop/api:1.4.2" in container(s) "api": ` +
		`1 vulnerability at or above critical: CVE-2024-6387 (critical 8.1) (block).`
	if r.err == nil || !strings.Contains(r.stderr, want) {
		t.Fatalf("kubectl apply:\n%s\nwant: %s", r, want)
	}

	if r := kubectl(ctx, "", "delete", "vulnerabilityreport", "replicaset-api-6f7d9-api", "-n", "scans"); r.err != nil {
		t.Fatalf("delete the VulnerabilityReport: %s", r)
	}
	want = `- image violates rule imagesNotScanned "registry.example.com/shop/api:1.4.2" in container(s) "api": no scan results for this image (block).`
	waitFor(t, "the deleted report to be forgotten", 15*time.Second, func() bool {
		r = kubectlStdin(ctx, shopPod, "", "apply", "--dry-run=server", "-f", "-")
		return strings.Contains(r.stderr, want)
	})
}

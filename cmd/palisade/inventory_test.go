package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two Ingresses in two files claim one host: `palisade scan` compares each
// with every object of the run, so both are flagged, each naming the
// other; a third file's Ingress with another host passes.
func TestScanComparesIngressHostsAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	ingress := func(ns, name, host string) string {
		return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: " + name + ", namespace: " + ns + "}\n" +
			"spec: {rules: [{host: " + host + "}]}\n"
	}
	for file, data := range map[string]string{
		"shop.yaml":  ingress("shop", "web", "shop.example.com"),
		"promo.yaml": ingress("promo", "landing", "shop.example.com"),
		"blog.yaml":  ingress("blog", "web", "blog.example.com"),
	} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	policy := scanResultPolicy(t, "      - {rule: uniqueIngressHosts, action: block}\n")
	code, out, errOut := palisade(t, "", "scan", "--policy", policy, dir)
	for _, want := range []string{
		`ingress violates rule uniqueIngressHosts "shop.example.com": Ingress promo/landing already uses this host (block).`,
		`ingress violates rule uniqueIngressHosts "shop.example.com": Ingress shop/web already uses this host (block).`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if code != exitBlocked || strings.Contains(out, "blog.example.com") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// The PodDisruptionBudget and the Deployment it pins come through standard
// input as one stream; each is flagged.
func TestScanJudgesBudgetsWithTheirWorkloads(t *testing.T) {
	input := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}
`
	policy := scanResultPolicy(t, "      - {rule: podDisruptionBudget, action: log}\n")
	code, out, errOut := palisade(t, input, "scan", "--policy", policy, "-")
	for _, want := range []string{
		`object violates rule podDisruptionBudget "2": it has 2 replica(s) but PodDisruptionBudget web has minAvailable 2`,
		`podDisruptionBudget violates rule podDisruptionBudget "2": it selects Deployment web, which has 2 replica(s)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if code != 0 {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

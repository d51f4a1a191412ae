package main

import (
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestWebhookRulesPrintAndCheck(t *testing.T) {
	code, out, errOut := palisade(t, "", "agent", "webhook-rules")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var printed struct {
		Rules []map[string]any `json:"rules"`
	}
	if err := yaml.Unmarshal([]byte(out), &printed); err != nil || len(printed.Rules) != 8 {
		t.Fatalf("want 8 rules, got %d (%v):\n%s", len(printed.Rules), err, out)
	}

	// The printed rules, pasted into a webhook, pass the exact check.
	indented := "    " + strings.ReplaceAll(strings.TrimSpace(strings.TrimPrefix(out, "rules:\n")), "\n", "\n    ")
	manifest := func(rules string) string {
		return `apiVersion: v1
kind: ConfigMap
metadata: {name: other}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: palisade}
webhooks:
  - name: validate.palisade.dev
    clientConfig:
      service: {name: palisade, namespace: palisade-system, path: /validate}
    rules:
` + rules + `
    sideEffects: None
    admissionReviewVersions: [v1]
`
	}
	code, out, errOut = palisade(t, manifest(indented), "agent", "webhook-rules", "--check", "-", "--exact")
	if code != 0 || out != "-:5: webhook palisade/validate.palisade.dev: ok\n" {
		t.Errorf("exit %d, output:\n%s%s", code, out, errOut)
	}

	// A webhook that sends pods only misses the rest: exit 1, every gap named.
	podsOnly := `      - {operations: [CREATE, UPDATE], apiGroups: [""], apiVersions: [v1], resources: [pods, "pods/*"], scope: Namespaced}`
	code, out, _ = palisade(t, manifest(podsOnly), "agent", "webhook-rules", "--check", "-")
	for _, want := range []string{
		"-:5: webhook palisade/validate.palisade.dev: missing CREATE apps/v1 deployments (scope Namespaced)\n",
		"missing CONNECT core/v1 pods/exec (scope Namespaced)\n",
		"missing UPDATE rbac.authorization.k8s.io/v1 clusterrolebindings (scope *)\n",
		"extra CREATE core/v1 pods/* (scope Namespaced)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if code != exitBlocked || strings.Contains(out, "missing CREATE core/v1 pods/ephemeralcontainers") {
		t.Errorf("exit %d, want 1; pods/* covers pods/ephemeralcontainers:\n%s", code, out)
	}

	// Extra resources alone fail only with --exact.
	everything := `      - {operations: ["*"], apiGroups: ["*"], apiVersions: ["*"], resources: ["*/*"]}`
	if code, out, _ := palisade(t, manifest(everything), "agent", "webhook-rules", "--check", "-"); code != 0 {
		t.Errorf("a webhook sending everything: exit %d\n%s", code, out)
	}
	if code, _, _ := palisade(t, manifest(everything), "agent", "webhook-rules", "--check", "-", "--exact"); code != exitBlocked {
		t.Errorf("a webhook sending everything with --exact: exit %d, want 1", code)
	}

	// No webhook calling /validate is bad input, not a pass.
	code, _, errOut = palisade(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "agent", "webhook-rules", "--check", "-")
	if code != exitInput || !strings.Contains(errOut, "no webhook calling /validate in -") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// docs/operations.md holds the list, generated.
func TestWebhookRulesDocCurrent(t *testing.T) {
	code, want, errOut := palisade(t, "", "agent", "webhook-rules", "-o", "markdown")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- webhook-rules:begin -->\n", "<!-- webhook-rules:end -->"
	_, rest, ok := strings.Cut(string(doc), begin)
	got, _, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("docs/operations.md lacks the %q … %q markers", begin, end)
	}
	if got != want {
		t.Errorf("docs/operations.md's webhook rules are out of date: put the output of `go run ./cmd/palisade agent webhook-rules -o markdown` between its webhook-rules markers\nhave:\n%s\nwant:\n%s", got, want)
	}
}

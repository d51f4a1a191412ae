package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// fakeCatalog knows two rules: privileged (both tabs) and podExec
// (deployment only).
type fakeCatalog struct{}

func (fakeCatalog) CheckRule(r *Rule, t Tab, path *field.Path) field.ErrorList {
	switch {
	case r.Rule == "privileged":
		return nil
	case r.Rule == "podExec" && t == TabDeployment:
		return nil
	case r.Rule == "podExec":
		return field.ErrorList{field.Invalid(path.Child("rule"), r.Rule, "not available in the "+string(t)+" tab")}
	}
	return field.ErrorList{field.NotSupported(path.Child("rule"), r.Rule, []string{"privileged", "podExec"})}
}

const header = "apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: prod}\nspec:\n"

func problems(t *testing.T, src string) []string {
	t.Helper()
	_, err := Load("p.yaml", []byte(src), fakeCatalog{})
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return []string{"not a validation error: " + err.Error()}
	}
	var out []string
	for _, p := range ve.Problems {
		out = append(out, p.String())
	}
	return out
}

func TestValidateReportsEveryProblemWithLine(t *testing.T) {
	src := header + `  clusterWide:
    deployment:
      rules:
        - {rule: privileged, action: block}
        - {rule: podExec, action: log}
        - {rule: privileged, action: kill}
        - {rule: nope, action: block, excludedNamespaces: [Bad_NS], excludedImages: ["a*b*"]}
      exceptions:
        - {type: imageColor, properties: {operator: equals, values: [x]}}
        - {type: imageName, properties: {operator: matches, values: ["("]}}
    continuous:
      rules:
        - {rule: podExec, action: log}
    runtime:
      rulesets:
        - {ruleset: "", action: block}
  namespaced:
    - name: a
      namespaces: [payments]
    - name: a
      namespaces: [payments]
`
	want := []string{
		`p.yaml:10: spec.clusterWide.deployment.rules[2].action: Unsupported value: "kill": supported values: "log", "block"`,
		`p.yaml:11: spec.clusterWide.deployment.rules[3].rule: Unsupported value: "nope": supported values: "privileged", "podExec"`,
		`p.yaml:11: spec.clusterWide.deployment.rules[3].excludedNamespaces[0]: Invalid value: "Bad_NS": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
		`p.yaml:11: spec.clusterWide.deployment.rules[3].excludedImages[0]: Invalid value: "a*b*": "a*b*": "*" is allowed only at the end`,
		`p.yaml:13: spec.clusterWide.deployment.exceptions[0].type: Unsupported value: "imageColor": supported values: "imageRegistry", "imageName", "imageTag", "imagePath"`,
		"p.yaml:14: spec.clusterWide.deployment.exceptions[1].properties.values[0]: Invalid value: \"(\": error parsing regexp: missing closing ): `(`",
		`p.yaml:17: spec.clusterWide.continuous.rules[0].rule: Invalid value: "podExec": not available in the continuous tab`,
		`p.yaml:20: spec.clusterWide.runtime.rulesets[0].ruleset: Required value`,
		`p.yaml:20: spec.clusterWide.runtime.rulesets[0].action: Unsupported value: "block": supported values: "log", "isolate", "terminate"`,
		`p.yaml:24: spec.namespaced[1].name: Duplicate value: "a"`,
		`p.yaml:25: spec.namespaced[1].namespaces[0]: Duplicate value: "payments (already in namespace definition \"a\")"`,
	}
	if diff := cmp.Diff(want, problems(t, src)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestActionPairs(t *testing.T) {
	tests := []struct {
		dep, cont string
		ok        bool
	}{
		{"log", "log", true},
		{"block", "log", true},
		{"block", "isolate", true},
		{"block", "terminate", true},
		{"log", "isolate", false},
		{"log", "terminate", false},
	}
	for _, tt := range tests {
		src := header + "  clusterWide:\n    deployment: {rules: [{rule: privileged, action: " + tt.dep + "}]}\n    continuous: {rules: [{rule: privileged, action: " + tt.cont + "}]}\n"
		got := problems(t, src)
		if tt.ok != (len(got) == 0) {
			t.Errorf("%s → %s: problems %v", tt.dep, tt.cont, got)
		}
		if !tt.ok && !strings.Contains(got[0], "spec.clusterWide.continuous.rules[0].action") {
			t.Errorf("%s → %s: problem does not name the continuous action: %v", tt.dep, tt.cont, got)
		}
	}
}

func TestStrictDecoding(t *testing.T) {
	src := header + "  clusterWide:\n    deploymnet: {}\n    deployment:\n      rules:\n        - {rule: 3, action: block}\n"
	got := problems(t, src)
	want := []string{
		`p.yaml:8: spec.clusterWide.deployment.rules.rule: Invalid value: "number": must be a string`,
		`p.yaml:9: spec.clusterWide.deployment.rules[0].rule: Required value`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	got = problems(t, header+"  clusterWide:\n    deploymnet: {}\n")
	want = []string{`p.yaml:6: spec.clusterWide.deploymnet: Forbidden: unknown field`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Unknown fields do not hide the other problems of the document.
func TestEveryProblemIsReported(t *testing.T) {
	src := header + "  foo: 1\n  clusterWide:\n    deployment:\n      rules:\n        - {rule: privileged, action: kill}\n"
	want := []string{
		`p.yaml:5: spec.foo: Forbidden: unknown field`,
		`p.yaml:9: spec.clusterWide.deployment.rules[0].action: Unsupported value: "kill": supported values: "log", "block"`,
	}
	if diff := cmp.Diff(want, problems(t, src)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A key given twice in YAML is an error, not "the last one wins".
func TestDuplicateKeys(t *testing.T) {
	src := header + "  clusterWide:\n    deployment:\n      rules:\n        - rule: privileged\n          action: block\n          action: log\n"
	_, err := Load("p.yaml", []byte(src), fakeCatalog{})
	if err == nil || !strings.Contains(err.Error(), "p.yaml:") || !strings.Contains(err.Error(), "action") {
		t.Errorf("want a located duplicate-key error, got %v", err)
	}
}

// Enabling a rule twice does not dodge the deployment → continuous pairs.
func TestActionPairsWithDuplicates(t *testing.T) {
	src := header + "  clusterWide:\n    deployment: {rules: [{rule: privileged, action: log}, {rule: privileged, action: log}]}\n    continuous: {rules: [{rule: privileged, action: terminate}]}\n"
	if got := problems(t, src); len(got) != 1 {
		t.Errorf("problems %v", got)
	}
}

func TestNamespaceDefinitionReplacesClusterWide(t *testing.T) {
	src := header + `  clusterWide:
    deployment: {rules: [{rule: privileged, action: log}]}
  namespaced:
    - name: payments
      namespaces: [payments, billing]
      deployment: {rules: [{rule: privileged, action: block}]}
    - name: system
      namespaces: [kube-system]
`
	b, err := Load("p.yaml", []byte(src), fakeCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	p := b.Policies[0]
	for ns, want := range map[string]string{"payments": "payments", "billing": "payments", "web": "clusterWide", "kube-system": "system"} {
		if got := p.For(ns).Name; got != want {
			t.Errorf("For(%q) = %q, want %q", ns, got, want)
		}
	}
	if got := p.For("billing").Deployment.Rules[0].Action; got != ActionBlock {
		t.Errorf("billing privileged action = %q, want block", got)
	}
	if p.For("kube-system").Deployment != nil {
		t.Errorf("a namespace definition replaces clusterWide; it must not inherit its rules")
	}
}

func TestLoadRejectsUnknownKindsAndEmptyInput(t *testing.T) {
	if got := problems(t, "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n"); len(got) != 1 || !strings.Contains(got[0], `kind: Unsupported value: "Pod"`) {
		t.Errorf("got %v", got)
	}
	if _, err := Load("p.yaml", []byte("# nothing\n"), fakeCatalog{}); err == nil {
		t.Errorf("empty file: want an error")
	}
	if _, err := Load("p.yaml", []byte("a: [1, 2\n"), fakeCatalog{}); err == nil || !strings.Contains(err.Error(), "p.yaml:") {
		t.Errorf("broken YAML: want a located error, got %v", err)
	}
}

func TestRuntimeRuleset(t *testing.T) {
	src := "apiVersion: palisade.dev/v1\nkind: RuntimeRuleset\nmetadata: {name: exec-guard}\nspec:\n  falcoAlerts: [Terminal shell in container]\n"
	b, err := Load("r.yaml", []byte(src), fakeCatalog{})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Rulesets) != 1 || b.Rulesets[0].Spec.FalcoAlerts[0] != "Terminal shell in container" {
		t.Errorf("got %+v", b.Rulesets)
	}
	if got := problems(t, "apiVersion: palisade.dev/v1\nkind: RuntimeRuleset\nmetadata: {name: x}\nspec: {}\n"); len(got) != 1 {
		t.Errorf("empty ruleset: %v", got)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(header + "  clusterWide:\n    deployment: {rules: [{rule: privileged, action: block}]}\n"))
	f.Add([]byte(header + "  namespaced: [{name: a, namespaces: [x]}]\n---\nkind: RuntimeRuleset\n"))
	f.Add([]byte("{\"kind\":\"Policy\",\"spec\":{\"clusterWide\":{\"deployment\":{\"rules\":[{\"rule\":1}]}}}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Load("fuzz.yaml", data, fakeCatalog{})
		if err == nil && len(b.Policies)+len(b.Rulesets) == 0 {
			t.Fatal("no error and nothing loaded")
		}
		if err == nil {
			for _, p := range b.Policies {
				_ = p.For("default")
			}
		}
	})
}

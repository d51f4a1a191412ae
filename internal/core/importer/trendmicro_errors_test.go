package importer

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

const policyHead = `apiVersion: visionone.trendmicro.com/v1alpha1
kind: ClusterPolicy
metadata: {name: p}
spec:
`

const rulesetHead = `apiVersion: visionone.trendmicro.com/v1alpha1
kind: RuntimeRuleset
metadata: {name: r}
spec:
`

func TestTrendMicroErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{
			name: "unknown apiVersion and kind",
			in:   "# a Pod is not a policy\napiVersion: v1\nkind: Pod\nmetadata: {name: web}\n",
			want: []string{
				`policy.yaml:2: apiVersion: Unsupported value: "v1": supported values: "visionone.trendmicro.com/v1alpha1", "container-security.trendmicro.com/v1alpha1"`,
				`policy.yaml:3: kind: Unsupported value: "Pod": supported values: "ClusterPolicy", "RuntimeRuleset"`,
			},
		},
		{
			name: "unknown kind in a later document",
			in:   policyHead + "  rules: [{type: privileged}]\n---\napiVersion: visionone.trendmicro.com/v1alpha1\nkind: Policy\n",
			want: []string{`policy.yaml:8: kind: Unsupported value: "Policy": supported values: "ClusterPolicy", "RuntimeRuleset"`},
		},
		{
			name: "every rule problem at once",
			in: policyHead + `  rules:
    - {type: hostPID, action: log}
    - action: block
    - {type: privileged, action: kill}
    - {type: privileged, mitigation: nuke}
    - {type: hostIPC, action: block, mitigation: terminate}
    - type: hostNetwork
      action: log
      mitigation: isolate
    - {type: hostIPC, action: 5}
    - {type: hostIPC, namespaces: [Payments]}
    - {type: imageName, properties: [contains, dev]}
    - 7
`,
			want: []string{
				`policy.yaml:7: spec.rules[1].type: Required value`,
				`policy.yaml:8: spec.rules[2].action: Unsupported value: "kill": supported values: "log", "block"`,
				`policy.yaml:9: spec.rules[3].mitigation: Unsupported value: "nuke": supported values: "log", "isolate", "terminate"`,
				`policy.yaml:13: spec.rules[5].mitigation: Invalid value: "isolate": isolate and terminate need action block (the rule's action is log)`,
				`policy.yaml:14: spec.rules[6].action: Invalid value: "number": must be a string`,
				`policy.yaml:15: spec.rules[7].namespaces[0]: Invalid value: "Payments": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
				`policy.yaml:16: spec.rules[8].properties: Invalid value: "array": must be an object`,
				`policy.yaml:17: spec.rules[9]: Invalid value: "number": must be an object`,
			},
		},
		{
			name: "mitigation needs block even when action is defaulted",
			in:   policyHead + "  rules: [{type: privileged, mitigation: terminate}]\n",
			want: []string{`policy.yaml:5: spec.rules[0].mitigation: Invalid value: "terminate": isolate and terminate need action block (the rule's action is log)`},
		},
		{
			name: "spec shapes",
			in:   policyHead + "  xdrEnabled: \"yes please\"\n  rules: {type: privileged}\n",
			want: []string{
				`policy.yaml:5: spec.xdrEnabled: Invalid value: "string": must be a boolean`,
				`policy.yaml:6: spec.rules: Invalid value: "object": must be a list`,
			},
		},
		{
			name: "exceptions",
			in: policyHead + `  exceptions:
    - {type: imageSize, properties: {operator: equals, values: ["1"]}}
    - {type: imageName, properties: {operator: is, values: [x]}}
    - {type: imageName, properties: {operator: equals}}
    - {type: imageTag, properties: {operator: equals, values: [x]}, namespaces: [a_b]}
`,
			want: []string{
				`policy.yaml:6: spec.exceptions[0].type: Unsupported value: "imageSize": supported values: "imageRegistry", "imageName", "imageTag", "imagePath"`,
				`policy.yaml:7: spec.exceptions[1].properties.operator: Unsupported value: "is": supported values: "equals", "notEquals", "contains", "notContains", "startsWith", "endsWith", "matches"`,
				`policy.yaml:8: spec.exceptions[2].properties.values: Required value: at least one value`,
				`policy.yaml:9: spec.exceptions[3].namespaces[0]: Invalid value: "a_b": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
			},
		},
		{
			name: "name",
			in:   "apiVersion: visionone.trendmicro.com/v1alpha1\nkind: ClusterPolicy\nmetadata:\n  labels: {a: b}\nspec: {}\n",
			want: []string{`policy.yaml:3: metadata.name: Required value`},
		},
		{
			name: "two ClusterPolicies",
			in:   policyHead + "  rules: []\n---\napiVersion: container-security.trendmicro.com/v1alpha1\nkind: ClusterPolicy\nmetadata: {name: q}\n",
			want: []string{`policy.yaml:8: kind: Invalid value: "ClusterPolicy": a file holds at most one ClusterPolicy ("p" comes first)`},
		},
		{
			name: "ruleset problems",
			in: rulesetHead + `  definition:
    labels:
      - {key: app, value: web}
      - {key: app, value: api}
      - {key: "a b", value: x}
      - {value: z}
    rules:
      - {ruleID: TM-00000001, mitigation: kill}
      - {mitigation: log}
`,
			want: []string{
				`policy.yaml:8: spec.definition.labels[1].value: Invalid value: "api": label app is already given the value "web"`,
				`policy.yaml:9: spec.definition.labels[2].key: Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
				`policy.yaml:10: spec.definition.labels[3].key: Required value`,
				`policy.yaml:12: spec.definition.rules[0].mitigation: Unsupported value: "kill": supported values: "log", "isolate", "terminate"`,
				`policy.yaml:13: spec.definition.rules[1].ruleID: Required value`,
			},
		},
		{
			name: "both ruleset shapes",
			in:   rulesetHead + "  labels: {app: web}\n  definition:\n    rules: [{ruleID: TM-00000001}]\n",
			want: []string{`policy.yaml:6: spec.definition: Forbidden: spec.definition cannot be combined with the older spec.labels and spec.rules`},
		},
		{
			name: "legacy ruleset problems",
			in:   rulesetHead + "  labels: {\"-bad\": web}\n  rules:\n    isolate: [\"\"]\n",
			want: []string{
				`policy.yaml:5: spec.labels[-bad]: Invalid value: "-bad": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
				`policy.yaml:7: spec.rules.isolate[0]: Required value: a rule ID`,
			},
		},
		{
			name: "imported ruleset names collide",
			in: rulesetHead + "  definition: {rules: [{ruleID: A, mitigation: log}, {ruleID: B, mitigation: isolate}]}\n---\n" +
				"apiVersion: visionone.trendmicro.com/v1alpha1\nkind: RuntimeRuleset\nmetadata: {name: r-log}\nspec: {definition: {rules: [{ruleID: C}]}}\n---\n" +
				rulesetHead + "  definition: {rules: [{ruleID: D}]}\n",
			want: []string{
				`policy.yaml:9: metadata.name: Invalid value: "r-log": imported ruleset name "r-log" is also produced by RuntimeRuleset "r"`,
				`policy.yaml:14: metadata.name: Duplicate value: "r"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := TrendMicro("policy.yaml", []byte(tt.in))
			if err == nil {
				t.Fatalf("no error; warnings %v", res.Warnings)
			}
			var verr *policy.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("error %T, want *policy.ValidationError: %v", err, err)
			}
			if diff := cmp.Diff(strings.Join(tt.want, "\n"), err.Error()); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTrendMicroUnreadable(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "# nothing\n", "policy.yaml: no Trend Micro ClusterPolicy or RuntimeRuleset document found"},
		{"bad YAML", policyHead + "  rules: [\n", "policy.yaml:5: did not find expected node content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := TrendMicro("policy.yaml", []byte(tt.in))
			var derr *document.Error
			if !errors.As(err, &derr) {
				t.Fatalf("error %T (%v), want *document.Error", err, err)
			}
			if err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
		})
	}
}

func TestTrendMicroWarningsOnly(t *testing.T) {
	in := policyHead + `  future: true
  rules:
    - {type: privileged, action: block, surprise: 1}
` + "---\n" + rulesetHead + "  definition: {labels: [{key: app, value: web}]}\n"
	res, err := TrendMicro("policy.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"policy.yaml:5: spec.future: unknown field, ignored",
		"policy.yaml:7: spec.rules[0].surprise: unknown field, ignored",
		`policy.yaml:13: spec.definition.rules: no rules: ruleset "r" is skipped`,
	}
	if diff := cmp.Diff(want, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if len(res.Rulesets) != 0 || res.Policy.Spec.ClusterWide.Runtime != nil {
		t.Errorf("an empty ruleset was imported: %+v", res.Rulesets)
	}
}

func TestResultYAMLRefusesLossyOutput(t *testing.T) {
	in := policyHead + "  rules: [{type: imageName, properties: {\"<<\": x}}]\n"
	res, err := TrendMicro("policy.yaml", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := res.YAML(); err == nil || !strings.Contains(err.Error(), "does not read back unchanged") {
		t.Errorf("YAML() error %v, want a refusal", err)
	}
}

package rules

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/policy"
)

func TestBuiltin(t *testing.T) {
	reg, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	seed000 := []string{
		"hostNetwork", "hostIPC", "hostPID", "runAsNonRoot", "privileged", "allowPrivilegeEscalation",
		"readOnlyRootFilesystem", "containerCapabilities", "imageRegistry", "imageName", "imageTag", "imagePath",
		"podExec", "podPortForward", "podSecurityStandard", "cel",
	}
	for _, id := range seed000 {
		if _, ok := reg.Get(id); !ok {
			t.Errorf("rule %s is not registered", id)
		}
	}
	// The Trend Micro rules name their ClusterPolicy rule type, which is
	// their ID; the Pod Security Standards and CEL rules name theirs.
	for _, id := range seed000[:14] {
		if r, _ := reg.Get(id); r != nil && r.Sources[0] != (Source{"Trend Micro Container Security", id}) {
			t.Errorf("rule %s: first source %q, want Trend Micro Container Security: %s", id, r.Sources[0], id)
		}
	}
	ids := reg.IDs()
	for i := 1; i < len(ids); i++ {
		if ids[i-1] >= ids[i] {
			t.Errorf("IDs not sorted: %q before %q", ids[i-1], ids[i])
		}
	}
	for _, r := range reg.All() {
		if NeedsProperties(r) {
			continue
		}
		// Every rule must build with its defaults through the policy path.
		if _, _, err := reg.Build(&policy.Rule{Rule: r.ID, Action: policy.ActionLog}); err != nil {
			t.Errorf("rule %s with default properties: %v", r.ID, err)
		}
	}
}

type goodParams struct {
	Limit int `json:"limit" doc:"the limit"`
}

type undocumentedParams struct {
	Limit int `json:"limit"`
}

type seedDocParams struct {
	Limit int `json:"limit" doc:"the limit seed 001 gives"`
}

type untaggedParams struct {
	Limit int `doc:"the limit"`
}

type selfCheckingParams struct {
	Mode string `json:"mode" doc:"a or b"`
}

func (p *selfCheckingParams) Validate(path *field.Path) field.ErrorList {
	if p.Mode != "a" && p.Mode != "b" {
		return field.ErrorList{field.NotSupported(path.Child("mode"), p.Mode, []string{"a", "b"})}
	}
	return nil
}

// testRule is a complete rule; cases break one thing at a time.
func testRule(id string) *Rule {
	return &Rule{
		ID: id, Title: "A title", Description: "A description.", Sources: []Source{{"Test Product", "test control"}}, Severity: Low,
		Tabs: podTabs, Targets: TargetPod,
		Params: func() any { return &goodParams{Limit: 1} },
		New:    func(any) (Check, error) { return func(*Input) []Finding { return nil }, nil },
	}
}

func TestNewRegistry(t *testing.T) {
	cases := []struct {
		name  string
		rules []*Rule
		want  string // "" for success
	}{
		{"valid", []*Rule{testRule("one"), testRule("two")}, ""},
		{"no params", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Params = nil })}, ""},
		{"duplicate ID", []*Rule{testRule("one"), testRule("two"), testRule("one")}, `rule "one": registered twice`},
		{"ID not lowerCamelCase", []*Rule{testRule("Bad-ID")}, `rule "Bad-ID": ID must be lowerCamelCase`},
		{"empty ID", []*Rule{testRule("")}, `rule "": ID must be lowerCamelCase`},
		{"missing title", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Title = "" })}, `rule "one": title and description are required`},
		{"missing description", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Description = "" })}, `rule "one": title and description are required`},
		{"no source", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Sources = nil })},
			`rule "one": a source (the product and control it comes from) is required`},
		{"source without control", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Sources = []Source{{Product: "Azure Policy"}} })},
			`rule "one": source "Azure Policy: " needs a product and a control`},
		{"source names a seed document", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Sources = []Source{{"seed 001", "x"}} })},
			`rule "one": user-facing text names "seed 001", an internal document`},
		{"description names a seed document", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Description = "Flags x (Seed-000)." })},
			`rule "one": user-facing text names "Seed-000", an internal document`},
		{"property doc names a seed document", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Params = func() any { return &seedDocParams{} } })},
			`rule "one": property limit: its doc names "seed 001", an internal document`},
		{"bad severity", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Severity = "urgent" })}, `rule "one": severity "urgent" is not low, medium, high or critical`},
		{"missing severity", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Severity = "" })}, `rule "one": severity "" is not`},
		{"no tabs", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Tabs = nil })}, `rule "one": tabs, targets and New are required`},
		{"no targets", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Targets = 0 })}, `rule "one": tabs, targets and New are required`},
		{"no New", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.New = nil })}, `rule "one": tabs, targets and New are required`},
		{"runtime tab", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Tabs = []policy.Tab{policy.TabRuntime} })}, `rule "one": tab "runtime" is not deployment or continuous`},
		{"params without doc tag", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Params = func() any { return &undocumentedParams{} } })},
			`rule "one": property Limit needs json and doc tags`},
		{"params without json tag", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Params = func() any { return &untaggedParams{} } })},
			`rule "one": property Limit needs json and doc tags`},
		{"params not a struct pointer", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Params = func() any { return goodParams{} } })},
			`rule "one": Params must return a pointer to a struct`},
		{"defaults fail Validate", []*Rule{editedRule(testRule("one"), func(r *Rule) { r.Params = func() any { return &selfCheckingParams{Mode: "c"} } })},
			`rule "one": defaults are not valid: properties.mode: Unsupported value: "c"`},
		{"defaults fail New", []*Rule{editedRule(testRule("one"), func(r *Rule) {
			r.New = func(any) (Check, error) { return nil, errors.New("limit too small") }
		})}, `rule "one": defaults are not valid: limit too small`},
		{"every problem at once", []*Rule{
			editedRule(testRule("one"), func(r *Rule) { r.Title = "" }),
			editedRule(testRule("two"), func(r *Rule) { r.Severity = "x" }),
		}, `rule "one": title and description are required` + "\n" + `rule "two": severity "x"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg, err := NewRegistry(tc.rules...)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want == "" && reg == nil:
				t.Fatal("nil registry")
			case tc.want != "" && err == nil:
				t.Fatalf("no error, want %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestRegistryCheckRule(t *testing.T) {
	reg, err := NewRegistry(
		testRule("counted"),
		editedRule(testRule("deployOnly"), func(r *Rule) { r.Tabs = deploymentOnly }),
		editedRule(testRule("plain"), func(r *Rule) { r.Params = nil }),
		editedRule(testRule("moded"), func(r *Rule) { r.Params = func() any { return &selfCheckingParams{Mode: "a"} } }),
	)
	if err != nil {
		t.Fatal(err)
	}
	path := field.NewPath("spec", "clusterWide", "continuous", "rules").Index(2)
	cases := []struct {
		rule, props string
		want        []string // a prefix of each error, in order
	}{
		{"counted", ``, nil},
		{"counted", `{"limit": 3}`, nil},
		{"nope", ``, []string{"spec.clusterWide.continuous.rules[2].rule: Invalid value: \"nope\": unknown rule (`palisade rules` lists the catalog)"}},
		{"plane", ``, []string{"spec.clusterWide.continuous.rules[2].rule: Invalid value: \"plane\": unknown rule; did you mean \"plain\"? (`palisade rules` lists the catalog)"}},
		{"deployOnly", ``, []string{`spec.clusterWide.continuous.rules[2].rule: Invalid value: "deployOnly": rule deployOnly is not available in the continuous tab (it applies to: deployment)`}},
		{"plain", `{}`, nil},
		{"plain", `{"x": 1}`, []string{`spec.clusterWide.continuous.rules[2].properties: Forbidden: rule plain takes no properties`}},
		{"counted", `{"limits": 3}`, []string{`spec.clusterWide.continuous.rules[2].properties.limits: `}},
		{"moded", `{"mode": "z"}`, []string{`spec.clusterWide.continuous.rules[2].properties.mode: Unsupported value: "z": supported values: "a", "b"`}},
	}
	for _, tc := range cases {
		var got []string
		for i, e := range reg.CheckRule(&policy.Rule{Rule: tc.rule, Properties: json.RawMessage(tc.props)}, policy.TabContinuous, path) {
			msg := e.Error()
			if i < len(tc.want) && strings.HasPrefix(msg, tc.want[i]) {
				msg = tc.want[i]
			}
			got = append(got, msg)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tc.rule, tc.props, diff)
		}
	}
}

// editedRule returns r after edit.
func editedRule(r *Rule, edit func(*Rule)) *Rule {
	edit(r)
	return r
}

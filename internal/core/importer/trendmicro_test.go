package importer

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestTrendMicroGolden converts every testdata input and compares the
// warnings and the rendered YAML with <input>.golden.yaml. The output must
// also load as a valid Palisade policy file.
func TestTrendMicroGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		if strings.HasSuffix(in, ".golden.yaml") {
			continue
		}
		t.Run(filepath.Base(in), func(t *testing.T) {
			res := mustImport(t, in)
			out, err := res.YAML()
			if err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			got.WriteString("# warnings:\n")
			for _, w := range res.Warnings {
				got.WriteString("# - " + w + "\n")
			}
			got.Write(out)

			golden := strings.TrimSuffix(in, ".yaml") + ".golden.yaml"
			if *update {
				if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("output differs from %s (-want +got):\n%s", golden, diff)
			}
			if _, err := policy.Load(golden, out, pendingCatalog(t)); err != nil {
				t.Errorf("imported policy does not validate:\n%v", err)
			}
		})
	}
}

func TestTrendMicroSample(t *testing.T) {
	res := mustImport(t, "testdata/sample.yaml")
	p := res.Policy
	if p.Metadata.Name != "trendmicro-cluster-policy" || p.Spec.Description != "imported from Trend Micro ClusterPolicy trendmicro-cluster-policy" {
		t.Errorf("name %q, description %q", p.Metadata.Name, p.Spec.Description)
	}
	cw := p.Spec.ClusterWide
	secure := namespacedFor(t, p, "secure-namespace")
	def := namespacedFor(t, p, "default")

	t.Run("privileged logs cluster-wide and blocks in secure-namespace", func(t *testing.T) {
		if got := actions(cw.Deployment, "privileged"); !slices.Equal(got, []string{"log"}) {
			t.Errorf("cluster-wide deployment privileged: %v, want [log]", got)
		}
		if got := actions(secure.Deployment, "privileged"); !slices.Equal(got, []string{"block"}) {
			t.Errorf("secure-namespace deployment privileged: %v, want [block]", got)
		}
		if got := actions(secure.Continuous, "privileged"); !slices.Equal(got, []string{"log"}) {
			t.Errorf("secure-namespace continuous privileged: %v, want [log]", got)
		}
		if !slices.Equal(secure.Namespaces, []string{"secure-namespace"}) {
			t.Errorf("definition %s covers %v", secure.Name, secure.Namespaces)
		}
		// The namespace definition replaces the cluster-wide one, so it
		// must repeat every other cluster-wide rule.
		for _, tab := range []policy.Tab{policy.TabDeployment, policy.TabContinuous} {
			if diff := cmp.Diff(ruleIDs(cw.Tab(tab)), ruleIDs(secure.Tab(tab))); diff != "" {
				t.Errorf("%s rules of secure-namespace differ from cluster-wide (-cluster-wide +secure-namespace):\n%s", tab, diff)
			}
		}
	})

	t.Run("runAsNonRoot only in default and some-namespace", func(t *testing.T) {
		if !slices.Equal(def.Namespaces, []string{"default", "some-namespace"}) {
			t.Errorf("definition %s covers %v, want [default some-namespace]", def.Name, def.Namespaces)
		}
		for _, tab := range []policy.Tab{policy.TabDeployment, policy.TabContinuous} {
			if got := actions(def.Tab(tab), "runAsNonRoot"); !slices.Equal(got, []string{"log"}) {
				t.Errorf("%s runAsNonRoot in %s: %v, want [log]", tab, def.Name, got)
			}
			if got := actions(cw.Tab(tab), "runAsNonRoot"); got != nil {
				t.Errorf("%s runAsNonRoot cluster-wide: %v, want none", tab, got)
			}
			if got := actions(secure.Tab(tab), "runAsNonRoot"); got != nil {
				t.Errorf("%s runAsNonRoot in secure-namespace: %v, want none", tab, got)
			}
		}
		if len(p.Spec.Namespaced) != 2 {
			t.Errorf("%d namespace definitions, want 2 (tm-default, tm-secure-namespace)", len(p.Spec.Namespaced))
		}
	})

	t.Run("imagesNotScanned blocks; its terminate mitigation is reported", func(t *testing.T) {
		r := findRule(cw.Deployment, "imagesNotScanned")
		if r == nil || r.Action != policy.ActionBlock || string(r.Properties) != `{"maxScanAge":30,"scanType":"vulnerability"}` {
			t.Fatalf("deployment imagesNotScanned = %+v", r)
		}
		if findRule(cw.Continuous, "imagesNotScanned") != nil {
			t.Error("imagesNotScanned is deployment-only in Palisade, found in the continuous tab")
		}
		wantWarning(t, res, "sample.yaml:25: spec.rules[13].mitigation: Palisade evaluates imagesNotScanned at deployment only: mitigation terminate is not carried over")
	})

	t.Run("image rule properties carried to both tabs", func(t *testing.T) {
		for _, tab := range []*policy.RuleTab{cw.Deployment, cw.Continuous} {
			r := findRule(tab, "imageName")
			if r == nil || string(r.Properties) != `{"operator":"startsWith","values":["nginx","alpine"]}` {
				t.Errorf("imageName = %+v", r)
			}
		}
	})

	t.Run("trendmicro-system exception", func(t *testing.T) {
		want := []policy.Exception{
			{Type: "imageName", Properties: policy.ImageCriteria{Operator: "equals", Values: []string{"admission-controller", "workload-operator"}}, Namespaces: []string{"trendmicro-system"}},
			{Type: "imageRegistry", Properties: policy.ImageCriteria{Operator: "equals", Values: []string{"docker.io/some-registry"}}},
		}
		for _, tab := range []*policy.RuleTab{cw.Deployment, cw.Continuous} {
			if diff := cmp.Diff(want, tab.Exceptions); diff != "" {
				t.Errorf("cluster-wide exceptions (-want +got):\n%s", diff)
			}
		}
		// trendmicro-system is governed by the cluster-wide definition, so
		// the namespace definitions only carry the global exception.
		for _, d := range p.Spec.Namespaced {
			if diff := cmp.Diff(want[1:], d.Deployment.Exceptions); diff != "" {
				t.Errorf("%s exceptions (-want +got):\n%s", d.Name, diff)
			}
		}
	})

	t.Run("ruleset split by mitigation", func(t *testing.T) {
		want := []string{"trendmicro-ruleset-sample-log", "trendmicro-ruleset-sample-isolate", "trendmicro-ruleset-sample-terminate"}
		var names []string
		for _, rs := range res.Rulesets {
			names = append(names, rs.Metadata.Name)
		}
		if !slices.Equal(names, want) {
			t.Fatalf("rulesets %v, want %v", names, want)
		}
		alerts := [][]string{{"TM-00000001", "TM-00000002"}, {"TM-00000003"}, {"TM-00000004"}}
		for i, rs := range res.Rulesets {
			if !slices.Equal(rs.Spec.FalcoAlerts, alerts[i]) {
				t.Errorf("%s falcoAlerts %v, want %v", rs.Metadata.Name, rs.Spec.FalcoAlerts, alerts[i])
			}
		}
		wantBindings := []policy.RulesetBinding{
			{Ruleset: want[0], Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}}, Action: policy.ActionLog},
			{Ruleset: want[1], Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}}, Action: policy.ActionIsolate},
			{Ruleset: want[2], Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}}, Action: policy.ActionTerminate},
		}
		// Every definition binds them: a namespace definition replaces the
		// cluster-wide runtime tab too.
		defs := []*policy.Definition{&cw, &def.Definition, &secure.Definition}
		for i, d := range defs {
			if d.Runtime == nil {
				t.Fatalf("definition %d has no runtime tab", i)
			}
			if diff := cmp.Diff(wantBindings, d.Runtime.Rulesets); diff != "" {
				t.Errorf("definition %d bindings (-want +got):\n%s", i, diff)
			}
		}
		wantWarning(t, res, "sample.yaml:44: spec.definition.rules: Trend Micro rule IDs are kept as spec.falcoAlerts names: they match only alerts a sensor posts under these names")
	})

	t.Run("xdrEnabled warns", func(t *testing.T) {
		wantWarning(t, res, "sample.yaml:8: spec.xdrEnabled: ignored: XDR telemetry is a Trend Vision One setting with no Palisade equivalent")
	})
}

func TestTrendMicroLegacyRuleset(t *testing.T) {
	res := mustImport(t, "testdata/legacy-ruleset.yaml")
	p := res.Policy
	if p.Metadata.Name != "legacy-web" || p.Spec.Description != "imported from Trend Micro RuntimeRulesets legacy-web, legacy-all" {
		t.Errorf("name %q, description %q", p.Metadata.Name, p.Spec.Description)
	}
	if p.Spec.ClusterWide.Deployment != nil || p.Spec.ClusterWide.Continuous != nil || len(p.Spec.Namespaced) > 0 {
		t.Errorf("policy without a ClusterPolicy holds more than a runtime tab: %+v", p.Spec)
	}
	want := []policy.RulesetBinding{
		{Ruleset: "legacy-web-log", Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "frontend"}}, Action: policy.ActionLog},
		{Ruleset: "legacy-web-terminate", Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "frontend"}}, Action: policy.ActionTerminate},
		// one mitigation: the name is kept; no labels: every pod
		{Ruleset: "legacy-all", Selector: &metav1.LabelSelector{}, Action: policy.ActionIsolate},
	}
	if diff := cmp.Diff(want, p.Spec.ClusterWide.Runtime.Rulesets); diff != "" {
		t.Errorf("bindings (-want +got):\n%s", diff)
	}
	alerts := map[string][]string{
		"legacy-web-log":       {"TM-00000010", "TM-00000011"},
		"legacy-web-terminate": {"TM-00000012"},
		"legacy-all":           {"TM-00000020"},
	}
	if len(res.Rulesets) != len(alerts) {
		t.Fatalf("%d rulesets, want %d", len(res.Rulesets), len(alerts))
	}
	for _, rs := range res.Rulesets {
		if !slices.Equal(rs.Spec.FalcoAlerts, alerts[rs.Metadata.Name]) {
			t.Errorf("%s falcoAlerts %v, want %v", rs.Metadata.Name, rs.Spec.FalcoAlerts, alerts[rs.Metadata.Name])
		}
	}
}

func TestTrendMicroNamespaces(t *testing.T) {
	res := mustImport(t, "testdata/namespaces.yaml")
	p := res.Policy
	cw := p.Spec.ClusterWide
	prod := namespacedFor(t, p, "prod")
	staging := namespacedFor(t, p, "staging")

	if prod.Name != "tm-payments" || !slices.Equal(prod.Namespaces, []string{"payments", "prod"}) {
		t.Errorf("prod is in %s %v, want tm-payments [payments prod]", prod.Name, prod.Namespaces)
	}
	if staging.Name != "tm-staging" || len(p.Spec.Namespaced) != 2 {
		t.Errorf("staging is in %s; %d definitions, want tm-staging and 2", staging.Name, len(p.Spec.Namespaced))
	}
	tests := []struct {
		name string
		tab  *policy.RuleTab
		want []string
	}{
		{"cluster-wide deployment", cw.Deployment, []string{"privileged=block", "imageName=log", "privileged=log", "imagesWithRisk=block"}},
		{"cluster-wide continuous", cw.Continuous, []string{"privileged=terminate", "imageName=log", "privileged=log"}},
		// both imageName entries of prod replace the cluster-wide one; hostPID is added
		{"prod deployment", prod.Deployment, []string{"privileged=block", "privileged=log", "imageName=block", "imageName=block", "hostPID=block", "imagesWithRisk=block"}},
		{"prod continuous", prod.Continuous, []string{"privileged=terminate", "privileged=log", "imageName=log", "imageName=log", "hostPID=log"}},
		// verifyImages is skipped, so staging differs from cluster-wide by hostIPC only
		{"staging deployment", staging.Deployment, []string{"privileged=block", "imageName=log", "privileged=log", "hostIPC=log", "imagesWithRisk=block"}},
	}
	for _, tt := range tests {
		var got []string
		for _, r := range tt.tab.Rules {
			got = append(got, r.Rule+"="+string(r.Action))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}

	canary := func(ns ...string) policy.Exception {
		return policy.Exception{Type: "imageTag", Properties: policy.ImageCriteria{Operator: "equals", Values: []string{"canary"}}, Namespaces: ns}
	}
	internal := policy.Exception{Type: "imageRegistry", Properties: policy.ImageCriteria{Operator: "startsWith", Values: []string{"registry.internal"}}}
	exceptions := []struct {
		name string
		tab  *policy.RuleTab
		want []policy.Exception
	}{
		{"cluster-wide", cw.Deployment, []policy.Exception{canary("monitoring"), internal}},
		{"prod", prod.Deployment, []policy.Exception{canary("prod"), internal}},
		{"prod continuous", prod.Continuous, []policy.Exception{canary("prod"), internal}},
		{"staging", staging.Deployment, []policy.Exception{internal}},
	}
	for _, tt := range exceptions {
		if diff := cmp.Diff(tt.want, tt.tab.Exceptions); diff != "" {
			t.Errorf("%s exceptions (-want +got):\n%s", tt.name, diff)
		}
	}

	for _, w := range []string{
		"namespaces.yaml:11: spec.rules[2].type: privileged is already enabled cluster-wide by spec.rules[0]: both entries are kept",
		"namespaces.yaml:19: spec.rules[7].type: verifyImages has no Palisade equivalent yet (imagesNotSigned will verify signatures): rule skipped",
		`namespaces.yaml:25: spec.rules[8].type: unknown rule type "imagesWithRisk": kept in the deployment tab for Palisade's validator to judge`,
		`namespaces.yaml:25: spec.rules[8].mitigation: mitigation terminate of unknown rule type "imagesWithRisk" is not carried over`,
	} {
		wantWarning(t, res, w)
	}
}

func TestTrendMicroJSON(t *testing.T) {
	in := `{"apiVersion": "visionone.trendmicro.com/v1alpha1", "kind": "ClusterPolicy", "metadata": {"name": "j"},
	  "spec": {"rules": [{"type": "hostPID", "action": "block", "mitigation": "isolate", "extra": 1}]}}`
	res, err := TrendMicro("p.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := policy.Definition{
		Deployment: &policy.RuleTab{Rules: []policy.Rule{{Rule: "hostPID", Action: policy.ActionBlock}}},
		Continuous: &policy.RuleTab{Rules: []policy.Rule{{Rule: "hostPID", Action: policy.ActionIsolate}}},
	}
	if diff := cmp.Diff(want, res.Policy.Spec.ClusterWide); diff != "" {
		t.Errorf("cluster-wide (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"p.json:2: spec.rules[0].extra: unknown field, ignored"}, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func mustImport(t *testing.T, path string) *Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := TrendMicro(filepath.Base(path), data)
	if err != nil {
		t.Fatalf("import %s:\n%v", path, err)
	}
	return res
}

func namespacedFor(t *testing.T, p *policy.Policy, ns string) *policy.NamespacedDefinition {
	t.Helper()
	for i := range p.Spec.Namespaced {
		if slices.Contains(p.Spec.Namespaced[i].Namespaces, ns) {
			return &p.Spec.Namespaced[i]
		}
	}
	t.Fatalf("no namespace definition for %s", ns)
	return nil
}

func findRule(tab *policy.RuleTab, id string) *policy.Rule {
	if tab == nil {
		return nil
	}
	for i := range tab.Rules {
		if tab.Rules[i].Rule == id {
			return &tab.Rules[i]
		}
	}
	return nil
}

// actions lists the actions of every entry of rule id in tab.
func actions(tab *policy.RuleTab, id string) []string {
	var out []string
	if tab == nil {
		return nil
	}
	for _, r := range tab.Rules {
		if r.Rule == id {
			out = append(out, string(r.Action))
		}
	}
	return out
}

// ruleIDs lists the rules of tab other than privileged.
func ruleIDs(tab *policy.RuleTab) []string {
	var out []string
	for _, r := range tab.Rules {
		if r.Rule != "privileged" {
			out = append(out, r.Rule)
		}
	}
	return out
}

func wantWarning(t *testing.T, res *Result, w string) {
	t.Helper()
	if !slices.Contains(res.Warnings, w) {
		t.Errorf("missing warning %q; got:\n%s", w, strings.Join(res.Warnings, "\n"))
	}
}

// pendingCatalog is the built-in catalog, except that rules it does not
// know yet (the image scan rules) pass: the importer keeps them on purpose.
func pendingCatalog(t *testing.T) policy.Catalog {
	t.Helper()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return catalogFunc(func(r *policy.Rule, tab policy.Tab, path *field.Path) field.ErrorList {
		if _, ok := reg.Get(r.Rule); !ok {
			return nil
		}
		return reg.CheckRule(r, tab, path)
	})
}

type catalogFunc func(r *policy.Rule, tab policy.Tab, path *field.Path) field.ErrorList

func (f catalogFunc) CheckRule(r *policy.Rule, tab policy.Tab, path *field.Path) field.ErrorList {
	return f(r, tab, path)
}

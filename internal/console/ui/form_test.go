package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

func registry(t *testing.T) *rules.Registry {
	t.Helper()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// values builds a submitted form from key/value pairs.
func values(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

func named(spec policy.Spec) *policy.Policy {
	p := &policy.Policy{Spec: spec}
	p.APIVersion, p.Kind, p.Metadata.Name = policy.APIVersion, policy.KindPolicy, "prod"
	return p
}

func TestFormBuildsPolicy(t *testing.T) {
	reg := registry(t)
	const dep, cont = "cw.deployment", "cw.continuous"
	for _, tc := range []struct {
		name string
		form url.Values
		want *policy.Policy
	}{{
		name: "one rule",
		form: values("name", "prod", "description", " blocks ", dep+".r.privileged.enabled", "on", dep+".r.privileged.action", "block",
			dep+".r.hostPID.action", "block"), // an action without the checkbox is not a rule
		want: named(policy.Spec{Description: "blocks", ClusterWide: policy.Definition{
			Deployment: &policy.RuleTab{Rules: []policy.Rule{{Rule: "privileged", Action: "block"}}}}}),
	}, {
		name: "properties of every kind, exclusions",
		form: values("name", "prod",
			dep+".r.hostNetworkAndPorts.enabled", "on", dep+".r.hostNetworkAndPorts.action", "log",
			dep+".r.hostNetworkAndPorts.p.allowHostNetwork", "true", dep+".r.hostNetworkAndPorts.p.minPort", "",
			dep+".r.hostNetworkAndPorts.p.maxPort", " 90 ",
			dep+".r.allowedCapabilities.enabled", "on", dep+".r.allowedCapabilities.action", "block",
			dep+".r.allowedCapabilities.p.allowed", "NET_BIND_SERVICE\r\n\r\n CHOWN \n", dep+".r.allowedCapabilities.p.requiredDrop", "ALL",
			dep+".r.allowedHostPaths.enabled", "on", dep+".r.allowedHostPaths.action", "log",
			dep+".r.allowedHostPaths.p.paths", "- pathPrefix: /var/log\n  readOnly: true\n",
			dep+".r.resourceLimits.enabled", "on", dep+".r.resourceLimits.action", "log",
			dep+".r.resourceLimits.p.maxMemory", "8Gi",
			dep+".r.resourceLimits.excludedNamespaces", "batch, ,ml", dep+".r.resourceLimits.excludedImages", "registry.example/tools:*"),
		want: named(policy.Spec{ClusterWide: policy.Definition{Deployment: &policy.RuleTab{Rules: []policy.Rule{
			{Rule: "allowedCapabilities", Action: "block", Properties: json.RawMessage(`{"allowed":["NET_BIND_SERVICE","CHOWN"],"requiredDrop":["ALL"]}`)},
			{Rule: "allowedHostPaths", Action: "log", Properties: json.RawMessage(`{"paths":[{"pathPrefix":"/var/log","readOnly":true}]}`)},
			{Rule: "hostNetworkAndPorts", Action: "log", Properties: json.RawMessage(`{"allowHostNetwork":true,"maxPort":90}`)},
			{Rule: "resourceLimits", Action: "log", Properties: json.RawMessage(`{"maxMemory":"8Gi"}`),
				ExcludedNamespaces: []string{"batch", "ml"}, ExcludedImages: []string{"registry.example/tools:*"}},
		}}}}),
	}, {
		name: "stored order kept, new rules after",
		form: values("name", "prod", cont+".order", "privileged,hostPID",
			cont+".r.hostIPC.enabled", "on", cont+".r.hostIPC.action", "terminate",
			cont+".r.hostPID.enabled", "on", cont+".r.hostPID.action", "log",
			cont+".r.privileged.enabled", "on", cont+".r.privileged.action", "isolate"),
		want: named(policy.Spec{ClusterWide: policy.Definition{Continuous: &policy.RuleTab{Rules: []policy.Rule{
			{Rule: "privileged", Action: "isolate"}, {Rule: "hostPID", Action: "log"}, {Rule: "hostIPC", Action: "terminate"},
		}}}}),
	}, {
		name: "exceptions: blank and removed rows dropped",
		form: values("name", "prod", dep+".xCount", "4",
			dep+".x0.type", "imageName", dep+".x0.operator", "equals", dep+".x0.values", "devone\nbusybox\n", dep+".x0.namespaces", "dev, test",
			dep+".x1.type", "", dep+".x1.operator", "equals", // an operator alone is the dropdown's default: blank
			dep+".x2.type", "imageTag", dep+".x2.operator", "equals", dep+".x2.values", "x", dep+".x2.remove", "on",
			dep+".x3.type", "imageRegistry", dep+".x3.operator", "startsWith", dep+".x3.values", "docker.io"),
		want: named(policy.Spec{ClusterWide: policy.Definition{Deployment: &policy.RuleTab{Exceptions: []policy.Exception{
			{Type: "imageName", Properties: policy.ImageCriteria{Operator: "equals", Values: []string{"devone", "busybox"}}, Namespaces: []string{"dev", "test"}},
			{Type: "imageRegistry", Properties: policy.ImageCriteria{Operator: "startsWith", Values: []string{"docker.io"}}},
		}}}}),
	}, {
		name: "namespace definitions: removed and blank ones dropped",
		form: values("name", "prod", "nsCount", "3",
			"ns0.name", "payments", "ns0.namespaces", "payments, billing",
			"ns0.deployment.r.privileged.enabled", "on", "ns0.deployment.r.privileged.action", "block",
			"ns0.continuous.r.privileged.enabled", "on", "ns0.continuous.r.privileged.action", "terminate",
			"ns1.name", "old", "ns1.namespaces", "legacy", "ns1.remove", "on",
			"ns2.name", "", "ns2.tab", "runtime"),
		want: named(policy.Spec{Namespaced: []policy.NamespacedDefinition{{Name: "payments", Namespaces: []string{"payments", "billing"},
			Definition: policy.Definition{
				Deployment: &policy.RuleTab{Rules: []policy.Rule{{Rule: "privileged", Action: "block"}}},
				Continuous: &policy.RuleTab{Rules: []policy.Rule{{Rule: "privileged", Action: "terminate"}}},
			}}}}),
	}, {
		name: "runtime bindings",
		form: values("name", "prod", "cw.runtime.bCount", "4",
			"cw.runtime.b0.ruleset", "exec-guard", "cw.runtime.b0.selector", "app=web, tier = front", "cw.runtime.b0.action", "isolate",
			"cw.runtime.b3.ruleset", "shells", "cw.runtime.b3.selector", "app=api, tier in (front, back), env notin (dev), !canary, team", "cw.runtime.b3.action", "log",
			"cw.runtime.b1.ruleset", "", "cw.runtime.b1.selector", "", "cw.runtime.b1.action", "log",
			"cw.runtime.b2.ruleset", "shells", "cw.runtime.b2.action", "terminate",
			"nsCount", "1", "ns0.name", "shop", "ns0.namespaces", "shop", "ns0.runtime.bCount", "1",
			"ns0.runtime.b0.ruleset", "shells", "ns0.runtime.b0.action", "log"),
		want: named(policy.Spec{
			ClusterWide: policy.Definition{Runtime: &policy.RuntimeTab{Rulesets: []policy.RulesetBinding{
				{Ruleset: "exec-guard", Action: "isolate", Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "front"}}},
				{Ruleset: "shells", Action: "terminate"},
				{Ruleset: "shells", Action: "log", Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}, MatchExpressions: []metav1.LabelSelectorRequirement{
					{Key: "canary", Operator: metav1.LabelSelectorOpDoesNotExist},
					{Key: "env", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"dev"}},
					{Key: "team", Operator: metav1.LabelSelectorOpExists},
					{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"back", "front"}},
				}}},
			}}},
			Namespaced: []policy.NamespacedDefinition{{Name: "shop", Namespaces: []string{"shop"}, Definition: policy.Definition{
				Runtime: &policy.RuntimeTab{Rulesets: []policy.RulesetBinding{{Ruleset: "shells", Action: "log"}}}}}},
		}),
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f := parsePolicyForm(tc.form, reg, nil)
			got, _, ok := f.build()
			if !ok {
				t.Fatalf("build failed: %+v", f.inputs())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("policy (-want +got):\n%s", diff)
			}
			// What the form builds is what the service would validate.
			body, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := policy.Load("form", body, reg); err != nil {
				t.Errorf("the built policy does not validate: %v", err)
			}
		})
	}
}

func TestFormInputThatCannotBeConverted(t *testing.T) {
	reg := registry(t)
	const dep = "cw.deployment.r."
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"word in a number", dep + "hostNetworkAndPorts.p.minPort", "abc", `"abc" is not a whole number`},
		{"fraction in a number", dep + "hostNetworkAndPorts.p.maxPort", "1.5", `"1.5" is not a whole number`},
		{"broken YAML", dep + "allowedHostPaths.p.paths", "- {pathPrefix: /a", "not valid YAML or JSON"},
		{"object where a list goes", dep + "allowedHostPaths.p.paths", "pathPrefix: /a", "must be a list"},
		{"unclosed set", "cw.runtime.b0.selector", "tier in (front", "write a label selector as kubectl -l takes it"},
		{"greater than", "cw.runtime.b0.selector", "tier>1", "write a label selector as kubectl -l takes it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			form := values("name", "prod", "cw.runtime.bCount", "1", "cw.runtime.b0.ruleset", "r", "cw.runtime.b0.action", "log",
				dep+"hostNetworkAndPorts.enabled", "on", dep+"allowedHostPaths.enabled", "on", tc.key, tc.value)
			f := parsePolicyForm(form, reg, nil)
			if _, _, ok := f.build(); ok {
				t.Fatal("build accepted unconvertible input")
			}
			in := f.inputs()[tc.key]
			if len(in.Errs) != 1 || !strings.Contains(in.Errs[0], tc.want) || in.Value != tc.value {
				t.Errorf("input %s: value %q, errors %q; want the typed value kept and %q", tc.key, in.Value, in.Errs, tc.want)
			}
		})
	}
	// A disabled rule's inputs are not read.
	f := parsePolicyForm(values("name", "prod", dep+"hostNetworkAndPorts.p.minPort", "abc"), reg, nil)
	if _, _, ok := f.build(); !ok {
		t.Error("a disabled rule's property was converted")
	}
}

func TestProblemsLandNextToTheirInput(t *testing.T) {
	reg := registry(t)
	form := values("name", "Bad_Name", "nsCount", "1", "ns0.name", "shop", "ns0.namespaces", "Shop",
		"ns0.deployment.r.containerCapabilities.enabled", "on", "ns0.deployment.r.containerCapabilities.action", "block",
		"ns0.deployment.r.containerCapabilities.p.capabilityRestriction", "bogus",
		"cw.deployment.r.allowedHostPaths.enabled", "on", "cw.deployment.r.allowedHostPaths.action", "log",
		"cw.deployment.r.allowedHostPaths.p.paths", "- pathPrefix: relative",
		"cw.deployment.r.privileged.enabled", "on", "cw.deployment.r.privileged.action", "log",
		"cw.continuous.r.privileged.enabled", "on", "cw.continuous.r.privileged.action", "terminate",
		"cw.deployment.xCount", "1", "cw.deployment.x0.type", "imageName", "cw.deployment.x0.operator", "matches", "cw.deployment.x0.values", "ok\n(",
		"cw.runtime.bCount", "1", "cw.runtime.b0.selector", "app=web", "cw.runtime.b0.action", "log")
	f := parsePolicyForm(form, reg, nil)
	p, fields, ok := f.build()
	if !ok {
		t.Fatal("build failed")
	}
	body, _ := json.Marshal(p)
	_, err := policy.Load("form", body, reg)
	ve, isVE := err.(*policy.ValidationError)
	if !isVE {
		t.Fatalf("want validation problems, got %v", err)
	}
	ve.Problems = append(ve.Problems, policy.Problem{Err: field.Invalid(field.NewPath("apiVersion"), "x", "made up")})
	f.attach(ve.Problems, fields)
	want := map[string]string{
		"name":           "Invalid value",
		"ns0.namespaces": "Invalid value: \"Shop\"",
		"ns0.deployment.r.containerCapabilities.p.capabilityRestriction": "Unsupported value: \"bogus\"",
		"cw.deployment.r.allowedHostPaths.p.paths":                       "must be an absolute path",
		"cw.continuous.r.privileged.action":                              "isolate and terminate need block at deployment",
		"cw.deployment.x0.values":                                        "error parsing regexp",
		"cw.runtime.b0.ruleset":                                          "Required value",
	}
	got := map[string]string{}
	for key, in := range f.inputs() {
		if len(in.Errs) == 0 {
			continue
		}
		got[key] = strings.Join(in.Errs, "; ")
		if w, ok := want[key]; ok && strings.Contains(got[key], w) {
			got[key] = w
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems by input (-want +got):\n%s", diff)
	}
	if len(f.Summary) != 1 || !strings.HasPrefix(f.Summary[0], "apiVersion: ") {
		t.Errorf("a problem with no input goes to the summary: %q", f.Summary)
	}
}

func TestLookupLongestPrefix(t *testing.T) {
	fields := paths{
		"spec.clusterWide.deployment.rules[3]":                        "row",
		"spec.clusterWide.deployment.rules[3].properties.maxReplicas": "prop",
		"spec.clusterWide.deployment.rules[1]":                        "other",
	}
	for path, want := range map[string]string{
		"spec.clusterWide.deployment.rules[3].properties.maxReplicas":    "prop",
		"spec.clusterWide.deployment.rules[3].properties.maxReplicas[0]": "prop",
		"spec.clusterWide.deployment.rules[3].properties.unknown":        "row",
		"spec.clusterWide.deployment.rules[31].action":                   "",
		"spec.clusterWide.deployment.rules[1]x":                          "",
		"spec.clusterWide":                                               "",
		"apiVersion":                                                     "",
	} {
		if got := lookup(fields, path); got != want {
			t.Errorf("lookup(%q) = %q, want %q", path, got, want)
		}
	}
}

// fullPolicy uses everything the form can show.
const fullPolicy = `apiVersion: palisade.dev/v1
kind: Policy
metadata: {name: prod}
spec:
  description: everything the form shows
  clusterWide:
    deployment:
      rules:
        - {rule: privileged, action: block}
        - {rule: containerCapabilities, action: log, properties: {capabilityRestriction: restricted}}
        - {rule: imageName, action: block, properties: {operator: contains, values: [dev, test]}, excludedNamespaces: [ci], excludedImages: ["registry.example/ci:*"]}
        - rule: allowedHostPaths
          action: log
          properties: {paths: [{pathPrefix: /var/log, readOnly: true}]}
        - {rule: hostNetworkAndPorts, action: log, properties: {allowHostNetwork: true, minPort: 8000, maxPort: 9000}}
      exceptions:
        - {type: imageName, properties: {operator: equals, values: [devone]}, namespaces: [dev]}
    continuous:
      rules:
        - {rule: privileged, action: terminate}
    runtime:
      rulesets:
        - {ruleset: exec-guard, selector: {matchLabels: {app: web, tier: front}}, action: isolate}
        - ruleset: exec-guard
          selector:
            matchLabels: {app: api}
            matchExpressions:
              - {key: canary, operator: DoesNotExist}
              - {key: tier, operator: In, values: [back, front]}
          action: log
  namespaced:
    - name: payments
      namespaces: [payments, billing]
      deployment:
        rules: [{rule: hostPID, action: block}]
    - name: batch
      namespaces: [batch]
      continuous:
        exceptions:
          - {type: imageRegistry, properties: {operator: startsWith, values: [ghcr.io]}}
`

const execGuard = `apiVersion: palisade.dev/v1
kind: RuntimeRuleset
metadata: {name: exec-guard}
spec:
  falcoAlerts: [Terminal shell in container]
`

func TestStoredPolicyRoundTripsThroughTheForm(t *testing.T) {
	s := newConsole(t)
	ctx := context.Background()
	if _, err := s.svc.CreateRuleset(ctx, []byte(execGuard)); err != nil {
		t.Fatal(err)
	}
	before, err := s.svc.CreatePolicy(ctx, []byte(fullPolicy))
	if err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.login(adminToken)
	page := b.get("/policies/prod")
	if page.status != http.StatusOK || strings.Contains(page.body, "form-unavailable") {
		t.Fatalf("edit page: %d", page.status)
	}
	form := formValues(t, page.body, "policy-form")
	form.Set("op", "save")
	if a := b.post("/policies/prod", form); a.status != http.StatusSeeOther {
		t.Fatalf("saving the unchanged form: %d\n%s", a.status, errorsOn(a.body))
	}
	after, err := s.svc.Store().GetPolicy(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if after.Version != before.Version+1 {
		t.Errorf("version %d after %d", after.Version, before.Version)
	}
	if diff := cmp.Diff(decode(t, before.Body), decode(t, after.Body)); diff != "" {
		t.Errorf("the form changed the policy (-stored +saved):\n%s", diff)
	}

	// The form now carries a stale version: a second save is a conflict,
	// and what was typed stays.
	form.Set("description", "my edit")
	a := b.post("/policies/prod", form)
	if a.status != http.StatusConflict || !strings.Contains(a.body, "Someone else saved this policy") || !strings.Contains(a.body, `value="my edit"`) {
		t.Errorf("stale save: %d", a.status)
	}
}

// errorsOn lists the problems a page shows, for failure messages.
func errorsOn(page string) string {
	var out []string
	for _, line := range strings.Split(page, "\n") {
		if strings.Contains(line, "field-error") || strings.Contains(line, "<li>") {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return strings.Join(out, "\n")
}

func decode(t *testing.T, body []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEditorThroughHTTP(t *testing.T) {
	s := newConsole(t)
	ctx := context.Background()
	b := s.browser(t)
	b.login(adminToken)
	csrf := b.csrf()

	// The buttons that add rows re-render the form with the row, keeping
	// the input and saving nothing.
	form := values("csrf", csrf, "name", "prod", "cw.deployment.r.privileged.enabled", "on")
	for op, wantID := range map[string]string{
		"add-ns":                      `id="ns0-name"`,
		"add-exception:cw.deployment": `id="cw-deployment-x0-values"`,
		"add-binding:cw.runtime":      `id="cw-runtime-b0-selector"`,
	} {
		form.Set("op", op)
		a := b.post("/policies/new", form)
		if a.status != http.StatusOK || !strings.Contains(a.body, wantID) || !strings.Contains(a.body, `id="cw-deployment-r-privileged-enabled" value="on" checked`) {
			t.Errorf("%s: %d, want %s", op, a.status, wantID)
		}
	}
	if docs, _ := s.svc.Store().ListPolicies(ctx); len(docs) != 0 {
		t.Fatal("adding a row saved the policy")
	}

	// A number field with a word is reported without calling the service.
	form = values("csrf", csrf, "op", "save", "name", "prod",
		"cw.deployment.r.hostNetworkAndPorts.enabled", "on", "cw.deployment.r.hostNetworkAndPorts.p.minPort", "abc")
	a := b.post("/policies/new", form)
	if a.status != http.StatusUnprocessableEntity || fieldError(a.body, "cw-deployment-r-hostNetworkAndPorts-p-minPort") != `"abc" is not a whole number` {
		t.Errorf("unconvertible: %d %q", a.status, fieldError(a.body, "cw-deployment-r-hostNetworkAndPorts-p-minPort"))
	}
	// The service's problems are shown next to their fields.
	form.Set("cw.deployment.r.hostNetworkAndPorts.p.minPort", "70000")
	form.Set("name", "Prod")
	a = b.post("/policies/new", form)
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(a.body, "cw-deployment-r-hostNetworkAndPorts-p-minPort"), "must be from 0 to 65535") ||
		!strings.Contains(fieldError(a.body, "name"), "RFC 1123") {
		t.Errorf("invalid: %d\n%s", a.status, errorsOn(a.body))
	}
	form.Set("cw.deployment.r.hostNetworkAndPorts.p.minPort", "80")
	form.Set("cw.deployment.r.hostNetworkAndPorts.p.maxPort", "90")
	form.Set("name", "prod")
	if a := b.post("/policies/new", form); a.status != http.StatusSeeOther || a.header.Get("Location") != "/policies/prod?msg=saved" {
		t.Fatalf("save: %d\n%s", a.status, errorsOn(a.body))
	}
	if a := b.post("/policies/new", form); a.status != http.StatusConflict || fieldError(a.body, "name") != "a policy with this name already exists" {
		t.Errorf("duplicate: %d", a.status)
	}

	// Deleting a policy a cluster uses is refused with a message.
	if _, _, err := s.svc.RegisterCluster(ctx, "east"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.AssignPolicy(ctx, "east", "prod"); err != nil {
		t.Fatal(err)
	}
	if a := b.post("/policies/prod/delete", values("csrf", csrf)); a.status != http.StatusConflict || !strings.Contains(a.body, "is assigned to a cluster") {
		t.Errorf("delete in use: %d", a.status)
	}
	if _, err := s.svc.AssignPolicy(ctx, "east", ""); err != nil {
		t.Fatal(err)
	}
	if a := b.post("/policies/prod/delete", values("csrf", csrf)); a.status != http.StatusSeeOther {
		t.Errorf("delete: %d", a.status)
	}
}

func TestYAMLEditor(t *testing.T) {
	s := newConsole(t)
	ctx := context.Background()
	b := s.browser(t)
	b.login(adminToken)
	csrf := b.csrf()
	// A policy the form cannot show (a rule twice in a tab) is offered as
	// YAML instead of being cut down.
	twice := strings.Replace(fullPolicy, "        - {rule: privileged, action: block}\n",
		"        - {rule: privileged, action: block}\n        - {rule: privileged, action: log, excludedNamespaces: [dev]}\n", 1)
	if a := b.post("/policies/new/yaml", values("csrf", csrf, "yaml", twice)); a.status != http.StatusSeeOther {
		t.Fatalf("create from YAML: %d\n%s", a.status, errorsOn(a.body))
	}
	a := b.get("/policies/prod")
	if !strings.Contains(a.body, `id="form-unavailable"`) || !strings.Contains(a.body, "enables privileged more than once") || strings.Contains(a.body, `id="policy-form"`) {
		t.Errorf("unrepresentable policy: %d", a.status)
	}
	a = b.get("/policies/prod/yaml")
	if a.status != http.StatusOK || !strings.Contains(a.body, "excludedNamespaces:") {
		t.Fatalf("YAML page: %d", a.status)
	}
	bad := strings.Replace(twice, "action: terminate", "action: kill", 1)
	a = b.post("/policies/prod/yaml", values("csrf", csrf, "version", "1", "yaml", bad))
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(a.body, "spec.clusterWide.continuous.rules[0].action: Unsupported value: &#34;kill&#34;") ||
		!strings.Contains(a.body, "action: kill") {
		t.Errorf("invalid YAML: %d\n%s", a.status, errorsOn(a.body))
	}
	if a := b.post("/policies/prod/yaml", values("csrf", csrf, "version", "1", "yaml", fullPolicy)); a.status != http.StatusSeeOther {
		t.Errorf("save YAML: %d", a.status)
	}
	if a := b.post("/policies/prod/yaml", values("csrf", csrf, "version", "1", "yaml", fullPolicy)); a.status != http.StatusConflict {
		t.Errorf("stale YAML save: %d", a.status)
	}
	if d, _ := s.svc.Store().GetPolicy(ctx, "prod"); d.Version != 2 {
		t.Errorf("version %d", d.Version)
	}
}

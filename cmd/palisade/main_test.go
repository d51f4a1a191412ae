package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func palisade(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

const seedLine = `- containerSecurityContext violates rule privileged "true" in container(s) "busybox-container" (block).`

func TestScanSeedBusyboxBlocked(t *testing.T) {
	code, out, _ := palisade(t, "", "scan", "--policy", "testdata/block-privileged.yaml", "../../examples/busybox.yaml")
	if code != exitBlocked {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	if !strings.Contains(out, strings.TrimPrefix(seedLine, "- ")) {
		t.Errorf("output lacks the seed's message:\n%s", out)
	}
	code, out, _ = palisade(t, "", "scan", "--policy", "testdata/block-privileged.yaml", "-o", "json", "../../examples/busybox.yaml")
	var rep struct {
		Results []struct {
			Source, Kind, Namespace, Name string
			Violations                    []struct{ Rule, Action, Container, Message string }
		}
		Summary struct{ Objects, Violations, Blocked int }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	v := rep.Results[0].Violations
	if code != 1 || len(v) != 1 || "- "+v[0].Message != seedLine || v[0].Container != "busybox-container" || rep.Results[0].Namespace != "default" {
		t.Errorf("exit %d, report %+v", code, rep)
	}
}

func TestScanSeedBusyboxLogged(t *testing.T) {
	code, out, _ := palisade(t, "", "scan", "--policy", "testdata/log-privileged.yaml", "../../examples/busybox.yaml")
	if code != exitOK {
		t.Fatalf("exit %d, want 0\n%s", code, out)
	}
	if !strings.Contains(out, `containerSecurityContext violates rule privileged "true" in container(s) "busybox-container" (log).`) {
		t.Errorf("the log finding is not shown:\n%s", out)
	}
}

func TestScanBreakoutOneLinerBlockedByBaseline(t *testing.T) {
	code, out, _ := palisade(t, "", "scan", "--preset", "baseline", "../../examples/breakout-pod.json")
	if code != exitBlocked || !strings.Contains(out, `"host namespaces"`) || !strings.Contains(out, "hostPID=true") || !strings.Contains(out, `"privileged"`) {
		t.Errorf("exit %d\n%s", code, out)
	}
}

func TestScanContinuesPastBrokenDocuments(t *testing.T) {
	dir := t.TempDir()
	broken := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n   bad: indent\n---\n" + mustRead(t, "../../examples/busybox.yaml")
	if err := os.WriteFile(filepath.Join(dir, "mixed.yaml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := palisade(t, "", "scan", "--policy", "testdata/block-privileged.yaml", "-o", "json", dir)
	if code != exitInput {
		t.Errorf("exit %d, want 2 (bad input)", code)
	}
	var rep struct {
		Results []struct{ Name string }
		Errors  []struct {
			Source  string
			Line    int
			Message string
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Name != "busyboxpod" {
		t.Errorf("the valid document after the broken one must still be scanned: %+v", rep.Results)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].Line != 5 || !strings.HasSuffix(rep.Errors[0].Source, "mixed.yaml") {
		t.Errorf("errors %+v, want one at mixed.yaml:5", rep.Errors)
	}
}

func TestScanStdinListsAndJSON(t *testing.T) {
	list := `{"apiVersion":"v1","kind":"List","items":[` + toJSON(t, "../../examples/busybox.yaml") + `,{"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":"web"}}]}`
	code, out, _ := palisade(t, list, "scan", "--policy", "testdata/block-privileged.yaml", "-o", "json", "--namespace", "team-a", "-")
	var rep struct {
		Results []struct{ Source, Kind, Namespace, Name string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, r := range rep.Results {
		got = append(got, r.Source+" "+r.Kind+" "+r.Namespace+"/"+r.Name)
	}
	want := []string{"- Pod team-a/busyboxpod", "- Service web/s"}
	if code != exitBlocked || !cmp.Equal(want, got) {
		t.Errorf("exit %d, results %v, want %v", code, got, want)
	}
}

func TestScanBadPolicyAndFormat(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: x}\nspec:\n  clusterWide:\n    deployment:\n      rules: [{rule: privileged, action: kill}]\n"), 0o644)
	code, _, errOut := palisade(t, "", "scan", "--policy", bad, "../../examples/")
	if code != exitInput || !strings.Contains(errOut, bad+`:7: spec.clusterWide.deployment.rules[0].action: Unsupported value: "kill"`) {
		t.Errorf("exit %d stderr %s", code, errOut)
	}
	if code, _, _ := palisade(t, "", "scan", "-o", "yaml", "../../examples/"); code != exitInput {
		t.Errorf("unknown format: exit %d", code)
	}
	if code, _, _ := palisade(t, "", "scan", "no/such/file.yaml"); code != exitInput {
		t.Errorf("missing file: exit %d", code)
	}
}

func TestPolicyValidate(t *testing.T) {
	if code, out, _ := palisade(t, "", "policy", "validate", "testdata/block-privileged.yaml"); code != 0 || !strings.Contains(out, "is valid") {
		t.Errorf("exit %d: %s", code, out)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: x}\nspec:\n  clusterWide:\n    deployment:\n      rules:\n        - {rule: privileged, action: block}\n        - {rule: containerCapabilities, action: log, properties: {capabilityRestriction: baseline}}\n        - {rule: imageName, action: kill, properties: {operator: contains, values: [dev]}}\n        - {rule: resourceLimits, action: log, properties: {maxCPU: 2}}\n"), 0o644)
	code, _, errOut := palisade(t, "", "policy", "validate", bad)
	want := []string{
		bad + `:10: spec.clusterWide.deployment.rules[2].action: Unsupported value: "kill": supported values: "log", "block"`,
		bad + `:11: spec.clusterWide.deployment.rules[3].properties.maxCPU: Forbidden: unknown property of rule resourceLimits (properties: resources, maxCpu, maxMemory)`,
	}
	if code != exitInput || !cmp.Equal(want, strings.Split(strings.TrimSpace(errOut), "\n")) {
		t.Errorf("exit %d, stderr:\n%s\nwant:\n%s", code, errOut, strings.Join(want, "\n"))
	}
}

func TestRulesJSON(t *testing.T) {
	code, out, _ := palisade(t, "", "rules", "-o", "json")
	var entries []catalogEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil || code != 0 {
		t.Fatalf("exit %d: %v", code, err)
	}
	ids := map[string]bool{}
	for _, e := range entries {
		ids[e.ID] = true
		if len(e.Sources) == 0 || e.Source == "" || strings.Contains(strings.ToLower(e.Source), "seed") {
			t.Errorf("%s: sources %q, source %q; want products and controls", e.ID, e.Sources, e.Source)
		}
	}
	for _, id := range []string{"hostNetwork", "hostIPC", "hostPID", "runAsNonRoot", "privileged", "allowPrivilegeEscalation",
		"readOnlyRootFilesystem", "containerCapabilities", "imageRegistry", "imageName", "imageTag", "imagePath", "podExec",
		"podPortForward", "resourceLimits", "allowedRegistries", "allowedCapabilities", "appArmor", "allowedServicePorts",
		"hostNetworkAndPorts", "allowedHostPaths", "httpsOnlyIngress", "automountServiceAccountToken", "defaultNamespace",
		"sysAdminCapability", "podSecurityStandard", "cel"} {
		if !ids[id] {
			t.Errorf("catalog lacks %s", id)
		}
	}
}

// docs/policy-reference.md is generated from the catalog.
func TestPolicyReferenceIsCurrent(t *testing.T) {
	_, want, _ := palisade(t, "", "rules", "-o", "markdown")
	got, err := os.ReadFile("../../docs/policy-reference.md")
	if err != nil || string(got) != want {
		t.Errorf("docs/policy-reference.md is out of date: run `go run ./cmd/palisade rules -o markdown > docs/policy-reference.md`")
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func toJSON(t *testing.T, p string) string {
	t.Helper()
	b := mustRead(t, p)
	j, err := yamlToJSON([]byte(b))
	if err != nil {
		t.Fatal(err)
	}
	return string(j)
}

// A privileged Deployment under apiVersion v1, a kind Palisade does not
// know there, is reported as not evaluated in every format, never passed.
func TestScanReportsUnknownKindsInEveryFormat(t *testing.T) {
	const input = "apiVersion: v1\nkind: Deployment\nmetadata: {name: web, namespace: prod}\n" +
		"spec: {template: {spec: {containers: [{name: c, image: nginx, securityContext: {privileged: true}}]}}}\n"
	for format, want := range map[string][]string{
		"table": {"warning: stdin:1  Deployment prod/web not evaluated: Palisade reads Deployment as apps/v1, not v1",
			"1 object, 0 violations, 0 blocked objects, 0 errors, 1 not evaluated"},
		"json":  {`"notEvaluated":"Palisade reads Deployment as apps/v1, not v1"`, `"notEvaluated":1}`},
		"sarif": {`"level":"warning","message":{"text":"Deployment prod/web not evaluated: Palisade reads Deployment as apps/v1, not v1"}`, `"properties":{"notEvaluated":1}`},
		"junit": {`<testsuite name="not evaluated" tests="1" failures="0" errors="0" skipped="1">`,
			`<skipped message="not evaluated: Palisade reads Deployment as apps/v1, not v1">`},
	} {
		code, out, _ := palisade(t, input, "scan", "--policy", "testdata/block-privileged.yaml", "-o", format, "-")
		if code != exitOK {
			t.Errorf("%s: exit %d, want 0\n%s", format, code, out)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %s:\n%s", format, w, out)
			}
		}
	}
}

// deprecatedAPIVersions judges the objects no other rule can read: an
// extensions/v1beta1 Ingress gets its finding, and is still reported as
// not evaluated by the other rules, in every format.
func TestScanDeprecatedAPIVersionOfUndecodedObject(t *testing.T) {
	pol := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(pol, []byte("apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  clusterWide:\n    deployment:\n      rules:\n"+
		"        - {rule: deprecatedAPIVersions, action: block}\n        - {rule: ingressHosts, action: block}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const input = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: web, namespace: prod}\n" +
		"spec: {rules: [{http: {paths: [{backend: {serviceName: web, servicePort: 80}}]}}]}\n"
	const msg = `object violates rule deprecatedAPIVersions \"extensions/v1beta1 Ingress\": removed in Kubernetes 1.22: use networking.k8s.io/v1 (block).`
	const why = "Palisade reads Ingress as networking.k8s.io/v1, not extensions/v1beta1"
	for format, want := range map[string][]string{
		"table": {"warning: stdin:1  Ingress prod/web not evaluated: " + why,
			"  block  deprecatedAPIVersions  " + strings.ReplaceAll(msg, `\"`, `"`),
			"1 object, 1 violation (1 block, 0 log), 1 blocked object, 0 errors, 1 not evaluated"},
		"json":  {`"notEvaluated":"` + why + `"`, `"rule":"deprecatedAPIVersions"`, `"message":"` + msg + `"`},
		"sarif": {`"ruleId":"deprecatedAPIVersions"`, `"text":"Ingress prod/web not evaluated: ` + why + `"`},
		"junit": {`<skipped message="not evaluated: ` + why + `">`, `name="deprecatedAPIVersions apiVersion"`, `failure message="` + strings.ReplaceAll(msg, `\"`, `&#34;`) + `"`},
	} {
		code, out, errOut := palisade(t, input, "scan", "--policy", pol, "-o", format, "-")
		if code != exitBlocked {
			t.Errorf("%s: exit %d, want 1\n%s%s", format, code, out, errOut)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %s:\n%s", format, w, out)
			}
		}
		// ingressHosts, which reads networking.k8s.io/v1 Ingresses, did not
		// judge it (the rule without a host would be flagged).
		if strings.Contains(out, "ingressHosts") && format != "sarif" {
			t.Errorf("%s: ingressHosts judged an object it cannot read:\n%s", format, out)
		}
	}
}

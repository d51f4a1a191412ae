package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const k8sAuditRules = "../../testdata/falco-rules/k8s_audit_rules.yaml"

func TestRuntimeValidate(t *testing.T) {
	if _, err := os.Stat(k8sAuditRules); err != nil {
		t.Fatalf("Falco's published rules are expected in testdata/: %v", err)
	}
	code, out, _ := palisade(t, "", "runtime", "validate", k8sAuditRules)
	if code != 0 || !strings.Contains(out, "ruleset rules: 48 rules evaluated on audit events") || !strings.Contains(out, "0 errors, 0 warnings") {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("- macro: m\n  condition: ka.verb=create\n- rule: r\n  desc: d\n  condition: m and nope\n  output: o\n  priority: INFO\n  source: k8s_audit\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = palisade(t, "", "runtime", "validate", bad)
	want := bad + ":5:14: error: rule 'r': LOAD_ERR_VALIDATE (Error validating rule/macro/list/exception objects): undefined macro 'nope' used in filter"
	if code != 2 || !strings.Contains(out, want) || !strings.Contains(out, "1 errors, 0 warnings") {
		t.Errorf("exit %d, want 2 and %q; output:\n%s", code, want, out)
	}
}

func TestRuntimeEval(t *testing.T) {
	code, out, errOut := palisade(t, "", "runtime", "eval", "--rules", k8sAuditRules, "../../internal/core/falco/k8saudit/testdata/crb-cluster-admin.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rules []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var a evalAlert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		rules = append(rules, a.Rule)
		if a.Rule == "Attach to cluster-admin Role" && (a.Priority != "Warning" || a.Fields["ka.user.name"] != "alice@example.com") {
			t.Errorf("alert %+v", a)
		}
	}
	if diff := cmp.Diff([]string{"Disallowed K8s User", "Attach to cluster-admin Role", "K8s ClusterRoleBinding Created"}, rules); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	// Falco alerts: those a loaded ruleset answers to.
	alerts := `{"rule":"Terminal shell in container","priority":"Notice","output":"shell","time":"2026-11-23T10:00:00Z","output_fields":{"k8s.pod.name":"p"}}
{"rule":"Something else","priority":"Notice","output":"x","time":"2026-11-23T10:00:00Z","output_fields":{}}`
	code, out, _ = palisade(t, alerts, "runtime", "eval", "--rules", "../../internal/core/ruleset/builtin/seed.yaml", "-")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, `"rule":"Terminal shell in container"`) {
		t.Errorf("exit %d, output:\n%s", code, out)
	}
	code, _, errOut = palisade(t, "not json", "runtime", "eval", "--rules", k8sAuditRules, "-")
	if code != 2 || !strings.Contains(errOut, "-:") {
		t.Errorf("bad events: exit %d, stderr %q", code, errOut)
	}
	// An event that cannot be read is skipped with one line naming it;
	// the others are replayed. An event needs no auditID.
	good, err := os.ReadFile("../../internal/core/falco/k8saudit/testdata/crb-cluster-admin.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(good, &ev); err != nil {
		t.Fatal(err)
	}
	delete(ev, "auditID")
	noID, _ := json.Marshal(ev)
	in := `{"kind":"Event","auditID":"broken-1"}` + "\n" + "{oops\n" + string(noID) + "\n"
	code, out, errOut = palisade(t, in, "runtime", "eval", "--rules", k8sAuditRules, "-")
	wantErr := "palisade: -: skipped: line 1 (auditID broken-1): not a kube-apiserver audit event: no stageTimestamp\n" +
		`palisade: -: skipped: line 2: cannot parse JSON: cannot parse object: cannot find opening '"" for object key; unparsed tail: "oops"` + "\n"
	if code != 0 || strings.Count(out, "\n") != 3 || errOut != wantErr {
		t.Errorf("skipping: exit %d, %d alerts, stderr:\n%s\nwant stderr:\n%s", code, strings.Count(out, "\n"), errOut, wantErr)
	}
}

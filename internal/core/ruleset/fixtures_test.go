package ruleset

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/core/falco/k8saudit"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

// sharedRules is the folder of Falco's published rules files kept in the
// repository's testdata/.
func sharedRules(t testing.TB) string {
	t.Helper()
	return fixture.Path(t, "falco-rules")
}

// loadK8sAudit loads Falco's published k8saudit rules, unchanged.
func loadK8sAudit(t testing.TB) *Ruleset {
	t.Helper()
	path := filepath.Join(sharedRules(t), "k8s_audit_rules.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rs, diags := CompileFiles("k8s_audit_rules", falco.File{Name: path, Data: data})
	if len(diags) > 0 {
		t.Fatalf("k8s_audit_rules.yaml: want no diagnostic, got:\n%v", diags)
	}
	return rs
}

// TestPublishedFalcoRulesLoad: every rules file Falco publishes loads with
// no error (the incubating and sandbox files alone and after the stable
// one, as Falco loads them).
func TestPublishedFalcoRulesLoad(t *testing.T) {
	dir := sharedRules(t)
	for _, files := range [][]string{
		{"k8s_audit_rules.yaml"},
		{"falco_rules.yaml"},
		{"falco-incubating_rules.yaml"},
		{"falco-sandbox_rules.yaml"},
		{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"},
		// Older published files: %container.info in outputs (dropped with
		// a warning), an empty list item (skipped).
		{"older/falco_rules-1.0.1.yaml"},
		{"older/k8s_audit_rules-0.6.0.yaml"},
	} {
		var fs []falco.File
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			fs = append(fs, falco.File{Name: f, Data: data})
		}
		rs, diags := CompileFiles("published", fs...)
		if diags.HasErrors() {
			t.Errorf("%v: %v", files, diags.Errors())
		}
		if len(rs.Rules.All()) == 0 {
			t.Errorf("%v: no rule compiled", files)
		}
	}
}

// TestAuditFixtures replays the audit-event fixtures against Falco's
// k8saudit rules and the built-in rulesets: the alerts each must raise.
func TestAuditFixtures(t *testing.T) {
	k8s := loadK8sAudit(t)
	builtin, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	all := append([]*Ruleset{k8s}, builtin...)
	tests := map[string][]string{
		"anonymous-forbidden.json":    nil, // refused requests raise nothing
		"anonymous-unauthorized.json": nil,
		"clusterrole-wildcard.json": {"Disallowed K8s User", "ClusterRole With Wildcard Created", "ClusterRole With Write Privileges Created",
			"ClusterRole With Pod Exec Created", "K8s ClusterRole Created"},
		"configmap-credentials.json": {"Disallowed K8s User", "Create/Modify Configmap With Private Credentials", "K8s ConfigMap Created"},
		"crb-cluster-admin.json":     {"Disallowed K8s User", "Attach to cluster-admin Role", "K8s ClusterRoleBinding Created"},
		"ingress-tls.json":           nil,
		"pod-attach.json":            {"Attach/Exec Pod", "Exec or attach into pod"},
		"pod-create-privileged.json": {"Create Privileged Pod", "Create Sensitive Mount Pod", "Create HostNetwork Pod", "Create HostPid Pod",
			"Pod Created in Kube Namespace", "Privileged pod created"},
		"pod-ephemeral-container.json": {"Disallowed K8s User", "EphemeralContainers Created"},
		"pod-exec.json":                {"Attach/Exec Pod", "Exec or attach into pod", "Terminal shell in pod"},
		"pod-portforward.json":         {"port-forward", "Port-forward to pod"},
		"secret-get.json":              {"Disallowed K8s User", "K8s Secret Get Successfully"},
		"secrets-list-forbidden.json":  nil,
		"service-nodeport.json":        {"Disallowed K8s User", "Create NodePort Service", "K8s Service Created"},
	}
	dec := k8saudit.NewDecoder()
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(fixture.Repo(t, "internal/core/falco/k8saudit/testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			err = dec.Decode(data, func(e *k8saudit.Event) error {
				for _, rs := range all {
					m := rs.Rules.NewMatcher()
					m.Match(k8saudit.SourceName, e, func(r *falco.Rule) bool {
						got = append(got, r.Name)
						if out := m.Output(r); out == "" {
							t.Errorf("%s: empty output", r.Name)
						}
						return true
					})
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuiltinRulesetsCompile(t *testing.T) {
	rs, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	want := []string{"pod-exec", "port-forward", "privileged-pod", "terminal-shell", "unexpected-listener"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("built-in rulesets (-want +got):\n%s", diff)
	}
	listener := NewSet(rs...).Get("unexpected-listener")
	if !listener.AnswersAlert("Unexpected listening process") {
		t.Error("the seed-003 syscall rule should answer Falco's alerts for it")
	}
}

package admission

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/core/rules"
)

func TestWebhookRulesBuiltin(t *testing.T) {
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	got, err := yaml.Marshal(WebhookRules(reg))
	if err != nil {
		t.Fatal(err)
	}
	want := `- apiGroups:
  - ""
  apiVersions:
  - v1
  operations:
  - CREATE
  - UPDATE
  resources:
  - pods
  - pods/ephemeralcontainers
  - replicationcontrollers
  - podtemplates
  - services
  - serviceaccounts
  - persistentvolumeclaims
  scope: Namespaced
- apiGroups:
  - apps
  apiVersions:
  - v1
  operations:
  - CREATE
  - UPDATE
  resources:
  - deployments
  - replicasets
  - statefulsets
  - daemonsets
  scope: Namespaced
- apiGroups:
  - batch
  apiVersions:
  - v1
  operations:
  - CREATE
  - UPDATE
  resources:
  - jobs
  - cronjobs
  scope: Namespaced
- apiGroups:
  - networking.k8s.io
  apiVersions:
  - v1
  operations:
  - CREATE
  - UPDATE
  resources:
  - ingresses
  scope: Namespaced
- apiGroups:
  - policy
  apiVersions:
  - v1
  operations:
  - CREATE
  - UPDATE
  resources:
  - poddisruptionbudgets
  scope: Namespaced
- apiGroups:
  - rbac.authorization.k8s.io
  apiVersions:
  - v1
  operations:
  - CREATE
  - UPDATE
  resources:
  - roles
  - rolebindings
  - clusterroles
  - clusterrolebindings
  scope: '*'
- apiGroups:
  - ""
  apiVersions:
  - v1
  operations:
  - CONNECT
  resources:
  - pods/exec
  - pods/attach
  - pods/portforward
  scope: Namespaced
- apiGroups:
  - autoscaling
  apiVersions:
  - v2
  operations:
  - CREATE
  - UPDATE
  resources:
  - horizontalpodautoscalers
  scope: Namespaced
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("WebhookRules (-want +got):\n%s", diff)
	}
	if missing, extra := CompareWebhookRules(WebhookRules(reg), WebhookRules(reg)); missing != nil || extra != nil {
		t.Errorf("the rules do not cover themselves: missing %v, extra %v", missing, extra)
	}
}

// A registry of pod rules only asks for the kinds that carry pod templates;
// a rule that reads any object asks for every kind the agent decodes, but not
// for CONNECT.
func TestWebhookRulesFollowTargets(t *testing.T) {
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	pick := func(ids ...string) *rules.Registry {
		var rs []*rules.Rule
		for _, id := range ids {
			r, ok := reg.Get(id)
			if !ok {
				t.Fatalf("no rule %s", id)
			}
			rs = append(rs, r)
		}
		sub, err := rules.NewRegistry(rs...)
		if err != nil {
			t.Fatal(err)
		}
		return sub
	}
	resources := func(rs []admissionregistrationv1.RuleWithOperations) []string {
		var out []string
		for _, a := range expand(rs) {
			out = append(out, a.String())
		}
		return out
	}
	got := resources(WebhookRules(pick("privileged")))
	want := []string{
		"CREATE core/v1 pods (scope Namespaced)", "CREATE core/v1 pods/ephemeralcontainers (scope Namespaced)",
		"CREATE core/v1 replicationcontrollers (scope Namespaced)", "CREATE core/v1 podtemplates (scope Namespaced)",
		"UPDATE core/v1 pods (scope Namespaced)", "UPDATE core/v1 pods/ephemeralcontainers (scope Namespaced)",
		"UPDATE core/v1 replicationcontrollers (scope Namespaced)", "UPDATE core/v1 podtemplates (scope Namespaced)",
		"CREATE apps/v1 deployments (scope Namespaced)", "CREATE apps/v1 replicasets (scope Namespaced)",
		"CREATE apps/v1 statefulsets (scope Namespaced)", "CREATE apps/v1 daemonsets (scope Namespaced)",
		"UPDATE apps/v1 deployments (scope Namespaced)", "UPDATE apps/v1 replicasets (scope Namespaced)",
		"UPDATE apps/v1 statefulsets (scope Namespaced)", "UPDATE apps/v1 daemonsets (scope Namespaced)",
		"CREATE batch/v1 jobs (scope Namespaced)", "CREATE batch/v1 cronjobs (scope Namespaced)",
		"UPDATE batch/v1 jobs (scope Namespaced)", "UPDATE batch/v1 cronjobs (scope Namespaced)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("privileged only (-want +got):\n%s", diff)
	}
	all := WebhookRules(reg)
	anyObject := WebhookRules(pick("defaultNamespace"))
	missing, extra := CompareWebhookRules(anyObject, all)
	if missing != nil {
		t.Errorf("defaultNamespace needs what the whole catalog does not: %v", missing)
	}
	if diff := cmp.Diff([]string{
		"CONNECT core/v1 pods/exec (scope Namespaced)", "CONNECT core/v1 pods/attach (scope Namespaced)", "CONNECT core/v1 pods/portforward (scope Namespaced)",
	}, extra); diff != "" {
		t.Errorf("a rule reading any object, compared with the catalog (-want +got extra):\n%s", diff)
	}
}

func TestMutatingWebhookRules(t *testing.T) {
	var got []string
	for _, a := range expand(MutatingWebhookRules()) {
		if a.op == admissionregistrationv1.Create {
			got = append(got, a.group+"/"+a.resource)
		}
	}
	want := []string{"/pods", "/replicationcontrollers", "/podtemplates", "apps/deployments", "apps/replicasets", "apps/statefulsets", "apps/daemonsets", "batch/jobs", "batch/cronjobs"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("MutatingWebhookRules CREATE (-want +got):\n%s", diff)
	}
}

func TestCompareWebhookRulesWildcards(t *testing.T) {
	ns, all := admissionregistrationv1.NamespacedScope, admissionregistrationv1.AllScopes
	r := func(ops []admissionregistrationv1.OperationType, group, version string, scope *admissionregistrationv1.ScopeType, res ...string) admissionregistrationv1.RuleWithOperations {
		return admissionregistrationv1.RuleWithOperations{Operations: ops, Rule: admissionregistrationv1.Rule{
			APIGroups: []string{group}, APIVersions: []string{version}, Resources: res, Scope: scope}}
	}
	cu := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}
	star := []admissionregistrationv1.OperationType{admissionregistrationv1.OperationAll}
	want := []admissionregistrationv1.RuleWithOperations{
		r(cu, "", "v1", &ns, "pods", "pods/ephemeralcontainers"),
		r(cu, "rbac.authorization.k8s.io", "v1", &all, "clusterroles"),
	}
	for _, tc := range []struct {
		name    string
		have    []admissionregistrationv1.RuleWithOperations
		missing []string
	}{
		{"everything", []admissionregistrationv1.RuleWithOperations{r(star, "*", "*", nil, "*/*")}, nil},
		{"star is not subresources", []admissionregistrationv1.RuleWithOperations{r(star, "*", "*", nil, "*")},
			[]string{"CREATE core/v1 pods/ephemeralcontainers (scope Namespaced)", "UPDATE core/v1 pods/ephemeralcontainers (scope Namespaced)"}},
		{"pods/* and */*", []admissionregistrationv1.RuleWithOperations{
			r(cu, "", "*", &ns, "pods", "pods/*"), r(cu, "rbac.authorization.k8s.io", "v1", nil, "*/*")}, nil},
		{"namespaced scope misses cluster-scoped RBAC", []admissionregistrationv1.RuleWithOperations{
			r(cu, "", "v1", &ns, "pods", "*/ephemeralcontainers"), r(cu, "rbac.authorization.k8s.io", "v1", &ns, "clusterroles")},
			[]string{"CREATE rbac.authorization.k8s.io/v1 clusterroles (scope *)", "UPDATE rbac.authorization.k8s.io/v1 clusterroles (scope *)"}},
		{"create only", []admissionregistrationv1.RuleWithOperations{r([]admissionregistrationv1.OperationType{admissionregistrationv1.Create}, "*", "v1", nil, "*/*")},
			[]string{"UPDATE core/v1 pods (scope Namespaced)", "UPDATE core/v1 pods/ephemeralcontainers (scope Namespaced)", "UPDATE rbac.authorization.k8s.io/v1 clusterroles (scope *)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			missing, _ := CompareWebhookRules(want, tc.have)
			if diff := cmp.Diff(tc.missing, missing); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
		})
	}
}

// hpaBounds asks for autoscaling/v2 HorizontalPodAutoscalers (a version
// other than v1, kept apart from the group's other entries), storageClasses
// for PersistentVolumeClaims besides the workloads.
func TestWebhookRulesKindTargets(t *testing.T) {
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string][]string{
		"hpaBounds": {"CREATE autoscaling/v2 horizontalpodautoscalers (scope Namespaced)", "UPDATE autoscaling/v2 horizontalpodautoscalers (scope Namespaced)"},
		"storageClasses": {"CREATE core/v1 persistentvolumeclaims (scope Namespaced)", "UPDATE core/v1 persistentvolumeclaims (scope Namespaced)",
			"CREATE apps/v1 statefulsets (scope Namespaced)"},
	} {
		r, _ := reg.Get(id)
		sub, err := rules.NewRegistry(r)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range expand(WebhookRules(sub)) {
			got = append(got, a.String())
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: webhook rules lack %q: %v", id, w, got)
			}
		}
	}
}

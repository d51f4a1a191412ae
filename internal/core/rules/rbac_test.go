package rules

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Roles the RBAC tests share, as a cluster or a chart would hold them.
const (
	// secretReaderClusterRole reads Secrets in every namespace it is
	// bound in (rules[1]).
	secretReaderClusterRole = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: secret-reader
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch]
`
	// superuserClusterRole grants what cluster-admin grants.
	superuserClusterRole = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: superuser
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
- nonResourceURLs: ["*"]
  verbs: ["*"]
`
	// appReaderRole is a least-privilege Role: one named Secret.
	appReaderRole = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: app-reader
  namespace: prod
rules:
- apiGroups: [""]
  resources: [configmaps, pods]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [secrets]
  resourceNames: [app-tls]
  verbs: [get]
`
	// monitoringClusterRole aggregates the two ClusterRoles labelled for
	// it; monitoringUnlabelled is not selected.
	monitoringClusterRole = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring
aggregationRule:
  clusterRoleSelectors:
  - matchLabels:
      rbac.example.com/aggregate-to-monitoring: "true"
rules: []
`
	monitoringMetrics = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-metrics
  labels:
    rbac.example.com/aggregate-to-monitoring: "true"
rules:
- apiGroups: [""]
  resources: [pods, services, endpoints]
  verbs: [get, list, watch]
- apiGroups: [monitoring.coreos.com]
  resources: ["*"]
  verbs: ["*"]
`
	monitoringSecrets = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-secrets
  labels:
    rbac.example.com/aggregate-to-monitoring: "true"
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [list, watch]
- apiGroups: [""]
  resources: [pods, services, endpoints]
  verbs: [get, list, watch]
`
	monitoringUnlabelled = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-extra
  labels:
    rbac.example.com/aggregate-to-monitoring: "false"
rules:
- apiGroups: [""]
  resources: [pods/exec]
  verbs: [create]
`
)

// rbacIndex is an index holding the roles of manifests, Roles that name no
// namespace in prod.
func rbacIndex(t *testing.T, manifests ...string) *RoleIndex {
	t.Helper()
	x := NewRoleIndex()
	for _, m := range manifests {
		if !x.Add(seed001Object(t, m), "prod") {
			t.Fatalf("Add: not a role:\n%s", m)
		}
	}
	return x
}

func TestRoleIndexLookups(t *testing.T) {
	x := rbacIndex(t, secretReaderClusterRole, appReaderRole,
		`{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: local}, rules: []}`)
	if x.Add(seed001Object(t, seed001Pod(`{containers: [{name: c, image: redis}]}`)), "prod") {
		t.Error("Add(pod) = true")
	}
	if r, ok := x.ClusterRole("secret-reader"); !ok || len(r.Rules) != 2 {
		t.Errorf("ClusterRole(secret-reader) = %v, %v", r, ok)
	}
	if r, ok := x.Role("prod", "app-reader"); !ok || r.Name != "app-reader" {
		t.Errorf("Role(prod, app-reader) = %v, %v", r, ok)
	}
	if _, ok := x.Role("prod", "local"); !ok {
		t.Error("a Role that names no namespace is not in the default namespace")
	}
	for _, miss := range [][2]string{{"dev", "app-reader"}, {"prod", "secret-reader"}, {"", "app-reader"}} {
		if _, ok := x.Role(miss[0], miss[1]); ok {
			t.Errorf("Role(%s, %s) found", miss[0], miss[1])
		}
	}
	if _, ok := x.ClusterRole("app-reader"); ok {
		t.Error("a Role found as a ClusterRole")
	}
	if x.Len() != 3 {
		t.Errorf("Len = %d, want 3", x.Len())
	}
	x.DeleteClusterRole("secret-reader")
	x.DeleteRole("prod", "app-reader")
	if _, ok := x.ClusterRole("secret-reader"); ok {
		t.Error("deleted ClusterRole found")
	}
	if _, ok := x.Role("prod", "app-reader"); ok {
		t.Error("deleted Role found")
	}
	var none *RoleIndex
	if _, ok := none.ClusterRole("x"); ok {
		t.Error("a nil index found a ClusterRole")
	}
	if _, ok := none.Role("prod", "x"); ok {
		t.Error("a nil index found a Role")
	}
}

// The index keeps copies: changing what was added changes nothing.
func TestRoleIndexCopies(t *testing.T) {
	r := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "prod"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}}}}
	x := NewRoleIndex()
	x.AddRole(r)
	r.Rules[0].Verbs[0] = "*"
	if got, _ := x.Role("prod", "r"); got.Rules[0].Verbs[0] != "get" {
		t.Errorf("the index shares the Role it was given: verbs %v", got.Rules[0].Verbs)
	}
}

// An aggregated ClusterRole holds its own rules and, once each, those of
// the ClusterRoles its selectors match, in name order, as the aggregation
// controller writes them.
func TestRoleIndexAggregation(t *testing.T) {
	x := rbacIndex(t, monitoringClusterRole, monitoringSecrets, monitoringUnlabelled, monitoringMetrics)
	got, ok := x.ClusterRole("monitoring")
	if !ok {
		t.Fatal("ClusterRole(monitoring) not found")
	}
	metrics, _ := x.ClusterRole("monitoring-metrics")
	secrets, _ := x.ClusterRole("monitoring-secrets")
	want := []rbacv1.PolicyRule{metrics.Rules[0], metrics.Rules[1], secrets.Rules[0]}
	if diff := cmp.Diff(want, got.Rules); diff != "" {
		t.Errorf("aggregated rules (-want +got):\n%s", diff)
	}
	if got.Name != "monitoring" || got.AggregationRule == nil {
		t.Errorf("aggregated ClusterRole lost its metadata: %+v", got.ObjectMeta)
	}
	if stored := x.clusterRoles["monitoring"]; len(stored.role.Rules) != 0 {
		t.Errorf("lookup changed the stored ClusterRole: %d rules", len(stored.role.Rules))
	}

	// Own rules first; a ClusterRole that selects itself is not its own part;
	// relabelling and deleting parts take effect on the next lookup.
	x.AddClusterRole(&rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "monitoring", Labels: map[string]string{"rbac.example.com/aggregate-to-monitoring": "true"}},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
			{MatchLabels: map[string]string{"rbac.example.com/aggregate-to-monitoring": "true"}},
		}},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get"}}},
	})
	x.DeleteClusterRole("monitoring-metrics")
	got, _ = x.ClusterRole("monitoring")
	want = []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get"}}, secrets.Rules[0], secrets.Rules[1]}
	if diff := cmp.Diff(want, got.Rules); diff != "" {
		t.Errorf("after the update (-want +got):\n%s", diff)
	}

	// An invalid selector aggregates nothing, as the controller then leaves
	// the rules alone.
	x.AddClusterRole(&rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "broken"},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
			{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Sometimes"}}},
		}},
	})
	if got, _ := x.ClusterRole("broken"); len(got.Rules) != 0 {
		t.Errorf("an invalid selector aggregated %d rules", len(got.Rules))
	}
}

// The agent updates the index from informers while admission reads it;
// run with -race.
func TestRoleIndexConcurrent(t *testing.T) {
	x := rbacIndex(t, monitoringClusterRole, monitoringSecrets)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 200 {
				name := fmt.Sprintf("part-%d-%d", w, i%10)
				x.AddClusterRole(&rbacv1.ClusterRole{
					ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"rbac.example.com/aggregate-to-monitoring": "true"}},
					Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{fmt.Sprint("v", w)}}},
				})
				x.AddRole(&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "prod"}})
				if i%3 == 0 {
					x.DeleteClusterRole(name)
					x.DeleteRole("prod", name)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := range 200 {
				if r, ok := x.ClusterRole("monitoring"); !ok || len(r.Rules) < 2 {
					t.Errorf("monitoring: found %v, rules %+v", ok, r)
					return
				}
				x.Role("prod", fmt.Sprintf("part-%d-%d", w, i%10))
				_ = x.Len()
			}
		}()
	}
	wg.Wait()
}

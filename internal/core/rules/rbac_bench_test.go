package rules

import (
	"fmt"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// benchRoles is a cluster-sized index: 300 ClusterRoles, 20 of them
// labelled for aggregation into "team-admin", which aggregates them as
// Kubernetes' admin does.
func benchRoles() *RoleIndex {
	x := NewRoleIndex()
	for i := range 300 {
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("role-%03d", i)},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets"}, Verbs: []string{"get", "list", "watch"}},
				{APIGroups: []string{""}, Resources: []string{fmt.Sprintf("configmaps-%d", i)}, Verbs: []string{"get"}},
			}}
		if i%15 == 0 {
			cr.Labels = map[string]string{"rbac.example.com/aggregate-to-team-admin": "true"}
			cr.Rules = append(cr.Rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create"}})
		}
		x.AddClusterRole(cr)
	}
	x.AddClusterRole(&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "team-admin"},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
			{MatchLabels: map[string]string{"rbac.example.com/aggregate-to-team-admin": "true"}}}}})
	return x
}

// BenchmarkRBACBinding runs the six RBAC rules on a RoleBinding of an
// aggregated ClusterRole, looked up among 300.
func BenchmarkRBACBinding(b *testing.B) {
	roles := benchRoles()
	ids := []string{"rbacClusterAdminBinding", "rbacWildcard", "rbacSecretsRead", "rbacPodExec", "rbacEscalation", "rbacDefaultServiceAccount"}
	var checks []Check
	for _, id := range ids {
		checks = append(checks, seed001Check(b, id, ""))
	}
	in := seed001Input(seed001Object(b, `{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: team, namespace: shop},
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: team-admin},
subjects: [{kind: Group, name: shop-admins}, {kind: ServiceAccount, name: default, namespace: shop}]}`), "shop")
	in.Roles = roles
	found := 0
	for _, c := range checks {
		found += len(c(in))
	}
	if found != 2 { // pods/exec to both subjects' binding, and the default ServiceAccount
		b.Fatalf("%d findings, want 2", found)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, c := range checks {
			c(in)
		}
	}
}

// BenchmarkNetworkPolicyCoverage judges a pod in a namespace with 50
// NetworkPolicies, none selecting it (every selector is tried).
func BenchmarkNetworkPolicyCoverage(b *testing.B) {
	var list []*networkingv1.NetworkPolicy
	for i := range 50 {
		list = append(list, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("np-", i)},
			Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": fmt.Sprint("svc-", i)}}}})
	}
	in := seed001Input(seed001Object(b, seed001Pod(`{containers: [{name: c, image: redis}]}`)), "shop")
	in.Object.Pod.Meta.Labels = map[string]string{"app": "batch"}
	in.NetworkPolicies = namespacePolicies{"shop": list}
	check := seed001Check(b, "networkPolicyCoverage", "")
	if len(check(in)) != 1 {
		b.Fatal("want one finding")
	}
	b.ReportAllocs()
	for b.Loop() {
		check(in)
	}
}

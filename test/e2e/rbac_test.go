package e2e

import (
	"context"
	"strings"
	"testing"
	"time"
)

const rbacPolicy = `clusterWide:
  deployment:
    rules:
      - {rule: rbacClusterAdminBinding, action: block}
namespaced:
  - name: rbac
    namespaces: [rbac-e2e]
    deployment:
      rules:
        - {rule: rbacPodExec, action: block}`

// TestRBACAtAdmission: a ClusterRoleBinding to cluster-admin is denied; a
// RoleBinding is judged with the ClusterRole it references, which the
// agent follows in the cluster.
func TestRBACAtAdmission(t *testing.T) {
	ctx := context.Background()
	namespace(t, "rbac-e2e")
	usePolicy(t, "rbac", rbacPolicy)

	r := kubectl(ctx, "", "create", "clusterrolebinding", "alice-admin", "--clusterrole=cluster-admin", "--user=alice@example.com")
	want := `- clusterRoleBinding violates rule rbacClusterAdminBinding "ClusterRole/cluster-admin": grants every permission cluster-wide to User:alice@example.com (block).`
	if r.err == nil || !strings.Contains(r.stderr, want) {
		cleanup(t, "clusterrolebinding", "alice-admin")
		t.Fatalf("kubectl create clusterrolebinding:\n%s\nwant: %s", r, want)
	}

	// The ClusterRole is cluster-scoped: only the cluster-wide rules
	// judge it, and they let it in.
	role := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: e2e-debugger}
rules:
- {apiGroups: [""], resources: [pods/exec], verbs: [create]}
`
	if r := kubectlStdin(ctx, role, "", "apply", "-f", "-"); r.err != nil {
		t.Fatalf("create the ClusterRole: %s", r)
	}
	cleanup(t, "clusterrole", "e2e-debugger")
	want = `- roleBinding violates rule rbacPodExec "ClusterRole/e2e-debugger": grants create on pods/exec in namespace rbac-e2e to User:bob@example.com (block).`
	waitFor(t, "the agent to know the ClusterRole", 10*time.Second, func() bool {
		r = kubectl(ctx, "", "create", "rolebinding", "bob-debug", "-n", "rbac-e2e", "--clusterrole=e2e-debugger", "--user=bob@example.com", "--dry-run=server")
		return r.err != nil && strings.Contains(r.stderr, want)
	})
	// A binding of a role the agent does not know is let in.
	if r := kubectl(ctx, "", "create", "rolebinding", "bob-view", "-n", "rbac-e2e", "--clusterrole=e2e-unknown", "--user=bob@example.com", "--dry-run=server"); r.err != nil {
		t.Errorf("binding of an unknown role: %s", r)
	}
}

package rules_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

func decodeRBAC(t *testing.T, manifest string) *workload.Object {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := workload.Decode(j)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

// The RBAC rules' messages as the engine words them, for a chart that
// ships a role and binds it, judged with the role in the index.
func TestRBACMessages(t *testing.T) {
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var ruleList string
	for _, id := range []string{"rbacClusterAdminBinding", "rbacWildcard", "rbacSecretsRead", "rbacPodExec", "rbacEscalation", "rbacDefaultServiceAccount"} {
		ruleList += "{rule: " + id + ", action: block}, "
	}
	b, err := policy.Load("p.yaml", []byte("apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  clusterWide:\n    deployment: {rules: ["+ruleList+"]}\n"), reg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := engine.Compile(b.Policies[0], reg)
	if err != nil {
		t.Fatal(err)
	}

	role := decodeRBAC(t, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ci-deployer}
rules:
- apiGroups: ["", apps]
  resources: [secrets, deployments]
  verbs: [get, list, create, update]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [rolebindings]
  verbs: ["*"]
- apiGroups: [""]
  resources: [pods/exec]
  verbs: [create]
`)
	binding := decodeRBAC(t, `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-deployer, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ci-deployer}
subjects:
- {kind: ServiceAccount, name: default}
- {kind: ServiceAccount, name: deployer, namespace: ci}
- {kind: Group, name: "system:serviceaccounts:kube-system"}
`)
	admin := decodeRBAC(t, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: oncall}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: User, name: alice@example.com, apiGroup: rbac.authorization.k8s.io}]
`)
	idx := rules.NewRoleIndex()
	idx.Add(role, "prod")

	messages := func(obj *workload.Object, roles rules.RBACRoles) []string {
		r := c.Evaluate(obj, policy.TabDeployment, engine.Options{DefaultNamespace: "prod", Roles: roles})
		var out []string
		for i := range r.Findings {
			out = append(out, r.Findings[i].Message())
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		name  string
		obj   *workload.Object
		roles rules.RBACRoles
		want  []string
	}{
		{"the ClusterRole", role, nil, []string{
			`clusterRole violates rule rbacEscalation "rolebindings": rules[1] grants every verb on rolebindings (block).`,
			`clusterRole violates rule rbacPodExec "pods/exec": rules[2] grants create on pods/exec (block).`,
			`clusterRole violates rule rbacSecretsRead "secrets": rules[0] grants get, list on secrets (block).`,
			`clusterRole violates rule rbacWildcard "*": rules[1] grants every verb on rolebindings in API group rbac.authorization.k8s.io (block).`,
		}},
		{"its binding, the role known", binding, idx, []string{
			`roleBinding violates rule rbacDefaultServiceAccount "ServiceAccount:prod:default": bound to ClusterRole/ci-deployer in namespace prod, which grants ` +
				`get, list, create, update on secrets, deployments in API groups core, apps; every verb on rolebindings in API group rbac.authorization.k8s.io; ` +
				`create on pods/exec in the core API group (block).`,
			`roleBinding violates rule rbacEscalation "ClusterRole/ci-deployer": grants every verb on rolebindings in namespace prod to ServiceAccount:prod:default, ServiceAccount:ci:deployer (block).`,
			`roleBinding violates rule rbacPodExec "ClusterRole/ci-deployer": grants create on pods/exec in namespace prod to ServiceAccount:prod:default, ServiceAccount:ci:deployer (block).`,
			`roleBinding violates rule rbacSecretsRead "ClusterRole/ci-deployer": grants get, list on secrets in namespace prod to ServiceAccount:prod:default, ServiceAccount:ci:deployer (block).`,
			`roleBinding violates rule rbacWildcard "ClusterRole/ci-deployer": grants every verb on rolebindings in API group rbac.authorization.k8s.io in namespace prod to ServiceAccount:prod:default, ServiceAccount:ci:deployer (block).`,
		}},
		{"its binding, the role unknown", binding, nil, []string{
			`roleBinding violates rule rbacDefaultServiceAccount "ServiceAccount:prod:default": bound to ClusterRole/ci-deployer in namespace prod (role not found: what it grants is unknown) (block).`,
		}},
		{"cluster-admin", admin, idx, []string{
			`clusterRoleBinding violates rule rbacClusterAdminBinding "ClusterRole/cluster-admin": grants every permission cluster-wide to User:alice@example.com (block).`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := messages(tc.obj, tc.roles)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}

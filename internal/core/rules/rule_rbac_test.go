package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// rbacCase is one table row of an RBAC rule test.
type rbacCase struct {
	name     string
	props    string // YAML; "" for the defaults
	manifest string
	// roles are the manifests of the roles known (an index holding them);
	// nil when none are known (no index at all).
	roles []string
	want  []Finding
}

// rbacCases runs rule id on each case's manifest, a namespaced object in
// prod unless it names another namespace, and compares the exact findings.
func rbacCases(t *testing.T, id string, cases []rbacCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := seed001Object(t, tc.manifest)
			in := &Input{Object: obj}
			if !workload.IsClusterScoped(obj.Kind) {
				in.Namespace = obj.Namespace("prod")
			}
			if tc.roles != nil {
				in.Roles = rbacIndex(t, tc.roles...)
			}
			got := seed001Check(t, id, tc.props)(in)
			if diff := seed001Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// rbacSubjects writes subjects as a YAML flow list from the notation of
// excludedSubjects: User:alice, Group:dev, ServiceAccount:ci:deployer
// (ServiceAccount::default for one that names no namespace).
func rbacSubjects(subjects ...string) string {
	var items []string
	for _, s := range subjects {
		kind, name, _ := strings.Cut(s, ":")
		if kind == "ServiceAccount" {
			ns, sa, _ := strings.Cut(name, ":")
			item := `{kind: ServiceAccount, name: ` + sa
			if ns != "" {
				item += `, namespace: ` + ns
			}
			items = append(items, item+`}`)
			continue
		}
		items = append(items, `{kind: `+kind+`, name: "`+name+`", apiGroup: rbac.authorization.k8s.io}`)
	}
	return "[" + strings.Join(items, ", ") + "]"
}

// rbacRoleBinding is a RoleBinding in prod of role (Kind/name) to subjects.
func rbacRoleBinding(role string, subjects ...string) string {
	kind, name, _ := strings.Cut(role, "/")
	return `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: grant
  namespace: prod
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ` + kind + `
  name: ` + name + `
subjects: ` + rbacSubjects(subjects...) + "\n"
}

// rbacClusterRoleBinding is a ClusterRoleBinding of ClusterRole role.
func rbacClusterRoleBinding(role string, subjects ...string) string {
	return `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: grant
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: ` + role + `
subjects: ` + rbacSubjects(subjects...) + "\n"
}

// rbacRole is a Role in prod with the given rules (a YAML flow list).
func rbacRole(rules string) string {
	return "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r, namespace: prod}, rules: " + rules + "}"
}

// rbacClusterRole is a ClusterRole with the given name and rules.
func rbacClusterRole(name, rules string) string {
	return "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: '" + name + "'}, rules: " + rules + "}"
}

// editClusterRole is the part of Kubernetes' edit that reads Secrets.
const editClusterRole = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: edit
  labels:
    kubernetes.io/bootstrapping: rbac-defaults
rules:
- apiGroups: [""]
  resources: [pods/attach, pods/exec, pods/portforward, pods/proxy, secrets, services/proxy]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods/attach, pods/exec, pods/portforward, pods/proxy]
  verbs: [create, delete, deletecollection, patch, update]
`

func TestRBACWildcard(t *testing.T) {
	const everything = "every verb on every resource in every API group"
	rbacCases(t, "rbacWildcard", []rbacCase{
		{name: "a Role naming its verbs and resources passes",
			manifest: appReaderRole},
		{name: "* verbs in a Role",
			manifest: rbacRole(`[{apiGroups: [""], resources: [configmaps], verbs: [get]}, {apiGroups: [apps], resources: [deployments], verbs: ["*"]}]`),
			want: []Finding{{Where: "role", Value: "*", Field: "rules[1].verbs",
				Detail: "rules[1] grants every verb on deployments in API group apps in namespace prod"}}},
		{name: "a ClusterRole granting everything: each rule",
			manifest: superuserClusterRole,
			want: []Finding{
				{Where: "clusterRole", Value: "*", Field: "rules[0].verbs", Detail: "rules[0] grants " + everything},
				{Where: "clusterRole", Value: "*", Field: "rules[1].verbs", Detail: "rules[1] grants every verb on every non-resource URL"},
			}},
		{name: "* resources",
			manifest: rbacClusterRole("crd-reader", `[{apiGroups: [monitoring.coreos.com, ""], resources: ["*"], verbs: [get, list]}]`),
			want: []Finding{{Where: "clusterRole", Value: "*", Field: "rules[0].resources",
				Detail: "rules[0] grants get, list on every resource in API groups monitoring.coreos.com, core"}}},
		{name: "* apiGroups",
			manifest: rbacRole(`[{apiGroups: ["*"], resources: [deployments], verbs: [get]}]`),
			want: []Finding{{Where: "role", Value: "*", Field: "rules[0].apiGroups",
				Detail: "rules[0] grants get on deployments in every API group in namespace prod"}}},
		{name: "* among nonResourceURLs alone passes",
			manifest: rbacClusterRole("metrics", `[{nonResourceURLs: ["/metrics", "/debug/*"], verbs: [get]}]`)},
		{name: "Kubernetes' system: ClusterRoles are skipped",
			manifest: rbacClusterRole("system:controller:generic-garbage-collector", `[{apiGroups: ["*"], resources: ["*"], verbs: [get, list, watch, patch, update, delete]}]`)},
		{name: "the built-in cluster-admin is skipped",
			manifest: strings.Replace(superuserClusterRole, "name: superuser", "name: cluster-admin", 1)},
		{name: "includeSystemRoles judges the built-ins",
			props:    `{includeSystemRoles: true}`,
			manifest: rbacClusterRole("system:aggregate-to-edit", `[{apiGroups: [""], resources: ["*"], verbs: [get]}]`),
			want: []Finding{{Where: "clusterRole", Value: "*", Field: "rules[0].resources",
				Detail: "rules[0] grants get on every resource in the core API group"}}},
		{name: "a Role named like a built-in ClusterRole is judged",
			manifest: strings.Replace(rbacRole(`[{apiGroups: ["*"], resources: [pods], verbs: [get]}]`), "name: r", "name: admin", 1),
			want: []Finding{{Where: "role", Value: "*", Field: "rules[0].apiGroups",
				Detail: "rules[0] grants get on pods in every API group in namespace prod"}}},
		{name: "a ClusterRoleBinding of a known wildcard role",
			manifest: rbacClusterRoleBinding("superuser", "User:alice", "Group:sre"),
			roles:    []string{superuserClusterRole},
			want: []Finding{{Where: "clusterRoleBinding", Value: "ClusterRole/superuser", Field: "roleRef",
				Detail: "grants " + everything + "; every verb on every non-resource URL cluster-wide to User:alice, Group:sre"}}},
		{name: "a RoleBinding of a ClusterRole grants in its namespace",
			manifest: rbacRoleBinding("ClusterRole/superuser", "ServiceAccount:ci:deployer"),
			roles:    []string{superuserClusterRole},
			want: []Finding{{Where: "roleBinding", Value: "ClusterRole/superuser", Field: "roleRef",
				Detail: "grants " + everything + "; every verb on every non-resource URL in namespace prod to ServiceAccount:ci:deployer"}}},
		{name: "a binding of a built-in is judged with what it grants",
			manifest: rbacClusterRoleBinding("cluster-admin", "User:alice"),
			roles:    []string{strings.Replace(superuserClusterRole, "name: superuser", "name: cluster-admin", 1)},
			want: []Finding{{Where: "clusterRoleBinding", Value: "ClusterRole/cluster-admin", Field: "roleRef",
				Detail: "grants " + everything + "; every verb on every non-resource URL cluster-wide to User:alice"}}},
		{name: "a binding whose role is unknown: no roles known",
			manifest: rbacClusterRoleBinding("superuser", "User:alice")},
		{name: "a binding whose role is unknown: not in the index",
			manifest: rbacClusterRoleBinding("superuser", "User:alice"),
			roles:    []string{secretReaderClusterRole}},
		{name: "a RoleBinding of a Role of another namespace is not that Role",
			manifest: rbacRoleBinding("Role/r", "User:alice"),
			roles:    []string{strings.Replace(rbacRole(`[{apiGroups: ["*"], resources: [pods], verbs: [get]}]`), "prod", "dev", 1)}},
		{name: "a RoleBinding of a known Role",
			manifest: rbacRoleBinding("Role/r", "User:alice"),
			roles:    []string{rbacRole(`[{apiGroups: ["*"], resources: [pods], verbs: [get]}]`)},
			want: []Finding{{Where: "roleBinding", Value: "Role/r", Field: "roleRef",
				Detail: "grants get on pods in every API group in namespace prod to User:alice"}}},
		{name: "a binding of a role without wildcards passes",
			manifest: rbacClusterRoleBinding("secret-reader", "User:alice"),
			roles:    []string{secretReaderClusterRole}},
		{name: "an aggregated ClusterRole is judged with its parts",
			manifest: rbacClusterRoleBinding("monitoring", "ServiceAccount:monitoring:prometheus"),
			roles:    []string{monitoringClusterRole, monitoringMetrics, monitoringSecrets, monitoringUnlabelled},
			want: []Finding{{Where: "clusterRoleBinding", Value: "ClusterRole/monitoring", Field: "roleRef",
				Detail: "grants every verb on every resource in API group monitoring.coreos.com cluster-wide to ServiceAccount:monitoring:prometheus"}}},
		{name: "a binding to system subjects only passes",
			manifest: rbacClusterRoleBinding("superuser", "Group:system:masters", "User:system:kube-controller-manager",
				"ServiceAccount:kube-system:replicaset-controller", "Group:system:serviceaccounts:kube-system", "ServiceAccount:palisade-system:palisade"),
			roles: []string{superuserClusterRole}},
		{name: "includeSystemSubjects judges them",
			props:    `{includeSystemSubjects: true}`,
			manifest: rbacClusterRoleBinding("superuser", "Group:system:masters", "ServiceAccount:kube-system:replicaset-controller"),
			roles:    []string{rbacClusterRole("superuser", `[{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]`)},
			want: []Finding{{Where: "clusterRoleBinding", Value: "ClusterRole/superuser", Field: "roleRef",
				Detail: "grants " + everything + " cluster-wide to Group:system:masters, ServiceAccount:kube-system:replicaset-controller"}}},
		{name: "the subjects that stand for everyone are never system subjects",
			manifest: rbacClusterRoleBinding("superuser", "Group:system:masters", "Group:system:authenticated", "User:system:anonymous",
				"Group:system:serviceaccounts:prod", "User:system:serviceaccount:prod:app"),
			roles: []string{rbacClusterRole("superuser", `[{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]`)},
			want: []Finding{{Where: "clusterRoleBinding", Value: "ClusterRole/superuser", Field: "roleRef",
				Detail: "grants " + everything + " cluster-wide to Group:system:authenticated, User:system:anonymous, Group:system:serviceaccounts:prod and 1 more"}}},
		{name: "a binding without subjects grants nothing",
			manifest: strings.Replace(rbacClusterRoleBinding("superuser"), "subjects: []", "", 1),
			roles:    []string{superuserClusterRole}},
		{name: "other objects are ignored",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`)},
	})
}

func TestRBACSecretsRead(t *testing.T) {
	rbacCases(t, "rbacSecretsRead", []rbacCase{
		{name: "reading one named Secret passes",
			manifest: appReaderRole},
		{name: "a Role reading the Secrets of its namespace",
			manifest: rbacRole(`[{apiGroups: [""], resources: [configmaps, secrets], verbs: [get, list, create]}]`),
			want: []Finding{{Where: "role", Value: "secrets", Field: "rules[0].resources",
				Detail: "rules[0] grants get, list on secrets in namespace prod"}}},
		{name: "a ClusterRole reading Secrets",
			manifest: secretReaderClusterRole,
			want: []Finding{{Where: "clusterRole", Value: "secrets", Field: "rules[1].resources",
				Detail: "rules[1] grants get, list, watch on secrets"}}},
		{name: "watch alone returns every Secret",
			manifest: rbacRole(`[{apiGroups: ["*"], resources: [secrets], verbs: [watch]}]`),
			want: []Finding{{Where: "role", Value: "secrets", Field: "rules[0].resources",
				Detail: "rules[0] grants watch on secrets in namespace prod"}}},
		{name: "every resource of the core group",
			manifest: rbacRole(`[{apiGroups: [""], resources: ["*"], verbs: [get, list, watch]}]`),
			want: []Finding{{Where: "role", Value: "*", Field: "rules[0].resources",
				Detail: "rules[0] grants get, list, watch on every resource in namespace prod"}}},
		{name: "every verb",
			manifest: rbacRole(`[{apiGroups: [""], resources: [secrets], verbs: ["*"]}]`),
			want: []Finding{{Where: "role", Value: "secrets", Field: "rules[0].resources",
				Detail: "rules[0] grants every verb on secrets in namespace prod"}}},
		{name: "writing Secrets without reading them passes",
			manifest: rbacRole(`[{apiGroups: [""], resources: [secrets], verbs: [create, update, delete]}]`)},
		{name: "secrets of another API group pass",
			manifest: rbacRole(`[{apiGroups: [external-secrets.io], resources: [secrets], verbs: [get, list]}]`)},
		{name: "the built-in edit is skipped",
			manifest: editClusterRole},
		{name: "a RoleBinding of the built-in edit gives the namespace's Secrets",
			manifest: rbacRoleBinding("ClusterRole/edit", "User:alice"),
			roles:    []string{editClusterRole},
			want: []Finding{{Where: "roleBinding", Value: "ClusterRole/edit", Field: "roleRef",
				Detail: "grants get, list, watch on secrets in namespace prod to User:alice"}}},
		{name: "a RoleBinding of a ClusterRole, ServiceAccounts in the binding's namespace by default",
			manifest: rbacRoleBinding("ClusterRole/secret-reader", "User:alice", "ServiceAccount::deployer", "ServiceAccount:ci:builder"),
			roles:    []string{secretReaderClusterRole},
			want: []Finding{{Where: "roleBinding", Value: "ClusterRole/secret-reader", Field: "roleRef",
				Detail: "grants get, list, watch on secrets in namespace prod to User:alice, ServiceAccount:prod:deployer, ServiceAccount:ci:builder"}}},
		{name: "a ClusterRoleBinding",
			manifest: rbacClusterRoleBinding("secret-reader", "Group:oidc:platform"),
			roles:    []string{secretReaderClusterRole},
			want: []Finding{{Where: "clusterRoleBinding", Value: "ClusterRole/secret-reader", Field: "roleRef",
				Detail: "grants get, list, watch on secrets cluster-wide to Group:oidc:platform"}}},
		{name: "a binding of a least-privilege Role passes",
			manifest: rbacRoleBinding("Role/app-reader", "ServiceAccount:prod:app"),
			roles:    []string{appReaderRole}},
		{name: "a binding whose role is unknown is not flagged",
			manifest: rbacRoleBinding("ClusterRole/secret-reader", "User:alice")},
		{name: "an aggregated ClusterRole reads Secrets through a part",
			manifest: rbacClusterRoleBinding("monitoring", "ServiceAccount:monitoring:prometheus"),
			roles:    []string{monitoringClusterRole, monitoringMetrics, monitoringSecrets, monitoringUnlabelled},
			want: []Finding{{Where: "clusterRoleBinding", Value: "ClusterRole/monitoring", Field: "roleRef",
				Detail: "grants list, watch on secrets cluster-wide to ServiceAccount:monitoring:prometheus"}}},
		{name: "the aggregated ClusterRole itself is judged on the rules it holds",
			manifest: monitoringClusterRole,
			roles:    []string{monitoringClusterRole, monitoringMetrics, monitoringSecrets}},
		{name: "excludedSubjects: the others are named",
			props:    `{excludedSubjects: ["User:alice", "ServiceAccount:ci:*"]}`,
			manifest: rbacRoleBinding("ClusterRole/secret-reader", "User:alice", "ServiceAccount:ci:builder", "User:bob", "ServiceAccount:ci2:builder"),
			roles:    []string{secretReaderClusterRole},
			want: []Finding{{Where: "roleBinding", Value: "ClusterRole/secret-reader", Field: "roleRef",
				Detail: "grants get, list, watch on secrets in namespace prod to User:bob, ServiceAccount:ci2:builder"}}},
		{name: "excludedSubjects: every subject excluded",
			props:    `{excludedSubjects: ["User:*", "ServiceAccount:*:builder", "Group:oidc:platform"]}`,
			manifest: rbacRoleBinding("ClusterRole/secret-reader", "User:alice", "ServiceAccount:ci:builder", "Group:oidc:platform"),
			roles:    []string{secretReaderClusterRole}},
		{name: "excludedSubjects: a ServiceAccount written as a User matches either way",
			props:    `{excludedSubjects: ["ServiceAccount:ci:builder", "User:system:serviceaccount:ci:tester"]}`,
			manifest: rbacRoleBinding("ClusterRole/secret-reader", "User:system:serviceaccount:ci:builder", "User:system:serviceaccount:ci:tester"),
			roles:    []string{secretReaderClusterRole}},
		{name: "excludedSubjects do not concern roles",
			props:    `{excludedSubjects: ["User:*", "Group:*", "ServiceAccount:*:*"]}`,
			manifest: secretReaderClusterRole,
			want: []Finding{{Where: "clusterRole", Value: "secrets", Field: "rules[1].resources",
				Detail: "rules[1] grants get, list, watch on secrets"}}},
	})
}

func TestRBACPodExec(t *testing.T) {
	rbacCases(t, "rbacPodExec", []rbacCase{
		{name: "reading pods and their logs passes",
			manifest: rbacRole(`[{apiGroups: [""], resources: [pods, pods/log], verbs: [get, list, watch]}]`)},
		{name: "create on pods/exec",
			manifest: rbacRole(`[{apiGroups: [""], resources: [pods], verbs: [get]}, {apiGroups: [""], resources: [pods/exec], verbs: [create]}]`),
			want: []Finding{{Where: "role", Value: "pods/exec", Field: "rules[1].resources",
				Detail: "rules[1] grants create on pods/exec in namespace prod"}}},
		{name: "*/attach is every resource's attach",
			manifest: rbacClusterRole("debugger", `[{apiGroups: [""], resources: ["*/attach"], verbs: [create]}]`),
			want: []Finding{{Where: "clusterRole", Value: "*/attach", Field: "rules[0].resources",
				Detail: "rules[0] grants create on */attach"}}},
		{name: "pods/* grants no subresource",
			manifest: rbacRole(`[{apiGroups: [""], resources: ["pods/*"], verbs: [create]}]`)},
		{name: "every verb on every resource",
			manifest: rbacRole(`[{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]`),
			want: []Finding{{Where: "role", Value: "*", Field: "rules[0].resources",
				Detail: "rules[0] grants every verb on every resource in namespace prod"}}},
		{name: "get on pods/exec named: exec over WebSockets on older API servers",
			manifest: rbacRole(`[{apiGroups: [""], resources: [pods, pods/exec], verbs: [get]}]`),
			want: []Finding{{Where: "role", Value: "pods/exec", Field: "rules[0].resources",
				Detail: "rules[0] grants get on pods/exec in namespace prod"}}},
		{name: "get on every resource passes",
			manifest: rbacClusterRole("read-all", `[{apiGroups: ["*"], resources: ["*"], verbs: [get, list, watch]}]`)},
		{name: "pods/exec of another API group passes",
			manifest: rbacRole(`[{apiGroups: [apps], resources: [pods/exec], verbs: [create]}]`)},
		{name: "restricted to named pods, still flagged",
			manifest: rbacRole(`[{apiGroups: [""], resources: [pods/exec], resourceNames: [debug-shell], verbs: [create]}]`),
			want: []Finding{{Where: "role", Value: "pods/exec", Field: "rules[0].resources",
				Detail: "rules[0] grants create on pods/exec named debug-shell in namespace prod"}}},
		{name: "a RoleBinding of the built-in edit",
			manifest: rbacRoleBinding("ClusterRole/edit", "Group:developers"),
			roles:    []string{editClusterRole},
			want: []Finding{{Where: "roleBinding", Value: "ClusterRole/edit", Field: "roleRef",
				Detail: "grants get on pods/attach, pods/exec; create on pods/attach, pods/exec in namespace prod to Group:developers"}}},
	})
}

func TestRBACEscalation(t *testing.T) {
	rbacCases(t, "rbacEscalation", []rbacCase{
		{name: "reading roles and bindings passes",
			manifest: rbacClusterRole("rbac-viewer", `[{apiGroups: [rbac.authorization.k8s.io], resources: [roles, rolebindings, clusterroles, clusterrolebindings], verbs: [get, list, watch]}]`)},
		{name: "escalate",
			manifest: rbacClusterRole("role-editor", `[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [get, escalate]}]`),
			want: []Finding{{Where: "clusterRole", Value: "escalate", Field: "rules[0].verbs",
				Detail: "rules[0] grants escalate on clusterroles"}}},
		{name: "bind, even restricted to named roles",
			manifest: rbacRole(`[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], resourceNames: [view], verbs: [bind]}]`),
			want: []Finding{{Where: "role", Value: "bind", Field: "rules[0].verbs",
				Detail: "rules[0] grants bind on clusterroles named view in namespace prod"}}},
		{name: "impersonate",
			manifest: rbacClusterRole("impersonator", `[{apiGroups: [""], resources: [users, groups], verbs: [impersonate]}]`),
			want: []Finding{{Where: "clusterRole", Value: "impersonate", Field: "rules[0].verbs",
				Detail: "rules[0] grants impersonate on users, groups"}}},
		{name: "writing bindings",
			manifest: rbacRole(`[{apiGroups: [""], resources: [configmaps], verbs: [create]}, {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create, delete]}]`),
			want: []Finding{{Where: "role", Value: "rolebindings", Field: "rules[1].resources",
				Detail: "rules[1] grants create on rolebindings in namespace prod"}}},
		{name: "every verb on RBAC: each grant said once",
			manifest: rbacClusterRole("rbac-admin", `[{apiGroups: [rbac.authorization.k8s.io], resources: ["*"], verbs: ["*"]}]`),
			want: []Finding{{Where: "clusterRole", Value: "*", Field: "rules[0].verbs",
				Detail: "rules[0] grants every verb on every resource"}}},
		{name: "escalate on something else grants nothing",
			manifest: rbacRole(`[{apiGroups: [""], resources: [pods], verbs: [escalate, bind, impersonate]}]`)},
		{name: "impersonate in another group grants nothing",
			manifest: rbacRole(`[{apiGroups: [rbac.authorization.k8s.io], resources: [users], verbs: [impersonate]}]`)},
		{name: "a binding of a known escalating role",
			manifest: rbacRoleBinding("Role/r", "ServiceAccount:prod:operator"),
			roles:    []string{rbacRole(`[{apiGroups: ["*"], resources: [roles, rolebindings], verbs: [create, update, patch]}]`)},
			want: []Finding{{Where: "roleBinding", Value: "Role/r", Field: "roleRef",
				Detail: "grants create, update, patch on roles, rolebindings in namespace prod to ServiceAccount:prod:operator"}}},
	})
}

func TestRBACClusterAdminBinding(t *testing.T) {
	rbacCases(t, "rbacClusterAdminBinding", []rbacCase{
		{name: "a ClusterRoleBinding of cluster-admin",
			manifest: rbacClusterRoleBinding("cluster-admin", "User:alice", "Group:platform-admins"),
			want: []Finding{{Where: "clusterRoleBinding", Value: "ClusterRole/cluster-admin", Field: "roleRef",
				Detail: "grants every permission cluster-wide to User:alice, Group:platform-admins"}}},
		{name: "a RoleBinding of cluster-admin",
			manifest: rbacRoleBinding("ClusterRole/cluster-admin", "ServiceAccount:ci:deployer"),
			want: []Finding{{Where: "roleBinding", Value: "ClusterRole/cluster-admin", Field: "roleRef",
				Detail: "grants every permission in namespace prod to ServiceAccount:ci:deployer"}}},
		{name: "Kubernetes' own binding to system:masters passes",
			manifest: rbacClusterRoleBinding("cluster-admin", "Group:system:masters")},
		{name: "includeSystemSubjects",
			props:    `{includeSystemSubjects: true}`,
			manifest: rbacClusterRoleBinding("cluster-admin", "Group:system:masters"),
			want: []Finding{{Where: "clusterRoleBinding", Value: "ClusterRole/cluster-admin", Field: "roleRef",
				Detail: "grants every permission cluster-wide to Group:system:masters"}}},
		{name: "to every authenticated user",
			manifest: rbacClusterRoleBinding("cluster-admin", "Group:system:authenticated"),
			want: []Finding{{Where: "clusterRoleBinding", Value: "ClusterRole/cluster-admin", Field: "roleRef",
				Detail: "grants every permission cluster-wide to Group:system:authenticated"}}},
		{name: "a kube-system ServiceAccount is a system subject",
			manifest: rbacClusterRoleBinding("cluster-admin", "ServiceAccount:kube-system:cluster-autoscaler")},
		{name: "a ServiceAccount written as a User",
			manifest: rbacClusterRoleBinding("cluster-admin", "User:system:serviceaccount:argocd:argocd-application-controller"),
			want: []Finding{{Where: "clusterRoleBinding", Value: "ClusterRole/cluster-admin", Field: "roleRef",
				Detail: "grants every permission cluster-wide to ServiceAccount:argocd:argocd-application-controller"}}},
		{name: "excludedSubjects",
			props:    `{excludedSubjects: ["ServiceAccount:argocd:*"]}`,
			manifest: rbacClusterRoleBinding("cluster-admin", "ServiceAccount:argocd:argocd-application-controller", "User:alice"),
			want: []Finding{{Where: "clusterRoleBinding", Value: "ClusterRole/cluster-admin", Field: "roleRef",
				Detail: "grants every permission cluster-wide to User:alice"}}},
		{name: "excludedSubjects: every subject excluded",
			props:    `{excludedSubjects: ["ServiceAccount:argocd:*"]}`,
			manifest: rbacClusterRoleBinding("cluster-admin", "ServiceAccount:argocd:argocd-application-controller")},
		{name: "a Role named cluster-admin is not the ClusterRole",
			manifest: rbacRoleBinding("Role/cluster-admin", "User:alice")},
		{name: "other roles pass",
			manifest: rbacClusterRoleBinding("superuser", "User:alice"),
			roles:    []string{superuserClusterRole}},
		{name: "the ClusterRole itself is not a binding",
			manifest: strings.Replace(superuserClusterRole, "name: superuser", "name: cluster-admin", 1)},
	})
}

func TestRBACDefaultServiceAccount(t *testing.T) {
	rbacCases(t, "rbacDefaultServiceAccount", []rbacCase{
		{name: "a workload's own ServiceAccount passes",
			manifest: rbacRoleBinding("Role/app-reader", "ServiceAccount:prod:app"),
			roles:    []string{appReaderRole}},
		{name: "the role is known",
			manifest: rbacRoleBinding("Role/app-reader", "ServiceAccount::default"),
			roles:    []string{appReaderRole},
			want: []Finding{{Where: "roleBinding", Value: "ServiceAccount:prod:default", Field: "subjects[0]",
				Detail: "bound to Role/app-reader in namespace prod, which grants get, list, watch on configmaps, pods in the core API group; " +
					"get on secrets named app-tls in the core API group"}}},
		{name: "the role is unknown",
			manifest: rbacRoleBinding("ClusterRole/view", "User:alice", "ServiceAccount:prod:default"),
			want: []Finding{{Where: "roleBinding", Value: "ServiceAccount:prod:default", Field: "subjects[1]",
				Detail: "bound to ClusterRole/view in namespace prod (role not found: what it grants is unknown)"}}},
		{name: "the role grants nothing",
			manifest: rbacRoleBinding("Role/r", "ServiceAccount:prod:default"),
			roles:    []string{rbacRole(`[]`)},
			want: []Finding{{Where: "roleBinding", Value: "ServiceAccount:prod:default", Field: "subjects[0]",
				Detail: "bound to Role/r in namespace prod, which grants nothing"}}},
		{name: "a ClusterRoleBinding: each default ServiceAccount, kube-system's skipped",
			manifest: rbacClusterRoleBinding("secret-reader", "ServiceAccount:prod:default", "ServiceAccount:kube-system:default", "ServiceAccount:dev:default"),
			roles:    []string{secretReaderClusterRole},
			want: []Finding{
				{Where: "clusterRoleBinding", Value: "ServiceAccount:prod:default", Field: "subjects[0]",
					Detail: "bound to ClusterRole/secret-reader cluster-wide, which grants get, list on configmaps in the core API group; get, list, watch on secrets in the core API group"},
				{Where: "clusterRoleBinding", Value: "ServiceAccount:dev:default", Field: "subjects[2]",
					Detail: "bound to ClusterRole/secret-reader cluster-wide, which grants get, list on configmaps in the core API group; get, list, watch on secrets in the core API group"},
			}},
		{name: "a default ServiceAccount written as a User",
			manifest: rbacRoleBinding("ClusterRole/view", "User:system:serviceaccount:prod:default"),
			want: []Finding{{Where: "roleBinding", Value: "ServiceAccount:prod:default", Field: "subjects[0]",
				Detail: "bound to ClusterRole/view in namespace prod (role not found: what it grants is unknown)"}}},
		{name: "a User named default is not a ServiceAccount",
			manifest: rbacRoleBinding("ClusterRole/view", "User:default")},
		{name: "excludedSubjects",
			props:    `{excludedSubjects: ["ServiceAccount:*:default"]}`,
			manifest: rbacRoleBinding("ClusterRole/view", "ServiceAccount:prod:default")},
		{name: "includeSystemSubjects",
			props:    `{includeSystemSubjects: true}`,
			manifest: rbacClusterRoleBinding("view", "ServiceAccount:kube-system:default"),
			want: []Finding{{Where: "clusterRoleBinding", Value: "ServiceAccount:kube-system:default", Field: "subjects[0]",
				Detail: "bound to ClusterRole/view cluster-wide (role not found: what it grants is unknown)"}}},
	})
}

func TestRBACProperties(t *testing.T) {
	for _, id := range []string{"rbacClusterAdminBinding", "rbacWildcard", "rbacSecretsRead", "rbacPodExec", "rbacEscalation", "rbacDefaultServiceAccount"} {
		seed001PropErrors(t, id, map[string][]string{
			`{excludedSubjects: [alice]}`:                                 {"properties.excludedSubjects[0]", "User:<name>, Group:<name> or ServiceAccount:<namespace>:<name>"},
			`{excludedSubjects: ["User:alice", "user:bob"]}`:              {"properties.excludedSubjects[1]", `"user:bob"`, "must be User:<name>"},
			`{excludedSubjects: ["Group:"]}`:                              {"properties.excludedSubjects[0]"},
			`{excludedSubjects: ["User:dev-*"]}`:                          {"properties.excludedSubjects[0]", `"*" must stand alone for the whole name`},
			`{excludedSubjects: ["ServiceAccount:ci"]}`:                   {"properties.excludedSubjects[0]", "must be ServiceAccount:<namespace>:<name>"},
			`{excludedSubjects: ["ServiceAccount:ci:"]}`:                  {"properties.excludedSubjects[0]", "must be ServiceAccount:<namespace>:<name>"},
			`{excludedSubjects: ["ServiceAccount:CI:deployer"]}`:          {"properties.excludedSubjects[0]", `namespace "CI"`},
			`{excludedSubjects: ["ServiceAccount:ci:deploy*"]}`:           {"properties.excludedSubjects[0]", `ServiceAccount name "deploy*"`},
			`{excludedSubjects: ["ServiceAccount:ci:a:b"]}`:               {"properties.excludedSubjects[0]", `ServiceAccount name "a:b"`},
			`{excludedSubjects: ["User:alice", "Group:g", "User:alice"]}`: {"properties.excludedSubjects[2]", "Duplicate value"},
			`{excludedSubjects: "User:alice"}`:                            {"properties"},
			`{includeSystemSubjects: "yes"}`:                              {"properties"},
			`{excludeSubjects: ["User:alice"]}`:                           {"properties.excludeSubjects", "excludedSubjects"},
		})
	}
	seed001PropErrors(t, "rbacClusterAdminBinding", map[string][]string{
		`{includeSystemRoles: true}`: {"properties.includeSystemRoles", "unknown property"},
	})
	seed001PropErrors(t, "rbacWildcard", map[string][]string{
		`{includeSystemRoles: 1}`: {"properties"},
	})
	// Every form the documentation shows is accepted.
	seed001Check(t, "rbacWildcard", `{excludedSubjects: ["User:oidc:alice", "User:*", "Group:platform-admins", "ServiceAccount:argocd:*", "ServiceAccount:*:deployer", "ServiceAccount:*:*"], includeSystemSubjects: true, includeSystemRoles: true}`)
	seed001Check(t, "rbacDefaultServiceAccount", `{excludedSubjects: ["ServiceAccount:ci:default"], includeSystemSubjects: false}`)
}

// TestRBACCatalog checks how the seed-003 RBAC rules are registered.
func TestRBACCatalog(t *testing.T) {
	reg, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	want := map[string]Severity{
		"rbacClusterAdminBinding": Critical, "rbacWildcard": High, "rbacSecretsRead": High,
		"rbacPodExec": High, "rbacEscalation": High, "rbacDefaultServiceAccount": Medium,
	}
	for id, sev := range want {
		r, ok := reg.Get(id)
		if !ok {
			t.Errorf("%s is not registered", id)
			continue
		}
		tabs := []policy.Tab{policy.TabDeployment, policy.TabContinuous}
		if r.Sources[0].Product != "Kubernetes RBAC Good Practices" || r.Severity != sev || !slices.Equal(r.Tabs, tabs) || r.Targets != TargetRBAC {
			t.Errorf("%s: sources %q, severity %q, tabs %v, targets %b", id, r.Sources, r.Severity, r.Tabs, r.Targets)
		}
		if NeedsProperties(r) {
			t.Errorf("%s needs properties", id)
		}
		var names []string
		for _, pd := range ParamDocs(r) {
			names = append(names, pd.Name)
		}
		if !slices.Contains(names, "excludedSubjects") || !slices.Contains(names, "includeSystemSubjects") {
			t.Errorf("%s properties %v lack excludedSubjects or includeSystemSubjects", id, names)
		}
	}
}

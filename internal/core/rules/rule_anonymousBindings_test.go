package rules

import "testing"

// TestAnonymousBindings holds the cases of Gatekeeper's disallowanonymous
// template, written from its semantics: a binding whose subjects name
// system:anonymous or system:unauthenticated is refused unless its role is
// in allowedRoles; disallowAuthenticated adds system:authenticated.
func TestAnonymousBindings(t *testing.T) {
	rbacCases(t, "anonymousBindings", []rbacCase{
		{name: "named users pass",
			manifest: rbacClusterRoleBinding("view", "User:alice", "Group:dev")},
		{name: "system:anonymous in a ClusterRoleBinding",
			manifest: rbacClusterRoleBinding("view", "User:alice", "User:system:anonymous"),
			want: []Finding{{Where: "clusterRoleBinding", Value: "User:system:anonymous", Field: "subjects[1]",
				Detail: "grants ClusterRole/view cluster-wide to every anonymous request"}}},
		{name: "system:unauthenticated in a RoleBinding",
			manifest: rbacRoleBinding("Role/reader", "Group:system:unauthenticated"),
			want: []Finding{{Where: "roleBinding", Value: "Group:system:unauthenticated", Field: "subjects[0]",
				Detail: "grants Role/reader in namespace prod to every unauthenticated request"}}},
		{name: "an allowed role may be bound to anonymous users",
			props:    `{allowedRoles: [system:public-info-viewer]}`,
			manifest: rbacClusterRoleBinding("system:public-info-viewer", "Group:system:unauthenticated", "Group:system:authenticated")},
		{name: "a role not in allowedRoles is still refused",
			props:    `{allowedRoles: [system:public-info-viewer]}`,
			manifest: rbacClusterRoleBinding("cluster-admin", "User:system:anonymous"),
			want: []Finding{{Where: "clusterRoleBinding", Value: "User:system:anonymous", Field: "subjects[0]",
				Detail: "grants ClusterRole/cluster-admin cluster-wide to every anonymous request"}}},
		{name: "system:authenticated passes by default",
			manifest: rbacClusterRoleBinding("view", "Group:system:authenticated")},
		{name: "disallowAuthenticated refuses system:authenticated",
			props:    `{disallowAuthenticated: true}`,
			manifest: rbacClusterRoleBinding("view", "Group:system:authenticated"),
			want: []Finding{{Where: "clusterRoleBinding", Value: "Group:system:authenticated", Field: "subjects[0]",
				Detail: "grants ClusterRole/view cluster-wide to every authenticated user"}}},
		{name: "roles themselves are not judged",
			manifest: rbacClusterRole("view", `[{apiGroups: [""], resources: [pods], verbs: [get]}]`)},
	})
}

package rules

import (
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Reads: a RoleBinding's or ClusterRoleBinding's roleRef and subjects.
// Refused: a User or Group subject named system:anonymous or
// system:unauthenticated (and system:authenticated with
// disallowAuthenticated), unless the role is in allowedRoles.

// AnonymousBindingsParams configures anonymousBindings.
type AnonymousBindingsParams struct {
	AllowedRoles          []string `json:"allowedRoles" doc:"names of the roles (Role or ClusterRole, by roleRef.name) that may be bound to anonymous users, as Gatekeeper's allowedRoles"`
	DisallowAuthenticated bool     `json:"disallowAuthenticated" doc:"also refuse the group system:authenticated (every authenticated user), as Gatekeeper's disallowAuthenticated"`
}

// unauthenticatedWho says whom each refused subject name stands for.
var unauthenticatedWho = map[string]string{
	"system:anonymous":       "every anonymous request",
	"system:unauthenticated": "every unauthenticated request",
	"system:authenticated":   "every authenticated user",
}

func init() {
	register(&Rule{
		ID:    "anonymousBindings",
		Title: "Role bound to anonymous users",
		Description: "Flags each subject of a RoleBinding or ClusterRoleBinding named system:anonymous or system:unauthenticated (and system:authenticated with disallowAuthenticated), " +
			"unless roleRef names a role in allowedRoles, as Gatekeeper's disallowanonymous template does. " +
			"Such a binding grants its role to anyone who can reach the API server, without credentials.",
		Sources:  []Source{{productGatekeeper, "disallowanonymous (K8sDisallowAnonymous)"}},
		Severity: High, Tabs: podTabs, Targets: TargetRBAC,
		Params: func() any { return &AnonymousBindingsParams{} },
		New: func(p any) (Check, error) {
			pp := *p.(*AnonymousBindingsParams)
			return func(in *Input) []Finding {
				b := bindingOf(in)
				if b == nil || slices.Contains(pp.AllowedRoles, b.roleRef.Name) {
					return nil
				}
				var out []Finding
				for i, s := range b.subjects {
					if s.Kind != rbacv1.UserKind && s.Kind != rbacv1.GroupKind {
						continue
					}
					who, ok := unauthenticatedWho[s.Name]
					if !ok || s.Name == "system:authenticated" && !pp.DisallowAuthenticated {
						continue
					}
					out = append(out, Finding{Where: b.where, Value: s.Kind + ":" + s.Name, Field: fmt.Sprintf("subjects[%d]", i),
						Detail: fmt.Sprintf("grants %s %s to %s", b.ref(), b.scope(), who)})
				}
				return out
			}, nil
		},
	})
}

package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// RBACBindingParams configures the RBAC rules that judge bindings alone.
type RBACBindingParams struct {
	ExcludedSubjects      []string "json:\"excludedSubjects\" doc:\"binding subjects not judged, each `User:<name>`, `Group:<name>` or `ServiceAccount:<namespace>:<name>`, where `*` stands for any name or namespace (`ServiceAccount:argocd:*`); User and Group names may contain colons (`User:oidc:alice`)\""
	IncludeSystemSubjects bool     "json:\"includeSystemSubjects\" doc:\"also judge the system subjects skipped by default: Users and Groups named `system:*` and the ServiceAccounts of kube-system and palisade-system (system:anonymous, system:authenticated, system:unauthenticated and the ServiceAccount groups of other namespaces stand for everyone and are always judged)\""
}

// Validate implements the properties check.
func (p *RBACBindingParams) Validate(path *field.Path) field.ErrorList {
	return validateSubjectPatterns(p.ExcludedSubjects, path.Child("excludedSubjects"))
}

// RBACGrantParams configures the RBAC rules that judge what roles grant.
type RBACGrantParams struct {
	ExcludedSubjects      []string "json:\"excludedSubjects\" doc:\"binding subjects not judged, each `User:<name>`, `Group:<name>` or `ServiceAccount:<namespace>:<name>`, where `*` stands for any name or namespace (`ServiceAccount:argocd:*`); User and Group names may contain colons (`User:oidc:alice`)\""
	IncludeSystemSubjects bool     "json:\"includeSystemSubjects\" doc:\"also judge the system subjects skipped by default: Users and Groups named `system:*` and the ServiceAccounts of kube-system and palisade-system (system:anonymous, system:authenticated, system:unauthenticated and the ServiceAccount groups of other namespaces stand for everyone and are always judged)\""
	IncludeSystemRoles    bool     "json:\"includeSystemRoles\" doc:\"also judge the Roles and ClusterRoles named `system:*` and the built-in cluster-admin, admin, edit and view ClusterRoles themselves (bindings of them are always judged)\""
}

// Validate implements the properties check.
func (p *RBACGrantParams) Validate(path *field.Path) field.ErrorList {
	return validateSubjectPatterns(p.ExcludedSubjects, path.Child("excludedSubjects"))
}

const rbacSubjectsNote = " Subjects listed in excludedSubjects are skipped, and so are system subjects unless includeSystemSubjects is set: " +
	"Users and Groups named `system:*` and the ServiceAccounts of kube-system and palisade-system, but not system:anonymous, system:authenticated, " +
	"system:unauthenticated or `system:serviceaccounts[:<namespace>]` of other namespaces, which stand for everyone. " +
	"A binding whose every subject is skipped passes; otherwise the finding names the others " +
	"(a ServiceAccount as `ServiceAccount:<namespace>:<name>`, also when written as the User `system:serviceaccount:<namespace>:<name>`)."

const rbacRolesNote = " Roles and ClusterRoles are judged on their own rules, one finding per offending rule naming its index and what it grants " +
	"(an aggregated ClusterRole on the rules it holds, which the aggregation controller keeps equal to those of the ClusterRoles it selects). " +
	"Those named `system:*` and the built-in cluster-admin, admin, edit and view ClusterRoles are Kubernetes' own defaults, which the API server recreates, " +
	"and are skipped unless includeSystemRoles is set; bindings of them are judged (a RoleBinding of edit gives its subjects the namespace's Secrets). " +
	"A RoleBinding or ClusterRoleBinding is judged with the role it references, found among the scanned objects or in the cluster " +
	"(an aggregated ClusterRole with the rules of the ClusterRoles it selects): the finding names the role, what it grants, where, and to whom. " +
	"A binding whose role is not found is not flagged, as what it grants is unknown; the role is judged where it is seen." + rbacSubjectsNote

// builtinClusterRoles are the user-facing ClusterRoles Kubernetes creates.
var builtinClusterRoles = []string{"cluster-admin", "admin", "edit", "view"}

func isBuiltinRole(clusterRole bool, name string) bool {
	return strings.HasPrefix(name, "system:") || clusterRole && slices.Contains(builtinClusterRoles, name)
}

func init() {
	register(
		rbacBindingRule("rbacClusterAdminBinding", "Binding grants cluster-admin", Critical, "Least privilege",
			"Flags a RoleBinding or ClusterRoleBinding whose roleRef is the ClusterRole cluster-admin, naming its subjects: "+
				"cluster-admin is every permission on every resource, cluster-wide through a ClusterRoleBinding and over the whole namespace "+
				"(its Secrets, Roles and RoleBindings included) through a RoleBinding. The role is known by its name, so bindings are flagged "+
				"whether or not the ClusterRole is among the scanned objects."+rbacSubjectsNote,
			clusterAdminCheck),
		rbacGrantRule("rbacWildcard", "Role grants wildcard permissions", High, "Least privilege",
			"Flags a rule of a Role or ClusterRole with `*` in its verbs, resources or apiGroups, and bindings of such roles: "+
				"a wildcard grants every verb, resource or API group, those added later and custom resources included, which nobody needs. "+
				"A `*` among nonResourceURLs alone is not flagged."+rbacRolesNote,
			wildcardGrants),
		rbacGrantRule("rbacSecretsRead", "Role grants read access to Secrets", High, "Listing secrets",
			"Flags a rule of a Role (in its namespace) or ClusterRole (wherever it is bound) granting get, list or watch on secrets in the core API group, "+
				"`*` standing for any verb, resource or API group, and bindings of such roles: a Secret holds credentials, "+
				"and list and watch return the content of every Secret. A rule restricted with resourceNames reads only the Secrets it names, "+
				"the least-privilege way to grant access, and is not flagged."+rbacRolesNote,
			secretsReadGrants),
		rbacGrantRule("rbacPodExec", "Role grants exec or attach into pods", High, "Least privilege",
			"Flags a rule of a Role or ClusterRole granting create on pods/exec or pods/attach in the core API group, `*` standing for any verb, "+
				"resource or API group, and bindings of such roles: a shell in a container holds its ServiceAccount token, its mounted Secrets and its network access. "+
				"Resources match as Kubernetes matches them: `*`, `*/exec` and `*/attach` grant the subresource, `pods/*` grants nothing. "+
				"The verb get is flagged too when the rule names pods/exec or pods/attach (or `*/exec`, `*/attach`): API servers without "+
				"the AuthorizePodWebsocketUpgradeCreatePermission feature (on by default from Kubernetes 1.35) let it exec over WebSockets; "+
				"get on every resource is not flagged, as read-only roles grant it."+rbacRolesNote,
			podExecGrants),
		rbacGrantRule("rbacEscalation", "Role grants privilege escalation", High, "Escalate verb",
			"Flags a rule of a Role or ClusterRole granting escalate or bind on roles or clusterroles, impersonate on users, groups or serviceaccounts, "+
				"or create, update or patch on roles, clusterroles, rolebindings or clusterrolebindings, `*` standing for any verb, resource or API group, "+
				"and bindings of such roles: escalate and bind lift Kubernetes' guard against granting permissions one does not hold, "+
				"impersonate acts as another identity, and whoever writes roles and bindings decides who holds what."+rbacRolesNote,
			escalationGrants).also(Source{productRBAC, "Bind verb"}, Source{productRBAC, "Impersonate verb"}),
		rbacBindingRule("rbacDefaultServiceAccount", "Binding grants a role to a default ServiceAccount", Medium, "Minimize distribution of privileged tokens",
			"Flags a RoleBinding or ClusterRoleBinding subject that is a namespace's default ServiceAccount: every pod of the namespace that names "+
				"no ServiceAccount runs as it, so the permissions reach every such pod; give the workload that needs them its own ServiceAccount. "+
				"The finding names the role and what it grants when the role is known (among the scanned objects or in the cluster), "+
				"and says that what it grants is unknown when it is not."+rbacSubjectsNote,
			defaultServiceAccountCheck),
	)
}

// rbacGrantRule is a rule flagging what roles grant: judged in Roles and
// ClusterRoles and in the bindings that reference them.
func rbacGrantRule(id, title string, sev Severity, control, desc string, find grantFinder) *Rule {
	return &Rule{
		ID: id, Title: title, Description: desc, Sources: []Source{{productRBAC, control}}, Severity: sev, Tabs: podTabs, Targets: TargetRBAC,
		Params: func() any { return &RBACGrantParams{ExcludedSubjects: []string{}} },
		New: func(p any) (Check, error) {
			pp := p.(*RBACGrantParams)
			subjects, err := newSubjectFilter(pp.ExcludedSubjects, pp.IncludeSystemSubjects)
			if err != nil {
				return nil, err
			}
			return func(in *Input) []Finding {
				if b := bindingOf(in); b != nil {
					return bindingGrantFindings(in, b, subjects.keep(b), find)
				}
				return roleFindings(in, find, pp.IncludeSystemRoles)
			}, nil
		},
	}
}

// rbacBindingRule is a rule judging bindings whatever their role grants.
func rbacBindingRule(id, title string, sev Severity, control, desc string, check func(subjectFilter) Check) *Rule {
	return &Rule{
		ID: id, Title: title, Description: desc, Sources: []Source{{productRBAC, control}}, Severity: sev, Tabs: podTabs, Targets: TargetRBAC,
		Params: func() any { return &RBACBindingParams{ExcludedSubjects: []string{}} },
		New: func(p any) (Check, error) {
			pp := p.(*RBACBindingParams)
			subjects, err := newSubjectFilter(pp.ExcludedSubjects, pp.IncludeSystemSubjects)
			if err != nil {
				return nil, err
			}
			return check(subjects), nil
		},
	}
}

// roleFindings judges a Role's or ClusterRole's own rules: a finding per
// rule that grants what find looks for.
func roleFindings(in *Input, find grantFinder, includeSystem bool) []Finding {
	var (
		where, name, scope string
		rules              []rbacv1.PolicyRule
	)
	switch o := in.Object; {
	case o.Role != nil:
		where, name, rules = "role", o.Role.Name, o.Role.Rules
		scope = " in namespace " + cmp.Or(in.Namespace, o.Role.Namespace)
	case o.ClusterRole != nil:
		where, name, rules = "clusterRole", o.ClusterRole.Name, o.ClusterRole.Rules
	default:
		return nil
	}
	if !includeSystem && isBuiltinRole(where == "clusterRole", name) {
		return nil
	}
	var out []Finding
	for i := range rules {
		gs := find(&rules[i])
		if len(gs) == 0 {
			continue
		}
		whats := make([]string, len(gs))
		for j, g := range gs {
			whats[j] = g.what
		}
		out = append(out, Finding{
			Where: where, Value: gs[0].value,
			Field:  field.NewPath("rules").Index(i).Child(gs[0].field).String(),
			Detail: fmt.Sprintf("rules[%d] grants %s%s", i, joinGrants(whats), scope),
		})
	}
	return out
}

// bindingGrantFindings judges a binding with the role it references: one
// finding naming what the role grants that find looks for, and to whom.
// Nothing is found when no subject is kept or the role is unknown.
func bindingGrantFindings(in *Input, b *rbacBinding, kept []keptSubject, find grantFinder) []Finding {
	if len(kept) == 0 {
		return nil
	}
	rules, known := b.rules(in.Roles)
	if !known {
		return nil
	}
	var whats []string
	for i := range rules {
		for _, g := range find(&rules[i]) {
			whats = append(whats, g.what)
		}
	}
	if len(whats) == 0 {
		return nil
	}
	return []Finding{{Where: b.where, Value: b.ref(), Field: "roleRef",
		Detail: fmt.Sprintf("grants %s %s to %s", joinGrants(whats), b.scope(), subjectList(kept))}}
}

func clusterAdminCheck(subjects subjectFilter) Check {
	return func(in *Input) []Finding {
		b := bindingOf(in)
		if b == nil || b.roleRef.Kind != "ClusterRole" || b.roleRef.Name != "cluster-admin" {
			return nil
		}
		kept := subjects.keep(b)
		if len(kept) == 0 {
			return nil
		}
		return []Finding{{Where: b.where, Value: b.ref(), Field: "roleRef",
			Detail: fmt.Sprintf("grants every permission %s to %s", b.scope(), subjectList(kept))}}
	}
}

func defaultServiceAccountCheck(subjects subjectFilter) Check {
	return func(in *Input) []Finding {
		b := bindingOf(in)
		if b == nil {
			return nil
		}
		var out []Finding
		detail := ""
		for _, k := range subjects.keep(b) {
			if k.id.kind != rbacv1.ServiceAccountKind || k.id.name != "default" {
				continue
			}
			if detail == "" {
				detail = defaultServiceAccountDetail(in, b)
			}
			out = append(out, Finding{Where: b.where, Value: k.id.String(), Field: fmt.Sprintf("subjects[%d]", k.index), Detail: detail})
		}
		return out
	}
}

// defaultServiceAccountDetail says what binding b grants: its role and,
// when known, the role's rules.
func defaultServiceAccountDetail(in *Input, b *rbacBinding) string {
	d := "bound to " + b.ref() + " " + b.scope()
	rules, known := b.rules(in.Roles)
	switch {
	case !known:
		return d + " (role not found: what it grants is unknown)"
	case len(rules) == 0:
		return d + ", which grants nothing"
	}
	whats := make([]string, len(rules))
	for i := range rules {
		whats[i] = describeRule(&rules[i])
	}
	return d + ", which grants " + joinGrants(whats)
}

// rbacBinding is a RoleBinding or ClusterRoleBinding as the rules read it.
type rbacBinding struct {
	// where is "roleBinding" or "clusterRoleBinding".
	where string
	// namespace is the RoleBinding's; "" for a ClusterRoleBinding.
	namespace string
	roleRef   rbacv1.RoleRef
	subjects  []rbacv1.Subject
}

// bindingOf returns the binding in, or nil when in is not one.
func bindingOf(in *Input) *rbacBinding {
	switch o := in.Object; {
	case o.RoleBinding != nil:
		return &rbacBinding{where: "roleBinding", namespace: cmp.Or(in.Namespace, o.RoleBinding.Namespace),
			roleRef: o.RoleBinding.RoleRef, subjects: o.RoleBinding.Subjects}
	case o.ClusterBinding != nil:
		return &rbacBinding{where: "clusterRoleBinding", roleRef: o.ClusterBinding.RoleRef, subjects: o.ClusterBinding.Subjects}
	}
	return nil
}

// ref names the role: "ClusterRole/view".
func (b *rbacBinding) ref() string { return b.roleRef.Kind + "/" + b.roleRef.Name }

// scope says where the binding grants: "in namespace prod" or "cluster-wide".
func (b *rbacBinding) scope() string {
	if b.where == "clusterRoleBinding" {
		return "cluster-wide"
	}
	return "in namespace " + b.namespace
}

// rules returns the rules of the role b references, aggregated ones
// included, and whether that role is known.
func (b *rbacBinding) rules(roles RBACRoles) ([]rbacv1.PolicyRule, bool) {
	if roles == nil {
		return nil, false
	}
	switch b.roleRef.Kind {
	case "ClusterRole":
		if r, ok := roles.ClusterRole(b.roleRef.Name); ok {
			return r.Rules, true
		}
	case "Role": // only a RoleBinding may reference a Role, of its namespace
		if b.where != "roleBinding" {
			return nil, false
		}
		if r, ok := roles.Role(b.namespace, b.roleRef.Name); ok {
			return r.Rules, true
		}
	}
	return nil, false
}

package rules

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// rbacGroup is the API group of Roles, ClusterRoles and their bindings.
const rbacGroup = rbacv1.GroupName

// grant is what one policy rule grants that a rule flags.
type grant struct {
	// value is the offending entry as the policy rule writes it ("*",
	// "secrets", "pods/exec", "escalate") and field the list holding it
	// ("verbs", "resources" or "apiGroups").
	value, field string
	// what says what is granted: "get, list on secrets".
	what string
}

// grantFinder returns what a policy rule grants that a rule flags; nil
// when nothing.
type grantFinder func(r *rbacv1.PolicyRule) []grant

// matched returns the entries of list that match one of wants as
// Kubernetes matches verbs and API groups: equal, or "*".
func matched(list []string, wants ...string) []string {
	var out []string
	for _, e := range list {
		if e == "*" || slices.Contains(wants, e) {
			out = append(out, e)
		}
	}
	return out
}

// matchedResources returns the resources of r that cover one of wants
// ("pods" or "pods/exec") as Kubernetes matches them: equal, "*", or
// "*/<subresource>". "pods/*" matches no subresource.
func matchedResources(r *rbacv1.PolicyRule, wants ...string) []string {
	var out []string
	for _, e := range r.Resources {
		if e == "*" || slices.Contains(wants, e) || slices.ContainsFunc(wants, func(w string) bool {
			_, sub, ok := strings.Cut(w, "/")
			return ok && e == "*/"+sub
		}) {
			out = append(out, e)
		}
	}
	return out
}

// allows returns the verbs and resources of r that grant one of verbs on
// one of resources in group; both empty when r grants none.
func allows(r *rbacv1.PolicyRule, group string, verbs, resources []string) (vs, rs []string) {
	if len(matched(r.APIGroups, group)) == 0 {
		return nil, nil
	}
	vs, rs = matched(r.Verbs, verbs...), matchedResources(r, resources...)
	if len(vs) == 0 || len(rs) == 0 {
		return nil, nil
	}
	return vs, rs
}

func verbsText(vs []string) string {
	switch {
	case slices.Contains(vs, "*"):
		return "every verb"
	case len(vs) == 0:
		return "no verb"
	}
	return strings.Join(vs, ", ")
}

func resourcesText(rs []string) string {
	if slices.Contains(rs, "*") {
		return "every resource"
	}
	return strings.Join(rs, ", ")
}

// grantText is "get, list on secrets", "named a, b" added when r lists
// resourceNames.
func grantText(vs, rs []string, r *rbacv1.PolicyRule) string {
	s := verbsText(vs) + " on " + resourcesText(rs)
	if len(r.ResourceNames) > 0 {
		s += " named " + strings.Join(r.ResourceNames, ", ")
	}
	return s
}

// describeRule says what a whole policy rule grants.
func describeRule(r *rbacv1.PolicyRule) string {
	if len(r.Resources) == 0 && len(r.NonResourceURLs) > 0 {
		if slices.Contains(r.NonResourceURLs, "*") {
			return verbsText(r.Verbs) + " on every non-resource URL"
		}
		return verbsText(r.Verbs) + " on non-resource URLs " + strings.Join(r.NonResourceURLs, ", ")
	}
	s := grantText(r.Verbs, r.Resources, r)
	groups := make([]string, len(r.APIGroups))
	for i, g := range r.APIGroups {
		groups[i] = cmp.Or(g, "core")
	}
	switch {
	case slices.Contains(r.APIGroups, "*"):
		s += " in every API group"
	case len(groups) == 1 && groups[0] == "core":
		s += " in the core API group"
	case len(groups) == 1:
		s += " in API group " + groups[0]
	case len(groups) > 1:
		s += " in API groups " + strings.Join(groups, ", ")
	}
	return s
}

// joinGrants joins what is granted, each once, the first shownFindings
// shown: "get on secrets; create on pods/exec and 2 more".
func joinGrants(whats []string) string {
	var uniq []string
	for _, w := range whats {
		if !slices.Contains(uniq, w) {
			uniq = append(uniq, w)
		}
	}
	s := strings.Join(uniq[:min(len(uniq), shownFindings)], "; ")
	if rest := len(uniq) - shownFindings; rest > 0 {
		s += " and " + strconv.Itoa(rest) + " more"
	}
	return s
}

// wildcardGrants finds "*" in verbs, resources or apiGroups.
func wildcardGrants(r *rbacv1.PolicyRule) []grant {
	for _, f := range []struct {
		name string
		list []string
	}{{"verbs", r.Verbs}, {"resources", r.Resources}, {"apiGroups", r.APIGroups}} {
		if slices.Contains(f.list, "*") {
			return []grant{{value: "*", field: f.name, what: describeRule(r)}}
		}
	}
	return nil
}

// secretsReadGrants finds get, list or watch on secrets in the core group.
// A rule restricted with resourceNames reads only the named Secrets.
func secretsReadGrants(r *rbacv1.PolicyRule) []grant {
	if len(r.ResourceNames) > 0 {
		return nil
	}
	vs, rs := allows(r, "", []string{"get", "list", "watch"}, []string{"secrets"})
	if vs == nil {
		return nil
	}
	return []grant{{value: rs[0], field: "resources", what: grantText(vs, rs, r)}}
}

// podExecGrants finds create on pods/exec or pods/attach, or else get on
// those subresources when the rule names them (not through "*"): older API
// servers authorise exec over WebSockets with get.
func podExecGrants(r *rbacv1.PolicyRule) []grant {
	subresources := []string{"pods/exec", "pods/attach"}
	if vs, rs := allows(r, "", []string{"create"}, subresources); vs != nil {
		return []grant{{value: rs[0], field: "resources", what: grantText(vs, rs, r)}}
	}
	_, rs := allows(r, "", []string{"get"}, subresources)
	if rs = slices.DeleteFunc(rs, func(e string) bool { return e == "*" }); len(rs) > 0 {
		return []grant{{value: rs[0], field: "resources", what: grantText([]string{"get"}, rs, r)}}
	}
	return nil
}

// escalationGrants finds escalate or bind on roles, impersonate on users,
// groups or ServiceAccounts, and writes to roles and bindings.
func escalationGrants(r *rbacv1.PolicyRule) []grant {
	var out []grant
	if vs, rs := allows(r, rbacGroup, []string{"escalate", "bind"}, []string{"roles", "clusterroles"}); vs != nil {
		out = append(out, grant{value: vs[0], field: "verbs", what: grantText(vs, rs, r)})
	}
	if vs, rs := allows(r, "", []string{"impersonate"}, []string{"users", "groups", "serviceaccounts"}); vs != nil {
		out = append(out, grant{value: vs[0], field: "verbs", what: grantText(vs, rs, r)})
	}
	if vs, rs := allows(r, rbacGroup, []string{"create", "update", "patch"},
		[]string{"roles", "clusterroles", "rolebindings", "clusterrolebindings"}); vs != nil {
		out = append(out, grant{value: rs[0], field: "resources", what: grantText(vs, rs, r)})
	}
	return out
}

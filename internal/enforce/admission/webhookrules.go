package admission

import (
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/palisade-dev/palisade/internal/core/rules"
)

// resourcesOf lists, for each target a rule may declare, the API resources
// the API server must send the agent for the rule to see those objects.
// It is the one place this fact is kept: the demo, the end-to-end tests, the
// Helm chart's check (helm-check) and `palisade agent webhook-rules` all
// derive from it through WebhookRules.
var resourcesOf = []struct {
	target rules.Target
	rule   admissionregistrationv1.RuleWithOperations
}{
	{rules.TargetPod, objectRule("", "pods", "pods/ephemeralcontainers", "replicationcontrollers", "podtemplates")},
	{rules.TargetPod, objectRule("apps", "deployments", "replicasets", "statefulsets", "daemonsets")},
	{rules.TargetPod, objectRule("batch", "jobs", "cronjobs")},
	{rules.TargetService, objectRule("", "services")},
	{rules.TargetServiceAccount, objectRule("", "serviceaccounts")},
	{rules.TargetIngress, objectRule("networking.k8s.io", "ingresses")},
	{rules.TargetPodDisruptionBudget, objectRule("policy", "poddisruptionbudgets")},
	{rules.TargetRBAC, clusterRule("rbac.authorization.k8s.io", "roles", "rolebindings", "clusterroles", "clusterrolebindings")},
	{rules.TargetConnect, connectRule("", "pods/exec", "pods/attach", "pods/portforward")},
	{rules.TargetPersistentVolumeClaim, objectRule("", "persistentvolumeclaims")},
	{rules.TargetHorizontalPodAutoscaler, versioned(objectRule("autoscaling", "horizontalpodautoscalers"), "v2")},
}

// objectTargets are the targets that name objects; TargetAny (rules that
// read any object: cel, defaultNamespace) sees every kind the agent decodes.
const objectTargets = rules.TargetPod | rules.TargetService | rules.TargetServiceAccount | rules.TargetIngress | rules.TargetRBAC |
	rules.TargetPersistentVolumeClaim | rules.TargetHorizontalPodAutoscaler | rules.TargetPodDisruptionBudget

// WebhookRules is what a ValidatingWebhookConfiguration must send to the
// agent's /validate so that every rule of the registry sees the objects it
// declares it reads: one entry per API group, CREATE and UPDATE for objects
// (scope Namespaced, "*" for RBAC, whose ClusterRoles and bindings are
// cluster-scoped), CONNECT for kubectl exec, attach and port-forward.
// Entries of one group and operation are merged in the order above.
func WebhookRules(reg *rules.Registry) []admissionregistrationv1.RuleWithOperations {
	var want rules.Target
	for _, r := range reg.All() {
		want |= r.Targets
	}
	if want&rules.TargetAny != 0 {
		want |= objectTargets
	}
	return merge(want)
}

// MutatingWebhookRules is what the MutatingWebhookConfiguration must send to
// /mutate: imagesNotSigned's mutateToDigest pins the images of objects that
// carry a pod template. Pods' ephemeral containers are not pinned (kubectl
// debug names its image on the command line).
func MutatingWebhookRules() []admissionregistrationv1.RuleWithOperations {
	out := merge(rules.TargetPod)
	for i := range out {
		out[i].Resources = slices.DeleteFunc(out[i].Resources, func(r string) bool { return r == "pods/ephemeralcontainers" })
	}
	return out
}

func merge(want rules.Target) []admissionregistrationv1.RuleWithOperations {
	var out []admissionregistrationv1.RuleWithOperations
	for _, e := range resourcesOf {
		if want&e.target == 0 {
			continue
		}
		i := slices.IndexFunc(out, func(r admissionregistrationv1.RuleWithOperations) bool {
			return r.APIGroups[0] == e.rule.APIGroups[0] && slices.Equal(r.APIVersions, e.rule.APIVersions) &&
				slices.Equal(r.Operations, e.rule.Operations) && *r.Scope == *e.rule.Scope
		})
		if i < 0 {
			r := e.rule
			r.Resources = slices.Clone(r.Resources)
			out = append(out, r)
			continue
		}
		out[i].Resources = append(out[i].Resources, e.rule.Resources...)
	}
	return out
}

func objectRule(group string, resources ...string) admissionregistrationv1.RuleWithOperations {
	return rule(group, admissionregistrationv1.NamespacedScope, resources, admissionregistrationv1.Create, admissionregistrationv1.Update)
}

func clusterRule(group string, resources ...string) admissionregistrationv1.RuleWithOperations {
	return rule(group, admissionregistrationv1.AllScopes, resources, admissionregistrationv1.Create, admissionregistrationv1.Update)
}

func connectRule(group string, resources ...string) admissionregistrationv1.RuleWithOperations {
	return rule(group, admissionregistrationv1.NamespacedScope, resources, admissionregistrationv1.Connect)
}

// versioned is r for another API version than v1 (autoscaling/v2).
func versioned(r admissionregistrationv1.RuleWithOperations, version string) admissionregistrationv1.RuleWithOperations {
	r.APIVersions = []string{version}
	return r
}

func rule(group string, scope admissionregistrationv1.ScopeType, resources []string, ops ...admissionregistrationv1.OperationType) admissionregistrationv1.RuleWithOperations {
	return admissionregistrationv1.RuleWithOperations{
		Operations: ops,
		Rule: admissionregistrationv1.Rule{
			APIGroups:   []string{group},
			APIVersions: []string{"v1"},
			Resources:   resources,
			Scope:       &scope,
		},
	}
}

// CompareWebhookRules compares the rules of a webhook configuration (have)
// with what the agent needs (want, from WebhookRules). Missing lists each
// resource and operation the agent would never be sent (its rules would
// then silently not apply); extra lists those sent to the agent that no
// rule reads (harmless, but every request waits for the webhook). Each is
// "OPERATION group/version resource (scope S)", core group as "core".
func CompareWebhookRules(want, have []admissionregistrationv1.RuleWithOperations) (missing, extra []string) {
	for _, w := range expand(want) {
		if !covered(w, have) {
			missing = append(missing, w.String())
		}
	}
	for _, h := range expand(have) {
		if !covered(h, want) {
			extra = append(extra, h.String())
		}
	}
	return missing, extra
}

// atom is one operation on one resource of one group and version.
type atom struct {
	op                       admissionregistrationv1.OperationType
	group, version, resource string
	scope                    admissionregistrationv1.ScopeType
}

func (a atom) String() string {
	g := a.group
	if g == "" {
		g = "core"
	}
	return string(a.op) + " " + g + "/" + a.version + " " + a.resource + " (scope " + string(a.scope) + ")"
}

func expand(rs []admissionregistrationv1.RuleWithOperations) []atom {
	var out []atom
	for _, r := range rs {
		scope := admissionregistrationv1.AllScopes
		if r.Scope != nil {
			scope = *r.Scope
		}
		for _, op := range r.Operations {
			for _, g := range r.APIGroups {
				for _, v := range r.APIVersions {
					for _, res := range r.Resources {
						out = append(out, atom{op, g, v, res, scope})
					}
				}
			}
		}
	}
	return out
}

// covered reports whether one of rs matches a, with the API server's
// wildcards: "*" for operations, groups, versions and resources, "*/*" for
// every resource and subresource, "pods/*" for every subresource of pods,
// "*/scale" for one subresource of every resource, and a rule's scope "*"
// (the default) for both scopes.
func covered(a atom, rs []admissionregistrationv1.RuleWithOperations) bool {
	for _, r := range rs {
		scope := admissionregistrationv1.AllScopes
		if r.Scope != nil {
			scope = *r.Scope
		}
		if scope != admissionregistrationv1.AllScopes && scope != a.scope {
			continue
		}
		if anyOf(r.Operations, a.op, admissionregistrationv1.OperationAll) &&
			anyOf(r.APIGroups, a.group, "*") && anyOf(r.APIVersions, a.version, "*") &&
			slices.ContainsFunc(r.Resources, func(p string) bool { return resourceMatch(p, a.resource) }) {
			return true
		}
	}
	return false
}

func anyOf[T comparable](list []T, v, wildcard T) bool {
	return slices.Contains(list, v) || slices.Contains(list, wildcard)
}

func resourceMatch(pattern, resource string) bool {
	if pattern == resource || pattern == "*/*" {
		return true
	}
	pRes, pSub, _ := strings.Cut(pattern, "/")
	res, sub, hasSub := strings.Cut(resource, "/")
	switch {
	case pattern == "*":
		return !hasSub
	case pSub == "*":
		return hasSub && pRes == res
	case pRes == "*":
		return hasSub && pSub == sub
	}
	return false
}

package importer

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/core/policy"
)

// result builds the Palisade documents from the validated input.
func (imp *importer) result() *Result {
	res := &Result{Warnings: imp.warnings}
	var bindings []policy.RulesetBinding
	for _, rs := range imp.rulesets {
		out, b := rs.palisade()
		res.Rulesets = append(res.Rulesets, out...)
		bindings = append(bindings, b...)
	}
	p := &policy.Policy{TypeMeta: metav1.TypeMeta{APIVersion: policy.APIVersion, Kind: policy.KindPolicy}}
	if imp.policy != nil {
		p.Metadata.Name = imp.policy.name
		p.Spec.Description = "imported from Trend Micro ClusterPolicy " + imp.policy.name
		p.Spec.ClusterWide, p.Spec.Namespaced = imp.policy.definitions()
		for _, d := range p.Spec.Namespaced {
			for _, ns := range d.Namespaces {
				if policy.IsSystemNamespace(ns) {
					res.Warnings = append(res.Warnings, fmt.Sprintf(
						"namespace definition %q lists system namespace %s: Palisade skips system namespaces unless a definition lists them, so every rule of this definition (the cluster-wide ones included) will be enforced in %s; review it before enforcing",
						d.Name, ns, ns))
				}
			}
		}
	} else {
		names := make([]string, len(imp.rulesets))
		for i, rs := range imp.rulesets {
			names[i] = rs.name
		}
		p.Metadata.Name = names[0]
		kind := "RuntimeRuleset"
		if len(names) > 1 {
			kind += "s"
		}
		p.Spec.Description = fmt.Sprintf("imported from Trend Micro %s %s", kind, strings.Join(names, ", "))
	}
	// A namespace definition replaces the cluster-wide one, runtime tab
	// included, so every definition carries the (cluster-wide) bindings.
	if len(bindings) > 0 {
		p.Spec.ClusterWide.Runtime = runtimeTab(bindings)
		for i := range p.Spec.Namespaced {
			p.Spec.Namespaced[i].Runtime = runtimeTab(bindings)
		}
	}
	res.Policy = p
	return res
}

func runtimeTab(bindings []policy.RulesetBinding) *policy.RuntimeTab {
	t := &policy.RuntimeTab{Rulesets: make([]policy.RulesetBinding, len(bindings))}
	for i, b := range bindings {
		t.Rulesets[i] = b
		t.Rulesets[i].Selector = b.Selector.DeepCopy()
	}
	return t
}

// nsGroup is a set of namespaces that share one effective rule list.
type nsGroup struct {
	namespaces []string
	rules      []*tmRule
}

// definitions maps the rules onto a cluster-wide definition and namespace
// definitions.
//
// In Trend Micro a rule that names namespaces adds to the cluster-wide
// rules there; in Palisade a namespace definition replaces the cluster-wide
// one. So each namespace a rule names gets the cluster-wide rules with
// those of a type it names replaced by its own entries of that type, and
// namespaces whose lists come out the same share one definition.
//
// Exceptions keep their namespaces (Palisade's exceptions take them too)
// and go to every definition governing one of those namespaces; they need
// no definition of their own.
func (p *tmPolicy) definitions() (policy.Definition, []policy.NamespacedDefinition) {
	var global []*tmRule
	for _, r := range p.rules {
		if len(r.Namespaces) == 0 {
			global = append(global, r)
		}
	}
	var covered []string
	var namespaced []policy.NamespacedDefinition
	for _, g := range p.groups() {
		covered = append(covered, g.namespaces...)
		in := func(ns string) bool { return slices.Contains(g.namespaces, ns) }
		namespaced = append(namespaced, policy.NamespacedDefinition{
			Name:       "tm-" + g.namespaces[0],
			Namespaces: g.namespaces,
			Definition: definition(g.rules, exceptionsFor(p.exceptions, in)),
		})
	}
	outside := func(ns string) bool { return !slices.Contains(covered, ns) }
	return definition(global, exceptionsFor(p.exceptions, outside)), namespaced
}

// groups returns, sorted by namespace, the effective rules of every
// namespace some rule names, namespaces with equal rules grouped together.
func (p *tmPolicy) groups() []nsGroup {
	var names []string
	for _, r := range p.rules {
		for _, ns := range r.Namespaces {
			if !slices.Contains(names, ns) {
				names = append(names, ns)
			}
		}
	}
	sort.Strings(names)
	var groups []nsGroup
	byKey := map[string]int{}
	for _, ns := range names {
		own := map[string]bool{}
		for _, r := range p.rules {
			if slices.Contains(r.Namespaces, ns) {
				own[r.Type] = true
			}
		}
		var rules []*tmRule
		var key strings.Builder
		for i, r := range p.rules {
			if slices.Contains(r.Namespaces, ns) || (len(r.Namespaces) == 0 && !own[r.Type]) {
				rules = append(rules, r)
				fmt.Fprintf(&key, "%d,", i)
			}
		}
		if gi, ok := byKey[key.String()]; ok {
			groups[gi].namespaces = append(groups[gi].namespaces, ns)
			continue
		}
		byKey[key.String()] = len(groups)
		groups = append(groups, nsGroup{namespaces: []string{ns}, rules: rules})
	}
	return groups
}

// definition turns rules into the deployment tab (action) and, for the
// types Palisade also evaluates on running pods, the continuous tab
// (mitigation). The exceptions apply to both tabs, as Trend Micro's do.
func definition(rules []*tmRule, exceptions []policy.Exception) policy.Definition {
	var def policy.Definition
	dep, cont := &policy.RuleTab{}, &policy.RuleTab{}
	for _, r := range rules {
		dep.Rules = append(dep.Rules, policy.Rule{Rule: r.Type, Action: policy.Action(r.Action), Properties: slices.Clone(r.Properties)})
		if ruleTypes[r.Type] == bothTabs {
			cont.Rules = append(cont.Rules, policy.Rule{Rule: r.Type, Action: policy.Action(r.Mitigation), Properties: slices.Clone(r.Properties)})
		}
	}
	if len(dep.Rules) > 0 || len(exceptions) > 0 {
		dep.Exceptions = cloneExceptions(exceptions)
		def.Deployment = dep
	}
	if len(cont.Rules) > 0 {
		cont.Exceptions = cloneExceptions(exceptions)
		def.Continuous = cont
	}
	return def
}

// exceptionsFor returns the exceptions that apply in some namespace for
// which in is true: those without namespaces, and those naming such a
// namespace, their namespaces narrowed to those.
func exceptionsFor(all []policy.Exception, in func(ns string) bool) []policy.Exception {
	var out []policy.Exception
	for _, e := range all {
		if len(e.Namespaces) == 0 {
			out = append(out, e)
			continue
		}
		var names []string
		for _, ns := range e.Namespaces {
			if in(ns) {
				names = append(names, ns)
			}
		}
		if len(names) > 0 {
			e.Namespaces = names
			out = append(out, e)
		}
	}
	return out
}

func cloneExceptions(es []policy.Exception) []policy.Exception {
	if len(es) == 0 {
		return nil
	}
	out := make([]policy.Exception, len(es))
	for i, e := range es {
		out[i] = e
		out[i].Namespaces = slices.Clone(e.Namespaces)
		out[i].Properties.Values = slices.Clone(e.Properties.Values)
	}
	return out
}

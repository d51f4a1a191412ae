package engine

import (
	"fmt"
	"math/bits"
	"slices"

	"github.com/palisade-dev/palisade/internal/core/image"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// Compiled is a policy ready to evaluate: properties decoded, regular
// expressions and CEL programs compiled, image patterns parsed.
type Compiled struct {
	Policy      *policy.Policy
	clusterWide *definition
	namespaced  map[string]*definition
}

type definition struct {
	name string
	tabs map[policy.Tab]*tab
}

type tab struct {
	rules []*compiledRule
	// byTarget holds, for each single target an object can be (its bit's
	// position; 64 for an object no specific target names, such as a
	// ConfigMap), the rules that apply to it, in policy order: an object
	// meets only its own rules, however many the policy holds.
	byTarget   [65][]*compiledRule
	exceptions []exception
}

// setRules sets the tab's rules and indexes them by target.
func (t *tab) setRules(rs []*compiledRule) {
	t.rules = rs
	for i := range t.byTarget {
		var mask rules.Target // the targets such an object meets
		switch {
		case i == 64:
			mask = rules.TargetAny
		case rules.Target(1)<<i == rules.TargetConnect:
			mask = rules.TargetConnect
		default:
			mask = rules.Target(1)<<i | rules.TargetAny
		}
		t.byTarget[i] = nil
		for _, cr := range rs {
			if cr.rule.Targets&mask != 0 {
				t.byTarget[i] = append(t.byTarget[i], cr)
			}
		}
	}
}

// rulesFor returns the rules that apply to an object meeting the targets
// of mask (objectTargets).
func (t *tab) rulesFor(mask rules.Target) []*compiledRule {
	specific := mask &^ rules.TargetAny
	switch {
	case mask == rules.TargetConnect:
		return t.byTarget[bits.TrailingZeros64(uint64(rules.TargetConnect))]
	case specific == 0:
		return t.byTarget[64]
	case specific&(specific-1) == 0:
		return t.byTarget[bits.TrailingZeros64(uint64(specific))]
	}
	// An object of several targets: the rules of any of them.
	var out []*compiledRule
	for _, cr := range t.rules {
		if cr.rule.Targets&mask != 0 {
			out = append(out, cr)
		}
	}
	return out
}

type compiledRule struct {
	rule           *rules.Rule
	action         policy.Action
	check          rules.Check
	excludedNS     []string
	excludedImages []image.Pattern
}

type exception struct {
	part       image.Part
	cond       *image.Condition
	namespaces []string
}

// ReadsSignatures reports whether a rule of the policy verifies image
// signatures (and so needs registry access).
func (c *Compiled) ReadsSignatures() bool {
	return c.anyRule(func(r *rules.Rule) bool { return r.Signatures })
}

// ReadsScanResults reports whether a rule of the policy, in any tab or
// definition, reads image scan results.
func (c *Compiled) ReadsScanResults() bool {
	return c.anyRule(func(r *rules.Rule) bool { return r.ScanResults })
}

// ReadsNetworkPolicies reports whether a rule of the policy reads the
// namespaces' NetworkPolicies.
func (c *Compiled) ReadsNetworkPolicies() bool {
	return c.anyRule(func(r *rules.Rule) bool { return r.NetworkPolicies })
}

// ReadsInventory returns the kinds of other objects the policy's
// referential rules read (zero: none), so that an agent watches only
// those.
func (c *Compiled) ReadsInventory() rules.InventoryKinds {
	var kinds rules.InventoryKinds
	c.anyRule(func(r *rules.Rule) bool { kinds |= r.Inventory; return false })
	return kinds
}

// ReadsRoles reports whether a rule of the policy judges RBAC objects
// (and so reads the roles bindings reference).
func (c *Compiled) ReadsRoles() bool {
	return c.anyRule(func(r *rules.Rule) bool { return r.Targets&rules.TargetRBAC != 0 })
}

// ReadsOldObject reports whether a rule of the policy reads the object an
// admission UPDATE replaces (Options.OldObject).
func (c *Compiled) ReadsOldObject() bool {
	return c.anyRule(func(r *rules.Rule) bool { return r.OldObject })
}

func (c *Compiled) anyRule(pred func(*rules.Rule) bool) bool {
	defs := []*definition{c.clusterWide}
	for _, d := range c.namespaced {
		defs = append(defs, d)
	}
	for _, d := range defs {
		for _, t := range d.tabs {
			for _, cr := range t.rules {
				if pred(cr.rule) {
					return true
				}
			}
		}
	}
	return false
}

// Compile prepares p for evaluation. p must have been validated against reg.
func Compile(p *policy.Policy, reg *rules.Registry) (*Compiled, error) {
	c := &Compiled{Policy: p, namespaced: map[string]*definition{}}
	var err error
	if c.clusterWide, err = compileDefinition("clusterWide", &p.Spec.ClusterWide, reg); err != nil {
		return nil, err
	}
	for i := range p.Spec.Namespaced {
		nd := &p.Spec.Namespaced[i]
		d, err := compileDefinition(nd.Name, &nd.Definition, reg)
		if err != nil {
			return nil, err
		}
		for _, ns := range nd.Namespaces {
			if _, dup := c.namespaced[ns]; !dup {
				c.namespaced[ns] = d
			}
		}
	}
	return c, nil
}

func compileDefinition(name string, d *policy.Definition, reg *rules.Registry) (*definition, error) {
	out := &definition{name: name, tabs: map[policy.Tab]*tab{}}
	for _, t := range []policy.Tab{policy.TabDeployment, policy.TabContinuous} {
		rt := d.Tab(t)
		if rt == nil {
			continue
		}
		ct := &tab{}
		var rs []*compiledRule
		for i := range rt.Rules {
			pr := &rt.Rules[i]
			r, check, err := reg.Build(pr)
			if err != nil {
				return nil, fmt.Errorf("%s.%s.rules[%d] (%s): %w", name, t, i, pr.Rule, err)
			}
			if !slices.Contains(r.Tabs, t) {
				return nil, fmt.Errorf("%s.%s.rules[%d]: rule %s is not available in the %s tab", name, t, i, r.ID, t)
			}
			cr := &compiledRule{rule: r, action: pr.Action, check: check, excludedNS: pr.ExcludedNamespaces}
			for _, s := range pr.ExcludedImages {
				pat, err := image.NewPattern(s)
				if err != nil {
					return nil, fmt.Errorf("%s.%s.rules[%d].excludedImages: %w", name, t, i, err)
				}
				cr.excludedImages = append(cr.excludedImages, pat)
			}
			rs = append(rs, cr)
		}
		ct.setRules(rs)
		for i, e := range rt.Exceptions {
			cond, err := image.NewCondition(e.Properties.Operator, e.Properties.Values)
			if err != nil {
				return nil, fmt.Errorf("%s.%s.exceptions[%d]: %w", name, t, i, err)
			}
			ct.exceptions = append(ct.exceptions, exception{part: policy.ExceptionTypes[e.Type], cond: cond, namespaces: e.Namespaces})
		}
		out.tabs[t] = ct
	}
	return out, nil
}

// excepted reports whether an exception of the tab allows ref in ns.
func (t *tab) excepted(ref image.Ref, ns string) bool {
	if ref.Err != nil {
		return false
	}
	for _, e := range t.exceptions {
		if len(e.namespaces) > 0 && !slices.Contains(e.namespaces, ns) {
			continue
		}
		if e.cond.Match(ref.Get(e.part)) {
			return true
		}
	}
	return false
}

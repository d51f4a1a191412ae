package policy

import "slices"

// Resolved is the definition that governs one namespace.
type Resolved struct {
	// Name is "clusterWide" or the namespace definition's name.
	Name string
	*Definition
	// Explicit is true when a namespace definition lists the namespace.
	Explicit bool
}

// For returns the definition that governs namespace ns: the first namespace
// definition that lists it, else the cluster-wide one. A namespace
// definition replaces the cluster-wide one; it does not merge with it.
func (p *Policy) For(ns string) Resolved {
	for i := range p.Spec.Namespaced {
		d := &p.Spec.Namespaced[i]
		if slices.Contains(d.Namespaces, ns) {
			return Resolved{Name: d.Name, Definition: &d.Definition, Explicit: true}
		}
	}
	return Resolved{Name: "clusterWide", Definition: &p.Spec.ClusterWide}
}

// Tab returns the rule tab t of the definition, or nil.
func (d *Definition) Tab(t Tab) *RuleTab {
	switch t {
	case TabDeployment:
		return d.Deployment
	case TabContinuous:
		return d.Continuous
	}
	return nil
}

// IsSystemNamespace reports whether ns is excluded by default.
func IsSystemNamespace(ns string) bool { return slices.Contains(SystemNamespaces, ns) }

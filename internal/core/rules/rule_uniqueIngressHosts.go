package rules

import (
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Reads: an Ingress's spec.rules[].host, and the hosts of every other
// Ingress of the inventory (all namespaces). Refused: a host another
// Ingress (another name, or another namespace) already names.

func init() {
	register(&Rule{
		ID:    "uniqueIngressHosts",
		Title: "Ingress host already used by another Ingress",
		Description: "Flags each host of an Ingress's spec.rules[] that another Ingress, in any namespace, also names, as Gatekeeper's " +
			"uniqueingresshost template does: two Ingresses claiming one host split or steal each other's traffic, depending on the controller. " +
			"An Ingress never conflicts with itself (same namespace and name, as on an UPDATE); rules without a host are not compared, " +
			"and hosts are compared as written (\"*.example.com\" does not cover \"shop.example.com\"), as Gatekeeper does. " +
			"The other Ingresses come from the inventory: every file of the run in `palisade scan`, the agent's cache of the cluster at " +
			"admission (docs/policy.md, \"Rules that read other objects\"); without one the rule finds nothing.",
		Sources:  []Source{{productGatekeeper, "uniqueingresshost (K8sUniqueIngressHost)"}},
		Severity: Medium, Tabs: deploymentOnly, Targets: TargetIngress, Inventory: InventoryIngresses,
		New: func(any) (Check, error) { return uniqueIngressHosts, nil },
	})
}

func uniqueIngressHosts(in *Input) []Finding {
	ing := in.Object.Ingress
	if ing == nil || in.Inventory == nil {
		return nil
	}
	others := in.Inventory.Ingresses()
	var out []Finding
	for i, r := range ing.Spec.Rules {
		if r.Host == "" || slices.ContainsFunc(ing.Spec.Rules[:i], func(p networkingv1.IngressRule) bool { return p.Host == r.Host }) {
			continue
		}
		var users []string
		candidates := others
		if x, ok := in.Inventory.(IndexedInventory); ok {
			candidates = x.IngressesWithHost(r.Host)
		}
		for _, o := range candidates {
			if o.Namespace == in.Namespace && o.Name == in.Object.Meta.Name {
				continue
			}
			if slices.ContainsFunc(o.Spec.Rules, func(or networkingv1.IngressRule) bool { return or.Host == r.Host }) {
				users = append(users, o.Namespace+"/"+o.Name)
			}
		}
		if len(users) == 0 {
			continue
		}
		slices.Sort(users)
		users = slices.Compact(users)
		out = append(out, Finding{Where: "ingress", Value: r.Host, Field: field.NewPath("spec", "rules").Index(i).Child("host").String(),
			Detail: "Ingress " + strings.Join(users, ", ") + " already uses this host"})
	}
	return out
}

package rules

import (
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Reads: a Service's spec.selector, and the selectors of the other
// Services of its namespace in the inventory. Refused: a selector equal to
// another Service's.

func init() {
	register(&Rule{
		ID:    "uniqueServiceSelectors",
		Title: "Service with the same selector as another Service",
		Description: "Flags a Service whose spec.selector equals, as a set of key=value pairs, the selector of another Service of its namespace, " +
			"as Gatekeeper's uniqueserviceselector template does: two Services over the same pods are usually a copy-paste mistake that " +
			"sends one application's traffic to another's pods. " +
			"Differences from the template: only Services of the same namespace are compared (a selector only selects pods of its own " +
			"namespace; the template compares every namespace), and Services without a selector (ExternalName, or endpoints managed by hand) " +
			"are ignored (the template finds all of those equal). A Service never conflicts with itself (same namespace and name). " +
			"The other Services come from the inventory (docs/policy.md, \"Rules that read other objects\"); without one the rule finds nothing.",
		Sources:  []Source{{productGatekeeper, "uniqueserviceselector (K8sUniqueServiceSelector)"}},
		Severity: Low, Tabs: deploymentOnly, Targets: TargetService, Inventory: InventoryServices,
		New: func(any) (Check, error) { return uniqueServiceSelectors, nil },
	})
}

func uniqueServiceSelectors(in *Input) []Finding {
	svc := in.Object.Service
	if svc == nil || in.Inventory == nil || len(svc.Spec.Selector) == 0 {
		return nil
	}
	sel := selectorString(svc.Spec.Selector)
	var candidates []*corev1.Service
	if x, ok := in.Inventory.(IndexedInventory); ok {
		candidates = x.ServicesWithSelector(in.Namespace, sel)
	} else {
		candidates = in.Inventory.Services(in.Namespace)
	}
	var same []string
	for _, o := range candidates {
		if o.Name == in.Object.Meta.Name || len(o.Spec.Selector) == 0 {
			continue
		}
		if maps.Equal(o.Spec.Selector, svc.Spec.Selector) {
			same = append(same, o.Name)
		}
	}
	if len(same) == 0 {
		return nil
	}
	slices.Sort(same)
	same = slices.Compact(same)
	return []Finding{{Where: "service", Value: sel, Field: "spec.selector",
		Detail: "Service " + strings.Join(same, ", ") + " of namespace " + in.Namespace + " has the same selector"}}
}

// selectorString is a map selector as "k1=v1,k2=v2", keys sorted.
func selectorString(sel map[string]string) string {
	keys := slices.Sorted(maps.Keys(sel))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + sel[k]
	}
	return strings.Join(parts, ",")
}

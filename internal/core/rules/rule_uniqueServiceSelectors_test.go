package rules

import "testing"

func serviceWithSelector(ns, name, selector string) string {
	meta := `{name: ` + name
	if ns != "" {
		meta += `, namespace: ` + ns
	}
	spec := `{ports: [{port: 443}]}`
	if selector != "" {
		spec = `{ports: [{port: 443}], selector: ` + selector + `}`
	}
	return `{apiVersion: v1, kind: Service, metadata: ` + meta + `}, spec: ` + spec + `}`
}

// TestUniqueServiceSelectors holds the cases of Gatekeeper's
// uniqueserviceselector template, written from its semantics (a selector
// equal, as a set of key/value pairs, to another Service's), and ours
// (same namespace only; Services without a selector ignored).
func TestUniqueServiceSelectors(t *testing.T) {
	same := func(value, others string) []Finding {
		return []Finding{{Where: "service", Value: value, Field: "spec.selector", Detail: "Service " + others + " of namespace prod has the same selector"}}
	}
	inventoryCases(t, "uniqueServiceSelectors", []inventoryCase{
		{name: "no inventory finds nothing", manifest: serviceWithSelector("", "mine", `{key: value}`)},
		{name: "another selector", manifest: serviceWithSelector("", "mine", `{key: other-value}`),
			others: []string{serviceWithSelector("prod", "example", `{key: value}`)}},
		{name: "the same selector", manifest: serviceWithSelector("", "mine", `{key: value}`),
			others: []string{serviceWithSelector("prod", "example", `{key: value}`)},
			want:   same("key=value", "example")},
		{name: "the same pairs in another order", manifest: serviceWithSelector("", "mine", `{tier: web, app: shop}`),
			others: []string{serviceWithSelector("prod", "b", `{app: shop, tier: web}`), serviceWithSelector("", "a", `{app: shop, tier: web}`)},
			want:   same("app=shop,tier=web", "a, b")},
		{name: "a subset is not the same selector", manifest: serviceWithSelector("", "mine", `{app: shop}`),
			others: []string{serviceWithSelector("prod", "other", `{app: shop, tier: web}`)}},
		{name: "another namespace", manifest: serviceWithSelector("", "mine", `{key: value}`),
			others: []string{serviceWithSelector("staging", "example", `{key: value}`)}},
		{name: "itself (an UPDATE)", manifest: serviceWithSelector("", "mine", `{key: value}`),
			others: []string{serviceWithSelector("prod", "mine", `{key: value}`)}},
		{name: "Services without a selector are ignored", manifest: serviceWithSelector("", "mine", ""),
			others: []string{serviceWithSelector("prod", "other", "")}},
		{name: "an empty selector is none", manifest: serviceWithSelector("", "mine", `{}`),
			others: []string{serviceWithSelector("prod", "other", `{}`)}},
		{name: "one without a selector matches no one", manifest: serviceWithSelector("", "mine", `{key: value}`),
			others: []string{serviceWithSelector("prod", "other", "")}},
	})
}

package rules

import "testing"

func ingressWithHosts(ns, name string, hosts ...string) string {
	meta := `{name: ` + name
	if ns != "" {
		meta += `, namespace: ` + ns
	}
	rules := ""
	for i, h := range hosts {
		if i > 0 {
			rules += ", "
		}
		if h == "" {
			rules += `{http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}]}}`
			continue
		}
		rules += `{host: "` + h + `"}`
	}
	return `{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: ` + meta + `}, spec: {rules: [` + rules + `]}}`
}

// TestUniqueIngressHosts holds the cases of Gatekeeper's uniqueingresshost
// template, written from its semantics (a host another Ingress of any
// namespace names conflicts; an Ingress never conflicts with itself), and
// ours.
func TestUniqueIngressHosts(t *testing.T) {
	const host = "shop.example.com"
	conflict := func(i int, h, users string) Finding {
		return Finding{Where: "ingress", Value: h, Field: "spec.rules[" + string(rune('0'+i)) + "].host", Detail: "Ingress " + users + " already uses this host"}
	}
	inventoryCases(t, "uniqueIngressHosts", []inventoryCase{
		{name: "no inventory finds nothing", manifest: ingressWithHosts("", "mine", host)},
		{name: "an empty inventory", manifest: ingressWithHosts("", "mine", host), others: []string{}},
		{name: "other hosts", manifest: ingressWithHosts("", "mine", host),
			others: []string{ingressWithHosts("prod", "other", "blog.example.com")}},
		{name: "the same host in another namespace", manifest: ingressWithHosts("", "mine", host),
			others: []string{ingressWithHosts("staging", "other", host)},
			want:   []Finding{conflict(0, host, "staging/other")}},
		{name: "the same host in the same namespace", manifest: ingressWithHosts("", "mine", host),
			others: []string{ingressWithHosts("prod", "other", "a.example.com", host)},
			want:   []Finding{conflict(0, host, "prod/other")}},
		{name: "the same name in another namespace is another Ingress", manifest: ingressWithHosts("", "mine", host),
			others: []string{ingressWithHosts("staging", "mine", host)},
			want:   []Finding{conflict(0, host, "staging/mine")}},
		{name: "itself (an UPDATE) does not conflict", manifest: ingressWithHosts("", "mine", host),
			others: []string{ingressWithHosts("prod", "mine", host)}},
		{name: "itself, with no namespace written, is in the default namespace", manifest: ingressWithHosts("", "mine", host),
			others: []string{ingressWithHosts("", "mine", host)}},
		{name: "each conflicting host once, every user named", manifest: ingressWithHosts("", "mine", "a.example.com", host, host),
			others: []string{ingressWithHosts("x", "two", host), ingressWithHosts("x", "one", host, host)},
			want:   []Finding{conflict(1, host, "x/one, x/two")}},
		{name: "rules without a host are not compared", manifest: ingressWithHosts("", "mine", ""),
			others: []string{ingressWithHosts("prod", "other", "")}},
		{name: "wildcards are compared as written", manifest: ingressWithHosts("", "mine", "*.example.com"),
			others: []string{ingressWithHosts("prod", "other", host)}},
		{name: "the same wildcard conflicts", manifest: ingressWithHosts("", "mine", "*.example.com"),
			others: []string{ingressWithHosts("prod", "other", "*.example.com")},
			want:   []Finding{conflict(0, "*.example.com", "prod/other")}},
		{name: "not an Ingress", manifest: `{apiVersion: v1, kind: Service, metadata: {name: s}}`,
			others: []string{ingressWithHosts("prod", "other", host)}},
	})
}

package rules

import "testing"

// TestIngressHosts holds the cases of Gatekeeper's block-wildcard-ingress
// template (a host that is empty or holds "*" is refused) and Kyverno's
// restrict-ingress-wildcard, plus allowWildcardHosts.
func TestIngressHosts(t *testing.T) {
	const backend = `http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}`
	ingress := func(rules string) string {
		return `{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: i}, spec: {rules: [` + rules + `]}}`
	}
	noHost := func(i string) Finding {
		return Finding{Where: "ingress", Value: "unset", Field: "spec.rules[" + i + "].host", Detail: "a rule without a host matches every host name"}
	}
	wildcard := Finding{Where: "ingress", Value: "*.example.com", Field: "spec.rules[1].host", Detail: "a wildcard host matches every name under it"}
	seed001Cases(t, "ingressHosts", []seed001Case{
		{name: "named hosts pass", manifest: ingress(`{host: a.example.com, ` + backend + `}, {host: b.example.com, ` + backend + `}`)},
		{name: "a rule without a host is refused",
			manifest: ingress(`{` + backend + `}`),
			want:     []Finding{noHost("0")}},
		{name: "an empty host is refused",
			manifest: ingress(`{host: "", ` + backend + `}`),
			want:     []Finding{noHost("0")}},
		{name: "a wildcard host is refused",
			manifest: ingress(`{host: a.example.com, ` + backend + `}, {host: "*.example.com", ` + backend + `}`),
			want:     []Finding{wildcard}},
		{name: "allowWildcardHosts accepts a wildcard", props: `{allowWildcardHosts: true}`,
			manifest: ingress(`{host: a.example.com, ` + backend + `}, {host: "*.example.com", ` + backend + `}`)},
		{name: "allowWildcardHosts still refuses a rule without a host", props: `{allowWildcardHosts: true}`,
			manifest: ingress(`{host: a.example.com, ` + backend + `}, {` + backend + `}`),
			want:     []Finding{noHost("1")}},
		{name: "an Ingress without rules passes",
			manifest: `{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: i}, spec: {defaultBackend: {service: {name: web, port: {number: 80}}}}}`},
		{name: "objects other than Ingresses are ignored",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`)},
	})
}

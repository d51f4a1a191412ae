package rules

import "testing"

func TestHTTPSOnlyIngress(t *testing.T) {
	ingress := func(spec string) string {
		return `{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: i}, spec: ` + spec + `}`
	}
	const backend = `{paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}`
	seed001Cases(t, "httpsOnlyIngress", []seed001Case{
		{name: "every host covered by tls",
			manifest: ingress(`{tls: [{hosts: [a.example.com], secretName: a}], rules: [{host: a.example.com, http: ` + backend + `}]}`)},
		{name: "no tls at all",
			manifest: ingress(`{rules: [{host: a.example.com, http: ` + backend + `}]}`),
			want: []Finding{{Where: "ingress", Value: "unset", Field: "spec.tls",
				Detail: "no TLS: the Ingress serves plain HTTP"}}},
		{name: "a host missing from tls",
			manifest: ingress(`{tls: [{hosts: [a.example.com], secretName: a}], rules: [{host: A.example.com, http: ` + backend + `}, {host: b.example.com, http: ` + backend + `}]}`),
			want: []Finding{{Where: "ingress", Value: "b.example.com", Field: "spec.rules[1].host",
				Detail: "host not listed in any spec.tls[].hosts"}}},
		{name: "a wildcard covers one label only",
			manifest: ingress(`{tls: [{hosts: ["*.example.com"], secretName: w}], rules: [{host: a.example.com, http: ` + backend + `}, {host: x.a.example.com, http: ` + backend + `}, {host: example.com, http: ` + backend + `}]}`),
			want: []Finding{
				{Where: "ingress", Value: "x.a.example.com", Field: "spec.rules[1].host", Detail: "host not listed in any spec.tls[].hosts"},
				{Where: "ingress", Value: "example.com", Field: "spec.rules[2].host", Detail: "host not listed in any spec.tls[].hosts"},
			}},
		{name: "a rule without a host and tls for named hosts only",
			manifest: ingress(`{tls: [{hosts: [a.example.com], secretName: a}], rules: [{http: ` + backend + `}]}`),
			want: []Finding{{Where: "ingress", Value: "unset", Field: "spec.rules[0].host",
				Detail: "a rule without a host is covered only by a spec.tls entry without hosts"}}},
		{name: "a rule without a host and a tls entry without hosts",
			manifest: ingress(`{tls: [{secretName: default}], rules: [{http: ` + backend + `}]}`)},
		{name: "objects other than Ingresses are ignored",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`)},
	})
}

package rules

import "testing"

// TestHTTPSOnlyIngressGatekeeper holds the pass and fail cases of
// Gatekeeper's httpsonly template (K8sHttpsOnly), written from its
// semantics: an Ingress needs kubernetes.io/ingress.allow-http: "false"
// and a non-empty spec.tls, or only the annotation with tlsOptional.
func TestHTTPSOnlyIngressGatekeeper(t *testing.T) {
	const (
		backend  = `{paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}`
		rules    = `rules: [{host: a.example.com, http: ` + backend + `}]`
		tls      = `tls: [{hosts: [a.example.com], secretName: a}]`
		annField = "metadata.annotations[kubernetes.io/ingress.allow-http]"
		annWhy   = `must be "false": otherwise the controller also serves the Ingress over plain HTTP`
	)
	ingress := func(annotations, spec string) string {
		return `{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: i` + annotations + `}, spec: {` + spec + `}}`
	}
	allowHTTP := func(v string) string { return `, annotations: {kubernetes.io/ingress.allow-http: "` + v + `"}` }
	noTLS := Finding{Where: "ingress", Value: "unset", Field: "spec.tls", Detail: "no TLS: the Ingress serves plain HTTP"}
	seed001Cases(t, "httpsOnlyIngress", []seed001Case{
		{name: "tls and allow-http false pass",
			manifest: ingress(allowHTTP("false"), tls+`, `+rules)},
		{name: "tls without the annotation",
			manifest: ingress("", tls+`, `+rules),
			want:     []Finding{{Where: "ingress", Value: "unset", Field: annField, Detail: annWhy}}},
		{name: "tls with allow-http true",
			manifest: ingress(allowHTTP("true"), tls+`, `+rules),
			want:     []Finding{{Where: "ingress", Value: "true", Field: annField, Detail: annWhy}}},
		{name: "allow-http false without tls",
			manifest: ingress(allowHTTP("false"), rules),
			want:     []Finding{noTLS}},
		{name: "allow-http false with an empty tls list",
			manifest: ingress(allowHTTP("false"), `tls: [], `+rules),
			want:     []Finding{noTLS}},
		{name: "neither annotation nor tls",
			manifest: ingress("", rules),
			want:     []Finding{{Where: "ingress", Value: "unset", Field: annField, Detail: annWhy}, noTLS}},
		{name: "tlsOptional: the annotation alone passes",
			props:    `{tlsOptional: true}`,
			manifest: ingress(allowHTTP("false"), rules)},
		{name: "tlsOptional: the annotation is still required",
			props:    `{tlsOptional: true}`,
			manifest: ingress("", tls+`, `+rules),
			want:     []Finding{{Where: "ingress", Value: "unset", Field: annField, Detail: annWhy}}},
		{name: "tlsOptional: allow-http true",
			props:    `{tlsOptional: true}`,
			manifest: ingress(allowHTTP("true"), rules),
			want:     []Finding{{Where: "ingress", Value: "true", Field: annField, Detail: annWhy}}},
		{name: "by default a host missing from tls is not flagged",
			manifest: ingress(allowHTTP("false"), tls+`, rules: [{host: b.example.com, http: `+backend+`}]`)},
		{name: "objects other than Ingresses are ignored",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`)},
	})
}

// TestHTTPSOnlyIngressAllHosts covers requireTLSForAllHosts: every rule
// host must be covered by a spec.tls entry.
func TestHTTPSOnlyIngressAllHosts(t *testing.T) {
	ingress := func(spec string) string {
		return `{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: i, annotations: {kubernetes.io/ingress.allow-http: "false"}}, spec: ` + spec + `}`
	}
	const (
		backend = `{paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}`
		props   = `{requireTLSForAllHosts: true}`
	)
	seed001Cases(t, "httpsOnlyIngress", []seed001Case{
		{name: "every host covered by tls", props: props,
			manifest: ingress(`{tls: [{hosts: [a.example.com], secretName: a}], rules: [{host: a.example.com, http: ` + backend + `}]}`)},
		{name: "no tls at all", props: props,
			manifest: ingress(`{rules: [{host: a.example.com, http: ` + backend + `}]}`),
			want: []Finding{{Where: "ingress", Value: "unset", Field: "spec.tls",
				Detail: "no TLS: the Ingress serves plain HTTP"}}},
		{name: "a host missing from tls", props: props,
			manifest: ingress(`{tls: [{hosts: [a.example.com], secretName: a}], rules: [{host: A.example.com, http: ` + backend + `}, {host: b.example.com, http: ` + backend + `}]}`),
			want: []Finding{{Where: "ingress", Value: "b.example.com", Field: "spec.rules[1].host",
				Detail: "host not listed in any spec.tls[].hosts"}}},
		{name: "a wildcard covers one label only", props: props,
			manifest: ingress(`{tls: [{hosts: ["*.example.com"], secretName: w}], rules: [{host: a.example.com, http: ` + backend + `}, {host: x.a.example.com, http: ` + backend + `}, {host: example.com, http: ` + backend + `}]}`),
			want: []Finding{
				{Where: "ingress", Value: "x.a.example.com", Field: "spec.rules[1].host", Detail: "host not listed in any spec.tls[].hosts"},
				{Where: "ingress", Value: "example.com", Field: "spec.rules[2].host", Detail: "host not listed in any spec.tls[].hosts"},
			}},
		{name: "a rule without a host and tls for named hosts only", props: props,
			manifest: ingress(`{tls: [{hosts: [a.example.com], secretName: a}], rules: [{http: ` + backend + `}]}`),
			want: []Finding{{Where: "ingress", Value: "unset", Field: "spec.rules[0].host",
				Detail: "a rule without a host is covered only by a spec.tls entry without hosts"}}},
		{name: "a rule without a host and a tls entry without hosts", props: props,
			manifest: ingress(`{tls: [{secretName: default}], rules: [{http: ` + backend + `}]}`)},
	})
}

package rules

import "testing"

// TestServiceTypes holds the cases of Gatekeeper's blocknodeport and
// blockloadbalancer templates, written from their semantics: a Service of
// type NodePort (LoadBalancer) is refused, every other type passes.
func TestServiceTypes(t *testing.T) {
	svc := func(typ string) string {
		return `{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {` + typ + `ports: [{port: 80}]}}`
	}
	const defaultDetail = `not in the allowed types ["ClusterIP", "ExternalName"]`
	seed001Cases(t, "serviceTypes", []seed001Case{
		{name: "ClusterIP passes", manifest: svc(`type: ClusterIP, `)},
		{name: "an unset type is ClusterIP", manifest: svc(``)},
		{name: "ExternalName passes", manifest: `{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: ExternalName, externalName: db.example.com}}`},
		{name: "blocknodeport: NodePort is refused",
			manifest: svc(`type: NodePort, `),
			want:     []Finding{{Where: "service", Value: "NodePort", Field: "spec.type", Detail: defaultDetail}}},
		{name: "blockloadbalancer: LoadBalancer is refused",
			manifest: svc(`type: LoadBalancer, `),
			want:     []Finding{{Where: "service", Value: "LoadBalancer", Field: "spec.type", Detail: defaultDetail}}},
		{name: "allowing LoadBalancer keeps NodePort refused",
			props:    `{allowedTypes: [ClusterIP, LoadBalancer]}`,
			manifest: svc(`type: NodePort, `),
			want: []Finding{{Where: "service", Value: "NodePort", Field: "spec.type",
				Detail: `not in the allowed types ["ClusterIP", "LoadBalancer"]`}}},
		{name: "an allowed LoadBalancer passes",
			props:    `{allowedTypes: [ClusterIP, LoadBalancer]}`,
			manifest: svc(`type: LoadBalancer, `)},
		{name: "objects other than Services are ignored",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`)},
	})
}

func TestServiceTypesProperties(t *testing.T) {
	seed001PropErrors(t, "serviceTypes", map[string][]string{
		`{allowedTypes: [ClusterIP, nodeport]}`: {"properties.allowedTypes[1]", "nodeport"},
		`{allowedTypes: ClusterIP}`:             {"properties.allowedTypes"},
	})
}

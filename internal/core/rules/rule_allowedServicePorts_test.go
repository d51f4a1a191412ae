package rules

import "testing"

func TestAllowedServicePorts(t *testing.T) {
	const svc = `{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{name: http, port: 80}, {name: alt, port: 8080}, {name: tls, port: 443}]}}`
	seed001Cases(t, "allowedServicePorts", []seed001Case{
		{name: "the seed's default -1 leaves the rule inactive", manifest: svc},
		{name: "-1 anywhere in the list turns the rule off", props: `{ports: ["443", "-1"]}`, manifest: svc},
		{name: "ports not in the list are flagged",
			props:    `{ports: ["443", "80"]}`,
			manifest: svc,
			want: []Finding{{Where: "service", Value: "8080", Field: "spec.ports[1].port",
				Detail: `not in the allowed ports ["443", "80"]`}}},
		{name: "an empty list allows no port",
			props:    `{ports: []}`,
			manifest: `{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: 6001, targetPort: 9001}]}}`,
			want:     []Finding{{Where: "service", Value: "6001", Field: "spec.ports[0].port", Detail: "not in the allowed ports []"}}},
		{name: "objects other than Services are ignored",
			props:    `{ports: ["443"]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, ports: [{containerPort: 80}]}]}`)},
	})
}

func TestAllowedServicePortsProperties(t *testing.T) {
	seed001PropErrors(t, "allowedServicePorts", map[string][]string{
		`{ports: ["443", http]}`: {"properties.ports[1]", "port number"},
		`{ports: ["70000"]}`:     {"properties.ports[0]"},
		`{ports: ["0"]}`:         {"properties.ports[0]"},
		`{ports: [443]}`:         {"properties.ports"},
	})
}

package rules

import "testing"

// TestExternalNameLocalhost holds the cases of Kyverno's
// disallow-localhost-services (an ExternalName Service must not name
// localhost) and ours for loopback and unspecified addresses.
func TestExternalNameLocalhost(t *testing.T) {
	svc := func(name string) string {
		return `{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: ExternalName, externalName: "` + name + `"}}`
	}
	flagged := func(name string) []Finding {
		return []Finding{{Where: "service", Value: name, Field: "spec.externalName",
			Detail: "resolves to the node the traffic is proxied from"}}
	}
	cases := []seed001Case{
		{name: "an external host passes", manifest: svc("db.example.com")},
		{name: "a name that only starts with localhost passes", manifest: svc("localhost.example.com")},
		{name: "a routable address passes", manifest: svc("203.0.113.7")},
		{name: "a ClusterIP Service passes",
			manifest: `{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: 80}]}}`},
		{name: "objects other than Services are ignored",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`)},
	}
	for _, name := range []string{"localhost", "LocalHost.", "api.localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1", "0.0.0.0", "::"} {
		cases = append(cases, seed001Case{name: name + " is refused", manifest: svc(name), want: flagged(name)})
	}
	seed001Cases(t, "externalNameLocalhost", cases)
}

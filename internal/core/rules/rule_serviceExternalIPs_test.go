package rules

import "testing"

// TestServiceExternalIPs holds the cases of Gatekeeper's externalip
// template (each spec.externalIPs entry must be in allowedIPs) and of
// Kyverno's restrict-service-external-ips (no external IP at all, the
// default here).
func TestServiceExternalIPs(t *testing.T) {
	svc := func(ips string) string {
		return `{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: 80}]` + ips + `}}`
	}
	seed001Cases(t, "serviceExternalIPs", []seed001Case{
		{name: "no external IPs pass", manifest: svc(``)},
		{name: "an empty list passes", manifest: svc(`, externalIPs: []`)},
		{name: "by default every external IP is refused",
			manifest: svc(`, externalIPs: [203.0.113.7]`),
			want: []Finding{{Where: "service", Value: "203.0.113.7", Field: "spec.externalIPs[0]",
				Detail: "not in the allowed external IPs []"}}},
		{name: "allowed IPs pass", props: `{allowedIPs: [203.0.113.7, "2001:db8::1"]}`,
			manifest: svc(`, externalIPs: [203.0.113.7, "2001:db8:0::1"]`)},
		{name: "only the IPs not allowed are flagged", props: `{allowedIPs: [203.0.113.7]}`,
			manifest: svc(`, externalIPs: [203.0.113.7, 198.51.100.1]`),
			want: []Finding{{Where: "service", Value: "198.51.100.1", Field: "spec.externalIPs[1]",
				Detail: `not in the allowed external IPs ["203.0.113.7"]`}}},
		{name: "objects other than Services are ignored",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`)},
	})
}

func TestServiceExternalIPsProperties(t *testing.T) {
	seed001PropErrors(t, "serviceExternalIPs", map[string][]string{
		`{allowedIPs: [203.0.113.7, example.com]}`: {"properties.allowedIPs[1]", "IP"},
		`{allowedIPs: [10.0.0.0/8]}`:               {"properties.allowedIPs[0]"},
	})
}

package rules

import (
	"net/netip"
	"strings"
)

// Reads: a Service's spec.externalName. Refused: "localhost" and names
// under .localhost (RFC 6761), loopback addresses (127.0.0.0/8, ::1) and
// the unspecified addresses (0.0.0.0, ::), which also reach the node.

// localhostName reports whether an ExternalName target resolves to the
// host it is looked up on.
func localhostName(name string) bool {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	if n == "localhost" || strings.HasSuffix(n, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(n, "[]"))
	if err != nil {
		return false
	}
	a = a.Unmap()
	return a.IsLoopback() || a.IsUnspecified()
}

func init() {
	register(&Rule{
		ID:    "externalNameLocalhost",
		Title: "ExternalName Service points to localhost",
		Description: "Flags a Service whose spec.externalName is localhost (or a name under .localhost), a loopback address (127.0.0.0/8, ::1) or 0.0.0.0 / ::, " +
			"as Kyverno's disallow-localhost-services policy does for localhost. " +
			"An Ingress controller that proxies to such a Service sends the traffic to its own node, where it can reach endpoints meant to stay local (CVE-2021-25740).",
		Sources:  []Source{{productKyverno, "other/disallow-localhost-services"}},
		Severity: High, Tabs: deploymentOnly, Targets: TargetService,
		New: func(any) (Check, error) {
			return func(in *Input) []Finding {
				svc := in.Object.Service
				if svc == nil || svc.Spec.ExternalName == "" || !localhostName(svc.Spec.ExternalName) {
					return nil
				}
				return []Finding{{Where: "service", Value: svc.Spec.ExternalName, Field: "spec.externalName",
					Detail: "resolves to the node the traffic is proxied from"}}
			}, nil
		},
	})
}

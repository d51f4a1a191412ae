package rules

import (
	"net/netip"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Reads: a Service's spec.externalIPs. Allowed: the addresses in
// allowedIPs, by default none.

// ServiceExternalIPsParams configures serviceExternalIPs.
type ServiceExternalIPsParams struct {
	AllowedIPs []string `json:"allowedIPs" doc:"the IP addresses a Service may list in spec.externalIPs; empty (the default) allows none"`
}

// Validate implements the properties check.
func (p *ServiceExternalIPsParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, s := range p.AllowedIPs {
		if _, err := netip.ParseAddr(s); err != nil {
			errs = append(errs, field.Invalid(path.Child("allowedIPs").Index(i), s, "must be an IPv4 or IPv6 address"))
		}
	}
	return errs
}

// canonicalIP is an address in one spelling ("::0:1" and "::1" alike);
// a value that is not an address is kept as written.
func canonicalIP(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	return s
}

func init() {
	register(&Rule{
		ID:    "serviceExternalIPs",
		Title: "Service external IP not allowed",
		Description: "Flags each spec.externalIPs entry of a Service that is not in allowedIPs (by default every one), as Gatekeeper's externalip template does. " +
			"Any user who can create a Service with externalIPs can intercept traffic sent to those addresses from inside the cluster (CVE-2020-8554).",
		Sources: []Source{
			{productGatekeeper, "externalip (K8sExternalIPs)"},
			{productKyverno, "best-practices/restrict-service-external-ips"},
		},
		Severity: High, Tabs: deploymentOnly, Targets: TargetService,
		Params: func() any { return &ServiceExternalIPsParams{} },
		New: func(p any) (Check, error) {
			list := p.(*ServiceExternalIPsParams).AllowedIPs
			allowed := map[string]bool{}
			for _, s := range list {
				allowed[canonicalIP(s)] = true
			}
			detail := "not in the allowed external IPs " + quoteList(list)
			return func(in *Input) []Finding {
				svc := in.Object.Service
				if svc == nil {
					return nil
				}
				var out []Finding
				for i, ip := range svc.Spec.ExternalIPs {
					if !allowed[canonicalIP(ip)] {
						out = append(out, Finding{Where: "service", Value: ip,
							Field: field.NewPath("spec", "externalIPs").Index(i).String(), Detail: detail})
					}
				}
				return out
			}, nil
		},
	})
}

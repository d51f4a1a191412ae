package rules

import (
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// tlsCovers reports whether a spec.tls entry serves host. A TLS host
// "*.example.com" covers exactly one label in its place, as certificates
// do; a rule without a host is covered only by an entry without hosts
// (the controller's default certificate).
func tlsCovers(tls []networkingv1.IngressTLS, host string) bool {
	for _, t := range tls {
		if host == "" {
			if len(t.Hosts) == 0 {
				return true
			}
			continue
		}
		for _, h := range t.Hosts {
			if strings.EqualFold(h, host) {
				return true
			}
			if suffix, ok := strings.CutPrefix(h, "*."); ok {
				label, rest, found := strings.Cut(host, ".")
				if found && label != "" && strings.EqualFold(rest, suffix) {
					return true
				}
			}
		}
	}
	return false
}

func init() {
	register(&Rule{
		ID:    "httpsOnlyIngress",
		Title: "Ingress reachable over plain HTTP",
		Description: "Flags an Ingress without spec.tls, and each rule host no spec.tls[].hosts entry covers. " +
			"HTTPS authenticates the endpoint and protects data in transit from interception at the network layer.",
		Sources: []Source{azurePolicy("Kubernetes clusters should be accessible only over HTTPS")}, Severity: High, Tabs: deploymentOnly, Targets: TargetIngress,
		New: func(any) (Check, error) {
			return func(in *Input) []Finding {
				ing := in.Object.Ingress
				if ing == nil {
					return nil
				}
				if len(ing.Spec.TLS) == 0 {
					return []Finding{{Where: "ingress", Value: "unset", Field: "spec.tls", Detail: "no TLS: the Ingress serves plain HTTP"}}
				}
				var out []Finding
				for i, r := range ing.Spec.Rules {
					if tlsCovers(ing.Spec.TLS, r.Host) {
						continue
					}
					f := Finding{Where: "ingress", Value: r.Host, Field: field.NewPath("spec", "rules").Index(i).Child("host").String(),
						Detail: "host not listed in any spec.tls[].hosts"}
					if r.Host == "" {
						f.Value, f.Detail = "unset", "a rule without a host is covered only by a spec.tls entry without hosts"
					}
					out = append(out, f)
				}
				return out
			}, nil
		},
	})
}

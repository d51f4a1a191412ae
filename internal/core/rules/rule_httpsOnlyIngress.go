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

// HTTPSOnlyIngressParams configures httpsOnlyIngress.
type HTTPSOnlyIngressParams struct {
	TLSOptional           bool `json:"tlsOptional" doc:"do not require spec.tls; the allow-http annotation is still required (Gatekeeper's httpsonly tlsOptional)"`
	RequireTLSForAllHosts bool `json:"requireTLSForAllHosts" doc:"also flag each rule host that no spec.tls[].hosts entry covers (a wildcard covers one label); ignored with tlsOptional"`
}

// allowHTTPAnnotation turns off an ingress controller's plain-HTTP
// listener when "false".
const allowHTTPAnnotation = "kubernetes.io/ingress.allow-http"

func init() {
	register(&Rule{
		ID:    "httpsOnlyIngress",
		Title: "Ingress reachable over plain HTTP",
		Description: "Flags an Ingress whose kubernetes.io/ingress.allow-http annotation is not \"false\" (unset, or \"true\", the controller also serves plain HTTP), " +
			"and one without spec.tls unless tlsOptional, as Gatekeeper's httpsonly template does; with requireTLSForAllHosts, also each rule host no spec.tls[].hosts entry covers. " +
			"HTTPS authenticates the endpoint and protects data in transit from interception at the network layer.",
		Sources:  []Source{azurePolicy("Kubernetes clusters should be accessible only over HTTPS"), {productGatekeeper, "httpsonly (K8sHttpsOnly)"}},
		Severity: High, Tabs: deploymentOnly, Targets: TargetIngress,
		Params: func() any { return &HTTPSOnlyIngressParams{} },
		New: func(p any) (Check, error) {
			hp := *p.(*HTTPSOnlyIngressParams)
			return func(in *Input) []Finding { return httpsOnly(in.Object.Ingress, hp) }, nil
		},
	})
}

func httpsOnly(ing *networkingv1.Ingress, p HTTPSOnlyIngressParams) []Finding {
	if ing == nil {
		return nil
	}
	var out []Finding
	if v, ok := ing.Annotations[allowHTTPAnnotation]; !ok || v != "false" {
		f := Finding{Where: "ingress", Value: v, Field: field.NewPath("metadata", "annotations").Key(allowHTTPAnnotation).String(),
			Detail: `must be "false": otherwise the controller also serves the Ingress over plain HTTP`}
		if !ok {
			f.Value = "unset"
		}
		out = append(out, f)
	}
	if p.TLSOptional {
		return out
	}
	if len(ing.Spec.TLS) == 0 {
		return append(out, Finding{Where: "ingress", Value: "unset", Field: "spec.tls", Detail: "no TLS: the Ingress serves plain HTTP"})
	}
	if !p.RequireTLSForAllHosts {
		return out
	}
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
}

package rules

import (
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Reads: an Ingress's spec.rules[].host. Refused: a rule without a host
// (it matches every name) and, unless allowWildcardHosts, a host with a
// wildcard ("*.example.com").

// IngressHostsParams configures ingressHosts.
type IngressHostsParams struct {
	AllowWildcardHosts bool `json:"allowWildcardHosts" doc:"accept wildcard hosts (\"*.example.com\"); a rule without a host is still refused"`
}

func init() {
	register(&Rule{
		ID:    "ingressHosts",
		Title: "Ingress rule without a host or with a wildcard host",
		Description: "Flags each spec.rules[] entry of an Ingress that names no host, and each wildcard host unless allowWildcardHosts, " +
			"as Gatekeeper's block-wildcard-ingress template does (an empty host counts as a wildcard). " +
			"A rule that matches every name, or every name under a domain, can intercept traffic meant for other applications.",
		Sources: []Source{
			{productGatekeeper, "block-wildcard-ingress (K8sBlockWildcardIngress)"},
			{productKyverno, "other/restrict-ingress-wildcard"},
		},
		Severity: Medium, Tabs: deploymentOnly, Targets: TargetIngress,
		Params: func() any { return &IngressHostsParams{} },
		New: func(p any) (Check, error) {
			allowWildcard := p.(*IngressHostsParams).AllowWildcardHosts
			return func(in *Input) []Finding { return ingressHosts(in.Object.Ingress, allowWildcard) }, nil
		},
	})
}

func ingressHosts(ing *networkingv1.Ingress, allowWildcard bool) []Finding {
	if ing == nil {
		return nil
	}
	var out []Finding
	for i, r := range ing.Spec.Rules {
		path := field.NewPath("spec", "rules").Index(i).Child("host").String()
		switch {
		case r.Host == "":
			out = append(out, Finding{Where: "ingress", Value: "unset", Field: path, Detail: "a rule without a host matches every host name"})
		case !allowWildcard && strings.Contains(r.Host, "*"):
			out = append(out, Finding{Where: "ingress", Value: r.Host, Field: path, Detail: "a wildcard host matches every name under it"})
		}
	}
	return out
}

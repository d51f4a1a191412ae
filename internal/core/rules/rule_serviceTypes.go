package rules

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Reads: a Service's spec.type (unset is ClusterIP, as the API server
// defaults it). Allowed: the types in allowedTypes, by default ClusterIP
// and ExternalName.

// ServiceTypesParams configures serviceTypes.
type ServiceTypesParams struct {
	AllowedTypes []corev1.ServiceType `json:"allowedTypes" doc:"the Service types allowed (ClusterIP, NodePort, LoadBalancer, ExternalName); an unset spec.type counts as ClusterIP"`
}

// serviceTypes are the types the API server accepts.
var serviceTypes = []corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName}

// Validate implements the properties check.
func (p *ServiceTypesParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, t := range p.AllowedTypes {
		if !slices.Contains(serviceTypes, t) {
			errs = append(errs, field.NotSupported(path.Child("allowedTypes").Index(i), t, serviceTypes))
		}
	}
	return errs
}

func init() {
	register(&Rule{
		ID:    "serviceTypes",
		Title: "Service of a type that is not allowed",
		Description: "Flags a Service whose spec.type (ClusterIP when unset) is not in allowedTypes; by default NodePort and LoadBalancer are refused, " +
			"as Gatekeeper's blocknodeport and blockloadbalancer templates do. " +
			"A NodePort opens the port on every node and a LoadBalancer exposes the Service outside the cluster, bypassing network controls meant for ingress.",
		Sources: []Source{
			{productGatekeeper, "blocknodeport (K8sBlockNodePort)"}, {productGatekeeper, "blockloadbalancer (K8sBlockLoadBalancer)"},
			{productKyverno, "best-practices/restrict-node-port"},
		},
		Severity: Medium, Tabs: deploymentOnly, Targets: TargetService,
		Params: func() any {
			return &ServiceTypesParams{AllowedTypes: []corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeExternalName}}
		},
		New: func(p any) (Check, error) {
			allowed := p.(*ServiceTypesParams).AllowedTypes
			names := make([]string, len(allowed))
			for i, t := range allowed {
				names[i] = string(t)
			}
			detail := "not in the allowed types " + quoteList(names)
			return func(in *Input) []Finding {
				svc := in.Object.Service
				if svc == nil {
					return nil
				}
				t := svc.Spec.Type
				if t == "" {
					t = corev1.ServiceTypeClusterIP
				}
				if slices.Contains(allowed, t) {
					return nil
				}
				return []Finding{{Where: "service", Value: string(t), Field: "spec.type", Detail: detail}}
			}, nil
		},
	})
}

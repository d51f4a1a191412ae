package rules

// resourceRequests reads each container's resources.requests (and
// resources.limits, since Kubernetes defaults an unset request to the
// limit). Allowed: a request for every resource listed, at most maxCpu and
// maxMemory when they are set.

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ResourceRequestsParams configures resourceRequests.
type ResourceRequestsParams struct {
	Resources []string         `json:"resources" doc:"resources every container must request: cpu, memory or both"`
	MaxCPU    ResourceQuantity `json:"maxCpu" doc:"largest CPU request a container may set, as a Kubernetes quantity (\"2\", \"500m\"); empty for no maximum"`
	MaxMemory ResourceQuantity `json:"maxMemory" doc:"largest memory request a container may set, as a Kubernetes quantity (\"4Gi\"); empty for no maximum"`
}

// Validate implements the properties check.
func (p *ResourceRequestsParams) Validate(path *field.Path) field.ErrorList {
	errs := validateResources(path.Child("resources"), p.Resources)
	for _, q := range []struct {
		name string
		v    ResourceQuantity
	}{{"maxCpu", p.MaxCPU}, {"maxMemory", p.MaxMemory}} {
		if q.v == "" {
			continue
		}
		if _, err := parseMax(q.v); err != nil {
			errs = append(errs, field.Invalid(path.Child(q.name), string(q.v), err.Error()))
		}
	}
	return errs
}

// effectiveRequest is the request Kubernetes gives container c for
// resource r: the request, or the limit when only a limit is set.
func effectiveRequest(c *corev1.Container, r corev1.ResourceName) (resource.Quantity, bool) {
	if q, ok := c.Resources.Requests[r]; ok {
		return q, true
	}
	q, ok := c.Resources.Limits[r]
	return q, ok
}

func init() {
	register(&Rule{
		ID:    "resourceRequests",
		Title: "Container CPU or memory requests are missing or too high",
		Description: "Flags a container without a request for a resource in resources, or with a request above maxCpu or maxMemory. " +
			"A limit with no request counts as the request, as Kubernetes defaults it. " +
			"The scheduler places pods by their requests: a container without them can be placed on a node that cannot run it and starve its neighbours.",
		Sources: []Source{
			{productGatekeeper, "containerrequests (K8sContainerRequests)"},
			{productKyverno, "require-requests-limits"},
			{productPolaris, "cpuRequestsMissing, memoryRequestsMissing"},
		},
		Severity: Medium, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		Params: func() any { return &ResourceRequestsParams{Resources: []string{"cpu", "memory"}} },
		New: func(p any) (Check, error) {
			rp := p.(*ResourceRequestsParams)
			bounds, err := resourceBounds(rp.Resources, rp.MaxCPU, rp.MaxMemory)
			if err != nil {
				return nil, err
			}
			return resourceCheck("request", effectiveRequest, bounds), nil
		},
	})
}

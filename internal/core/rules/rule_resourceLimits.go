package rules

// resourceLimits reads each container's resources.limits. Allowed: a limit
// for every resource listed, at most maxCpu and maxMemory.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ResourceQuantity is a Kubernetes resource quantity ("32", "500m", "64Gi"). It
// decodes from a JSON string or number, so that `maxCpu: 32` in YAML works
// as well as `maxCpu: "32"`.
type ResourceQuantity string

// UnmarshalJSON accepts a string or a number.
func (q *ResourceQuantity) UnmarshalJSON(b []byte) error {
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		*q = ResourceQuantity(v)
	case json.Number:
		*q = ResourceQuantity(v.String())
	default:
		return fmt.Errorf("a quantity must be a string or a number such as \"32\" or \"64Gi\", not %s", b)
	}
	return nil
}

// ResourceLimitsParams configures resourceLimits.
type ResourceLimitsParams struct {
	Resources []string         `json:"resources" doc:"resources every container must limit: cpu, memory or both"`
	MaxCPU    ResourceQuantity `json:"maxCpu" doc:"largest CPU limit a container may set, as a Kubernetes quantity (\"32\", \"500m\")"`
	MaxMemory ResourceQuantity `json:"maxMemory" doc:"largest memory limit a container may set, as a Kubernetes quantity (\"64Gi\")"`
}

// Validate implements the properties check.
func (p *ResourceLimitsParams) Validate(path *field.Path) field.ErrorList {
	errs := validateResources(path.Child("resources"), p.Resources)
	for _, q := range []struct {
		name string
		v    ResourceQuantity
	}{{"maxCpu", p.MaxCPU}, {"maxMemory", p.MaxMemory}} {
		if _, err := parseMax(q.v); err != nil {
			errs = append(errs, field.Invalid(path.Child(q.name), string(q.v), err.Error()))
		}
	}
	return errs
}

func parseMax(v ResourceQuantity) (resource.Quantity, error) {
	q, err := resource.ParseQuantity(string(v))
	if err != nil {
		return q, fmt.Errorf("must be a Kubernetes quantity such as \"32\", \"500m\" or \"64Gi\"")
	}
	if q.Sign() <= 0 {
		return q, fmt.Errorf("must be greater than zero")
	}
	return q, nil
}

// boundedResources are the resources resourceLimits and resourceRequests
// can require.
var boundedResources = []string{string(corev1.ResourceCPU), string(corev1.ResourceMemory)}

// validateResources checks the resources property of resourceLimits and
// resourceRequests: cpu, memory or both, each once.
func validateResources(path *field.Path, resources []string) field.ErrorList {
	var errs field.ErrorList
	if len(resources) == 0 {
		errs = append(errs, field.Required(path, "name cpu, memory or both"))
	}
	for i, r := range resources {
		switch {
		case !slices.Contains(boundedResources, r):
			errs = append(errs, field.NotSupported(path.Index(i), r, boundedResources))
		case slices.Index(resources, r) < i:
			errs = append(errs, field.Duplicate(path.Index(i), r))
		}
	}
	return errs
}

// resourceBound is one resource with its maximum, when there is one:
// every container must set it when it is required (named in resources),
// and one that sets it must keep under the maximum either way.
type resourceBound struct {
	name     corev1.ResourceName
	param    string // the maximum's property: maxCpu or maxMemory
	max      resource.Quantity
	hasMax   bool
	required bool
}

// resourceBounds builds the bounds from resources and the maxCpu and
// maxMemory properties ("" for no maximum). A maximum also bounds a
// resource resources does not require: {resources: [memory], maxCpu: 2}
// lets a container set no CPU limit, but not a limit of 64.
func resourceBounds(resources []string, maxCPU, maxMemory ResourceQuantity) ([]resourceBound, error) {
	var out []resourceBound
	for _, r := range boundedResources {
		b := resourceBound{name: corev1.ResourceName(r), param: "maxCpu", required: slices.Contains(resources, r)}
		v := maxCPU
		if b.name == corev1.ResourceMemory {
			b.param, v = "maxMemory", maxMemory
		}
		if v != "" {
			q, err := parseMax(v)
			if err != nil {
				return nil, fmt.Errorf("%s %q: %w", b.param, v, err)
			}
			b.max, b.hasMax = q, true
		}
		if b.required || b.hasMax {
			out = append(out, b)
		}
	}
	return out, nil
}

// resourceCheck flags, in every container, each bounded resource whose
// quantity is unset or above its maximum. kind is "limit" or "request": it
// names the field (resources.limits.cpu) and the finding's detail.
func resourceCheck(kind string, quantity func(*corev1.Container, corev1.ResourceName) (resource.Quantity, bool), bounds []resourceBound) Check {
	return func(in *Input) []Finding {
		var out []Finding
		for _, c := range in.Containers {
			for _, b := range bounds {
				sub := "resources." + kind + "s." + string(b.name)
				q, ok := quantity(c.C, b.name)
				switch {
				case !ok && b.required:
					f := ContainerFinding("containerResources", c, sub, "unset")
					f.Detail = "no " + string(b.name) + " " + kind
					out = append(out, f)
				case ok && b.hasMax && q.Cmp(b.max) > 0:
					f := ContainerFinding("containerResources", c, sub, q.String())
					f.Detail = fmt.Sprintf("%s %s above %s %s", b.name, kind, b.param, b.max.String())
					out = append(out, f)
				}
			}
		}
		return out
	}
}

// containerLimit is container c's limit for resource r.
func containerLimit(c *corev1.Container, r corev1.ResourceName) (resource.Quantity, bool) {
	q, ok := c.Resources.Limits[r]
	return q, ok
}

func init() {
	register(&Rule{
		ID:    "resourceLimits",
		Title: "Container CPU and memory limits are missing or too high",
		Description: "Flags a container without a limit for a resource in resources, or with a limit above maxCpu or maxMemory. " +
			"resources: [memory] requires only a memory limit, as Kyverno's require-requests-limits does; a CPU limit that is set is still held to maxCpu. " +
			"Limits let the runtime stop one container from exhausting the node, a form of denial of service.",
		Sources: []Source{
			azurePolicy("Kubernetes cluster containers CPU and memory resource limits should not exceed the specified limits"),
			{productGatekeeper, "containerlimits (K8sContainerLimits)"},
			{productKyverno, "require-requests-limits"},
			{productPolaris, "cpuLimitsMissing, memoryLimitsMissing"},
		},
		Severity: Medium, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		Params: func() any {
			return &ResourceLimitsParams{Resources: []string{"cpu", "memory"}, MaxCPU: "32", MaxMemory: "64Gi"}
		},
		New: func(p any) (Check, error) {
			rp := p.(*ResourceLimitsParams)
			bounds, err := resourceBounds(rp.Resources, rp.MaxCPU, rp.MaxMemory)
			if err != nil {
				return nil, err
			}
			return resourceCheck("limit", containerLimit, bounds), nil
		},
	})
}

package rules

import (
	"bytes"
	"encoding/json"
	"fmt"

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
	MaxCPU    ResourceQuantity `json:"maxCpu" doc:"largest CPU limit a container may set, as a Kubernetes quantity (\"32\", \"500m\")"`
	MaxMemory ResourceQuantity `json:"maxMemory" doc:"largest memory limit a container may set, as a Kubernetes quantity (\"64Gi\")"`
}

// Validate implements the properties check.
func (p *ResourceLimitsParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
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

func init() {
	register(&Rule{
		ID:    "resourceLimits",
		Title: "Container CPU and memory limits are missing or too high",
		Description: "Flags a container without a CPU or memory limit, or with a limit above maxCpu or maxMemory. " +
			"Limits let the runtime stop one container from exhausting the node, a form of denial of service.",
		Sources: []Source{azurePolicy("Kubernetes cluster containers CPU and memory resource limits should not exceed the specified limits")}, Severity: Medium, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		Params: func() any { return &ResourceLimitsParams{MaxCPU: "32", MaxMemory: "64Gi"} },
		New: func(p any) (Check, error) {
			rp := p.(*ResourceLimitsParams)
			maxCPU, err := parseMax(rp.MaxCPU)
			if err != nil {
				return nil, fmt.Errorf("maxCpu %q: %w", rp.MaxCPU, err)
			}
			maxMem, err := parseMax(rp.MaxMemory)
			if err != nil {
				return nil, fmt.Errorf("maxMemory %q: %w", rp.MaxMemory, err)
			}
			limits := []struct {
				name  corev1.ResourceName
				param string
				max   resource.Quantity
			}{{corev1.ResourceCPU, "maxCpu", maxCPU}, {corev1.ResourceMemory, "maxMemory", maxMem}}
			return func(in *Input) []Finding {
				var out []Finding
				for _, c := range in.Containers {
					for _, l := range limits {
						sub := "resources.limits." + string(l.name)
						q, ok := c.C.Resources.Limits[l.name]
						switch {
						case !ok:
							f := ContainerFinding("containerResources", c, sub, "unset")
							f.Detail = "no " + string(l.name) + " limit"
							out = append(out, f)
						case q.Cmp(l.max) > 0:
							f := ContainerFinding("containerResources", c, sub, q.String())
							f.Detail = fmt.Sprintf("%s limit above %s %s", l.name, l.param, l.max.String())
							out = append(out, f)
						}
					}
				}
				return out
			}, nil
		},
	})
}

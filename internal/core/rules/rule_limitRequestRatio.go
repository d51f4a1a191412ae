package rules

// limitRequestRatio reads each container's resources.limits and
// resources.requests for cpu and memory. Allowed: a limit at most
// maxCpuRatio (maxMemoryRatio) times the request; a container missing the
// limit is left to resourceLimits, one missing the request takes the limit
// as its request, as Kubernetes defaults it.

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// LimitRequestRatioParams configures limitRequestRatio.
type LimitRequestRatioParams struct {
	MaxCPURatio    ResourceQuantity `json:"maxCpuRatio" doc:"largest CPU limit a container may set as a multiple of its CPU request (\"10\", \"1.5\"); empty to not check CPU"`
	MaxMemoryRatio ResourceQuantity `json:"maxMemoryRatio" doc:"largest memory limit a container may set as a multiple of its memory request (\"2\", \"1\"); empty to not check memory"`
}

// Validate implements the properties check.
func (p *LimitRequestRatioParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, q := range []struct {
		name string
		v    ResourceQuantity
	}{{"maxCpuRatio", p.MaxCPURatio}, {"maxMemoryRatio", p.MaxMemoryRatio}} {
		if _, err := parseRatio(q.v); err != nil {
			errs = append(errs, field.Invalid(path.Child(q.name), string(q.v), err.Error()))
		}
	}
	if p.MaxCPURatio == "" && p.MaxMemoryRatio == "" {
		errs = append(errs, field.Required(path, "set maxCpuRatio, maxMemoryRatio or both"))
	}
	return errs
}

// parseRatio reads a ratio ("" is 0: unchecked); a ratio is at least 1,
// since a limit below its request is refused by Kubernetes.
func parseRatio(v ResourceQuantity) (float64, error) {
	if v == "" {
		return 0, nil
	}
	q, err := parseMax(v)
	if err != nil {
		return 0, fmt.Errorf("must be a number such as \"2\" or \"1.5\"")
	}
	r := q.AsApproximateFloat64()
	if r < 1 {
		return 0, fmt.Errorf("must be at least 1: a limit cannot be below its request")
	}
	return r, nil
}

func init() {
	register(&Rule{
		ID:    "limitRequestRatio",
		Title: "Container limit far above its request",
		Description: "Flags a container whose CPU or memory limit is more than maxCpuRatio or maxMemoryRatio times its request. " +
			"A limit with no request counts as the request, as Kubernetes defaults it; a missing limit is resourceLimits' finding. " +
			"A node is filled by requests: containers whose limits far exceed them overcommit it, and memory overcommit ends in evictions and OOM kills.",
		Sources: []Source{
			{productGatekeeper, "containerratios (K8sContainerRatios)"},
		},
		Severity: Low, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		Params: func() any { return &LimitRequestRatioParams{MaxCPURatio: "10", MaxMemoryRatio: "2"} },
		New: func(p any) (Check, error) {
			rp := p.(*LimitRequestRatioParams)
			type bound struct {
				name  corev1.ResourceName
				param string
				max   float64
			}
			var bounds []bound
			for _, b := range []struct {
				name  corev1.ResourceName
				param string
				v     ResourceQuantity
			}{{corev1.ResourceCPU, "maxCpuRatio", rp.MaxCPURatio}, {corev1.ResourceMemory, "maxMemoryRatio", rp.MaxMemoryRatio}} {
				r, err := parseRatio(b.v)
				if err != nil {
					return nil, fmt.Errorf("%s %q: %w", b.param, b.v, err)
				}
				if r > 0 {
					bounds = append(bounds, bound{b.name, b.param, r})
				}
			}
			return func(in *Input) []Finding {
				var out []Finding
				for _, c := range in.Containers {
					for _, b := range bounds {
						limit, ok := c.C.Resources.Limits[b.name]
						if !ok {
							continue
						}
						req, _ := effectiveRequest(c.C, b.name)
						l, r := limit.AsApproximateFloat64(), req.AsApproximateFloat64()
						if l <= b.max*r {
							continue
						}
						f := ContainerFinding("containerResources", c, "resources.limits."+string(b.name), limit.String())
						maxText := strconv.FormatFloat(b.max, 'g', -1, 64)
						if r > 0 {
							f.Detail = fmt.Sprintf("%s limit/request ratio %s (request %s), above %s %s",
								b.name, strconv.FormatFloat(l/r, 'g', 4, 64), req.String(), b.param, maxText)
						} else {
							f.Detail = fmt.Sprintf("%s request is 0: any limit is above %s %s", b.name, b.param, maxText)
						}
						out = append(out, f)
					}
				}
				return out
			}, nil
		},
	})
}

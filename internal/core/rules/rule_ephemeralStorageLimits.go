package rules

// ephemeralStorageLimits reads resources.limits.ephemeral-storage of each
// container and init container (ephemeral containers take no resources).
// Allowed: a limit, at most maxEphemeralStorage when it is set.

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// EphemeralStorageLimitsParams configures ephemeralStorageLimits.
type EphemeralStorageLimitsParams struct {
	MaxEphemeralStorage ResourceQuantity `json:"maxEphemeralStorage" doc:"largest ephemeral-storage limit a container may set, as a Kubernetes quantity (\"10Gi\"); empty for no maximum"`
}

// Validate implements the properties check.
func (p *EphemeralStorageLimitsParams) Validate(path *field.Path) field.ErrorList {
	if p.MaxEphemeralStorage == "" {
		return nil
	}
	if _, err := parseMax(p.MaxEphemeralStorage); err != nil {
		return field.ErrorList{field.Invalid(path.Child("maxEphemeralStorage"), string(p.MaxEphemeralStorage), err.Error())}
	}
	return nil
}

func init() {
	register(&Rule{
		ID:    "ephemeralStorageLimits",
		Title: "Container ephemeral-storage limit missing or too high",
		Description: "Flags a container or init container without an ephemeral-storage limit, or with one above maxEphemeralStorage. " +
			"Without a limit a container can fill the node's disk with logs and writable-layer files until the kubelet evicts every pod there.",
		Sources: []Source{
			{productGatekeeper, "ephemeralstoragelimit (K8sContainerEphemeralStorageLimit)"},
		},
		Severity: Low, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		Params: func() any { return &EphemeralStorageLimitsParams{} },
		New: func(p any) (Check, error) {
			v := p.(*EphemeralStorageLimitsParams).MaxEphemeralStorage
			var limit resource.Quantity
			if v != "" {
				q, err := parseMax(v)
				if err != nil {
					return nil, fmt.Errorf("maxEphemeralStorage %q: %w", v, err)
				}
				limit = q
			}
			const sub = "resources.limits." + string(corev1.ResourceEphemeralStorage)
			return func(in *Input) []Finding {
				var out []Finding
				for _, c := range in.Containers {
					if c.Type == workload.EphemeralContainer {
						continue
					}
					q, ok := c.C.Resources.Limits[corev1.ResourceEphemeralStorage]
					switch {
					case !ok:
						f := ContainerFinding("containerResources", c, sub, "unset")
						f.Detail = "no ephemeral-storage limit"
						out = append(out, f)
					case v != "" && q.Cmp(limit) > 0:
						f := ContainerFinding("containerResources", c, sub, q.String())
						f.Detail = "ephemeral-storage limit above maxEphemeralStorage " + limit.String()
						out = append(out, f)
					}
				}
				return out
			}, nil
		},
	})
}

package rules

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Reads: spec.replicas of a Deployment, ReplicaSet, StatefulSet or
// ReplicationController (unset is 1, as the API server defaults it).
// Allowed: a count within one of ranges.

// ReplicaRange is an inclusive range of replica counts.
type ReplicaRange struct {
	MinReplicas int32 `json:"minReplicas" doc:"the least replicas allowed"`
	MaxReplicas int32 `json:"maxReplicas" doc:"the most replicas allowed"`
}

// ReplicaLimitsParams configures replicaLimits.
type ReplicaLimitsParams struct {
	Ranges []ReplicaRange `json:"ranges" required:"true" doc:"the allowed replica counts: a workload passes when its spec.replicas lies within any one range (Gatekeeper's ranges, with min_replicas and max_replicas as minReplicas and maxReplicas)"`
}

// Validate implements the properties check.
func (p *ReplicaLimitsParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(p.Ranges) == 0 {
		errs = append(errs, field.Required(path.Child("ranges"), "at least one range of replica counts"))
	}
	for i, r := range p.Ranges {
		rp := path.Child("ranges").Index(i)
		if r.MinReplicas < 0 {
			errs = append(errs, field.Invalid(rp.Child("minReplicas"), r.MinReplicas, "must not be negative"))
		}
		if r.MaxReplicas < r.MinReplicas {
			errs = append(errs, field.Invalid(rp.Child("maxReplicas"), r.MaxReplicas, "must not be less than minReplicas"))
		}
	}
	return errs
}

func init() {
	register(&Rule{
		ID:    "replicaLimits",
		Title: "Replica count outside the allowed ranges",
		Description: "Flags a Deployment, ReplicaSet, StatefulSet or ReplicationController whose spec.replicas (1 when unset, as the API server defaults it) lies within none of ranges, " +
			"as Gatekeeper's replicalimits template does. " +
			"Too few replicas leave a workload unavailable during disruptions; too many exhaust the namespace's share of the cluster.",
		Sources:  []Source{{productGatekeeper, "replicalimits (K8sReplicaLimits)"}},
		Severity: Low, Tabs: deploymentOnly, Targets: TargetPod,
		Params: func() any { return &ReplicaLimitsParams{} },
		New: func(p any) (Check, error) {
			ranges := p.(*ReplicaLimitsParams).Ranges
			shown := make([]string, len(ranges))
			for i, r := range ranges {
				shown[i] = fmt.Sprintf("%d-%d", r.MinReplicas, r.MaxReplicas)
			}
			detail := "not within the allowed ranges [" + strings.Join(shown, ", ") + "]"
			return func(in *Input) []Finding {
				switch in.Object.Kind {
				case "Deployment", "ReplicaSet", "StatefulSet", "ReplicationController":
				default:
					return nil
				}
				n, d := int32(1), detail
				if in.Object.Replicas != nil {
					n = *in.Object.Replicas
				} else {
					d = "unset, so 1: " + detail
				}
				for _, r := range ranges {
					if n >= r.MinReplicas && n <= r.MaxReplicas {
						return nil
					}
				}
				return []Finding{{Where: "object", Value: strconv.Itoa(int(n)), Field: "spec.replicas", Detail: d}}
			}, nil
		},
	})
}

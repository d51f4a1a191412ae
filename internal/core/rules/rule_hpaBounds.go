package rules

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Reads: spec.minReplicas (1 when unset, as the API server defaults it)
// and spec.maxReplicas of an autoscaling/v2 HorizontalPodAutoscaler.
// Allowed: both within [minimumReplicas, maximumReplicas], and
// maxReplicas - minReplicas at least minimumReplicaSpread.

// HPABoundsParams configures hpaBounds.
type HPABoundsParams struct {
	MinimumReplicas      int32 `json:"minimumReplicas" doc:"the least replicas an autoscaler may scale to: its minReplicas and maxReplicas must be at least this"`
	MaximumReplicas      int32 `json:"maximumReplicas" required:"true" doc:"the most replicas an autoscaler may scale to: its minReplicas and maxReplicas must be at most this"`
	MinimumReplicaSpread int32 `json:"minimumReplicaSpread" doc:"the least difference between maxReplicas and minReplicas; 0 (the default) accepts an autoscaler pinned to one count"`
}

// Validate implements the properties check.
func (p *HPABoundsParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if p.MinimumReplicas < 0 {
		errs = append(errs, field.Invalid(path.Child("minimumReplicas"), p.MinimumReplicas, "must not be negative"))
	}
	if p.MaximumReplicas < 1 {
		errs = append(errs, field.Required(path.Child("maximumReplicas"), "the most replicas an autoscaler may scale to, at least 1"))
	} else if p.MaximumReplicas < p.MinimumReplicas {
		errs = append(errs, field.Invalid(path.Child("maximumReplicas"), p.MaximumReplicas, "must not be less than minimumReplicas"))
	}
	if p.MinimumReplicaSpread < 0 {
		errs = append(errs, field.Invalid(path.Child("minimumReplicaSpread"), p.MinimumReplicaSpread, "must not be negative"))
	} else if p.MaximumReplicas >= p.MinimumReplicas && p.MinimumReplicaSpread > p.MaximumReplicas-p.MinimumReplicas {
		errs = append(errs, field.Invalid(path.Child("minimumReplicaSpread"), p.MinimumReplicaSpread, "must not exceed maximumReplicas - minimumReplicas, or no autoscaler could pass"))
	}
	return errs
}

func init() {
	register(&Rule{
		ID:    "hpaBounds",
		Title: "Autoscaler replica bounds outside the allowed range",
		Description: "Flags an autoscaling/v2 HorizontalPodAutoscaler whose spec.minReplicas (1 when unset, as the API server defaults it) or spec.maxReplicas " +
			"lies outside [minimumReplicas, maximumReplicas], or whose maxReplicas - minReplicas is less than minimumReplicaSpread, " +
			"as Gatekeeper's horizontalpodautoscaler template does. " +
			"An autoscaler allowed to scale too far exhausts the namespace's share of the cluster; one allowed too little room cannot absorb load. " +
			"Differences from the template: one allowed range instead of a list of ranges, an unset minimumReplicaSpread requires no spread, " +
			"and its enforceScaleTargetRef (the scaled workload must exist in the cluster) is left out, since the rules read the object alone. " +
			"Objects of older autoscaling versions (autoscaling/v1, v2beta2) are reported as not evaluated.",
		Sources:  []Source{{productGatekeeper, "horizontalpodautoscaler (K8sHorizontalPodAutoscaler)"}},
		Severity: Low, Tabs: deploymentOnly, Targets: TargetHorizontalPodAutoscaler,
		Params: func() any { return &HPABoundsParams{} },
		New: func(p any) (Check, error) {
			hp := *p.(*HPABoundsParams)
			outside := fmt.Sprintf("outside the allowed range %d-%d", hp.MinimumReplicas, hp.MaximumReplicas)
			return func(in *Input) []Finding {
				hpa := in.Object.HorizontalPodAutoscaler
				if hpa == nil {
					return nil
				}
				var out []Finding
				lo, loDetail := int32(1), outside
				if hpa.Spec.MinReplicas != nil {
					lo = *hpa.Spec.MinReplicas
				} else {
					loDetail = "unset, so 1: " + outside
				}
				hi := hpa.Spec.MaxReplicas
				if lo < hp.MinimumReplicas || lo > hp.MaximumReplicas {
					out = append(out, Finding{Where: "horizontalPodAutoscaler", Value: strconv.Itoa(int(lo)), Field: "spec.minReplicas", Detail: loDetail})
				}
				if hi < hp.MinimumReplicas || hi > hp.MaximumReplicas {
					out = append(out, Finding{Where: "horizontalPodAutoscaler", Value: strconv.Itoa(int(hi)), Field: "spec.maxReplicas", Detail: outside})
				}
				if spread := hi - lo; spread < hp.MinimumReplicaSpread {
					out = append(out, Finding{Where: "horizontalPodAutoscaler", Value: fmt.Sprintf("%d-%d", lo, hi), Field: "spec.maxReplicas",
						Detail: fmt.Sprintf("a spread of %d replicas, less than the %d required", spread, hp.MinimumReplicaSpread)})
				}
				return out
			}, nil
		},
	})
}

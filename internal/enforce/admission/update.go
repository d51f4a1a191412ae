package admission

import (
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// notEnforced ends the warning of a block finding an UPDATE did not bring.
const notEnforced = " Not enforced: the object had this violation before this update."

// alreadyThere reports whether every block finding of an UPDATE was
// already a finding on the object it replaces: the update did not bring
// the violation, so it is not refused for it. Scaling a Deployment whose
// privileged template an older, laxer policy admitted, adding a label to a
// Pod or removing a finalizer must not be refused; scaling past
// replicaLimits, changing the service account, or running another image
// in a privileged container is judged like any other change, since the
// old object did not have that finding.
//
// The old object is judged by the same policy with the same lookups, as
// an object of its own (no old object of its own). Findings are the same
// when their rule, action and every part of the finding (where, value,
// container, field, detail) are, and, for a container's finding, the
// container runs the same image. A rule whose findings do not name what
// offends (rules.Rule's CoarseFindings: cel) has its findings kept only
// when the object's content, all but metadata and status, is unchanged.
func alreadyThere(req *admissionv1.AdmissionRequest, obj *workload.Object, c *engine.Compiled, opts engine.Options, found []engine.Finding) bool {
	if len(req.OldObject.Raw) == 0 {
		return false
	}
	old, err := workload.Decode(req.OldObject.Raw)
	if err != nil || old.Kind != obj.Kind || old.APIVersion != obj.APIVersion {
		return false
	}
	opts.OldObject = nil
	before := map[findingKey]bool{}
	for _, f := range c.Evaluate(old, policy.TabDeployment, opts).Findings {
		before[keyOf(old, f)] = true
	}
	sameContent := func() bool {
		return equality.Semantic.DeepEqual(withoutMeta(old.Unstructured()), withoutMeta(obj.Unstructured()))
	}
	for _, f := range found {
		if f.Action != policy.ActionBlock {
			continue
		}
		if !before[keyOf(obj, f)] || (f.Coarse && !sameContent()) {
			return false
		}
	}
	return true
}

// findingKey identifies a finding across two evaluations.
type findingKey struct {
	rule   string
	action policy.Action
	// image is the image of the finding's container ("" for a pod-level
	// or object finding).
	image string
	rules.Finding
}

func keyOf(o *workload.Object, f engine.Finding) findingKey {
	k := findingKey{rule: f.Rule, action: f.Action, Finding: f.Finding}
	if f.Container != "" && o.Pod != nil {
		for i := range o.Pod.Containers {
			if c := &o.Pod.Containers[i]; c.C.Name == f.Container {
				k.image = c.Image.Raw
				break
			}
		}
	}
	return k
}

// withoutMeta is an unstructured object without its metadata and status.
func withoutMeta(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		if k != "metadata" && k != "status" {
			out[k] = e
		}
	}
	return out
}

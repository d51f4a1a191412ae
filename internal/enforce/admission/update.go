package admission

import (
	admissionv1 "k8s.io/api/admission/v1"

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
// template an older, laxer policy admitted, adding a label to a Pod or
// removing a finalizer must not be refused; scaling past replicaLimits,
// changing the image or the service account is judged like any other
// change, since the old object did not have that finding.
//
// The old object is judged by the same policy with the same lookups, but
// as an object of its own (no old object of its own); findings are the
// same when their rule and every part of the finding (where, value,
// container, field, detail) are.
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
		before[findingKey{f.Rule, f.Finding}] = true
	}
	for _, f := range found {
		if f.Action == policy.ActionBlock && !before[findingKey{f.Rule, f.Finding}] {
			return false
		}
	}
	return true
}

// findingKey identifies a finding across two evaluations.
type findingKey struct {
	rule string
	rules.Finding
}

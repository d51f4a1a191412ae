package admission

import (
	"context"
	"encoding/json"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// patchOp is one JSON Patch (RFC 6902) operation.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value string `json:"value"`
}

// Mutate pins the images that imagesNotSigned verified, in a rule with
// mutateToDigest, to the digest that was verified: "name:tag" becomes
// "name:tag@sha256:...", so the node pulls exactly what was checked even
// if the tag moves afterwards. It never denies: unsigned images are the
// validating review's business, and it runs first (mutating webhooks run
// before validating ones), so the validating review finds its verdicts
// cached.
func (r *Reviewer) Mutate(ctx context.Context, req *admissionv1.AdmissionRequest) Outcome {
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
	out := Outcome{Response: resp}
	compiled := r.opts.Policy()
	if compiled == nil || r.opts.Signatures == nil || !compiled.ReadsSignatures() ||
		(req.Operation != admissionv1.Create && req.Operation != admissionv1.Update) {
		return out
	}
	obj, _, err := decodeRequest(req)
	if err != nil || obj.Pod == nil {
		return out
	}
	var ops []patchOp
	seen := map[string]bool{}
	compiled.Evaluate(obj, policy.TabDeployment, engine.Options{
		DefaultNamespace: req.Namespace, Now: r.opts.Now(), Signatures: r.opts.Signatures, Context: ctx,
		PinDigest: func(c *workload.Container, digest string) {
			path := jsonPointer(c.Path) + "/image"
			if !seen[path] {
				seen[path] = true
				ops = append(ops, patchOp{Op: "replace", Path: path, Value: c.Image.Raw + "@" + digest})
			}
		},
	})
	if len(ops) == 0 {
		return out
	}
	patch, err := json.Marshal(ops)
	if err != nil {
		return out
	}
	pt := admissionv1.PatchTypeJSONPatch
	resp.Patch, resp.PatchType = patch, &pt
	resp.AuditAnnotations = map[string]string{"pinned-images": pinnedList(ops)}
	return out
}

// jsonPointer turns a field path ("spec.template.spec.containers[0]") into
// a JSON pointer ("/spec/template/spec/containers/0"). Field names in
// these paths hold no "/" or "~".
func jsonPointer(fieldPath string) string {
	p := strings.NewReplacer("[", ".", "]", "").Replace(fieldPath)
	return "/" + strings.ReplaceAll(p, ".", "/")
}

func pinnedList(ops []patchOp) string {
	v := make([]string, len(ops))
	for i, o := range ops {
		v[i] = o.Value
	}
	return strings.Join(v, ",")
}

package admission

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// Options configure a Reviewer.
type Options struct {
	// Policy returns the policy in force (nil: none loaded, allow all).
	Policy func() *engine.Compiled
	// Sink receives one event per finding; dry-run requests record none.
	Sink event.Sink
	// Cluster names this cluster in events.
	Cluster string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// ScanResults is what the scan-result rules read: the image scan
	// results this enforcement point knows (nil: none, every image is
	// unscanned).
	ScanResults rules.ScanResults
	// Roles finds the roles RBAC bindings reference (nil: none known;
	// bindings are then judged without them).
	Roles *rules.RoleIndex
	// Inventory finds the other objects the referential rules compare the
	// object with: the agent's informer caches of the cluster, eventually
	// consistent (nil: not known; those rules then find nothing). The
	// object being admitted is judged as sent: its cached version, the
	// object before this request, is never compared with it.
	Inventory rules.Inventory
	// Signatures verifies image signatures for imagesNotSigned (nil: no
	// registry access; images are then unverified).
	Signatures rules.Signatures
	// Digests resolves an image's tag to the digest it names now, so that
	// the scan-result rules judge that digest's scan (nil: a scan recorded
	// for the tag counts).
	Digests rules.Digests
	// Events, when set, receives a Kubernetes Event (AdmissionDenied) on
	// the object of each denied request; dry-run requests record none.
	Events Events
}

// ReasonDenied is the reason of the Kubernetes Event on a denied object.
const ReasonDenied = "AdmissionDenied"

// Events records Kubernetes Events (kubeevent.Recorder).
type Events interface {
	Event(regarding, related *corev1.ObjectReference, eventType, reason, action, note string)
}

// Reviewer judges admission requests.
type Reviewer struct {
	opts Options
}

// New returns a Reviewer.
func New(opts Options) *Reviewer {
	if opts.Sink == nil {
		opts.Sink = event.Discard{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Reviewer{opts: opts}
}

// Outcome is a review's response plus what produced it, for metrics and
// logs.
type Outcome struct {
	Response *admissionv1.AdmissionResponse
	Findings []engine.Finding
	// Unenforced is set when block findings were not enforced because an
	// UPDATE left every field the rules read unchanged.
	Unenforced bool
	// SinkErr is set when events could not be recorded (the decision
	// stands: the trail must never wedge admission).
	SinkErr error
}

// Review judges one request.
func (r *Reviewer) Review(ctx context.Context, req *admissionv1.AdmissionRequest) Outcome {
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
	out := Outcome{Response: resp}
	compiled := r.opts.Policy()
	if compiled == nil || !judged(req) {
		return out
	}
	obj, connect, err := decodeRequest(req)
	var mismatch *kindMismatch
	switch {
	case errors.As(err, &mismatch):
		resp.Allowed = false
		resp.Result = &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusBadRequest,
			Message: "palisade refuses this request: " + err.Error()}
		return out
	case err != nil:
		// An object the API server accepted but we cannot read: allow and
		// say so, rather than wedge the cluster on a decoding gap.
		resp.Warnings = []string{"palisade could not evaluate this request: " + err.Error()}
		return out
	}
	opts := engine.Options{
		DefaultNamespace: req.Namespace, Connect: connect, ScanResults: r.opts.ScanResults, Now: r.opts.Now(), Roles: r.roles(),
		Inventory: r.opts.Inventory, Signatures: r.opts.Signatures, Digests: r.opts.Digests, Context: ctx,
		OldObject: oldObject(req, compiled), UserInfo: &rules.UserInfo{Username: req.UserInfo.Username, Groups: req.UserInfo.Groups},
	}
	res := compiled.Evaluate(obj, policy.TabDeployment, opts)
	out.Findings = res.Findings
	if len(res.Findings) == 0 {
		return out
	}
	if res.Blocked && req.Operation == admissionv1.Update && alreadyThere(req, obj, compiled, opts, res.Findings) {
		out.Unenforced = true
	}
	enforce := res.Blocked && !out.Unenforced
	if enforce {
		resp.Allowed = false
		// No Reason: kubectl then prints "Error from server: ..." exactly
		// as the seed shows it, rather than "Error from server (Forbidden)".
		resp.Result = &metav1.Status{
			Status:  metav1.StatusFailure,
			Code:    http.StatusForbidden,
			Message: res.Denial(),
		}
	}
	for _, l := range res.Lines(policy.ActionLog) {
		resp.Warnings = append(resp.Warnings, strings.TrimPrefix(l, "- "))
	}
	if out.Unenforced {
		for _, l := range res.Lines(policy.ActionBlock) {
			resp.Warnings = append(resp.Warnings, strings.TrimPrefix(l, "- ")+notEnforced)
		}
	}
	resp.AuditAnnotations = auditAnnotations(compiled, res.Findings, enforce)
	dryRun := req.DryRun != nil && *req.DryRun
	if _, discard := r.opts.Sink.(event.Discard); !discard && !dryRun {
		out.SinkErr = r.opts.Sink.Record(ctx, r.events(ctx, req, obj, compiled, res.Findings, out.Unenforced))
	}
	if enforce && !dryRun && r.opts.Events != nil {
		r.opts.Events.Event(deniedRef(req, obj), nil, corev1.EventTypeWarning, ReasonDenied, "Deny",
			fmt.Sprintf("%s denied by policy %s:%s", req.Operation, compiled.Policy.Metadata.Name, res.Denial()))
	}
	return out
}

type callerKey struct{}

// WithCaller returns ctx telling the review whether its caller was
// authenticated (event.CallerAuthenticated or event.CallerUnauthenticated),
// for the events it records. The transport knows; the review does not.
func WithCaller(ctx context.Context, caller string) context.Context {
	return context.WithValue(ctx, callerKey{}, caller)
}

// deniedRef names the object of a denied request for its Kubernetes
// Event. It may not exist (a refused CREATE never does), so the reference
// is built from the request, as Gatekeeper's --emit-admission-events does:
// kind, namespace and name (the generateName prefix when the name is not
// chosen yet), and the UID and resourceVersion only when the object has
// them (an UPDATE).
func deniedRef(req *admissionv1.AdmissionRequest, obj *workload.Object) *corev1.ObjectReference {
	ref := &corev1.ObjectReference{APIVersion: obj.APIVersion, Kind: obj.Kind, Namespace: req.Namespace, Name: obj.Meta.Name}
	if ref.Name == "" {
		ref.Name = req.Name
	}
	if ref.Name == "" {
		ref.Name = obj.Meta.GenerateName
	}
	// The decoded object keeps no UID (the rules never read it); a denial
	// is rare enough to read the metadata again.
	var exists struct {
		Metadata struct {
			UID             string `json:"uid"`
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	if req.Operation != admissionv1.Connect && json.Unmarshal(req.Object.Raw, &exists) == nil &&
		exists.Metadata.UID != "" && exists.Metadata.ResourceVersion != "" {
		ref.UID, ref.ResourceVersion = types.UID(exists.Metadata.UID), exists.Metadata.ResourceVersion
	}
	return ref
}

func (r *Reviewer) events(ctx context.Context, req *admissionv1.AdmissionRequest, obj *workload.Object, c *engine.Compiled, fs []engine.Finding, unenforced bool) []event.Event {
	now := r.opts.Now().UTC()
	caller, _ := ctx.Value(callerKey{}).(string)
	name := obj.Meta.Name
	if name == "" {
		name = req.Name
	}
	if name == "" && obj.Meta.GenerateName != "" {
		name = obj.Meta.GenerateName + "*"
	}
	evs := make([]event.Event, 0, len(fs))
	for i := range fs {
		f := &fs[i]
		action, msg := string(f.Action), f.Message()
		if unenforced && f.Action == policy.ActionBlock {
			action, msg = string(policy.ActionLog), msg+notEnforced
		}
		ev := event.Event{
			ID: event.NewID(), Time: now, Cluster: r.opts.Cluster, Namespace: req.Namespace,
			Kind: obj.Kind, Name: name, Container: f.Container, Tab: string(policy.TabDeployment),
			Rule: f.Rule, Action: action, Policy: c.Policy.Metadata.Name, User: req.UserInfo.Username,
			Message: msg, Operation: string(req.Operation), Caller: caller,
		}
		ev.Bound()
		evs = append(evs, ev)
	}
	return evs
}

func auditAnnotations(c *engine.Compiled, fs []engine.Finding, enforced bool) map[string]string {
	seen := map[string]bool{}
	var v []string
	for _, f := range fs {
		k := f.Rule + ":" + string(f.Action)
		if !seen[k] {
			seen[k] = true
			v = append(v, k)
		}
	}
	decision := "allowed"
	if enforced {
		decision = "denied"
	}
	return map[string]string{
		"policy":     c.Policy.Metadata.Name,
		"violations": strings.Join(v, ","),
		"decision":   decision,
	}
}

// judged reports whether req is a request Palisade evaluates: CREATE and
// UPDATE, and CONNECT on pods. Anything else a webhook configuration sends
// (DELETE, CONNECT on services/proxy or nodes/proxy) is allowed without a
// warning: it is not a gap in evaluation, and kubectl would print the
// warning on every such call.
func judged(req *admissionv1.AdmissionRequest) bool {
	switch req.Operation {
	case admissionv1.Create, admissionv1.Update:
		return true
	case admissionv1.Connect:
		return req.Resource.Resource == "pods"
	}
	return false
}

// decodeRequest reads the object (CREATE, UPDATE) or the connect options
// (CONNECT on pods/exec, pods/attach, pods/portforward).
func decodeRequest(req *admissionv1.AdmissionRequest) (*workload.Object, *rules.Connect, error) {
	if req.Operation == admissionv1.Connect {
		if req.Resource.Resource != "pods" {
			return nil, nil, fmt.Errorf("CONNECT on %s is not judged", req.Resource.Resource)
		}
		c := &rules.Connect{Subresource: req.SubResource, Pod: req.Name}
		var opts struct {
			Container string   `json:"container"`
			Command   []string `json:"command"`
			Ports     []int32  `json:"ports"`
		}
		if len(req.Object.Raw) > 0 {
			if err := json.Unmarshal(req.Object.Raw, &opts); err != nil {
				return nil, nil, fmt.Errorf("decode %s options: %w", req.SubResource, err)
			}
		}
		c.Container, c.Command, c.Ports = opts.Container, opts.Command, opts.Ports
		obj := &workload.Object{APIVersion: "v1", Kind: "Pod"}
		obj.Meta.Name, obj.Meta.Namespace = req.Name, req.Namespace
		return obj, c, nil
	}
	if len(req.Object.Raw) == 0 {
		return nil, nil, fmt.Errorf("the request carries no object")
	}
	// The object is judged as what it says it is. The API server writes
	// the same kind in the review and in the object; a review whose two
	// disagree was written by someone else, and is refused.
	apiVersion, kind, err := workload.Head(req.Object.Raw)
	if err != nil {
		return nil, nil, err
	}
	reqVersion := req.Kind.Version
	if req.Kind.Group != "" {
		reqVersion = req.Kind.Group + "/" + req.Kind.Version
	}
	if (kind != "" && req.Kind.Kind != "" && kind != req.Kind.Kind) ||
		(apiVersion != "" && req.Kind.Version != "" && apiVersion != reqVersion) {
		return nil, nil, &kindMismatch{review: strings.TrimSpace(reqVersion + " " + req.Kind.Kind),
			object: strings.TrimSpace(apiVersion + " " + kind)}
	}
	obj, err := workload.DecodeKind(req.Object.Raw, cmp.Or(apiVersion, reqVersion), cmp.Or(kind, req.Kind.Kind))
	return obj, nil, err
}

// oldObject is the object an UPDATE replaces, decoded only when a rule of
// the policy reads it (serviceAccountUnchanged, cel); nil otherwise. An
// old object that cannot be read is left out: the rules that compare then
// find nothing, as on a CREATE, rather than refuse an update the API server
// accepted.
func oldObject(req *admissionv1.AdmissionRequest, compiled *engine.Compiled) *workload.Object {
	if req.Operation != admissionv1.Update || len(req.OldObject.Raw) == 0 || !compiled.ReadsOldObject() {
		return nil
	}
	old, err := workload.Decode(req.OldObject.Raw)
	if err != nil {
		return nil
	}
	return old
}

// kindMismatch is a review whose request.kind and object disagree.
type kindMismatch struct{ review, object string }

func (e *kindMismatch) Error() string {
	return fmt.Sprintf("the review's request.kind is %s but its object is %s: the API server never sends such a review", e.review, e.object)
}

// roles is the role lookup, nil (not a typed nil) without one.
func (r *Reviewer) roles() rules.RBACRoles {
	if r.opts.Roles == nil {
		return nil
	}
	return r.opts.Roles
}

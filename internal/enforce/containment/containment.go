package containment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// What isolation puts on a pod and in its namespace.
const (
	// IsolationLabel marks an isolated pod; the NetworkPolicy selects it.
	IsolationLabel = "palisade.dev/isolated"
	// IsolationAnnotation records when and why Palisade isolated the pod;
	// only pods carrying it are ever released, so a label set by hand stays.
	IsolationAnnotation = "palisade.dev/isolation"
	// NetworkPolicyName is the deny-all policy kept in each namespace that
	// has an isolated pod.
	NetworkPolicyName = "palisade-isolate"
	managedByLabel    = "app.kubernetes.io/managed-by"
	managedBy         = "palisade"
)

// The reasons of the Kubernetes Events containment records on pods.
const (
	ReasonIsolated          = "Isolated"
	ReasonTerminated        = "Terminated"
	ReasonIsolationReleased = "IsolationReleased"
)

// Events records Kubernetes Events on the objects Palisade acts on
// (kubeevent.Recorder).
type Events interface {
	Event(regarding, related *corev1.ObjectReference, eventType, reason, action, note string)
}

// Who isolated a pod, recorded in its isolation annotation. The continuous
// checks release the pods they isolated when the policy stops asking; a
// pod isolated by a runtime rule stays isolated until a person removes the
// label (it is an incident under investigation).
const (
	IsolatedByContinuous = "continuous"
	IsolatedByRuntime    = "runtime"
)

// isolationNote is the isolation annotation's content.
type isolationNote struct {
	At   string `json:"at"`
	By   string `json:"by,omitempty"`
	Rule string `json:"rule,omitempty"`
}

// Options configure a Containment.
type Options struct {
	Client kubernetes.Interface
	// DryRun records what isolate and terminate would do, and does
	// nothing.
	DryRun bool
	// Protected namespaces are never contained.
	Protected []string
	// TerminateRate bounds deletions per minute (DefaultTerminateRate when
	// zero); TerminateBurst is how many may go at once (the rate when zero).
	TerminateRate  int
	TerminateBurst int
	// Events receives a Kubernetes Event on each pod isolated, released
	// or terminated (nil: none), its note the message of Palisade's own
	// event.
	Events Events
	// Verify, when set, checks each new isolation by traffic (Verifier):
	// an isolation that does not cut the pod off is reported as not done,
	// with the Event IsolationNotEnforced, never as done.
	Verify *Verifier
	Logger *slog.Logger
	Now    func() time.Time
}

// Containment isolates and terminates pods within the guardrails: never in
// a protected namespace, deletions rate-limited, nothing done in dry-run.
// The continuous checks and the runtime responder share one, so that the
// deletion rate is the agent's.
type Containment struct {
	opts    Options
	log     *slog.Logger
	limiter *rate.Limiter
}

// New returns a Containment.
func New(opts Options) (*Containment, error) {
	if opts.Client == nil {
		return nil, errors.New("containment: a Kubernetes client is required")
	}
	if opts.TerminateRate < 0 || opts.TerminateBurst < 0 {
		return nil, errors.New("containment: the terminate rate and burst cannot be negative")
	}
	if opts.TerminateRate == 0 {
		opts.TerminateRate = DefaultTerminateRate
	}
	if opts.TerminateBurst == 0 {
		opts.TerminateBurst = opts.TerminateRate
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Containment{opts: opts, log: opts.Logger,
		limiter: rate.NewLimiter(rate.Limit(float64(opts.TerminateRate)/60), opts.TerminateBurst)}, nil
}

// DefaultTerminateRate is how many pods may be deleted per minute.
const DefaultTerminateRate = 10

// TerminateRate is how many pods may be deleted per minute.
func (c *Containment) TerminateRate() int { return c.opts.TerminateRate }

// DryRun reports whether containment only records what it would do.
func (c *Containment) DryRun() bool { return c.opts.DryRun }

func (c *Containment) protected(ns string) bool { return slices.Contains(c.opts.Protected, ns) }

// Terminate deletes the pod within the guardrails and says what happened.
// A deletion held back by the rate limit returns the wait instead. why is
// the finding that asked for it, the start of the pod's Kubernetes Event.
func (c *Containment) Terminate(ctx context.Context, pod *corev1.Pod, why string) (string, time.Duration, error) {
	switch {
	case c.protected(pod.Namespace):
		return fmt.Sprintf("(not terminated: namespace %s is protected from containment)", pod.Namespace), 0, nil
	case c.opts.DryRun:
		return "(dry run: the pod would be deleted)", 0, nil
	}
	r := c.limiter.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		c.log.Warn("pod deletion held back by the rate limit", "pod", pod.Namespace+"/"+pod.Name,
			"per_minute", c.opts.TerminateRate, "retry_in", d.Round(time.Second).String())
		return "", d, nil
	}
	uid := pod.UID
	err := c.opts.Client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	switch {
	case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
		return "", 0, nil // already gone, or replaced by a pod judged on its own
	case err != nil:
		return "", 0, fmt.Errorf("delete pod: %w", err)
	}
	c.log.Info("pod terminated", "pod", pod.Namespace+"/"+pod.Name)
	const outcome = "(pod deleted)"
	c.event(pod, nil, corev1.EventTypeWarning, ReasonTerminated, "Terminate", joinNote(why, outcome))
	return outcome, 0, nil
}

// Isolate labels the pod and makes sure the deny-all NetworkPolicy exists.
// It returns an outcome only when it changed something (or would have).
// why is the finding that asked for it, the start of the pod's Kubernetes
// Event.
func (c *Containment) Isolate(ctx context.Context, pod *corev1.Pod, by, rule, why string) (string, error) {
	labelled := pod.Labels[IsolationLabel] == "true"
	switch {
	case c.protected(pod.Namespace):
		if labelled {
			return "", nil
		}
		return fmt.Sprintf("(not isolated: namespace %s is protected from containment)", pod.Namespace), nil
	case c.opts.DryRun:
		if labelled {
			return "", nil
		}
		return fmt.Sprintf("(dry run: the pod would be labelled %s=true and cut off by NetworkPolicy %s)", IsolationLabel, NetworkPolicyName), nil
	}
	var answering string
	if c.opts.Verify != nil && !labelled {
		// The callers' pods may be trimmed (the continuous checks keep
		// neither the address nor the probes): dial what the API says.
		live, err := c.opts.Client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if err == nil && (pod.UID == "" || live.UID == pod.UID) {
			answering = c.opts.Verify.Before(ctx, live)
		}
	}
	created, err := c.ensureNetworkPolicy(ctx, pod.Namespace)
	if err != nil {
		return "", err
	}
	if labelled && !created {
		return "", nil
	}
	if !labelled {
		note, _ := json.Marshal(isolationNote{At: c.opts.Now().UTC().Format(time.RFC3339), By: by, Rule: rule})
		patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{
			"labels":      map[string]string{IsolationLabel: "true"},
			"annotations": map[string]string{IsolationAnnotation: string(note)},
		}})
		_, err := c.opts.Client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		if apierrors.IsNotFound(err) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("label pod: %w", err)
		}
		c.log.Info("pod isolated", "pod", pod.Namespace+"/"+pod.Name)
	}
	outcome := fmt.Sprintf("(pod isolated: labelled %s=true, all ingress and egress denied by NetworkPolicy %s)", IsolationLabel, NetworkPolicyName)
	reason := ReasonIsolated
	if c.opts.Verify != nil && !labelled {
		r, took := c.opts.Verify.After(ctx, answering)
		_, within, _ := c.opts.Verify.defaults()
		outcome = verifiedOutcome(r, answering, took, within)
		if r == NotCut {
			reason = ReasonIsolationNotEnforced
			c.log.Error("ISOLATION NOT ENFORCED: the pod still answers after its NetworkPolicy was written; nothing enforces NetworkPolicy for it",
				"pod", pod.Namespace+"/"+pod.Name, "address", answering)
		}
	}
	if !labelled {
		np := &corev1.ObjectReference{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: pod.Namespace, Name: NetworkPolicyName}
		c.event(pod, np, corev1.EventTypeWarning, reason, "Isolate", joinNote(why, outcome))
	}
	return outcome, nil
}

// Release takes isolation off a pod Palisade isolated, when the policy no
// longer asks for it. The NetworkPolicy stays: it selects nobody then.
func (c *Containment) Release(ctx context.Context, pod *corev1.Pod) (string, error) {
	if pod.Labels[IsolationLabel] != "true" || pod.Annotations[IsolationAnnotation] == "" {
		return "", nil
	}
	var note isolationNote
	_ = json.Unmarshal([]byte(pod.Annotations[IsolationAnnotation]), &note)
	if note.By == IsolatedByRuntime {
		return "", nil // an incident response: a person releases it
	}
	if c.opts.DryRun {
		return "", nil
	}
	patch := []byte(`{"metadata":{"labels":{"` + IsolationLabel + `":null},"annotations":{"` + IsolationAnnotation + `":null}}}`)
	_, err := c.opts.Client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("release pod: %w", err)
	}
	c.log.Info("pod isolation released", "pod", pod.Namespace+"/"+pod.Name)
	msg := fmt.Sprintf("isolation released: the policy no longer asks to isolate this pod (label %s removed)", IsolationLabel)
	c.event(pod, nil, corev1.EventTypeNormal, ReasonIsolationReleased, "Release", msg)
	return msg, nil
}

// event records a Kubernetes Event on pod.
func (c *Containment) event(pod *corev1.Pod, related *corev1.ObjectReference, eventType, reason, action, note string) {
	if c.opts.Events == nil {
		return
	}
	ref := &corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID}
	c.opts.Events.Event(ref, related, eventType, reason, action, note)
}

// joinNote is Palisade's event message: the finding, then what was done.
func joinNote(why, outcome string) string {
	if why == "" {
		return outcome
	}
	return why + " " + outcome
}

// isolationPolicy is the deny-all NetworkPolicy for isolated pods.
func isolationPolicy(ns string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: NetworkPolicyName, Namespace: ns, Labels: map[string]string{managedByLabel: managedBy}},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{IsolationLabel: "true"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		},
	}
}

// ensureNetworkPolicy creates the namespace's isolation policy, or puts
// back its spec when it was edited. It reports whether it wrote.
func (c *Containment) ensureNetworkPolicy(ctx context.Context, ns string) (bool, error) {
	want := isolationPolicy(ns)
	api := c.opts.Client.NetworkingV1().NetworkPolicies(ns)
	got, err := api.Get(ctx, NetworkPolicyName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if _, err := api.Create(ctx, want, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return false, fmt.Errorf("create NetworkPolicy %s/%s: %w", ns, NetworkPolicyName, err)
		}
		c.log.Info("isolation NetworkPolicy created", "namespace", ns, "name", NetworkPolicyName)
		return true, nil
	case err != nil:
		return false, fmt.Errorf("get NetworkPolicy %s/%s: %w", ns, NetworkPolicyName, err)
	case equality.Semantic.DeepEqual(got.Spec, want.Spec):
		return false, nil
	}
	got.Spec = want.Spec
	if _, err := api.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		return false, fmt.Errorf("restore NetworkPolicy %s/%s: %w", ns, NetworkPolicyName, err)
	}
	c.log.Warn("isolation NetworkPolicy had been edited; restored", "namespace", ns, "name", NetworkPolicyName)
	return true, nil
}

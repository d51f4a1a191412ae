package continuous

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/event"
	"github.com/palisade-dev/palisade/internal/policy"
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

var everything = labels.Everything()

// act records new findings and carries out the strongest action.
func (c *Controller) act(ctx context.Context, pod *corev1.Pod, compiled *engine.Compiled, res engine.Result) (time.Duration, error) {
	policyName := ""
	if compiled != nil {
		policyName = compiled.Policy.Metadata.Name
	}
	// Each finding's message is formatted once: it is the event's text and
	// part of the fingerprint.
	msgs := make([]string, len(res.Findings))
	fps := make([]string, len(res.Findings))
	current := make(map[string]bool, len(res.Findings))
	var strongest *engine.Finding
	strongestMsg := ""
	for i := range res.Findings {
		f := &res.Findings[i]
		msgs[i] = f.Message()
		fps[i] = fingerprint(f.Rule, f.Action, msgs[i])
		current[fps[i]] = true
		if strongest == nil || strength(f.Action) > strength(strongest.Action) {
			strongest, strongestMsg = f, msgs[i]
		}
	}
	c.mu.Lock()
	st := c.state[pod.UID]
	if st == nil {
		st = &podState{}
		c.state[pod.UID] = st
	}
	reported := st.reported
	c.mu.Unlock()

	var evs []event.Event
	var strongestEvent = -1
	for i := range res.Findings {
		f := &res.Findings[i]
		if reported[fps[i]] {
			continue
		}
		if f == strongest {
			strongestEvent = len(evs)
		}
		evs = append(evs, c.event(pod, policyName, f.Rule, f.Action, f.Container, msgs[i]))
	}

	// Containment for the strongest action; an outcome is reported with
	// the finding that asked for it.
	var outcome string
	action := policy.Action("")
	if strongest != nil {
		action = strongest.Action
	}
	switch action {
	case policy.ActionTerminate:
		var retry time.Duration
		var err error
		outcome, retry, err = c.terminate(ctx, pod)
		if err != nil || retry > 0 {
			return retry, err // nothing recorded yet: the next attempt reports
		}
	case policy.ActionIsolate:
		var err error
		if outcome, err = c.isolate(ctx, pod); err != nil {
			return 0, err
		}
	}
	if outcome != "" {
		if strongestEvent >= 0 {
			evs[strongestEvent].Message += " " + outcome
		} else {
			evs = append(evs, c.event(pod, policyName, strongest.Rule, strongest.Action, strongest.Container, strongestMsg+" "+outcome))
		}
	}
	if action != policy.ActionIsolate && action != policy.ActionTerminate {
		msg, err := c.release(ctx, pod)
		if err != nil {
			return 0, err
		}
		if msg != "" {
			evs = append(evs, c.event(pod, policyName, "isolation", policy.ActionLog, "", msg))
		}
	}
	if len(evs) > 0 {
		if err := c.opts.Sink.Record(ctx, evs); err != nil {
			// The decision stands; the events are lost for the trail, loudly.
			c.log.Error("continuous events not recorded", "pod", pod.Namespace+"/"+pod.Name, "events", len(evs), "error", err)
		}
	}
	c.mu.Lock()
	st.reported = current
	c.mu.Unlock()
	return 0, nil
}

// fingerprint identifies a violation: reported once until it changes or
// clears.
func fingerprint(rule string, action policy.Action, msg string) string {
	return rule + "\x00" + string(action) + "\x00" + msg
}

func (c *Controller) event(pod *corev1.Pod, policyName, rule string, action policy.Action, container, msg string) event.Event {
	return event.Event{ID: event.NewID(), Time: c.opts.Now().UTC(), Cluster: c.opts.Cluster, Namespace: pod.Namespace,
		Kind: "Pod", Name: pod.Name, Container: container, Tab: string(policy.TabContinuous), Rule: rule,
		Action: string(action), Policy: policyName, Message: msg}
}

// terminate deletes the pod within the guardrails and says what happened.
// A deletion held back by the rate limit returns the wait instead.
func (c *Controller) terminate(ctx context.Context, pod *corev1.Pod) (string, time.Duration, error) {
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
	return "(pod deleted)", 0, nil
}

// isolate labels the pod and makes sure the deny-all NetworkPolicy exists.
// It returns an outcome only when it changed something (or would have).
func (c *Controller) isolate(ctx context.Context, pod *corev1.Pod) (string, error) {
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
	created, err := c.ensureNetworkPolicy(ctx, pod.Namespace)
	if err != nil {
		return "", err
	}
	if labelled && !created {
		return "", nil
	}
	if !labelled {
		note, _ := json.Marshal(map[string]string{"at": c.opts.Now().UTC().Format(time.RFC3339)})
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
	return fmt.Sprintf("(pod isolated: labelled %s=true, all ingress and egress denied by NetworkPolicy %s)", IsolationLabel, NetworkPolicyName), nil
}

// release takes isolation off a pod Palisade isolated, when the policy no
// longer asks for it. The NetworkPolicy stays: it selects nobody then.
func (c *Controller) release(ctx context.Context, pod *corev1.Pod) (string, error) {
	if pod.Labels[IsolationLabel] != "true" || pod.Annotations[IsolationAnnotation] == "" {
		return "", nil
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
	return fmt.Sprintf("isolation released: the policy no longer asks to isolate this pod (label %s removed)", IsolationLabel), nil
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
func (c *Controller) ensureNetworkPolicy(ctx context.Context, ns string) (bool, error) {
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

package responder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/core/falco/k8saudit"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/ruleset"
	"github.com/palisade-dev/palisade/internal/enforce/containment"
)

// PodGetter reads a pod (its labels decide which binding applies).
type PodGetter interface {
	GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error)
}

// Options configure a Responder.
type Options struct {
	// Policy returns the policy in force; its runtime tab binds rulesets
	// to actions (nil: nothing is bound, nothing is evaluated).
	Policy func() *engine.Compiled
	// Rulesets returns the rulesets bindings refer to.
	Rulesets func() *ruleset.Set
	// Pods looks up the pod an event names; nil when the agent has no
	// access to the cluster (bindings with a selector then match only
	// pods whose labels the event itself carries).
	Pods PodGetter
	// Contain carries out isolate and terminate; nil when the agent has no
	// access to the cluster (such matches are recorded, not acted on).
	Contain *containment.Containment
	Sink    event.Sink
	Cluster string
	// Queue bounds the matches waiting for a response (1024 when zero);
	// beyond it matches are dropped and counted, never waited for: the
	// API server's audit backend must not stall.
	Queue   int
	Metrics *Metrics
	Logger  *slog.Logger
	Now     func() time.Time
}

// Responder evaluates runtime events (audit events, Falco alerts) against
// the rulesets the policy binds, and responds: an event for every match,
// and the binding's action on the pod the event names.
type Responder struct {
	opts     Options
	log      *slog.Logger
	work     chan match
	decoders sync.Pool
	matchers sync.Map // *falco.Rules → *sync.Pool of *falco.Matcher
	dropped  atomic.Int64
}

// match is one rule that fired, waiting for its response.
type match struct {
	source    string
	ruleset   string
	rule      string
	priority  string
	output    string
	time      time.Time
	user      string
	namespace string
	pod       string
	// labels are the pod's labels when the event carries them (a pod
	// being created); otherwise the pod is looked up.
	labels map[string]string
	// def is the policy definition governing the namespace.
	policyName string
	def        *policy.Definition
}

// New returns a Responder; Run carries out its responses.
func New(opts Options) (*Responder, error) {
	if opts.Policy == nil || opts.Rulesets == nil {
		return nil, errors.New("responder: a policy and a ruleset source are required")
	}
	if opts.Queue <= 0 {
		opts.Queue = 1024
	}
	if opts.Sink == nil {
		opts.Sink = event.Discard{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	r := &Responder{opts: opts, log: opts.Logger, work: make(chan match, opts.Queue)}
	r.decoders.New = func() any { return k8saudit.NewDecoder() }
	return r, nil
}

// UnknownRulesets lists the rulesets the policy in force binds that the
// responder does not know (those bindings do nothing).
func (r *Responder) UnknownRulesets() []string {
	c := r.opts.Policy()
	if c == nil || c.Policy == nil {
		return nil
	}
	set := r.opts.Rulesets()
	var out []string
	for _, name := range boundRulesets(c) {
		if set.Get(name) == nil {
			out = append(out, name)
		}
	}
	return out
}

// boundRulesets lists, once each and in order of appearance, the rulesets
// the policy's runtime tabs bind (cluster-wide and per namespace).
func boundRulesets(c *engine.Compiled) []string {
	if c == nil || c.Policy == nil {
		return nil
	}
	var out []string
	defs := []*policy.Definition{&c.Policy.Spec.ClusterWide}
	for i := range c.Policy.Spec.Namespaced {
		defs = append(defs, &c.Policy.Spec.Namespaced[i].Definition)
	}
	for _, d := range defs {
		if d.Runtime == nil {
			continue
		}
		for _, b := range d.Runtime.Rulesets {
			if !slices.Contains(out, b.Ruleset) {
				out = append(out, b.Ruleset)
			}
		}
	}
	return out
}

// Dropped is how many matches were dropped because the queue was full.
func (r *Responder) Dropped() int64 { return r.dropped.Load() }

// bindings returns the runtime bindings governing namespace ns.
func bindings(c *engine.Compiled, ns string) (string, *policy.Definition, []policy.RulesetBinding) {
	if c == nil || c.Policy == nil {
		return "", nil, nil
	}
	d := c.Policy.For(ns)
	if d.Runtime == nil {
		return c.Policy.Metadata.Name, d.Definition, nil
	}
	return c.Policy.Metadata.Name, d.Definition, d.Runtime.Rulesets
}

func (r *Responder) matcher(rules *falco.Rules) (*falco.Matcher, *sync.Pool) {
	p, ok := r.matchers.Load(rules)
	if !ok {
		p, _ = r.matchers.LoadOrStore(rules, &sync.Pool{New: func() any { return rules.NewMatcher() }})
	}
	pool := p.(*sync.Pool)
	return pool.Get().(*falco.Matcher), pool
}

// AuditStats says what a batch of audit events gave. Skipped counts the
// events (lines, items) that could not be read.
type AuditStats struct {
	Events  int
	Matches int
	Skipped int
	// FirstSkipped is why the first skipped one was skipped.
	FirstSkipped error
}

// Audit evaluates a body of kube-apiserver audit events (an EventList, as
// the audit webhook backend posts; also one event, an array or JSON lines)
// and queues a response for every match. An event it cannot read is
// skipped with one warning naming it, as Falco's k8saudit plugin skips it,
// and the others are evaluated.
func (r *Responder) Audit(ctx context.Context, body []byte) (AuditStats, error) {
	var st AuditStats
	compiled := r.opts.Policy()
	set := r.opts.Rulesets()
	dec := r.decoders.Get().(*k8saudit.Decoder)
	defer r.decoders.Put(dec)
	err := dec.DecodeSkip(body, func(e *k8saudit.Event) error {
		st.Events++
		ns := e.Namespace()
		policyName, def, binds := bindings(compiled, ns)
		for i, b := range binds {
			rs := set.Get(b.Ruleset)
			if rs == nil || rs.Rules == nil || boundEarlier(binds[:i], b.Ruleset) {
				continue
			}
			m, pool := r.matcher(rs.Rules)
			m.Match(k8saudit.SourceName, e, func(rule *falco.Rule) bool {
				st.Matches++
				pod := targetPod(e)
				var podLabels map[string]string
				if pod != "" {
					podLabels = e.Labels()
				}
				r.queue(match{source: k8saudit.SourceName, ruleset: rs.Name, rule: rule.Name, priority: rule.Priority.String(),
					output: m.Output(rule), time: e.StageTimestamp(), user: e.UserName(), namespace: ns, pod: pod,
					labels: podLabels, policyName: policyName, def: def})
				return true
			})
			pool.Put(m)
		}
		return nil
	}, func(err error) {
		st.Skipped++
		if st.FirstSkipped == nil {
			st.FirstSkipped = err
		}
		r.log.Warn("audit event skipped", "error", err)
	})
	r.opts.Metrics.Events.WithLabelValues(k8saudit.SourceName).Add(float64(st.Events))
	return st, err
}

// boundEarlier reports whether one of binds already names ruleset (each
// ruleset is evaluated once per event, whatever its bindings).
func boundEarlier(binds []policy.RulesetBinding, ruleset string) bool {
	for _, b := range binds {
		if b.Ruleset == ruleset {
			return true
		}
	}
	return false
}

// targetPod names the pod an audit event is about ("" when none).
func targetPod(e *k8saudit.Event) string {
	_, name, _ := e.Pod()
	return name
}

// Alerts takes Falco alerts and queues a response for each alert whose
// rule a bound ruleset answers to, for the pod the alert names
// (k8s.ns.name, k8s.pod.name).
func (r *Responder) Alerts(ctx context.Context, alerts []falco.Alert) int {
	compiled := r.opts.Policy()
	set := r.opts.Rulesets()
	n := 0
	for i := range alerts {
		a := &alerts[i]
		ns, pod := a.Field("k8s.ns.name"), a.Field("k8s.pod.name")
		policyName, def, binds := bindings(compiled, ns)
		for _, b := range binds {
			rs := set.Get(b.Ruleset)
			if rs == nil || !rs.AnswersAlert(a.Rule) {
				continue
			}
			n++
			t := a.Time
			if t.IsZero() {
				t = r.opts.Now()
			}
			r.queue(match{source: "falco", ruleset: rs.Name, rule: a.Rule, priority: a.Priority, output: a.Output,
				time: t, namespace: ns, pod: pod, policyName: policyName, def: def})
			break // one response per alert: the bindings decide its action together
		}
	}
	r.opts.Metrics.Events.WithLabelValues("falco").Add(float64(len(alerts)))
	return n
}

func (r *Responder) queue(m match) {
	select {
	case r.work <- m:
	default:
		r.dropped.Add(1)
		r.opts.Metrics.Dropped.Inc()
		r.log.Error("runtime match dropped: the response queue is full", "rule", m.rule, "pod", m.namespace+"/"+m.pod)
	}
}

// Run carries out queued responses until ctx ends.
func (r *Responder) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-r.work:
			r.respond(ctx, m)
		}
	}
}

// Drain carries out the responses already queued (tests and shutdown).
func (r *Responder) Drain(ctx context.Context) {
	for {
		select {
		case m := <-r.work:
			r.respond(ctx, m)
		default:
			return
		}
	}
}

// respond decides the action (the strongest of the bindings whose
// selector matches the pod), carries it out and records the event.
func (r *Responder) respond(ctx context.Context, m match) {
	var pod *corev1.Pod
	podLabels := m.labels
	if m.pod != "" && r.opts.Pods != nil {
		p, err := r.opts.Pods.GetPod(ctx, m.namespace, m.pod)
		switch {
		case err == nil:
			pod, podLabels = p, p.Labels
		case apierrors.IsNotFound(err):
		default:
			r.log.Warn("runtime response: could not read the pod", "pod", m.namespace+"/"+m.pod, "error", err)
		}
	}
	action, matched := r.action(m, podLabels)
	if !matched {
		return
	}
	r.opts.Metrics.Matches.WithLabelValues(m.ruleset, string(action)).Inc()
	msg := m.output
	switch {
	case action == policy.ActionLog:
	case r.opts.Contain == nil:
		msg += fmt.Sprintf(" (not %sd: the agent has no access to the cluster)", action)
	case pod == nil && m.pod == "":
		msg += fmt.Sprintf(" (not %sd: the event names no pod)", action)
	case pod == nil:
		msg += fmt.Sprintf(" (not %sd: pod %s/%s not found)", action, m.namespace, m.pod)
	default:
		msg += " " + r.contain(ctx, pod, action, m.rule, m.output)
	}
	kind := ""
	if m.pod != "" {
		kind = "Pod"
	}
	ev := event.Event{ID: event.NewID(), Time: m.time.UTC(), Cluster: r.opts.Cluster, Namespace: m.namespace, Kind: kind,
		Name: m.pod, Tab: string(policy.TabRuntime), Rule: m.rule, Action: string(action), Policy: m.policyName,
		User: m.user, Message: msg}
	ev.Bound()
	if err := r.opts.Sink.Record(ctx, []event.Event{ev}); err != nil {
		r.log.Error("runtime event not recorded", "rule", m.rule, "pod", m.namespace+"/"+m.pod, "error", err)
	}
}

// action is the strongest action among the bindings of m's ruleset whose
// selector matches the pod's labels.
func (r *Responder) action(m match, podLabels map[string]string) (policy.Action, bool) {
	if m.def == nil || m.def.Runtime == nil {
		return "", false
	}
	var best policy.Action
	found := false
	for _, b := range m.def.Runtime.Rulesets {
		if b.Ruleset != m.ruleset {
			continue
		}
		if b.Selector != nil {
			sel, err := metav1.LabelSelectorAsSelector(b.Selector)
			if err != nil || !sel.Matches(labels.Set(podLabels)) {
				continue
			}
			if podLabels == nil && !sel.Empty() {
				continue
			}
		}
		if !found || b.Action.Strength() > best.Strength() {
			best, found = b.Action, true
		}
	}
	return best, found
}

// contain carries out isolate or terminate and says what was done.
func (r *Responder) contain(ctx context.Context, pod *corev1.Pod, action policy.Action, rule, why string) string {
	var out string
	var err error
	switch action {
	case policy.ActionIsolate:
		out, err = r.opts.Contain.Isolate(ctx, pod, containment.IsolatedByRuntime, rule, why)
		if err == nil && out == "" {
			out = "(pod already isolated)"
		}
	case policy.ActionTerminate:
		var wait time.Duration
		out, wait, err = r.opts.Contain.Terminate(ctx, pod, why)
		if wait > 0 {
			out = fmt.Sprintf("(not terminated: the deletion rate limit is reached; retry in %s)", wait.Round(time.Second))
		} else if err == nil && out == "" {
			out = "(pod already gone)"
		}
	}
	if err != nil {
		r.log.Error("runtime containment failed", "pod", pod.Namespace+"/"+pod.Name, "action", action, "error", err)
		return fmt.Sprintf("(%s failed: %v)", action, err)
	}
	return out
}

package continuous

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/enforce/containment"
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
		if strongest == nil || f.Action.Strength() > strongest.Action.Strength() {
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
		outcome, retry, err = c.contain.Terminate(ctx, pod, strongestMsg)
		if err != nil || retry > 0 {
			return retry, err // nothing recorded yet: the next attempt reports
		}
	case policy.ActionIsolate:
		var err error
		if outcome, err = c.contain.Isolate(ctx, pod, containment.IsolatedByContinuous, strongest.Rule, strongestMsg); err != nil {
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
		msg, err := c.contain.Release(ctx, pod)
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
	ev := event.Event{ID: event.NewID(), Time: c.opts.Now().UTC(), Cluster: c.opts.Cluster, Namespace: pod.Namespace,
		Kind: "Pod", Name: pod.Name, Container: container, Tab: string(policy.TabContinuous), Rule: rule,
		Action: string(action), Policy: policyName, Message: msg}
	ev.Bound()
	return ev
}

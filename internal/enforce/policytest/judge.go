package policytest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// judge compares one expectation with one object's evaluation.
func judge(e *Expectation, ev *evaluation) Case {
	if e.Rule == "" {
		got := decision(ev.Findings)
		c := Case{Expected: string(e.Decision), Got: string(got), Pass: got == e.Decision}
		if !c.Pass {
			c.Detail = fmt.Sprintf("decision: expected %s, got %s", e.Decision, got) + listing(ev.Findings)
		}
		return c
	}
	var found []engine.Finding
	for _, f := range ev.Findings {
		if f.Rule == e.Rule {
			found = append(found, f)
		}
	}
	c := Case{Rule: e.Rule, Expected: describe(e.Result, e.Action)}
	got := Skip
	switch {
	case len(found) > 0:
		got = Fail
	case ev.checked[e.Rule]:
		got = Pass
	}
	c.Got = string(got)
	if got == Fail {
		c.Got = describe(Fail, actions(found)...)
	}
	switch {
	case got != e.Result:
		c.Detail = fmt.Sprintf("%s: expected %s, got %s", e.Rule, e.Result, got)
		switch {
		case got == Skip && ev.Skipped != "":
			c.Detail += " (" + ev.Skipped + ")"
		case got == Skip && ev.NotEvaluated != "":
			c.Detail += " (not evaluated: " + ev.NotEvaluated + ")"
		}
		if got == Fail {
			c.Detail += listing(found)
		}
	case got == Fail && e.Action != "" && !slices.Contains(actions(found), e.Action):
		c.Detail = fmt.Sprintf("%s: expected action %s, got %s", e.Rule, e.Action, strings.Join(actionNames(found), ", "))
	case got == Fail && e.Message != "" && !anyMessage(found, e.Action, e.Message):
		c.Detail = fmt.Sprintf("%s: no message contains %q", e.Rule, e.Message) + listing(found)
	default:
		c.Pass = true
	}
	return c
}

// describe is "pass", "skip", or "fail" with the actions: "fail (block)".
func describe(o Outcome, actions ...policy.Action) string {
	if len(actions) == 0 || (len(actions) == 1 && actions[0] == "") {
		return string(o)
	}
	names := make([]string, len(actions))
	for i, a := range actions {
		names[i] = string(a)
	}
	return string(o) + " (" + strings.Join(names, ", ") + ")"
}

// actions are the distinct actions of findings, in order.
func actions(found []engine.Finding) []policy.Action {
	var out []policy.Action
	for _, f := range found {
		if !slices.Contains(out, f.Action) {
			out = append(out, f.Action)
		}
	}
	return out
}

func actionNames(found []engine.Finding) []string {
	var out []string
	for _, a := range actions(found) {
		out = append(out, string(a))
	}
	return out
}

// anyMessage reports whether a finding (with action, when set) has a
// message containing sub.
func anyMessage(found []engine.Finding, action policy.Action, sub string) bool {
	for i := range found {
		if (action == "" || found[i].Action == action) && strings.Contains(found[i].Message(), sub) {
			return true
		}
	}
	return false
}

// listing is the findings' messages, one per line, for a failure's detail.
func listing(found []engine.Finding) string {
	var b strings.Builder
	for i := range found {
		b.WriteString("\n  - ")
		b.WriteString(found[i].Message())
	}
	return b.String()
}

// decision is what the tab does with an object: its strongest enforcing
// action, or allow. Block is the deployment tab's only one; on the
// continuous tab terminate is stronger than isolate.
func decision(found []engine.Finding) Decision {
	got := DecisionAllow
	strength := 0
	for _, f := range found {
		switch {
		case f.Action == policy.ActionBlock:
			return Decision(policy.ActionBlock)
		case f.Action != policy.ActionLog && f.Action.Strength() > strength:
			got, strength = Decision(f.Action), f.Action.Strength()
		}
	}
	return got
}

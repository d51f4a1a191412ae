package engine

import (
	"slices"
	"strconv"
	"strings"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// Message formats one finding in the seed's shape:
//
//	containerSecurityContext violates rule privileged "true" in container(s) "busybox-container" (block).
func Message(rule string, action policy.Action, f rules.Finding) string {
	var containers []string
	if f.Container != "" {
		containers = []string{f.Container}
	}
	return line(rule, action, f, containers)
}

func line(rule string, action policy.Action, f rules.Finding, containers []string) string {
	var b strings.Builder
	b.WriteString(f.Where)
	b.WriteString(" violates rule ")
	b.WriteString(rule)
	b.WriteByte(' ')
	b.WriteString(strconv.Quote(f.Value))
	if len(containers) > 0 {
		b.WriteString(" in container(s) ")
		for i, c := range containers {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(c))
		}
	}
	if f.Detail != "" {
		b.WriteString(": ")
		b.WriteString(f.Detail)
	}
	b.WriteString(" (")
	b.WriteString(string(action))
	b.WriteString(").")
	return b.String()
}

// Lines returns one line per violated rule for the findings with the given
// action, each starting with "- ": findings that differ only by container
// share a line that names every container, as the seed's denial does.
func (r *Result) Lines(action policy.Action) []string {
	type key struct {
		rule, where, value, detail string
	}
	var order []key
	groups := map[key][]string{}
	for _, f := range r.Findings {
		if f.Action != action {
			continue
		}
		k := key{f.Rule, f.Where, f.Value, f.Detail}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
			groups[k] = nil
		}
		if f.Container != "" && !slices.Contains(groups[k], f.Container) {
			groups[k] = append(groups[k], f.Container)
		}
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, "- "+line(k.rule, action, rules.Finding{Where: k.where, Value: k.value, Detail: k.detail}, groups[k]))
	}
	return out
}

// Denial is the text admission returns when the object is blocked: the
// block lines, one per rule, each on its own line after a newline so that
// kubectl prints them under "denied the request:".
func (r *Result) Denial() string {
	return "\n" + strings.Join(r.Lines(policy.ActionBlock), "\n")
}

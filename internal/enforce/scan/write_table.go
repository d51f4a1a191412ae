package scan

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"
)

// tableWriter prints a report for people at a terminal: one block per
// object with violations, input errors as they come, and a summary line.
// Objects without violations are only counted. Output is buffered and
// flushed by End.
//
//	deploy/web.yaml:1  Deployment prod/web
//	  block  privileged    containerSecurityContext violates rule privileged "true" in container(s) "app" (block).
//	  log    runAsNonRoot  containerSecurityContext violates rule runAsNonRoot "" in container(s) "app" (log).
//
//	error: deploy/bad.yaml:3: mapping values are not allowed in this context
//	warning: deploy/old.yaml:1  Deployment prod/api not evaluated: Palisade reads Deployment as apps/v1, not apps/v1beta1
//
//	12 objects, 2 violations (1 block, 1 log), 1 blocked object, 1 error, 1 not evaluated
//
// The count of objects not evaluated is shown when there are any.
//
// A cluster audit of the continuous tab ends with
// "... (1 isolate, 0 terminate, 1 log), 1 object to isolate or terminate, ...".
type tableWriter struct {
	w *bufio.Writer
	// last is what was printed last, to separate blocks by blank lines.
	last tablePart
	// isolate and terminate count those violations (continuous tab).
	isolate, terminate int
}

type tablePart int

const (
	partNone tablePart = iota
	partObject
	// partError is an input error or an object not evaluated.
	partError
)

// NewTableWriter returns a Writer that prints a plain-text table, without
// colours, in input order.
func NewTableWriter(w io.Writer, _ func(id string) (RuleInfo, bool)) Writer {
	return &tableWriter{w: bufio.NewWriter(w)}
}

func (t *tableWriter) Begin() error { return nil }

func (t *tableWriter) Result(r *Result) error {
	if r.NotEvaluated != "" {
		if t.last == partObject {
			t.w.WriteByte('\n')
		}
		t.last = partError
		_, err := fmt.Fprintf(t.w, "warning: %s  %s %s not evaluated: %s\n",
			termSafe(displayPos(r.Source, r.Line)), termSafe(r.Kind), termSafe(displayName(r)), termSafe(r.NotEvaluated))
		if err != nil {
			return err
		}
	}
	if len(r.Violations) == 0 {
		return nil
	}
	if t.last != partNone {
		t.w.WriteByte('\n')
	}
	t.last = partObject
	fmt.Fprintf(t.w, "%s  %s %s\n", termSafe(displayPos(r.Source, r.Line)), termSafe(r.Kind), termSafe(displayName(r)))
	// The tabwriter holds one object's violations at most.
	tw := tabwriter.NewWriter(t.w, 0, 0, 2, ' ', 0)
	for _, v := range r.Violations {
		switch v.Action {
		case "isolate":
			t.isolate++
		case "terminate":
			t.terminate++
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", termSafe(v.Action), termSafe(v.Rule), termSafe(v.Message))
	}
	return tw.Flush()
}

func (t *tableWriter) Error(e *InputError) error {
	if t.last == partObject {
		t.w.WriteByte('\n')
	}
	t.last = partError
	_, err := fmt.Fprintf(t.w, "error: %s: %s\n", termSafe(displayPos(e.Source, e.Line)), termSafe(e.Message))
	return err
}

func (t *tableWriter) End(s Summary) error {
	if t.last != partNone {
		t.w.WriteByte('\n')
	}
	var b strings.Builder
	b.WriteString(countNoun(s.Objects, "object"))
	b.WriteString(", ")
	b.WriteString(countNoun(s.Violations, "violation"))
	continuous := s.Tab == "continuous"
	switch {
	case s.Violations == 0:
	case continuous:
		fmt.Fprintf(&b, " (%d isolate, %d terminate, %d log)", t.isolate, t.terminate, s.Logged)
	default:
		fmt.Fprintf(&b, " (%d block, %d log)", s.Violations-s.Logged, s.Logged)
	}
	b.WriteString(", ")
	if continuous {
		b.WriteString(countNoun(s.Blocked, "object") + " to isolate or terminate")
	} else {
		b.WriteString(countNoun(s.Blocked, "blocked object"))
	}
	b.WriteString(", ")
	b.WriteString(countNoun(s.Errors, "error"))
	if s.NotEvaluated > 0 {
		fmt.Fprintf(&b, ", %d not evaluated", s.NotEvaluated)
	}
	b.WriteByte('\n')
	t.w.WriteString(b.String())
	return t.w.Flush()
}

// countNoun is "1 object", "2 objects", "0 objects".
func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// termSafe escapes control and bidirectional-formatting characters, so
// that names and messages read from untrusted manifests can neither drive
// the terminal nor break the table's layout.
func termSafe(s string) string {
	unsafe := func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) }
	if !strings.ContainsFunc(s, unsafe) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

package scan

import (
	"strings"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// NewResult is the report entry for obj, evaluated as res, read from
// source. The caller sets the lines it knows. An object whose apiVersion
// and kind Palisade does not know is reported as not evaluated, with the
// violations of the only rules the engine ran on it, those that judge any
// apiVersion (deprecatedAPIVersions).
func NewResult(source string, obj *workload.Object, res *engine.Result) *Result {
	r := &Result{
		Source: source, Kind: obj.Kind, Namespace: res.Namespace, Name: obj.Meta.Name,
		Skipped: res.Skipped, Violations: make([]Violation, 0, len(res.Findings)),
	}
	if obj.Unknown != "" {
		r.Namespace, r.Skipped, r.NotEvaluated = obj.Meta.Namespace, "", obj.Unknown
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		r.Violations = append(r.Violations, Violation{
			Rule: f.Rule, Action: string(f.Action), Severity: string(f.Severity), Container: f.Container,
			Field: f.Field, Message: f.Message(),
		})
	}
	return r
}

// count adds r to the summary.
func (s *Summary) count(r *Result) {
	s.Objects++
	if r.NotEvaluated != "" {
		s.NotEvaluated++
	}
	enforced := false
	for _, v := range r.Violations {
		s.Violations++
		if enforces(v.Action) {
			enforced = true
		} else {
			s.Logged++
		}
	}
	if enforced {
		s.Blocked++
	}
}

// enforces reports whether a violation's action does something beyond
// recording it: block, isolate or terminate.
func enforces(action string) bool { return action != actionLog }

// Stream feeds a Writer with objects evaluated elsewhere — a cluster
// audit lists live objects instead of reading files — and counts the
// summary exactly as Scanner.Run does. Calls come from one goroutine.
type Stream struct {
	w   Writer
	sum Summary
}

// NewStream begins a report on w; tab is the tab the objects are
// evaluated on, recorded in the summary.
func NewStream(w Writer, tab string) (*Stream, error) {
	if err := w.Begin(); err != nil {
		return nil, err
	}
	return &Stream{w: w, sum: Summary{Tab: tab}}, nil
}

// Result reports one object.
func (s *Stream) Result(r *Result) error {
	s.sum.count(r)
	return s.w.Result(r)
}

// Error reports an object or a listing that could not be read.
func (s *Stream) Error(e *InputError) error {
	s.sum.Errors++
	return s.w.Error(e)
}

// End finishes the report and returns its summary.
func (s *Stream) End() (Summary, error) {
	return s.sum, s.w.End(s.sum)
}

// clusterScheme starts the source of an object read from a cluster.
const clusterScheme = "cluster://"

// ClusterSource names a live object where a file name would go:
// "cluster://CONTEXT/NAMESPACE/KIND/NAME", or "cluster://CONTEXT/KIND/NAME"
// for a cluster-scoped object ("cluster://CONTEXT/NAMESPACE/KIND" names a
// listing). Characters outside [A-Za-z0-9-._~] are percent-encoded, so
// that a context such as "arn:aws:eks:...:cluster/prod" stays one segment
// of a valid URI.
func ClusterSource(context, namespace, kind, name string) string {
	var b strings.Builder
	b.WriteString(clusterScheme)
	for i, part := range []string{context, namespace, kind, name} {
		if i > 0 && part == "" {
			continue
		}
		if i > 0 {
			b.WriteByte('/')
		}
		escapeSegment(&b, part)
	}
	return b.String()
}

func escapeSegment(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}

// isClusterSource reports whether source names a live object rather than
// a file.
func isClusterSource(source string) bool { return strings.HasPrefix(source, clusterScheme) }

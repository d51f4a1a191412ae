package scan

import (
	"bufio"
	"io"
)

// jsonWriter streams the report as one JSON object:
//
//	{"results":[
//	{"source":"web.yaml","line":1,"kind":"Pod","name":"web","violations":[...]},
//	...
//	],"errors":[...],"summary":{"objects":1,...}}
//
// Every result is written as it comes, one per line, including results
// without violations ("violations":[]). Input errors arrive interleaved with
// results, so they are held (they are few) and written at End; "errors" is
// always present, [] when there were none. An object whose apiVersion and
// kind Palisade does not know is a result with "notEvaluated" (the reason)
// and no violations, counted in the summary's "notEvaluated".
type jsonWriter struct {
	w      *bufio.Writer
	enc    *jsonValue
	n      int
	errors []InputError
}

// NewJSONWriter returns a Writer that prints the report as JSON.
func NewJSONWriter(w io.Writer, _ func(id string) (RuleInfo, bool)) Writer {
	return &jsonWriter{w: bufio.NewWriter(w), enc: newJSONValue()}
}

func (j *jsonWriter) Begin() error {
	_, err := j.w.WriteString(`{"results":[`)
	return err
}

func (j *jsonWriter) Result(r *Result) error {
	out := *r
	if out.Violations == nil {
		out.Violations = []Violation{}
	}
	b, err := j.enc.encode(&out)
	if err != nil {
		return err
	}
	if j.n > 0 {
		j.w.WriteByte(',')
	}
	j.n++
	j.w.WriteByte('\n')
	_, err = j.w.Write(b)
	return err
}

func (j *jsonWriter) Error(e *InputError) error {
	j.errors = append(j.errors, *e)
	return nil
}

func (j *jsonWriter) End(s Summary) error {
	errs := j.errors
	if errs == nil {
		errs = []InputError{}
	}
	b, err := j.enc.encode(errs)
	if err != nil {
		return err
	}
	if j.n > 0 {
		j.w.WriteByte('\n')
	}
	j.w.WriteString(`],"errors":`)
	j.w.Write(b)
	if b, err = j.enc.encode(s); err != nil {
		return err
	}
	j.w.WriteString(`,"summary":`)
	j.w.Write(b)
	j.w.WriteString("}\n")
	return j.w.Flush()
}

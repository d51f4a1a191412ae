package scanreport

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/platform/strictjson"
)

// maxProblems caps the problems one import reports.
const maxProblems = 50

// Problem is an error or a warning located in its source: the file, the
// line, and the JSON path of the field ("Results[0].Vulnerabilities[2].Severity").
type Problem struct {
	Source string
	Line   int
	// Field is the JSON path of the offending field; empty when the
	// problem concerns the whole input.
	Field string
	// Message describes the problem; it starts with Field when there is one.
	Message string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.Source, p.Line, p.Message)
	}
	return fmt.Sprintf("%s: %s", p.Source, p.Message)
}

// Error is why an input could not be imported: every problem found, each
// with its file, line and field. Import returns nothing else as an error.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// docProblems collects the errors and warnings of one document.
type docProblems struct {
	doc      *document.Doc
	errs     []Problem
	warnings []Problem
}

func (ps *docProblems) locate(e *field.Error) Problem {
	return Problem{Source: ps.doc.Source, Line: ps.doc.LineOf(e.Field), Field: e.Field, Message: e.Error()}
}

// fail records an error.
func (ps *docProblems) fail(e *field.Error) {
	if len(ps.errs) < maxProblems {
		ps.errs = append(ps.errs, ps.locate(e))
	}
}

// warn records a warning: something imported, but not exactly as written.
func (ps *docProblems) warn(e *field.Error) {
	if len(ps.warnings) < maxProblems {
		ps.warnings = append(ps.warnings, ps.locate(e))
	}
}

// strictJSON and lenientJSON are the two ways a report is read: Palisade's
// own format refuses unknown fields and keys given twice; scanners' reports
// (whose fields grow with every release) do not.
var (
	strictJSON  = strictjson.New(strictjson.Duplicates | strictjson.UnknownFields)
	lenientJSON = strictjson.New(0)
)

// decode unmarshals j, the JSON of the value at base (nil for a
// document's root), into v; strict refuses unknown and duplicate fields. A
// failure becomes one field error at the offending field.
func decode(base *field.Path, j []byte, v any, strict bool) *field.Error {
	d := lenientJSON
	if strict {
		d = strictJSON
	}
	err := d.Unmarshal(j, v)
	if err == nil {
		return nil
	}
	var serr *strictjson.Error
	if !errors.As(err, &serr) {
		return field.Invalid(orDocument(base), field.OmitValueType{}, err.Error())
	}
	path := pointerPath(base, serr.Pointer)
	switch {
	case serr.Reason == strictjson.Unknown && path != nil:
		return field.Forbidden(path, serr.Detail)
	case serr.Reason == strictjson.Duplicate && path != nil:
		e := field.Duplicate(path, field.OmitValueType{})
		e.Detail = serr.Detail
		return e
	}
	return field.Invalid(orDocument(path), field.OmitValueType{}, serr.Detail)
}

func orDocument(p *field.Path) *field.Path {
	if p == nil {
		return field.NewPath("<document>")
	}
	return p
}

// child is base.Child(name), or a new path at the root.
func child(base *field.Path, name string) *field.Path {
	if base == nil {
		return field.NewPath(name)
	}
	return base.Child(name)
}

// pointerPath turns a JSON pointer ("/Results/0/Vulnerabilities/3") into a
// field path under base ("Results[0].Vulnerabilities[3]").
func pointerPath(base *field.Path, p jsontext.Pointer) *field.Path {
	path := base
	for tok := range p.Tokens() {
		if n, err := strconv.Atoi(tok); err == nil && strictjson.IsIndex(tok) && path != nil {
			path = path.Index(n)
			continue
		}
		path = child(path, tok)
	}
	return path
}

// located turns a reading error of the document package into a problem.
func located(source string, err error) Problem {
	var derr *document.Error
	if errors.As(err, &derr) {
		return Problem{Source: derr.Source, Line: derr.Line, Message: derr.Err.Error()}
	}
	return Problem{Source: source, Message: err.Error()}
}

// severityValues are the severities a report may give, for messages.
var severityValues = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"}

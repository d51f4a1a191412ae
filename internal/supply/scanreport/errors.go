package scanreport

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/document"
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

// decode unmarshals j, the JSON of the value at base (nil for a
// document's root), into v; strict refuses unknown and duplicate fields. A
// failure becomes one field error at the offending field.
func decode(base *field.Path, j []byte, v any, strict bool) *field.Error {
	opts := jsonv2.JoinOptions(jsontext.AllowDuplicateNames(!strict), jsontext.AllowInvalidUTF8(true), jsonv2.RejectUnknownMembers(strict))
	err := jsonv2.Unmarshal(j, v, opts)
	if err == nil {
		return nil
	}
	var serr *jsonv2.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.As(err, &serr):
		path := pointerPath(base, serr.JSONPointer)
		if errors.Is(serr.Err, jsonv2.ErrUnknownName) && path != nil {
			return field.Forbidden(path, "unknown field")
		}
		return field.Invalid(orDocument(path), field.OmitValueType{}, semanticMessage(serr))
	case errors.As(err, &syn):
		path := pointerPath(base, syn.JSONPointer)
		if errors.Is(syn.Err, jsontext.ErrDuplicateName) && path != nil {
			e := field.Duplicate(path, field.OmitValueType{})
			e.Detail = "field given twice"
			return e
		}
		return field.Invalid(orDocument(path), field.OmitValueType{}, strings.TrimPrefix(syn.Err.Error(), "jsontext: "))
	}
	return field.Invalid(orDocument(base), field.OmitValueType{}, err.Error())
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

// semanticMessage says what was wrong with a value, in terms a report's
// author knows.
func semanticMessage(e *jsonv2.SemanticError) string {
	if errors.Is(e.Err, jsonv2.ErrUnknownName) {
		return "unknown field"
	}
	if e.JSONKind != 0 && e.GoType != nil {
		return fmt.Sprintf("must be %s, not %s", jsonKind(e.GoType.Kind().String()), kindName(e.JSONKind))
	}
	if e.Err != nil {
		return strings.TrimPrefix(e.Err.Error(), "json: ")
	}
	return strings.TrimPrefix(e.Error(), "json: ")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "slice", "array":
		return "a list"
	case "map", "struct", "ptr":
		return "an object"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "float64", "float32", "int", "int64", "int32", "uint", "uint64", "uint32":
		return "a number"
	}
	return "a " + goKind
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 'f', 't':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '{':
		return "an object"
	case '[':
		return "a list"
	}
	return "invalid"
}

// pointerPath turns a JSON pointer ("/Results/0/Vulnerabilities/3") into a
// field path under base ("Results[0].Vulnerabilities[3]").
func pointerPath(base *field.Path, p jsontext.Pointer) *field.Path {
	path := base
	for tok := range p.Tokens() {
		if n, err := strconv.Atoi(tok); err == nil && n >= 0 && path != nil {
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

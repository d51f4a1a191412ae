package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"

	"github.com/palisade-dev/palisade/internal/core/document"
)

// Bundle is what one policy file holds: policies and runtime rulesets.
type Bundle struct {
	Policies []*Policy
	Rulesets []*RuntimeRuleset
}

// Problem is one validation error located in its source.
type Problem struct {
	Source string
	Line   int
	Err    *field.Error
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.Source, p.Line, p.Err.Error())
	}
	return fmt.Sprintf("%s: %s", p.Source, p.Err.Error())
}

// ValidationError lists every problem found, in source order.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// MaxFileSize bounds a policy or ruleset file, which is read whole: one
// document's bound (document.MaxDocumentSize). A larger file is refused
// after reading this much, not loaded first.
const MaxFileSize = document.MaxDocumentSize

// LoadFile reads and validates a policy file.
func LoadFile(path string, cat Catalog) (*Bundle, error) {
	data, err := document.ReadFile(path, MaxFileSize)
	if err != nil {
		return nil, err
	}
	return Load(path, data, cat)
}

// Load parses every document of data (YAML or JSON, one or more
// documents) and validates it completely. A *ValidationError lists every
// field problem with its line; a *document.Error reports unreadable input.
func Load(source string, data []byte, cat Catalog) (*Bundle, error) {
	b := &Bundle{}
	var problems []Problem
	r := document.NewReader(bytes.NewReader(data), source)
	for {
		doc, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		errs, err := b.add(&doc, cat)
		if err != nil {
			return nil, err
		}
		problems = append(problems, Locate(&doc, errs)...)
	}
	if len(b.Policies) == 0 && len(b.Rulesets) == 0 && len(problems) == 0 {
		return nil, &document.Error{Source: source, Err: errors.New("no Policy or RuntimeRuleset document found")}
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	names := map[string]bool{}
	for _, p := range b.Policies {
		if names[p.Metadata.Name] {
			return nil, &document.Error{Source: source, Err: fmt.Errorf("policy %q is defined twice", p.Metadata.Name)}
		}
		names[p.Metadata.Name] = true
	}
	names = map[string]bool{}
	for _, rs := range b.Rulesets {
		if names[rs.Metadata.Name] {
			return nil, &document.Error{Source: source, Err: fmt.Errorf("runtime ruleset %q is defined twice", rs.Metadata.Name)}
		}
		names[rs.Metadata.Name] = true
	}
	return b, nil
}

func (b *Bundle) add(doc *document.Doc, cat Catalog) (field.ErrorList, error) {
	j, err := doc.JSONStrict()
	if err != nil {
		return nil, err
	}
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	_ = kjson.UnmarshalCaseSensitivePreserveInts(j, &head)
	switch head.Kind {
	case KindPolicy:
		p := &Policy{}
		errs := DecodeStrict(j, p)
		// Validate what did decode too: every problem is reported at once.
		errs = append(errs, Validate(p, cat)...)
		b.Policies = append(b.Policies, p)
		return errs, nil
	case KindRuntimeRuleset:
		rs := &RuntimeRuleset{}
		errs := DecodeStrict(j, rs)
		errs = append(errs, ValidateRuleset(rs)...)
		b.Rulesets = append(b.Rulesets, rs)
		return errs, nil
	default:
		return field.ErrorList{field.NotSupported(field.NewPath("kind"), head.Kind, []string{KindPolicy, KindRuntimeRuleset})}, nil
	}
}

// DecodeStrict decodes j into v, reporting unknown and duplicate fields and
// type mismatches as field errors. Palisade's other documents (the Test of
// `palisade test`) are decoded with it too.
func DecodeStrict(j []byte, v any) field.ErrorList {
	strict, err := kjson.UnmarshalStrict(j, v)
	var errs field.ErrorList
	if err != nil {
		errs = append(errs, TypeError(nil, err))
	}
	for _, s := range strict {
		msg := s.Error()
		if p, ok := strings.CutPrefix(msg, "unknown field "); ok {
			errs = append(errs, field.Forbidden(field.NewPath(strings.Trim(p, `"`)), "unknown field"))
			continue
		}
		if p, ok := strings.CutPrefix(msg, "duplicate field "); ok {
			errs = append(errs, field.Duplicate(field.NewPath(strings.Trim(p, `"`)), "field given twice"))
			continue
		}
		errs = append(errs, field.Invalid(field.NewPath("<document>"), "", msg))
	}
	return errs
}

var typeErr = regexp.MustCompile(`cannot unmarshal (\w+) into Go (?:struct field \w+\.(\S+)|value) of type (\S+)`)

// TypeError turns a JSON decoding error into a field error, under base
// (nil for the document root), naming the field and the expected type.
func TypeError(base *field.Path, err error) *field.Error {
	msg := strings.TrimPrefix(err.Error(), "json: ")
	m := typeErr.FindStringSubmatch(msg)
	if m == nil {
		if base == nil {
			base = field.NewPath("<document>")
		}
		return field.Invalid(base, "", msg)
	}
	path := base
	if m[2] != "" {
		for _, part := range strings.Split(m[2], ".") {
			if path == nil {
				path = field.NewPath(part)
			} else {
				path = path.Child(part)
			}
		}
	}
	if path == nil {
		path = field.NewPath("<document>")
	}
	return field.Invalid(path, m[1], "must be "+jsonType(m[3]))
}

// jsonType names a Go type as a policy author knows it.
func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "an object"
	case goType == "string", goType == "policy.Action", goType == "policy.Tab":
		return "a string"
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "a number"
	case goType == "bool":
		return "a boolean"
	case strings.Contains(goType, "."):
		return "an object" // a named struct
	}
	return "a string"
}

// Locate attaches its line in doc to every field error, sorted by line.
func Locate(doc *document.Doc, errs field.ErrorList) []Problem {
	out := make([]Problem, 0, len(errs))
	for _, e := range errs {
		out = append(out, Problem{Source: doc.Source, Line: doc.LineOf(e.Field), Err: e})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// The Trend Micro resources TrendMicro reads. The cloudone chart and the
// visionone chart publish the same kinds under different groups.
const (
	tmAPIVersionCloudOne  = "visionone.trendmicro.com/v1alpha1"
	tmAPIVersionVisionOne = "container-security.trendmicro.com/v1alpha1"
	tmKindClusterPolicy   = "ClusterPolicy"
	tmKindRuntimeRuleset  = "RuntimeRuleset"
)

var (
	tmAPIVersions = []string{tmAPIVersionCloudOne, tmAPIVersionVisionOne}
	tmKinds       = []string{tmKindClusterPolicy, tmKindRuntimeRuleset}
)

// Result is what an import produces: one policy, the runtime rulesets it
// binds, and what could not be carried over exactly.
type Result struct {
	Policy   *policy.Policy
	Rulesets []*policy.RuntimeRuleset
	// Warnings read "file:line: field: message", in source order.
	Warnings []string
}

// TrendMicro converts a file holding at most one Trend Micro ClusterPolicy
// and any number of RuntimeRulesets (YAML or JSON, one or more documents)
// into a Palisade policy and runtime rulesets. Invalid input returns a
// *policy.ValidationError listing every problem with its line; unreadable
// input returns a *document.Error.
func TrendMicro(source string, data []byte) (*Result, error) {
	var docs []*document.Doc
	r := document.NewReader(bytes.NewReader(data), source)
	for {
		doc, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, &doc)
	}
	if len(docs) == 0 {
		return nil, &document.Error{Source: source, Err: errors.New("no Trend Micro ClusterPolicy or RuntimeRuleset document found")}
	}
	return trendMicroDocs(docs)
}

// trendMicroDocs imports documents of one or more files; at most one of
// them may be a ClusterPolicy.
func trendMicroDocs(docs []*document.Doc) (*Result, error) {
	imp := &importer{}
	for _, doc := range docs {
		if err := imp.add(doc); err != nil {
			return nil, err
		}
	}
	if len(imp.problems) > 0 {
		return nil, &policy.ValidationError{Problems: imp.problems}
	}
	if imp.policy == nil && len(imp.rulesets) == 0 {
		return nil, &document.Error{Source: docs[0].Source, Err: errors.New("no Trend Micro ClusterPolicy or RuntimeRuleset document found")}
	}
	return imp.result(), nil
}

// YAML renders the policy and then each ruleset as one multi-document YAML
// stream, ready for `palisade policy validate`.
func (r *Result) YAML() ([]byte, error) {
	docs := make([]any, 0, 1+len(r.Rulesets))
	if r.Policy != nil {
		docs = append(docs, r.Policy)
	}
	for _, rs := range r.Rulesets {
		docs = append(docs, rs)
	}
	var buf bytes.Buffer
	for i, d := range docs {
		b, err := renderYAML(d)
		if err != nil {
			return nil, fmt.Errorf("render imported policy: %w", err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// renderYAML renders v and checks that the YAML reads back as the same
// JSON: a property key such as "<<" would otherwise come back as a YAML
// merge key.
func renderYAML(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	y, err := yaml.JSONToYAML(j)
	if err != nil {
		return nil, err
	}
	back, err := yaml.YAMLToJSON(y)
	var want, got any
	if err == nil {
		err = json.Unmarshal(j, &want)
	}
	if err == nil {
		err = json.Unmarshal(back, &got)
	}
	if err != nil || !reflect.DeepEqual(want, got) {
		return nil, errors.New(`the result does not read back unchanged from YAML (a property key such as "<<" means something else there)`)
	}
	return y, nil
}

// importer accumulates the documents of one file.
type importer struct {
	policy   *tmPolicy
	rulesets []*tmRuleset
	problems []policy.Problem
	warnings []string
}

// tmObject is the envelope every Trend Micro document shares.
type tmObject struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       json.RawMessage   `json:"spec,omitempty"`
	// Status is written by Trend Micro's controller; it means nothing here.
	Status json.RawMessage `json:"status,omitempty"`
}

func (imp *importer) add(doc *document.Doc) error {
	j, err := doc.JSON()
	if err != nil {
		return err
	}
	d := &docCtx{doc: doc}
	defer imp.collect(d)
	var obj tmObject
	if !d.decode(j, &obj, nil) {
		return nil
	}
	ok := true
	if !slices.Contains(tmAPIVersions, obj.APIVersion) {
		d.errs = append(d.errs, field.NotSupported(field.NewPath("apiVersion"), obj.APIVersion, tmAPIVersions))
		ok = false
	}
	if !slices.Contains(tmKinds, obj.Kind) {
		d.errs = append(d.errs, field.NotSupported(field.NewPath("kind"), obj.Kind, tmKinds))
		ok = false
	}
	if !ok {
		return nil
	}
	name := field.NewPath("metadata", "name")
	d.errs = append(d.errs, policy.ValidateName(obj.Metadata.Name, name)...)
	spec := field.NewPath("spec")
	switch obj.Kind {
	case tmKindClusterPolicy:
		if imp.policy != nil {
			d.errs = append(d.errs, field.Invalid(field.NewPath("kind"), obj.Kind,
				fmt.Sprintf("a file holds at most one ClusterPolicy (%q comes first)", imp.policy.name)))
			return nil
		}
		p := parseClusterPolicy(d, obj.Spec, spec)
		p.name = obj.Metadata.Name
		imp.policy = p
	case tmKindRuntimeRuleset:
		rs := parseRuleset(d, obj.Metadata.Name, obj.Spec, spec)
		imp.checkRulesetNames(d, rs, name)
		imp.rulesets = append(imp.rulesets, rs)
	}
	return nil
}

// checkRulesetNames reports a ruleset whose imported names collide with
// those of an earlier one.
func (imp *importer) checkRulesetNames(d *docCtx, rs *tmRuleset, path *field.Path) {
	for _, prev := range imp.rulesets {
		if prev.name == rs.name {
			d.errs = append(d.errs, field.Duplicate(path, rs.name))
			return
		}
	}
	for _, out := range rs.outputNames() {
		if out != rs.name && rs.name != "" && len(validation.IsDNS1123Subdomain(rs.name)) == 0 {
			for _, msg := range validation.IsDNS1123Subdomain(out) {
				d.errs = append(d.errs, field.Invalid(path, rs.name, fmt.Sprintf("imported ruleset name %q: %s", out, msg)))
			}
		}
		for _, prev := range imp.rulesets {
			if slices.Contains(prev.outputNames(), out) {
				d.errs = append(d.errs, field.Invalid(path, rs.name,
					fmt.Sprintf("imported ruleset name %q is also produced by RuntimeRuleset %q", out, prev.name)))
				return
			}
		}
	}
}

// collect moves a document's problems and warnings into the importer,
// located and sorted by line.
func (imp *importer) collect(d *docCtx) {
	start := len(imp.problems)
	for _, e := range d.errs {
		imp.problems = append(imp.problems, policy.Problem{Source: d.doc.Source, Line: d.doc.LineOf(e.Field), Err: e})
	}
	added := imp.problems[start:]
	sort.SliceStable(added, func(i, j int) bool { return added[i].Line < added[j].Line })
	sort.SliceStable(d.warns, func(i, j int) bool { return d.warns[i].line < d.warns[j].line })
	for _, w := range d.warns {
		loc := d.doc.Source
		if w.line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, w.line)
		}
		imp.warnings = append(imp.warnings, fmt.Sprintf("%s: %s: %s", loc, w.path, w.msg))
	}
}

// docCtx gathers the errors and warnings of one document.
type docCtx struct {
	doc   *document.Doc
	errs  field.ErrorList
	warns []warning
}

type warning struct {
	line int
	path string
	msg  string
}

func (d *docCtx) warn(path string, format string, args ...any) {
	d.warns = append(d.warns, warning{line: d.doc.LineOf(path), path: path, msg: fmt.Sprintf(format, args...)})
}

// decode decodes j into v, the value at path (nil for the document root).
// A type mismatch is an error; an unknown field is a warning, since Trend
// Micro's API server prunes unknown fields rather than rejecting them. It
// reports whether v could be decoded.
func (d *docCtx) decode(j []byte, v any, path *field.Path) bool {
	strict, err := kjson.UnmarshalStrict(j, v)
	if err != nil {
		d.typeErrors(j, v, path, err)
		return false
	}
	for _, s := range strict {
		msg := s.Error()
		if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
			d.warn(join(path, strings.Trim(name, `"`)), "unknown field, ignored")
			continue
		}
		if name, ok := strings.CutPrefix(msg, "duplicate field "); ok {
			d.errs = append(d.errs, field.Duplicate(field.NewPath(join(path, strings.Trim(name, `"`))), "field given twice"))
			continue
		}
		p := path
		if p == nil {
			p = field.NewPath("<document>")
		}
		d.errs = append(d.errs, field.Invalid(p, "", msg))
	}
	return true
}

// typeErrors reports err, the first type mismatch found decoding j into
// v; when j is an object it reports the mismatch of every field instead,
// decoding each field alone.
func (d *docCtx) typeErrors(j []byte, v any, path *field.Path, err error) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(j, &fields) != nil || len(fields) < 2 {
		d.errs = append(d.errs, typeError(path, err))
		return
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		one, _ := json.Marshal(map[string]json.RawMessage{k: fields[k]})
		fresh := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if _, err := kjson.UnmarshalStrict(one, fresh); err != nil {
			d.errs = append(d.errs, typeError(path, err))
		}
	}
}

// decodeList decodes each item of a list on its own, so that every bad
// item is reported, not only the first. Items that do not decode are nil.
func decodeList[T any](d *docCtx, items []json.RawMessage, path *field.Path) []*T {
	out := make([]*T, len(items))
	for i, raw := range items {
		v := new(T)
		if d.decode(raw, v, path.Index(i)) {
			out[i] = v
		}
	}
	return out
}

// typeError names the expected JSON type, not the Go one.
func typeError(path *field.Path, err error) *field.Error {
	fe := policy.TypeError(path, err)
	if t, ok := strings.CutPrefix(fe.Detail, "must be of type "); ok {
		fe.Detail = "must be " + jsonType(t)
	}
	return fe
}

func jsonType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a map"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "a boolean"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "float"):
		return "a number"
	default:
		return "an object"
	}
}

func join(path *field.Path, rel string) string {
	if path == nil {
		return rel
	}
	if strings.HasPrefix(rel, "[") {
		return path.String() + rel
	}
	return path.String() + "." + rel
}

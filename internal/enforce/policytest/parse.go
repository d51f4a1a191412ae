package policytest

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// maxTestFile bounds a test file: it is read whole.
const maxTestFile = 4 << 20

// LoadFile reads and validates the Test documents of a file.
func LoadFile(path string, reg *rules.Registry) ([]*Test, error) {
	data, err := document.ReadFile(path, maxTestFile)
	if err != nil {
		return nil, err
	}
	return Load(path, data, reg)
}

// Load parses every document of data as a Test and validates it
// completely. A *policy.ValidationError lists every field problem with its
// line; a *document.Error reports unreadable input.
func Load(source string, data []byte, reg *rules.Registry) ([]*Test, error) {
	var tests []*Test
	var problems []policy.Problem
	r := document.NewReader(bytes.NewReader(data), source)
	for {
		doc, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		t := &Test{doc: &doc}
		errs, err := t.decode(reg)
		if err != nil {
			return nil, err
		}
		tests = append(tests, t)
		problems = append(problems, policy.Locate(&doc, errs)...)
	}
	if len(tests) == 0 {
		return nil, &document.Error{Source: source, Err: errors.New("no Test document found")}
	}
	if len(problems) > 0 {
		return nil, &policy.ValidationError{Problems: problems}
	}
	return tests, nil
}

func (t *Test) decode(reg *rules.Registry) (field.ErrorList, error) {
	j, err := t.doc.JSONStrict()
	if err != nil {
		return nil, err
	}
	var head struct {
		Kind string `json:"kind"`
	}
	_ = kjson.UnmarshalCaseSensitivePreserveInts(j, &head)
	if head.Kind != KindTest {
		return field.ErrorList{field.NotSupported(field.NewPath("kind"), head.Kind, []string{KindTest})}, nil
	}
	errs := policy.DecodeStrict(j, t)
	// Validate what did decode too: every problem is reported at once.
	return append(errs, t.validate(reg)...), nil
}

// validate checks what can be checked without reading the files the test
// names; Run checks the rest (rules enabled, resources present).
func (t *Test) validate(reg *rules.Registry) field.ErrorList {
	var errs field.ErrorList
	if t.APIVersion != policy.APIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), t.APIVersion, []string{policy.APIVersion}))
	}
	errs = append(errs, policy.ValidateName(t.Metadata.Name, field.NewPath("metadata", "name"))...)
	spec := field.NewPath("spec")
	s := &t.Spec
	if len(s.Policies) == 0 && len(s.Presets) == 0 {
		errs = append(errs, field.Required(spec.Child("policies"), "a test names at least one policy file or preset"))
	}
	errs = append(errs, validatePaths(s.Policies, spec.Child("policies"))...)
	for i, name := range s.Presets {
		if !slices.Contains(policy.PresetNames(), name) {
			errs = append(errs, field.NotSupported(spec.Child("presets").Index(i), name, policy.PresetNames()))
		}
	}
	if len(s.Resources) == 0 {
		errs = append(errs, field.Required(spec.Child("resources"), "a test names at least one manifest file"))
	}
	errs = append(errs, validatePaths(s.Resources, spec.Child("resources"))...)
	errs = append(errs, validatePaths(s.ScanResults, spec.Child("scanResults"))...)
	if s.Namespace != "" {
		for _, msg := range validation.IsDNS1123Label(s.Namespace) {
			errs = append(errs, field.Invalid(spec.Child("namespace"), s.Namespace, msg))
		}
	}
	switch s.Tab {
	case "", policy.TabDeployment, policy.TabContinuous:
	default:
		errs = append(errs, field.NotSupported(spec.Child("tab"), s.Tab, []string{string(policy.TabDeployment), string(policy.TabContinuous)}))
	}
	if len(s.Results) == 0 {
		errs = append(errs, field.Required(spec.Child("results"), "a test expects at least one result"))
	}
	for i := range s.Results {
		errs = append(errs, s.Results[i].validate(t.tab(), reg, spec.Child("results").Index(i))...)
	}
	return errs
}

func validatePaths(paths []string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, p := range paths {
		if strings.TrimSpace(p) == "" {
			errs = append(errs, field.Required(path.Index(i), "a file path"))
		}
	}
	return errs
}

func (e *Expectation) validate(tab policy.Tab, reg *rules.Registry, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(e.Resources) == 0 {
		errs = append(errs, field.Required(path.Child("resources"), "KIND/NAME or KIND/NAMESPACE/NAME"))
	}
	for i, r := range e.Resources {
		if _, err := parseRef(r); err != nil {
			errs = append(errs, field.Invalid(path.Child("resources").Index(i), r, err.Error()))
		}
	}
	switch {
	case e.Rule == "" && e.Decision == "":
		errs = append(errs, field.Required(path.Child("rule"), "a rule with its result, or a decision"))
	case e.Rule != "" && e.Decision != "":
		errs = append(errs, field.Forbidden(path.Child("decision"), "a result names a rule or a decision, not both"))
	case e.Decision != "":
		if !slices.Contains(decisionsFor(tab), string(e.Decision)) {
			errs = append(errs, field.NotSupported(path.Child("decision"), e.Decision, decisionsFor(tab)))
		}
		for name, set := range map[string]bool{"result": e.Result != "", "action": e.Action != "", "message": e.Message != ""} {
			if set {
				errs = append(errs, field.Forbidden(path.Child(name), "goes with a rule, not with a decision"))
			}
		}
	default:
		if _, ok := reg.Get(e.Rule); !ok {
			errs = append(errs, field.NotFound(path.Child("rule"), e.Rule))
		}
		switch e.Result {
		case Pass, Fail, Skip:
		case "":
			errs = append(errs, field.Required(path.Child("result"), "pass, fail or skip"))
		default:
			errs = append(errs, field.NotSupported(path.Child("result"), e.Result, []string{string(Pass), string(Fail), string(Skip)}))
		}
		if e.Result != Fail && e.Result != "" {
			if e.Action != "" {
				errs = append(errs, field.Forbidden(path.Child("action"), "only with result fail"))
			}
			if e.Message != "" {
				errs = append(errs, field.Forbidden(path.Child("message"), "only with result fail"))
			}
		}
		if e.Action != "" && !slices.Contains(policy.ActionsFor(tab), e.Action) {
			errs = append(errs, field.NotSupported(path.Child("action"), e.Action, policy.ActionsFor(tab)))
		}
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Field < errs[j].Field })
	return errs
}

// tab is the tab the test evaluates.
func (t *Test) tab() policy.Tab {
	if t.Spec.Tab == "" {
		return policy.TabDeployment
	}
	return t.Spec.Tab
}

// namespace is the namespace of objects that carry none.
func (t *Test) namespace() string {
	if t.Spec.Namespace == "" {
		return "default"
	}
	return t.Spec.Namespace
}

// ref names a resource of a test: kind and name, and the namespace when
// given.
type ref struct {
	kind, namespace, name string
}

func parseRef(s string) (ref, error) {
	parts := strings.Split(s, "/")
	for _, p := range parts {
		if p == "" {
			return ref{}, errors.New("must be KIND/NAME or KIND/NAMESPACE/NAME")
		}
	}
	switch len(parts) {
	case 2:
		return ref{kind: parts[0], name: parts[1]}, nil
	case 3:
		return ref{kind: parts[0], namespace: parts[1], name: parts[2]}, nil
	}
	return ref{}, errors.New("must be KIND/NAME or KIND/NAMESPACE/NAME")
}

package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"

	"github.com/palisade-dev/palisade/internal/core/policy"
)

// builtin collects the catalog; each rule file registers its rules.
var builtin []*Rule

func register(r ...*Rule) { builtin = append(builtin, r...) }

// Registry is a validated set of rules.
type Registry struct {
	rules []*Rule
	byID  map[string]*Rule
}

// Builtin returns the registry of every built-in rule.
func Builtin() (*Registry, error) { return NewRegistry(builtin...) }

var idPattern = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)

// NewRegistry validates rules and indexes them by ID. It fails on a
// duplicate or malformed ID, a missing title, description, source,
// severity, tab or constructor, on user-facing text that names an internal
// document instead of a product, and on properties without json and doc
// tags.
func NewRegistry(rules ...*Rule) (*Registry, error) {
	reg := &Registry{byID: map[string]*Rule{}}
	var errs []error
	for _, r := range rules {
		if err := checkRule(r); err != nil {
			errs = append(errs, err)
			continue
		}
		if reg.byID[r.ID] != nil {
			errs = append(errs, fmt.Errorf("rule %q: registered twice", r.ID))
			continue
		}
		reg.byID[r.ID] = r
		reg.rules = append(reg.rules, r)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(reg.rules, func(i, j int) bool { return reg.rules[i].ID < reg.rules[j].ID })
	return reg, nil
}

func checkRule(r *Rule) error {
	switch {
	case !idPattern.MatchString(r.ID):
		return fmt.Errorf("rule %q: ID must be lowerCamelCase", r.ID)
	case r.Title == "" || r.Description == "":
		return fmt.Errorf("rule %q: title and description are required", r.ID)
	case len(r.Sources) == 0:
		return fmt.Errorf("rule %q: a source (the product and control it comes from) is required", r.ID)
	case !slices.Contains([]Severity{Low, Medium, High, Critical}, r.Severity):
		return fmt.Errorf("rule %q: severity %q is not low, medium, high or critical", r.ID, r.Severity)
	case len(r.Tabs) == 0 || r.Targets == 0 || r.New == nil:
		return fmt.Errorf("rule %q: tabs, targets and New are required", r.ID)
	}
	for _, s := range r.Sources {
		if s.Product == "" || s.Control == "" {
			return fmt.Errorf("rule %q: source %q needs a product and a control", r.ID, s)
		}
	}
	if err := checkWords(r); err != nil {
		return err
	}
	for _, t := range r.Tabs {
		if t != policy.TabDeployment && t != policy.TabContinuous {
			return fmt.Errorf("rule %q: tab %q is not deployment or continuous", r.ID, t)
		}
	}
	if r.Params == nil {
		return nil
	}
	p := r.Params()
	if reflect.TypeOf(p).Kind() != reflect.Pointer || reflect.TypeOf(p).Elem().Kind() != reflect.Struct {
		return fmt.Errorf("rule %q: Params must return a pointer to a struct", r.ID)
	}
	for _, pd := range ParamDocs(r) {
		if pd.Name == "" || pd.Doc == "" {
			return fmt.Errorf("rule %q: property %s needs json and doc tags", r.ID, pd.Field)
		}
		if m := internalDocument.FindString(pd.Doc); m != "" {
			return fmt.Errorf("rule %q: property %s: its doc names %q, an internal document; name the product and control", r.ID, pd.Name, m)
		}
	}
	if _, err := json.Marshal(p); err != nil {
		return fmt.Errorf("rule %q: defaults do not encode: %w", r.ID, err)
	}
	if NeedsProperties(r) {
		return nil
	}
	if v, ok := p.(validator); ok {
		if errs := v.Validate(field.NewPath("properties")); len(errs) > 0 {
			return fmt.Errorf("rule %q: defaults are not valid: %w", r.ID, errs.ToAggregate())
		}
	}
	if _, err := r.New(p); err != nil {
		return fmt.Errorf("rule %q: defaults are not valid: %w", r.ID, err)
	}
	return nil
}

// internalDocument matches a reference to the design's source documents
// ("seed 001", "seed-000"), which users do not have.
var internalDocument = regexp.MustCompile(`(?i)\bseed[ -]?\d{3}\b`)

// checkWords refuses user-facing text (title, description, sources) that
// names an internal document instead of a product.
func checkWords(r *Rule) error {
	texts := []string{r.Title, r.Description}
	for _, s := range r.Sources {
		texts = append(texts, s.String())
	}
	for _, t := range texts {
		if m := internalDocument.FindString(t); m != "" {
			return fmt.Errorf("rule %q: user-facing text names %q, an internal document; name the product and control", r.ID, m)
		}
	}
	return nil
}

// All returns every rule, sorted by ID.
func (reg *Registry) All() []*Rule { return reg.rules }

// Get returns the rule with the given ID.
func (reg *Registry) Get(id string) (*Rule, bool) {
	r, ok := reg.byID[id]
	return r, ok
}

// IDs returns every rule ID, sorted.
func (reg *Registry) IDs() []string {
	ids := make([]string, len(reg.rules))
	for i, r := range reg.rules {
		ids[i] = r.ID
	}
	return ids
}

// validator is implemented by properties structs that check themselves.
type validator interface {
	Validate(path *field.Path) field.ErrorList
}

// CheckRule implements policy.Catalog.
func (reg *Registry) CheckRule(pr *policy.Rule, t policy.Tab, path *field.Path) field.ErrorList {
	r, ok := reg.byID[pr.Rule]
	if !ok {
		msg := "unknown rule (`palisade rules` lists the catalog)"
		if near := closest(pr.Rule, reg.idsFor(t)); near != "" {
			msg = fmt.Sprintf("unknown rule; did you mean %q? (`palisade rules` lists the catalog)", near)
		}
		return field.ErrorList{field.Invalid(path.Child("rule"), pr.Rule, msg)}
	}
	if !slices.Contains(r.Tabs, t) {
		return field.ErrorList{field.Invalid(path.Child("rule"), pr.Rule,
			fmt.Sprintf("rule %s is not available in the %s tab (it applies to: %s)", r.ID, t, joinTabs(r.Tabs)))}
	}
	_, errs := reg.build(r, pr.Properties, path.Child("properties"))
	return errs
}

// Build decodes properties for rule pr and returns its check.
func (reg *Registry) Build(pr *policy.Rule) (*Rule, Check, error) {
	r, ok := reg.byID[pr.Rule]
	if !ok {
		return nil, nil, fmt.Errorf("unknown rule %q", pr.Rule)
	}
	c, errs := reg.build(r, pr.Properties, field.NewPath("properties"))
	if len(errs) > 0 {
		return nil, nil, errs.ToAggregate()
	}
	return r, c, nil
}

func (reg *Registry) build(r *Rule, raw json.RawMessage, path *field.Path) (Check, field.ErrorList) {
	empty := len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
	if r.Params == nil {
		if !empty && !bytes.Equal(bytes.TrimSpace(raw), []byte("{}")) {
			return nil, field.ErrorList{field.Forbidden(path, fmt.Sprintf("rule %s takes no properties", r.ID))}
		}
		c, err := r.New(nil)
		if err != nil {
			return nil, field.ErrorList{field.InternalError(path, err)}
		}
		return c, nil
	}
	p := r.Params()
	if !empty {
		strict, err := kjson.UnmarshalStrict(raw, p)
		if err != nil {
			return nil, field.ErrorList{policy.TypeError(path, err)}
		}
		var errs field.ErrorList
		for _, s := range strict {
			msg := s.Error()
			if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
				errs = append(errs, field.Forbidden(path.Child(strings.Trim(name, `"`)),
					fmt.Sprintf("unknown property of rule %s (properties: %s)", r.ID, strings.Join(paramNames(r), ", "))))
			} else {
				errs = append(errs, field.Invalid(path, "", msg))
			}
		}
		if len(errs) > 0 {
			return nil, errs
		}
	}
	if v, ok := p.(validator); ok {
		if errs := v.Validate(path); len(errs) > 0 {
			return nil, errs
		}
	}
	c, err := r.New(p)
	if err != nil {
		return nil, field.ErrorList{field.Invalid(path, string(raw), err.Error())}
	}
	return c, nil
}

func (reg *Registry) idsFor(t policy.Tab) []string {
	var ids []string
	for _, r := range reg.rules {
		if slices.Contains(r.Tabs, t) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

func joinTabs(ts []policy.Tab) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

func paramNames(r *Rule) []string {
	var names []string
	for _, pd := range ParamDocs(r) {
		names = append(names, pd.Name)
	}
	return names
}

// closest returns the candidate nearest to s by edit distance, if it is
// near enough to be a likely typo.
func closest(s string, candidates []string) string {
	best, bestD := "", len(s)/3+2
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

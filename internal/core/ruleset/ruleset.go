package ruleset

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/core/falco/k8saudit"
	"github.com/palisade-dev/palisade/internal/core/falco/syscall"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// Plugins are the Falco plugins whose fields Palisade's sources provide,
// at the versions whose fields they mirror; required_plugin_versions is
// checked against them. k8saudit provides ka.*, json the jevt.* fields the
// k8saudit rules read, container the container.* and k8s.* fields of the
// syscall rules.
var Plugins = map[string]string{
	"k8saudit":  "0.18.0",
	"json":      "0.7.0",
	"container": "0.4.0",
}

// sources are built once: the syscall catalog is checked when it is built.
var sources = sync.OnceValues(func() ([]falco.Source, error) {
	sys, err := syscall.New()
	if err != nil {
		return nil, err
	}
	return []falco.Source{k8saudit.New(k8saudit.Options{}), sys}, nil
})

// LoadOptions are the falco.Options runtime rules are loaded with: the
// Kubernetes audit source, whose events the agent receives, and the
// syscall source, whose rules evaluate the events a syscall sensor
// supplies and answer the alerts a Falco sensor posts.
func LoadOptions() falco.Options {
	srcs, err := sources()
	if err != nil {
		panic("the syscall field catalog is inconsistent: " + err.Error()) // a test builds it
	}
	return falco.Options{Sources: srcs, Plugins: Plugins}
}

// Ruleset is a compiled RuntimeRuleset: its Falco rules and the names of
// the rules whose alerts a Falco sensor posts.
type Ruleset struct {
	Name  string
	Rules *falco.Rules
	// Files are the Falco rules files the ruleset was compiled from (a
	// RuntimeRuleset's falcoRules rendered as one file): what a syscall
	// sensor loads to evaluate the ruleset's syscall rules itself.
	Files []falco.File
	// alerts are the Falco rule names this ruleset answers to: its
	// falcoAlerts, and its own enabled rules of every source but
	// k8s_audit (the agent receives audit events itself; events of the
	// other sources reach it as a Falco sensor's alerts).
	alerts map[string]bool
	// own, when set, are the rules the ruleset's items define (Rules then
	// also holds the stable rules its syscall rules build on).
	own map[string]bool
}

// AnswersAlert reports whether a Falco alert for rule belongs to the
// ruleset.
func (r *Ruleset) AnswersAlert(rule string) bool { return r.alerts[rule] }

//go:embed library/falco_rules.yaml
var stableRules []byte

// stableRulesName names the built-in stable rules in diagnostics.
const stableRulesName = "falco_rules.yaml (built in)"

// StableRules is Falco's published stable rules file (library/README.md).
func StableRules() falco.File { return falco.File{Name: stableRulesName, Data: stableRules} }

// Compile compiles a RuntimeRuleset. Diagnostics name the ruleset and the
// item; an error among them means the ruleset cannot be used.
func Compile(rs *policy.RuntimeRuleset) (*Ruleset, falco.Diagnostics) {
	file := "RuntimeRuleset " + rs.Metadata.Name
	var data []byte
	if len(rs.Spec.FalcoRules) > 0 {
		items, err := json.Marshal(rs.Spec.FalcoRules)
		if err == nil {
			data, err = yaml.JSONToYAML(items)
		}
		if err != nil {
			return nil, falco.Diagnostics{{Severity: falco.Error, Code: falco.ErrYAMLParse, File: file, Message: err.Error()}}
		}
	}
	own, syscallRules := itemRules(rs.Spec.FalcoRules)
	files := []falco.File{{Name: file, Data: data}}
	if syscallRules {
		// A ruleset's syscall rules may use the macros and lists of Falco's
		// stable rules, as rules written for Falco do; those rules
		// themselves are not the ruleset's.
		files = append([]falco.File{StableRules()}, files...)
	}
	rules, all := falco.Load(LoadOptions(), files...)
	// The items were re-rendered from the document: their lines are not the
	// document's, so only the item names locate a problem. What the stable
	// rules' own items say (unused macros, ...) is not the ruleset's.
	var diags falco.Diagnostics
	for _, d := range all {
		if d.File == stableRulesName && d.Severity != falco.Error && !own[strings.TrimSuffix(strings.TrimPrefix(d.Item, "rule '"), "'")] {
			continue // unless it is about one of the ruleset's rules (one that overrides a stable rule)
		}
		d.Line, d.Column = 0, 0
		diags = append(diags, d)
	}
	if !syscallRules {
		own = nil // no stable rules loaded: every rule is the ruleset's
	}
	r := newRuleset(rs.Metadata.Name, rules, rs.Spec.FalcoAlerts, own)
	if data != nil {
		r.Files = []falco.File{{Name: file, Data: data}}
	}
	return r, diags
}

// CompileFiles compiles Falco rules files, loaded in order, into a
// ruleset named name.
func CompileFiles(name string, files ...falco.File) (*Ruleset, falco.Diagnostics) {
	rules, diags := falco.Load(LoadOptions(), files...)
	r := newRuleset(name, rules, nil, nil)
	r.Files = files
	return r, diags
}

// itemRules returns the names of the rules a RuntimeRuleset's items define,
// and whether one of them is a syscall rule (source syscall, Falco's
// default).
func itemRules(items []json.RawMessage) (map[string]bool, bool) {
	own, sys := map[string]bool{}, false
	for _, raw := range items {
		var it struct {
			Rule   *string `json:"rule"`
			Source string  `json:"source"`
		}
		if json.Unmarshal(raw, &it) != nil || it.Rule == nil {
			continue
		}
		own[*it.Rule] = true
		if it.Source == "" || it.Source == syscall.SourceName {
			sys = true
		}
	}
	return own, sys
}

// HasSyscallRules reports whether the ruleset has enabled rules of the
// syscall source: rules a syscall sensor evaluates.
func (r *Ruleset) HasSyscallRules() bool {
	if r.Rules == nil {
		return false
	}
	for _, rule := range r.Own() {
		if rule.Enabled && rule.Source == syscall.SourceName {
			return true
		}
	}
	return false
}

// Own returns the ruleset's rules in file order: those its items define,
// without the stable rules its syscall rules build on.
func (r *Ruleset) Own() []*falco.Rule {
	if r.Rules == nil {
		return nil
	}
	var out []*falco.Rule
	for _, rule := range r.Rules.All() {
		if r.own == nil || r.own[rule.Name] {
			out = append(out, rule)
		}
	}
	return out
}

// newRuleset builds a Ruleset; own, when set, are the rules its items
// define (the stable rules loaded for their macros are not its own).
func newRuleset(name string, rules *falco.Rules, alerts []string, own map[string]bool) *Ruleset {
	r := &Ruleset{Name: name, Rules: rules, alerts: map[string]bool{}, own: own}
	for _, a := range alerts {
		r.alerts[a] = true
	}
	for _, rule := range r.Own() {
		if rule.Enabled && rule.Source != k8saudit.SourceName {
			r.alerts[rule.Name] = true
		}
	}
	return r
}

// RulesetName is the name a rules file gets as a ruleset: its base name
// without the extension (k8s_audit_rules.yaml → k8s_audit_rules).
func RulesetName(file string) string {
	base := path.Base(strings.ReplaceAll(file, "\\", "/"))
	return strings.TrimSuffix(base, path.Ext(base))
}

// Set is the rulesets an agent knows, by name.
type Set struct {
	byName map[string]*Ruleset
}

// NewSet returns a set of rulesets; a later ruleset replaces an earlier
// one of the same name (so a user's ruleset may shadow a built-in one).
func NewSet(rulesets ...*Ruleset) *Set {
	s := &Set{byName: map[string]*Ruleset{}}
	for _, r := range rulesets {
		s.byName[r.Name] = r
	}
	return s
}

// Get returns the ruleset with this name, or nil.
func (s *Set) Get(name string) *Ruleset {
	if s == nil {
		return nil
	}
	return s.byName[name]
}

// Names lists the rulesets, sorted.
func (s *Set) Names() []string {
	var out []string
	for n := range s.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Builtin returns Palisade's built-in rulesets (see builtin/): the seed
// examples, bindable by name from any policy.
func Builtin() ([]*Ruleset, error) {
	docs, err := BuiltinDocuments()
	if err != nil {
		return nil, err
	}
	var out []*Ruleset
	for _, rs := range docs {
		r, diags := Compile(rs)
		if diags.HasErrors() {
			return nil, fmt.Errorf("built-in ruleset %s: %w", rs.Metadata.Name, diags.Err())
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *Ruleset) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// BuiltinDocuments returns the built-in rulesets as documents (for
// listings and the console).
func BuiltinDocuments() ([]*policy.RuntimeRuleset, error) {
	entries, err := builtinFS.ReadDir("builtin")
	if err != nil {
		return nil, err
	}
	var out []*policy.RuntimeRuleset
	for _, e := range entries {
		data, err := builtinFS.ReadFile("builtin/" + e.Name())
		if err != nil {
			return nil, err
		}
		p, err := policy.Load("builtin/"+e.Name(), data, nil)
		if err != nil {
			return nil, fmt.Errorf("built-in rulesets %s: %w", e.Name(), err)
		}
		out = append(out, p.Rulesets...)
	}
	return out, nil
}

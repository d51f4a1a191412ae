package falco

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// typedSource is the test source with event types, as the syscall source
// has them.
type typedSource struct{ testSource }

func (typedSource) Name() string { return "typed" }
func (typedSource) EventTypes() []string {
	return []string{"close", "connect", "execve", "open", "openat"}
}

// typedRule wraps a condition in a rule of the typed source.
func typedRule(name, cond string) string {
	return fmt.Sprintf("- rule: %s\n  desc: d\n  condition: %q\n  output: o\n  priority: WARNING\n  source: typed\n", name, cond)
}

func loadTyped(t *testing.T, files ...string) (*Rules, Diagnostics) {
	t.Helper()
	var fs []File
	for i, f := range files {
		fs = append(fs, File{Name: fmt.Sprintf("f%d.yaml", i+1), Data: []byte(f)})
	}
	return Load(Options{Sources: []Source{testSource{}, typedSource{}}}, fs...)
}

func diagStrings(ds Diagnostics) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}

func TestLanguageDiagnostics(t *testing.T) {
	const validate = "LOAD_ERR_VALIDATE (Error validating rule/macro/list/exception objects)"
	rule := func(extra string) string {
		return "- rule: r\n  desc: d\n  condition: t.n = 1\n  output: o\n  priority: INFO\n  source: test\n" + extra
	}
	tests := []struct {
		name string
		file string
		want []string
	}{
		// Several YAML documents are read whole; lines count from the file's start.
		{"second document", oneRule("t.n = 1") + "---\n" + "- macro: m\n  condition: t.n =\n",
			[]string{
				`f1.yaml:9:14: error: macro 'm': LOAD_ERR_COMPILE_CONDITION (Error compiling condition): unexpected end of condition, expecting a value after '=' at position 5`,
				`f1.yaml:8:3: warning: macro 'm': LOAD_UNUSED_MACRO (Unused macro): macro not referred to by any rule or macro`,
			}},
		{"empty and null documents", "---\n---\n~\n---\n" + oneRule("t.n = 1"), nil},
		{"not a list in a later document", oneRule("t.n = 1") + "---\nrule: x\n",
			[]string{`f1.yaml:8:1: error: LOAD_ERR_YAML_VALIDATE (Error validating internal structure of YAML file): a rules file is a list of items (rule, macro, list, ...)`}},
		{"syntax error in a later document loads nothing", oneRule("t.n = 1") + "---\n- rule: [\n",
			[]string{`f1.yaml:8:1: error: LOAD_ERR_YAML_PARSE (YAML parse error): did not find expected node content`}},
		// Empty items of the file are skipped; inside items: they are refused.
		{"empty items skipped", "-\n" + oneRule("t.n = 1") + "- ~\n-\n", nil},
		{"empty list item refused", "- list: l\n  items:\n    - a\n    -\n",
			[]string{`f1.yaml:4:6: error: list 'l': LOAD_ERR_YAML_VALIDATE (Error validating internal structure of YAML file): an empty item (null) in items: sequence value is not scalar`}},
		// %container.info is dropped, with Falco's warning.
		{"container.info", "- rule: r\n  desc: d\n  condition: t.n = 1\n  output: shell %t.s %container.info\n  priority: INFO\n  source: test\n",
			[]string{`f1.yaml:1:3: warning: rule 'r': LOAD_DEPRECATED_ITEM (Used deprecated item): %container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The container plugin will automatically add required fields to the output message.`}},
		// Every macro is checked, used or not.
		{"unused macro with an undefined macro", "- macro: m\n  condition: t.n = 1 and nope\n",
			[]string{
				`f1.yaml:2:14: error: macro 'm': ` + validate + `: undefined macro 'nope' used in filter`,
				`f1.yaml:1:3: warning: macro 'm': LOAD_UNUSED_MACRO (Unused macro): macro not referred to by any rule or macro`,
			}},
		{"unused macro with a syntax error", "- macro: m\n  condition: t.n = (\n",
			[]string{
				`f1.yaml:2:14: error: macro 'm': LOAD_ERR_COMPILE_CONDITION (Error compiling condition): unexpected '(', expecting a value after '=' at position 6`,
				`f1.yaml:1:3: warning: macro 'm': LOAD_UNUSED_MACRO (Unused macro): macro not referred to by any rule or macro`,
			}},
		{"forward reference", "- macro: a\n  condition: b\n- macro: b\n  condition: t.n = 1\n" + oneRule("a"),
			[]string{
				`f1.yaml:2:14: error: macro 'a': ` + validate + `: undefined macro 'b' used in filter`,
				`f1.yaml:7:14: error: rule 'r': ` + validate + `: macro 'a' has a condition that does not compile`,
				`f1.yaml:3:3: warning: macro 'b': LOAD_UNUSED_MACRO (Unused macro): macro not referred to by any rule or macro`,
			}},
		{"macro used by an unused macro is used", "- macro: a\n  condition: t.n = 1\n- macro: b\n  condition: a\n",
			[]string{`f1.yaml:3:3: warning: macro 'b': LOAD_UNUSED_MACRO (Unused macro): macro not referred to by any rule or macro`}},
		// As in Falco, a macro has no source: its fields are checked in the
		// rules that use it, not when no rule does.
		{"unused macro with an unknown field", "- macro: m\n  condition: t.zzz = 1\n",
			[]string{`f1.yaml:1:3: warning: macro 'm': LOAD_UNUSED_MACRO (Unused macro): macro not referred to by any rule or macro`}},
		// Exceptions are checked whether or not they have values.
		{"exception with an unknown field", rule("  exceptions:\n    - name: e\n      fields: [t.s, t.zzz]\n"),
			[]string{`f1.yaml:9:15: error: rule 'r' exception 'e': ` + validate + `: 't.zzz' is not a supported filter field`}},
		{"exception single unknown field", rule("  exceptions:\n    - name: e\n      fields: t.zzz\n"),
			[]string{`f1.yaml:9:15: error: rule 'r' exception 'e': ` + validate + `: 't.zzz' is not a supported filter field`}},
		{"exception with an argument", rule("  exceptions:\n    - name: e\n      fields: ['t.m[user]']\n"), nil},
		{"exception comps length", rule("  exceptions:\n    - name: e\n      fields: [t.s, t.n]\n      comps: [=]\n"),
			[]string{`f1.yaml:10:14: error: rule 'r' exception 'e': ` + validate + `: fields and comps lists must have equal length`}},
		{"exception unknown operator", rule("  exceptions:\n    - name: e\n      fields: [t.s]\n      comps: [like]\n"),
			[]string{`f1.yaml:10:14: error: rule 'r' exception 'e': ` + validate + `: 'like' is not a supported comparison operator`}},
		{"exception single field with =", rule("  exceptions:\n    - name: e\n      fields: t.s\n      comps: =\n"),
			[]string{`f1.yaml:10:14: error: rule 'r' exception 'e': ` + validate + `: when fields is a single value, comps must be one of (in, pmatch, intersects)`}},
		{"exception single field with list comps", rule("  exceptions:\n    - name: e\n      fields: t.s\n      comps: [in]\n"),
			[]string{`f1.yaml:10:14: error: rule 'r' exception 'e': ` + validate + `: fields and comps must both be strings`}},
		{"exception without fields", rule("  exceptions:\n    - name: e\n      values: [[a]]\n"),
			[]string{`f1.yaml:8:7: error: rule 'r' exception 'e': ` + validate + `: rule exception item must have fields property with a list of fields`}},
		{"appended exception without values", rule("- rule: r\n  exceptions:\n    - name: new\n      fields: [t.s]\n  append: true\n"),
			[]string{`f1.yaml:9:7: error: rule 'r' exception 'new': ` + validate + `: rule exception must have values property with a list of values`}},
		{"exception of a rule of an unknown source", "- rule: r\n  desc: d\n  condition: x.y = 1\n  output: o\n  priority: INFO\n  source: other\n  exceptions:\n    - name: e\n      fields: [x.z]\n",
			[]string{`f1.yaml:1:3: warning: rule 'r': LOAD_UNKNOWN_SOURCE (Unknown source): unknown source other, skipping (and every other rule of that source)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := load(t, tc.file)
			if diff := cmp.Diff(tc.want, diagStrings(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMultiDocumentRules(t *testing.T) {
	rs := mustLoad(t, "- list: l\n  items: [a]\n---\n- macro: m\n  condition: t.s in (l)\n---\n"+oneRule("m"))
	m := rs.NewMatcher()
	if !m.Matches(rs.Rule("r"), testEvent{"t.s": {"a"}}) {
		t.Error("a rule of the third document, using a list and a macro of the first two, does not match")
	}
}

func TestContainerInfoDropped(t *testing.T) {
	rs, _ := load(t, "- rule: r\n  desc: d\n  condition: t.n = 1\n  output: shell %t.s %container.info by %t.n\n  priority: INFO\n  source: test\n")
	r := rs.Rule("r")
	if r == nil {
		t.Fatal("rule not compiled")
	}
	if got, want := r.Output, "shell %t.s  by %t.n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	m := rs.NewMatcher()
	if !m.Matches(r, testEvent{"t.n": {"1"}, "t.s": {"sh"}}) {
		t.Fatal("no match")
	}
	if got, want := m.Output(r), "shell sh  by 1"; got != want {
		t.Errorf("formatted %q, want %q", got, want)
	}
}

func TestRuleEventTypes(t *testing.T) {
	tests := []struct {
		cond  string
		types []string
		all   bool
	}{
		{"evt.type = open", []string{"open"}, false},
		{"evt.type == open", []string{"open"}, false},
		{"evt.type in (open, openat) and t.s = x", []string{"open", "openat"}, false},
		{"evt.type in (open, openat) and evt.type = openat", []string{"openat"}, false},
		{"evt.type = open or evt.type = execve", []string{"execve", "open"}, false},
		{"evt.type = open or t.s = x", nil, true},
		{"t.s = x", nil, true},
		{"not t.s = x", nil, true},
		{"evt.type != open", []string{"close", "connect", "execve", "openat"}, false},
		{"not evt.type = open", []string{"close", "connect", "execve", "openat"}, false},
		{"not evt.type != open", []string{"open"}, false},
		{"not (evt.type = open or evt.type = close)", []string{"connect", "execve", "openat"}, false},
		{"not (evt.type = open and t.s = x)", nil, true},
		{"evt.type exists", nil, true},
		{"not evt.type exists", []string{}, false},
		{"evt.type = open and evt.type = close", []string{}, false},
		{"evt.type startswith open", nil, true},
		// Macros and lists are expanded.
		{"spawned and t.s = x", []string{"execve"}, false},
		{"evt.type in (opens)", []string{"open", "openat"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			rs, diags := loadTyped(t, "- list: opens\n  items: [open, openat]\n- macro: spawned\n  condition: evt.type = execve\n"+typedRule("r", tc.cond))
			if diags.HasErrors() {
				t.Fatal(diags.Errors())
			}
			types, all := rs.Rule("r").EventTypes()
			if diff := cmp.Diff(tc.types, types); diff != "" || all != tc.all {
				t.Errorf("types (-want +got):\n%s\nall %v, want %v", diff, all, tc.all)
			}
		})
	}
}

func TestEventTypeDiagnostics(t *testing.T) {
	noEvttype := `f1.yaml:1:3: warning: rule 'r': LOAD_NO_EVTTYPE (Condition has no event-type restriction): Rule matches too many evt.type values. This has a significant performance penalty.`
	tests := []struct {
		name, file string
		want       []string
	}{
		{"restricted", typedRule("r", "evt.type = open"), nil},
		{"no restriction", typedRule("r", "t.s = x"), []string{noEvttype}},
		{"matches nothing", typedRule("r", "evt.type = open and evt.type = close"), []string{noEvttype}},
		{"warn_evttypes false", typedRule("r", "t.s = x") + "  warn_evttypes: false\n", nil},
		{"unknown event type", typedRule("r", "evt.type in (open, opne)"),
			[]string{`f1.yaml:3:14: error: rule 'r': LOAD_ERR_COMPILE_CONDITION (Error compiling condition): unknown event type opne`}},
		{"unknown event type skipped", typedRule("r", "evt.type = opne") + "  skip-if-unknown-filter: true\n",
			[]string{`f1.yaml:3:14: warning: rule 'r': LOAD_UNKNOWN_FILTER (Unknown field or event-type in condition or output): unknown event type opne; rule skipped (skip-if-unknown-filter)`}},
		{"no event types for other sources", oneRule("t.s = x") + "- rule: e\n  desc: d\n  condition: evt.type = anything\n  output: o\n  priority: INFO\n  source: test\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := loadTyped(t, tc.file)
			if diff := cmp.Diff(tc.want, diagStrings(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

// typedRules are rules of the typed source with and without event-type
// restrictions, one disabled.
var typedRules = typedRule("opens", "evt.type in (open, openat) and t.n = 1") +
	typedRule("any", "t.n = 1") +
	typedRule("execs", "evt.type = execve and t.n = 1") +
	typedRule("off", "evt.type = open and t.n = 1") + "  enabled: false\n" +
	typedRule("not open", "evt.type != open and t.n = 1")

func TestMatchType(t *testing.T) {
	rs, diags := loadTyped(t, typedRules)
	if diags.HasErrors() {
		t.Fatal(diags.Errors())
	}
	m := rs.NewMatcher()
	tests := []struct {
		evtType string
		want    []string
	}{
		{"open", []string{"opens", "any"}},
		{"openat", []string{"opens", "any", "not open"}},
		{"execve", []string{"any", "execs", "not open"}},
		{"close", []string{"any", "not open"}},
		{"no such type", []string{"any"}},
	}
	for _, tc := range tests {
		var got []string
		m.MatchType("typed", tc.evtType, testEvent{"t.n": {"1"}, "evt.type": {tc.evtType}}, func(r *Rule) bool { got = append(got, r.Name); return true })
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: matched (-want +got):\n%s", tc.evtType, diff)
		}
	}
	var first []string
	m.MatchType("typed", "openat", testEvent{"t.n": {"1"}, "evt.type": {"openat"}}, func(r *Rule) bool { first = append(first, r.Name); return false })
	if diff := cmp.Diff([]string{"opens"}, first); diff != "" {
		t.Errorf("fn returning false: (-want +got):\n%s", diff)
	}
	types, all := rs.EventTypes("typed")
	if !all || types != nil {
		t.Errorf("EventTypes(typed) = %v, %v; want all (rule 'any' has no restriction)", types, all)
	}
	rs, _ = loadTyped(t, typedRule("a", "evt.type = open")+typedRule("b", "evt.type in (execve, open)")+typedRule("c", "evt.type = close")+"  enabled: false\n")
	types, all = rs.EventTypes("typed")
	if diff := cmp.Diff([]string{"execve", "open"}, types); diff != "" || all {
		t.Errorf("EventTypes(typed) (-want +got):\n%s\nall %v", diff, all)
	}
}

func BenchmarkMatchType(b *testing.B) {
	var sb strings.Builder
	types := []string{"close", "connect", "execve", "open", "openat"}
	for i := range 200 {
		fmt.Fprintf(&sb, "%s", typedRule(fmt.Sprintf("r%d", i), fmt.Sprintf("evt.type = %s and t.n = %d", types[i%len(types)], i)))
	}
	rs, diags := Load(Options{Sources: []Source{typedSource{}}}, File{Name: "bench.yaml", Data: []byte(sb.String())})
	if diags.HasErrors() {
		b.Fatal(diags.Errors())
	}
	ev := testEvent{"t.n": {"7"}, "evt.type": {"execve"}}
	fn := func(*Rule) bool { return true }
	b.Run("Match", func(b *testing.B) {
		m := rs.NewMatcher()
		for b.Loop() {
			m.Match("typed", ev, fn)
		}
	})
	b.Run("MatchType", func(b *testing.B) {
		m := rs.NewMatcher()
		for b.Loop() {
			m.MatchType("typed", "execve", ev, fn)
		}
	})
}

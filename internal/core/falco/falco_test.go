package falco

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testSource is a small source over map events: each field name maps to
// its values (strings; Int and Bool fields hold decimal text).
type testSource struct{ name string }

type testEvent map[string][]string

var testFields = map[string]Field{
	"t.s":    {Name: "t.s", Type: String},
	"t.path": {Name: "t.path", Type: String},
	"t.n":    {Name: "t.n", Type: Int},
	"t.b":    {Name: "t.b", Type: Bool},
	"t.l":    {Name: "t.l", Type: String, List: true, Arg: ArgOptional, Index: true},
	"t.m":    {Name: "t.m", Type: String, Arg: ArgRequired},
	// evt.type is read by typedSource's event-type analysis.
	"evt.type": {Name: "evt.type", Type: String},
}

func (s testSource) Name() string {
	if s.name == "" {
		return "test"
	}
	return s.name
}

func (testSource) Field(name string) (Field, bool) {
	f, ok := testFields[name]
	return f, ok
}

func (testSource) Extractor(f Field, arg string) (Extractor, error) {
	key := f.Name
	idx := -1
	switch {
	case f.Index && arg != "":
		i, err := strconv.Atoi(arg)
		if err != nil || i < 0 {
			return nil, fmt.Errorf("index %q is not a number", arg)
		}
		idx = i
	case arg != "":
		key += "[" + arg + "]"
	}
	return func(e Event, dst []Value) []Value {
		vals := e.(testEvent)[key]
		if idx >= 0 {
			if idx >= len(vals) {
				return dst
			}
			vals = vals[idx : idx+1]
		}
		for _, v := range vals {
			switch f.Type {
			case Int:
				n, _ := strconv.ParseInt(v, 10, 64)
				dst = append(dst, Value{N: n})
			case Bool:
				b, _ := strconv.ParseBool(v)
				n := int64(0)
				if b {
					n = 1
				}
				dst = append(dst, Value{N: n})
			default:
				dst = append(dst, Value{B: []byte(v)})
			}
		}
		return dst
	}, nil
}

// compiledOnly is a source whose events are not evaluated here.
type compiledOnly struct{ testSource }

func (compiledOnly) Name() string                               { return "syscall" }
func (compiledOnly) Extractor(Field, string) (Extractor, error) { return nil, nil }

func load(t *testing.T, files ...string) (*Rules, Diagnostics) {
	t.Helper()
	var fs []File
	for i, f := range files {
		fs = append(fs, File{Name: fmt.Sprintf("f%d.yaml", i+1), Data: []byte(f)})
	}
	return Load(Options{Sources: []Source{testSource{}, compiledOnly{}}, Plugins: map[string]string{"k8saudit": "0.18.0"}}, fs...)
}

func mustLoad(t *testing.T, files ...string) *Rules {
	t.Helper()
	rs, diags := load(t, files...)
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags.Errors())
	}
	return rs
}

// oneRule wraps a condition in a rule of the test source.
func oneRule(cond string) string {
	return fmt.Sprintf("- rule: r\n  desc: d\n  condition: %q\n  output: o\n  priority: WARNING\n  source: test\n", cond)
}

func TestConditions(t *testing.T) {
	ev := testEvent{
		"t.s":      {"Hello World"},
		"t.path":   {"/etc/shadow"},
		"t.n":      {"42"},
		"t.b":      {"true"},
		"t.l":      {"a", "b"},
		"t.m[key]": {"v"},
	}
	tests := []struct {
		cond string
		want bool
	}{
		{"t.s = 'Hello World'", true},
		{"t.s == \"Hello World\"", true},
		{"t.s = Hello", false},
		{"t.s != Hello", true},
		{"t.s != 'Hello World'", false},
		{"t.s contains World", true},
		{"t.s contains world", false},
		{"t.s icontains world", true},
		{"t.s icontains WORLD", true},
		{"t.s startswith Hell", true},
		{"t.s startswith World", false},
		{"t.s endswith World", true},
		{"t.s glob 'Hel*W?rld'", true},
		{"t.s glob 'hel*'", false},
		{"t.s iglob 'hel*'", true},
		{"t.s glob '[GH]ello*'", true},
		{"t.s glob '[!H]ello*'", false},
		{"t.s regex '^H.*d$'", true},
		{"t.s in (Hello, 'Hello World')", true},
		{"t.s in (Hello, World)", false},
		{"t.s intersects ('Hello World')", true},
		{"t.s exists", true},
		{"t.s < Z", true},
		{"t.s > Z", false},
		{"t.path pmatch (/etc)", true},
		{"t.path pmatch (/et)", false},
		{"t.path pmatch (/usr, /etc/)", true},
		{"t.path pmatch (/etc/shadow)", true},
		{"t.n = 42", true},
		{"t.n=42", true},
		{"t.n != 42", false},
		{"t.n > 41 and t.n >= 42 and t.n < 43 and t.n <= 42", true},
		{"t.n in (1, 2, 42)", true},
		{"t.n in (1, 2)", false},
		{"t.n = 0x2a", true},
		{"t.b = true", true},
		{"t.b = false", false},
		{"t.b != false", true},
		// Lists: in needs every value in the set, intersects one.
		{"t.l in (a, b, c)", true},
		{"t.l in (a, c)", false},
		{"t.l intersects (a, c)", true},
		{"t.l intersects (c, d)", false},
		{"t.l[1] = b", true},
		{"t.l[0] = b", false},
		{"t.l[5] exists", false},
		{"t.m[key] = v", true},
		{"t.m[other] exists", false},
		// An absent field matches nothing, != included; not flips that.
		{"t.m[other] != v", false},
		{"not t.m[other] = v", true},
		// Boolean structure and precedence: and binds tighter than or.
		{"t.n = 1 or t.n = 42 and t.s exists", true},
		{"(t.n = 1 or t.n = 42) and not t.s exists", false},
		{"not not t.s exists", true},
		{"t.n = 1 or (t.n = 2 or (t.n = 42))", true},
	}
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			rs := mustLoad(t, oneRule(tc.cond))
			if got := rs.NewMatcher().Matches(rs.Rule("r"), ev); got != tc.want {
				t.Errorf("%s: got %v, want %v", tc.cond, got, tc.want)
			}
		})
	}
}

func TestMacrosListsAndExceptions(t *testing.T) {
	rs := mustLoad(t, `
- list: shells
  items: [bash, sh]
- list: more_shells
  items: [shells, zsh, '"quoted"']
- macro: is_shell
  condition: t.s in (more_shells)
- macro: interactive
  condition: is_shell and t.b = true
- rule: shell
  desc: a shell
  condition: interactive and not t.m[user] in (allowed_users)
  output: shell %t.s by %t.m[user] (%t.l, n=%t.n, missing=%t.m[nope]).
  priority: notice
  source: test
  tags: [shell]
  exceptions:
    - name: trusted
      fields: ['t.m[user]', t.path]
      comps: [=, pmatch]
      values:
        - [root, [/opt/trusted]]
    - name: by_n
      fields: t.n
      values: [7, 8]
- list: allowed_users
  items: [admin]
`)
	r := rs.Rule("shell")
	m := rs.NewMatcher()
	cases := []struct {
		name string
		ev   testEvent
		want bool
	}{
		{"zsh via nested list", testEvent{"t.s": {"zsh"}, "t.b": {"true"}, "t.m[user]": {"bob"}}, true},
		{"quoted list item", testEvent{"t.s": {"quoted"}, "t.b": {"true"}, "t.m[user]": {"bob"}}, true},
		{"not a shell", testEvent{"t.s": {"vim"}, "t.b": {"true"}, "t.m[user]": {"bob"}}, false},
		{"allowed user", testEvent{"t.s": {"sh"}, "t.b": {"true"}, "t.m[user]": {"admin"}}, false},
		{"exception tuple", testEvent{"t.s": {"sh"}, "t.b": {"true"}, "t.m[user]": {"root"}, "t.path": {"/opt/trusted/bin"}}, false},
		{"half the tuple", testEvent{"t.s": {"sh"}, "t.b": {"true"}, "t.m[user]": {"root"}, "t.path": {"/opt/other"}}, true},
		{"single-field exception", testEvent{"t.s": {"sh"}, "t.b": {"true"}, "t.m[user]": {"bob"}, "t.n": {"8"}}, false},
	}
	for _, tc := range cases {
		if got := m.Matches(r, tc.ev); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	ev := testEvent{"t.s": {"bash"}, "t.b": {"true"}, "t.m[user]": {"bob"}, "t.l": {"x", "y"}, "t.n": {"3"}}
	var matched []string
	m.Match("test", ev, func(r *Rule) bool { matched = append(matched, r.Name); return true })
	if diff := cmp.Diff([]string{"shell"}, matched); diff != "" {
		t.Fatalf("matched (-want +got):\n%s", diff)
	}
	if got, want := m.Output(r), "shell bash by bob ((x,y), n=3, missing=<NA>)."; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	wantFields := map[string]any{"t.s": "bash", "t.m[user]": "bob", "t.l": "(x,y)", "t.n": int64(3), "t.m[nope]": nil}
	if diff := cmp.Diff(wantFields, m.Fields(r)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if r.Priority != PriorityNotice || r.Tags[0] != "shell" {
		t.Errorf("priority %v tags %v", r.Priority, r.Tags)
	}
}

func TestAppendAndOverride(t *testing.T) {
	base := `
- list: users
  items: [a]
- macro: m
  condition: t.n = 1
- rule: r
  desc: first
  condition: m and t.s in (users)
  output: first
  priority: INFO
  source: test
  exceptions:
    - name: ex
      fields: [t.path]
      values: [[/skip]]
`
	tests := []struct {
		name   string
		extra  string
		ev     testEvent
		want   bool
		output string
	}{
		{"base", "", testEvent{"t.n": {"1"}, "t.s": {"a"}}, true, "first"},
		{"list append", "- list: users\n  items: [b]\n  append: true\n", testEvent{"t.n": {"1"}, "t.s": {"b"}}, true, "first"},
		{"list override replace", "- list: users\n  items: [b]\n  override: {items: replace}\n", testEvent{"t.n": {"1"}, "t.s": {"a"}}, false, "first"},
		{"macro append", "- macro: m\n  condition: or t.n = 2\n  append: true\n", testEvent{"t.n": {"2"}, "t.s": {"a"}}, true, "first"},
		{"macro override replace", "- macro: m\n  condition: t.n = 3\n  override: {condition: replace}\n", testEvent{"t.n": {"1"}, "t.s": {"a"}}, false, "first"},
		{"rule append condition", "- rule: r\n  condition: and t.b = true\n  append: true\n", testEvent{"t.n": {"1"}, "t.s": {"a"}}, false, "first"},
		{"rule override output", "- rule: r\n  output: second %t.s\n  override: {output: replace}\n", testEvent{"t.n": {"1"}, "t.s": {"a"}}, true, "second a"},
		{"rule disabled", "- rule: r\n  enabled: false\n", testEvent{"t.n": {"1"}, "t.s": {"a"}}, false, "first"},
		{"exception values appended", "- rule: r\n  exceptions:\n    - name: ex\n      values: [[/also]]\n  append: true\n",
			testEvent{"t.n": {"1"}, "t.s": {"a"}, "t.path": {"/also"}}, false, "first"},
		{"exception in base still applies", "", testEvent{"t.n": {"1"}, "t.s": {"a"}, "t.path": {"/skip"}}, false, "first"},
		{"exceptions override replace", "- rule: r\n  exceptions:\n    - name: other\n      fields: [t.s]\n      values: [[zzz]]\n  override: {exceptions: replace}\n",
			testEvent{"t.n": {"1"}, "t.s": {"a"}, "t.path": {"/skip"}}, true, "first"},
		{"redefinition replaces", "- rule: r\n  desc: d\n  condition: t.n = 9\n  output: third\n  priority: INFO\n  source: test\n", testEvent{"t.n": {"9"}}, true, "third"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := mustLoad(t, base, tc.extra)
			m := rs.NewMatcher()
			var got []string
			m.Match("test", tc.ev, func(r *Rule) bool { got = append(got, m.Output(r)); return true })
			if (len(got) == 1) != tc.want {
				t.Fatalf("matched %v, want match %v", got, tc.want)
			}
			if tc.want && got[0] != tc.output {
				t.Errorf("output %q, want %q", got[0], tc.output)
			}
		})
	}
}

func TestDiagnostics(t *testing.T) {
	tests := []struct {
		name string
		file string
		// want are the diagnostics' strings (file:line:col: severity: item: code ...).
		want []string
	}{
		{"undefined macro", oneRule("t.n = 1 and nope"),
			[]string{`f1.yaml:3:14: error: rule 'r': LOAD_ERR_VALIDATE (Error validating rule/macro/list/exception objects): undefined macro 'nope' used in filter`}},
		{"unknown field", oneRule("t.zzz = 1"),
			[]string{`f1.yaml:3:14: error: rule 'r': LOAD_ERR_COMPILE_CONDITION (Error compiling condition): unknown field: filter_check called with nonexistent field t.zzz (source test)`}},
		{"unknown field skipped", oneRule("t.zzz = 1") + "  skip-if-unknown-filter: true\n",
			[]string{`f1.yaml:3:14: warning: rule 'r': LOAD_UNKNOWN_FILTER (Unknown field or event-type in condition or output): unknown field: filter_check called with nonexistent field t.zzz (source test); rule skipped (skip-if-unknown-filter)`}},
		{"syntax", oneRule("t.n = 1 and (t.s = a"),
			[]string{`f1.yaml:3:14: error: rule 'r': LOAD_ERR_COMPILE_CONDITION (Error compiling condition): unexpected end of condition, expecting ')' at position 20`}},
		{"contains on a number", oneRule("t.n contains 4"),
			[]string{`f1.yaml:3:14: error: rule 'r': LOAD_ERR_COMPILE_CONDITION (Error compiling condition): t.n: 'contains' operator not supported for numeric filters`}},
		{"not a number", oneRule("t.n = abc"),
			[]string{`f1.yaml:3:14: error: rule 'r': LOAD_ERR_COMPILE_CONDITION (Error compiling condition): t.n = "abc": not a number`}},
		{"argument required", oneRule("t.m = x"),
			[]string{`f1.yaml:3:14: error: rule 'r': LOAD_ERR_COMPILE_CONDITION (Error compiling condition): field t.m requires an argument: t.m[...]`}},
		{"bad output field", "- rule: r\n  desc: d\n  condition: t.n = 1\n  output: by %t.who\n  priority: INFO\n  source: test\n",
			[]string{`f1.yaml:4:11: error: rule 'r': LOAD_ERR_COMPILE_OUTPUT (Error compiling output): unknown field: filter_check called with nonexistent field t.who (source test)`}},
		{"bad priority", "- rule: r\n  desc: d\n  condition: t.n = 1\n  output: o\n  priority: LOUD\n  source: test\n",
			[]string{`f1.yaml:5:13: error: rule 'r': LOAD_ERR_VALIDATE (Error validating rule/macro/list/exception objects): invalid priority "LOUD"`}},
		{"missing keys", "- rule: r\n  condition: t.n = 1\n",
			[]string{
				`f1.yaml:1:3: error: rule 'r': LOAD_ERR_YAML_VALIDATE (Error validating internal structure of YAML file): item has no mapping for key 'output'`,
				`f1.yaml:1:3: error: rule 'r': LOAD_ERR_YAML_VALIDATE (Error validating internal structure of YAML file): item has no mapping for key 'desc'`,
				`f1.yaml:1:3: error: rule 'r': LOAD_ERR_YAML_VALIDATE (Error validating internal structure of YAML file): item has no mapping for key 'priority'`,
			}},
		{"append to nothing", "- rule: ghost\n  condition: and t.n = 1\n  append: true\n",
			[]string{`f1.yaml:1:3: error: rule 'ghost': LOAD_ERR_VALIDATE (Error validating rule/macro/list/exception objects): rule has 'append', 'override' or only 'enabled' but no rule by that name already exists`}},
		{"unknown source", "- rule: r\n  desc: d\n  condition: x.y = 1\n  output: o\n  priority: INFO\n  source: aws_cloudtrail\n",
			[]string{`f1.yaml:1:3: warning: rule 'r': LOAD_UNKNOWN_SOURCE (Unknown source): unknown source aws_cloudtrail, skipping (and every other rule of that source)`}},
		{"unused", "- list: l\n  items: [a]\n- macro: m\n  condition: t.n = 1\n",
			[]string{
				`f1.yaml:3:3: warning: macro 'm': LOAD_UNUSED_MACRO (Unused macro): macro not referred to by any rule or macro`,
				`f1.yaml:1:3: warning: list 'l': LOAD_UNUSED_LIST (Unused list): list not referred to by any rule, macro or list`,
			}},
		{"macro loop", "- macro: a\n  condition: t.n = 1\n- macro: b\n  condition: a\n- macro: a\n  condition: or b\n  append: true\n" + oneRule("a"),
			[]string{
				`f1.yaml:2:14: error: macro 'a': LOAD_ERR_VALIDATE (Error validating rule/macro/list/exception objects): reference loop in macro 'a' (a → b → a)`,
				`f1.yaml:10:14: error: rule 'r': LOAD_ERR_VALIDATE (Error validating rule/macro/list/exception objects): macro 'a' has a condition that does not compile`,
			}},
		{"engine too new", "- required_engine_version: 0.99.0\n",
			[]string{`f1.yaml:1:28: error: LOAD_ERR_VERSION (Required engine or plugin version not met): rules require engine version 0.99.0, but engine version is 0.57.0`}},
		{"old engine number", "- required_engine_version: 15\n", nil},
		{"plugin ok via alternative", "- required_plugin_versions:\n    - name: k8saudit-eks\n      version: 0.1.0\n      alternatives:\n        - name: k8saudit\n          version: 0.11.0\n", nil},
		{"plugin missing", "- required_plugin_versions:\n    - name: cloudtrail\n      version: 0.1.0\n",
			[]string{`f1.yaml:2:7: error: LOAD_ERR_VERSION (Required engine or plugin version not met): plugin 'cloudtrail' is required and not provided (this engine provides k8saudit 0.18.0)`}},
		{"plugin too old", "- required_plugin_versions:\n    - name: k8saudit\n      version: 0.19.0\n",
			[]string{`f1.yaml:2:7: error: LOAD_ERR_VERSION (Required engine or plugin version not met): plugin 'k8saudit' version requirement not met: rules need 0.19.0, this engine provides 0.18.0`}},
		{"not a list", "rule: r\n", []string{`f1.yaml:1:1: error: LOAD_ERR_YAML_VALIDATE (Error validating internal structure of YAML file): a rules file is a list of items (rule, macro, list, ...)`}},
		{"bad yaml", "- rule: [\n", []string{`f1.yaml:1:1: error: LOAD_ERR_YAML_PARSE (YAML parse error): did not find expected node content`}},
		{"unknown item", "- widget: w\n", []string{`f1.yaml:1:3: warning: LOAD_UNKNOWN_ITEM (Unknown rules file item): unknown top level item "widget", skipped`}},
		{"exception arity", "- rule: r\n  desc: d\n  condition: t.n = 1\n  output: o\n  priority: INFO\n  source: test\n  exceptions:\n    - name: e\n      fields: [t.s, t.n]\n      values: [[a]]\n",
			[]string{`f1.yaml:10:16: error: rule 'r' exception 'e': LOAD_ERR_VALIDATE (Error validating rule/macro/list/exception objects): fields and values lists must have equal length (2 fields)`}},
		{"exception value of the wrong arity", "- rule: r\n  desc: d\n  condition: t.n = 1\n  output: o\n  priority: INFO\n  source: test\n  exceptions:\n    - name: e\n      fields: [t.s]\n      comps: [regex]\n      values: [[[]]]\n",
			[]string{`f1.yaml:3:14: error: rule 'r': LOAD_ERR_COMPILE_CONDITION (Error compiling condition): t.s regex takes one value, got 0`}},
		{"compiled only", "- rule: r\n  desc: d\n  condition: t.n = 1\n  output: o %t.s\n  priority: INFO\n",
			[]string{`f1.yaml: warning: LOAD_NOT_EVALUATED (Source evaluated by a Falco sensor, not by Palisade): 1 rules of source syscall compiled; Palisade does not see syscall events itself and acts on the alerts a Falco sensor posts for them`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := load(t, tc.file)
			var got []string
			for _, d := range diags {
				got = append(got, d.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompiledOnlyRulesAreKept(t *testing.T) {
	rs := mustLoad(t, "- rule: Terminal shell in container\n  desc: d\n  condition: t.s = bash\n  output: o\n  priority: NOTICE\n")
	r := rs.Rule("Terminal shell in container")
	if r == nil || r.Evaluated || r.Source != "syscall" {
		t.Fatalf("rule %+v: want it kept, compiled and not evaluated", r)
	}
	if got := rs.Evaluated("syscall"); len(got) != 0 {
		t.Errorf("evaluated syscall rules %v, want none", got)
	}
}

func TestParseErrorsNeverPanic(t *testing.T) {
	for _, c := range []string{"", "(", ")", "a and", "not", "t.s =", "t.s in", "t.s in (a,", "t.s in (a b)", "t.s = 'x", "a[", "t.s ! x", "and", "t.s[x = y"} {
		if _, err := parseCondition(c); err == nil {
			t.Errorf("%q parsed, want an error", c)
		}
	}
}

func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{"t.s = a and not (t.n in (1,2) or m)", `t.s contains "x\"y"`, "t.l[0] exists", "jevt.value[/a b] = c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseCondition(s)
	})
}

func FuzzLoad(f *testing.F) {
	f.Add(oneRule("t.s = a"))
	f.Add("- list: l\n  items: [a]\n- macro: m\n  condition: t.s in (l)\n" + oneRule("m"))
	f.Add("-\n" + oneRule("t.s = a") + "---\n- list: l\n  items: [a]\n---\n~\n---\n- macro: m\n  condition: t.s in (l)\n")
	f.Add(oneRule("t.s = a") + "  exceptions:\n    - name: e\n      fields: [t.s, t.n]\n      comps: [regex, in]\n      values: [[x, [1, 2]]]\n- rule: r\n  exceptions:\n    - name: e\n      values: [[y, [3]]]\n  append: true\n")
	f.Fuzz(func(t *testing.T, s string) {
		rs, diags := Load(Options{Sources: []Source{testSource{}}}, File{Name: "fuzz.yaml", Data: []byte(s)})
		if rs == nil {
			t.Fatal("nil rules")
		}
		for _, d := range diags {
			if strings.TrimSpace(d.Message) == "" {
				t.Fatalf("diagnostic without a message: %+v", d)
			}
		}
		m := rs.NewMatcher()
		m.Match("test", testEvent{"t.s": {"a"}}, func(r *Rule) bool { _ = m.Output(r); return true })
	})
}

func TestParseAlerts(t *testing.T) {
	one := `{"hostname":"node-1","output":"18:01:02.000000000: Notice A shell was spawned in a container with an attached terminal (user=root k8s.ns=shop k8s.pod=web-1)","priority":"Notice","rule":"Terminal shell in container","source":"syscall","tags":["container","shell"],"time":"2026-11-23T18:01:02.123456789Z","output_fields":{"container.image.repository":"docker.io/library/nginx","k8s.ns.name":"shop","k8s.pod.name":"web-1","proc.pid":4242,"evt.arg.flags":null}}`
	tests := []struct {
		name  string
		body  string
		rules []string
		err   string
	}{
		{"one object", one, []string{"Terminal shell in container"}, ""},
		{"indented object", "{\n  \"rule\": \"R\",\n  \"output\": \"o\"\n}\n", []string{"R"}, ""},
		{"array", "[" + one + "," + one + "]", []string{"Terminal shell in container", "Terminal shell in container"}, ""},
		{"lines", one + "\n\n" + one + "\n", []string{"Terminal shell in container", "Terminal shell in container"}, ""},
		{"empty", "  ", nil, "no Falco alert in the body"},
		{"not an alert", `{"output":"x"}`, nil, `falco alert on line 1: no "rule": not a Falco alert (Falco must run with json_output: true)`},
		{"bad second line", one + "\n{oops\n", nil, "falco alert on line 2: invalid character 'o' looking for beginning of object key string"},
		{"bad array item", `[{"rule":"a"}, 3]`, nil, "falco alert [1]: json: cannot unmarshal number into Go value of type falco.Alert"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			alerts, err := ParseAlerts([]byte(tc.body))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var rules []string
			for _, a := range alerts {
				rules = append(rules, a.Rule)
			}
			if diff := cmp.Diff(tc.rules, rules); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
	alerts, _ := ParseAlerts([]byte(one))
	a := alerts[0]
	if a.Field("k8s.ns.name") != "shop" || a.Field("k8s.pod.name") != "web-1" || a.Field("proc.pid") != "4242" || a.Field("evt.arg.flags") != "" {
		t.Errorf("fields %v", a.OutputFields)
	}
	if a.Time.Nanosecond() != 123456789 || a.Priority != "Notice" {
		t.Errorf("time %v priority %q", a.Time, a.Priority)
	}
}

func FuzzParseAlerts(f *testing.F) {
	f.Add([]byte(`{"rule":"r","output":"o","time":"2026-11-23T18:01:02Z","output_fields":{"k8s.pod.name":"p"}}`))
	f.Add([]byte("[{\"rule\":\"r\"}]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		alerts, err := ParseAlerts(b)
		if err == nil {
			for _, a := range alerts {
				if a.Rule == "" {
					t.Fatal("alert without a rule accepted")
				}
				_ = a.Field("k8s.pod.name")
			}
		}
	})
}

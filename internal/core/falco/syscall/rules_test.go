package syscall

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

// The syscall rules files Falco publishes, kept in the repository's
// testdata/falco-rules.
var rulesFiles = []string{"falco_rules.yaml", "falco-incubating_rules.yaml", "falco-sandbox_rules.yaml"}

// TestRulesFilesFieldsKnown reads every field reference in the conditions
// (of rules and macros), outputs and exception fields of Falco's syscall
// rules files and checks that the source knows it and accepts its
// argument, as Falco's compiler would.
func TestRulesFilesFieldsKnown(t *testing.T) {
	dir := rulesDir(t)
	s := newSource(t)
	seen := map[string]bool{}
	for _, file := range rulesFiles {
		for _, r := range fileRefs(t, filepath.Join(dir, file)) {
			seen[r.name] = true
			f, ok := s.Field(r.name)
			if !ok {
				t.Errorf("%s: %s: unknown field %s", file, r.where, r.name)
				continue
			}
			arg := r.arg
			if f.Name != r.name {
				if r.hasArg {
					t.Errorf("%s: %s: %s[%s] has a dotted and a bracketed argument", file, r.where, r.name, r.arg)
				}
				arg = strings.TrimPrefix(r.name, f.Name+".")
			}
			if _, err := s.Extractor(f, arg); err != nil {
				t.Errorf("%s: %s: %v", file, r.where, err)
			}
		}
	}
	// The extraction itself must have worked: these are all in the files.
	for _, want := range []string{
		"proc.name", "proc.aname", "proc.aexe", "evt.type", "evt.arg.flags", "evt.rawres",
		"fd.sip.name", "fd.snet", "container.mount.dest", "container.start_ts", "k8s.ns.name",
		"evt.buffer", "proc.env", "thread.cap_permitted",
	} {
		if !seen[want] {
			t.Errorf("no reference to %s found in the rules files", want)
		}
	}
	if len(seen) < 80 {
		t.Errorf("found %d distinct fields in the rules files, expected over 80", len(seen))
	}
}

// rulesDir is the folder of Falco's published rules files kept in the
// repository's testdata/.
func rulesDir(t testing.TB) string {
	t.Helper()
	return fixture.Path(t, "falco-rules")
}

type ref struct {
	where, name, arg string
	hasArg           bool
}

// fileRefs returns the field references of one rules file.
func fileRefs(t *testing.T, path string) []ref {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var items []struct {
		Rule       string `yaml:"rule"`
		Macro      string `yaml:"macro"`
		Condition  string `yaml:"condition"`
		Output     string `yaml:"output"`
		Exceptions []struct {
			Fields any `yaml:"fields"`
		} `yaml:"exceptions"`
	}
	if err := yaml.Unmarshal(data, &items); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var refs []ref
	for _, it := range items {
		where := "rule " + it.Rule
		if it.Macro != "" {
			where = "macro " + it.Macro
		}
		for _, r := range conditionRefs(it.Condition) {
			r.where = where + " condition"
			refs = append(refs, r)
		}
		for _, m := range outputField.FindAllStringSubmatch(it.Output, -1) {
			refs = append(refs, ref{where: where + " output", name: m[1], arg: m[3], hasArg: m[2] != ""})
		}
		for _, e := range it.Exceptions {
			names, ok := e.Fields.([]any)
			if !ok {
				names = []any{e.Fields}
			}
			for _, n := range names {
				if s, ok := n.(string); ok {
					refs = append(refs, splitRef(where+" exception", s))
				}
			}
		}
	}
	return refs
}

var (
	// outputField is a %field or %field[arg] in an output.
	outputField = regexp.MustCompile(`%([a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z][a-zA-Z0-9_]*)+)(\[([^\]]*)\])?`)
	// fieldWord is a field, with its bracketed argument if any, as
	// Falco's grammar writes it.
	fieldWord = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z][a-zA-Z0-9_]*)+(\[[^\]]*\])?$`)
)

// Operators after which a value (or, in parentheses, a list) follows.
var (
	valueOps = set("=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "bcontains",
		"startswith", "bstartswith", "endswith", "glob", "iglob", "regex", "in", "intersects", "pmatch")
	transformers = set("tolower", "toupper", "b64", "basename", "len", "val")
)

// conditionRefs returns the fields a condition refers to: words shaped as
// fields that stand where a field may (not values after an operator, nor
// items of a list), plus the fields inside transformers such as
// val(proc.pname) on the right of an operator. Quoted strings are values.
func conditionRefs(cond string) []ref {
	toks := tokenize(cond)
	var refs []ref
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		if !valueOps[tok] {
			if fieldWord.MatchString(tok) {
				refs = append(refs, splitRef("", tok))
			}
			continue
		}
		// Skip the value: one token, a parenthesized list, or a
		// transformer whose fields count.
		i++
		if i >= len(toks) {
			break
		}
		switch {
		case transformers[toks[i]] && i+1 < len(toks) && toks[i+1] == "(":
			// The loop goes on inside the transformer's parentheses.
		case toks[i] == "(":
			for depth := 1; depth > 0 && i+1 < len(toks); {
				i++
				switch toks[i] {
				case "(":
					depth++
				case ")":
					depth--
				}
			}
		}
	}
	return refs
}

func splitRef(where, word string) ref {
	if i := strings.IndexByte(word, '['); i > 0 && strings.HasSuffix(word, "]") {
		return ref{where: where, name: word[:i], arg: word[i+1 : len(word)-1], hasArg: true}
	}
	return ref{where: where, name: word}
}

// tokenize splits a condition into parentheses, commas, comparison
// operators, quoted strings and words (a word keeps its bracketed argument
// whole, whatever it holds).
func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',':
			toks = append(toks, s[i:i+1])
			i++
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			toks = append(toks, s[i:min(j+1, len(s))])
			i = j + 1
		case strings.IndexByte("=!<>", c) >= 0:
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t\n\r(),=!<>\"'", s[j]) < 0 {
				if s[j] == '[' {
					if k := strings.IndexByte(s[j:], ']'); k > 0 {
						j += k
					}
				}
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

func TestConditionRefs(t *testing.T) {
	cond := `evt.type in (open, openat) and proc.name=bash and fd.name startswith /etc/pam.d ` +
		`and not proc.aname[2] in (java.sh, "a.b") and k8s.pod.label[app.kubernetes.io/name] = x.y ` +
		`and proc.pname = val(proc.aname[1]) and tolower(proc.cmdline) contains "evt.nope" ` +
		`and container.mount.dest[/var/run/docker.sock] in ("<NA>","N/A") and my_macro and evt.dir=<`
	var got []string
	for _, r := range conditionRefs(cond) {
		got = append(got, r.name+"["+r.arg+"]")
	}
	sort.Strings(got)
	want := []string{
		"container.mount.dest[/var/run/docker.sock]", "evt.dir[]", "evt.type[]", "fd.name[]",
		"k8s.pod.label[app.kubernetes.io/name]", "proc.aname[1]", "proc.aname[2]", "proc.cmdline[]",
		"proc.name[]", "proc.pname[]",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("conditionRefs:\n got %v\nwant %v", got, want)
	}
}

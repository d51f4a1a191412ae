package policytest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func registry(t testing.TB) *rules.Registry {
	t.Helper()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// runFile loads and runs every test of a file.
func runFile(t *testing.T, path string) []*Report {
	t.Helper()
	reg := registry(t)
	tests, err := LoadFile(path, reg)
	if err != nil {
		t.Fatal(err)
	}
	var out []*Report
	for _, tt := range tests {
		out = append(out, Run(tt, reg))
	}
	return out
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestPassingSuites(t *testing.T) {
	for _, tc := range []struct {
		path  string
		cases []int // per test document
	}{
		{"../../../examples/tests/palisade-test.yaml", []int{8, 10}},
		{"testdata/continuous/palisade-test.yaml", []int{9}},
		{"testdata/referential/palisade-test.yaml", []int{7}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			reports := runFile(t, tc.path)
			var cases []int
			for _, r := range reports {
				if r.Err != nil {
					t.Fatalf("%s: %v", r.Name, r.Err)
				}
				cases = append(cases, len(r.Cases))
				for _, c := range r.Cases {
					if !c.Pass || c.Line == 0 {
						t.Errorf("%s: %+v", r.Name, c)
					}
				}
			}
			if !cmp.Equal(tc.cases, cases) {
				t.Errorf("cases per test %v, want %v", cases, tc.cases)
			}
		})
	}
}

func TestFailingSuiteOutput(t *testing.T) {
	reports := runFile(t, "testdata/failing/palisade-test.yaml")
	if s := Summarize(reports); s != (Summary{Passed: 1, Failed: 6}) {
		t.Errorf("summary %+v", s)
	}
	for _, format := range []string{"table", "json", "junit"} {
		var b bytes.Buffer
		if err := Formats()[format](&b, reports); err != nil {
			t.Fatal(err)
		}
		golden(t, "failing/"+format+".golden", b.Bytes())
		if format == "junit" {
			var v struct {
				Suites []struct {
					Tests    int `xml:"tests,attr"`
					Failures int `xml:"failures,attr"`
				} `xml:"testsuite"`
			}
			if err := xml.Unmarshal(b.Bytes(), &v); err != nil || len(v.Suites) != 1 || v.Suites[0].Tests != 7 || v.Suites[0].Failures != 6 {
				t.Errorf("junit: %v %+v", err, v)
			}
		}
	}
}

// header is a test document up to its results, evaluated on the seed
// examples with the README's block-privileged policy, from a file placed
// in testdata/.
const (
	top = `apiVersion: palisade.dev/v1
kind: Test
metadata: {name: t}
spec:
  policies: [../../../../examples/tests/block-privileged.yaml]
`
	header = top + "  resources: [../../../../examples/busybox.yaml, ../../../../examples/redis-healthy.yaml]\n"
)

func TestBadFiles(t *testing.T) {
	const src = "testdata/t.yaml"
	for _, tc := range []struct {
		name, data string
		want       string // the error, exactly
	}{
		{
			name: "unknown field",
			data: header + "  result: [{rule: privileged, resources: [Pod/busyboxpod], result: fail}]\n",
			want: src + ":4: spec.results: Required value: a test expects at least one result\n" +
				src + ":7: spec.result: Forbidden: unknown field",
		},
		{
			name: "unsupported result, action with pass",
			data: header + "  results:\n    - rule: privileged\n      resources: [Pod/busyboxpod]\n      result: passed\n" +
				"    - rule: privileged\n      resources: [Pod/busyboxpod]\n      result: pass\n      action: block\n",
			want: src + `:10: spec.results[0].result: Unsupported value: "passed": supported values: "pass", "fail", "skip"` + "\n" +
				src + ":14: spec.results[1].action: Forbidden: only with result fail",
		},
		{
			name: "unknown rule, bad resource",
			data: header + "  results:\n    - {rule: privilegd, resources: [busyboxpod], result: fail}\n",
			want: src + `:8: spec.results[0].resources[0]: Invalid value: "busyboxpod": must be KIND/NAME or KIND/NAMESPACE/NAME` + "\n" +
				src + `:8: spec.results[0].rule: Not found: "privilegd"`,
		},
		{
			name: "decision of another tab, with a rule's fields",
			data: header + "  results:\n    - decision: terminate\n      resources: [Pod/busyboxpod]\n      message: x\n",
			want: src + `:8: spec.results[0].decision: Unsupported value: "terminate": supported values: "allow", "block"` + "\n" +
				src + ":10: spec.results[0].message: Forbidden: goes with a rule, not with a decision",
		},
		{
			name: "wrong kind",
			data: "apiVersion: palisade.dev/v1\nkind: Suite\n",
			want: src + `:2: kind: Unsupported value: "Suite": supported values: "Test"`,
		},
		{
			name: "no policy, bad tab",
			data: "apiVersion: palisade.dev/v1\nkind: Test\nmetadata: {name: t}\nspec:\n  resources: [a.yaml]\n  tab: runtime\n  results: [{decision: allow, resources: [Pod/x]}]\n",
			want: src + ":4: spec.policies: Required value: a test names at least one policy file or preset\n" +
				src + `:6: spec.tab: Unsupported value: "runtime": supported values: "deployment", "continuous"`,
		},
		{
			name: "broken YAML",
			data: header + "  results: [\n",
			want: src + ":7: did not find expected node content",
		},
		{
			name: "empty",
			data: "# nothing\n",
			want: src + ": no Test document found",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(src, []byte(tc.data), registry(t))
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tc.want)
			}
		})
	}
}

// TestNamesMustExist: an expectation naming a policy, rule or resource the
// evaluation does not have is an error with its line, never a passing case.
func TestNamesMustExist(t *testing.T) {
	const src = "testdata/t.yaml"
	for _, tc := range []struct {
		name, data, want string
	}{
		{
			name: "rule not enabled, resource absent, resource ambiguous",
			data: top + "  resources: [../../../../examples/busybox.yaml, continuous/pods.yaml]\n" +
				"  results:\n    - {rule: hostPID, resources: [Pod/busyboxpod], result: pass}\n" +
				"    - rule: privileged\n      resources: [Pod/busyboxpod, Pod/nginx, Pod/both]\n      result: skip\n",
			want: src + `:8: spec.results[0].rule: Invalid value: "hostPID": not enabled in the deployment tab of policy "block-privileged"` + "\n" +
				src + `:10: spec.results[1].resources[1]: Not found: "Pod/nginx"` + "\n" +
				src + `:10: spec.results[1].resources[2]: Invalid value: "Pod/both": names several resources: add the namespace (KIND/NAMESPACE/NAME)`,
		},
		{
			name: "policy required with two, unknown policy",
			data: header + "  presets: [baseline]\n  results:\n    - {rule: privileged, resources: [Pod/busyboxpod], result: fail}\n" +
				"    - {policy: prod, rule: privileged, resources: [Pod/busyboxpod], result: fail}\n",
			want: src + ":9: spec.results[0].policy: Required value: the test has 2 policies\n" +
				src + `:10: spec.results[1].policy: Not found: "prod (the test's policies: block-privileged, baseline)"`,
		},
		{
			name: "unreadable manifest",
			data: top + "  resources: [no-such.yaml]\n  results: [{decision: allow, resources: [Pod/x]}]\n",
			want: "open testdata/no-such.yaml: no such file or directory",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := registry(t)
			tests, err := Load(src, []byte(tc.data), reg)
			if err != nil {
				t.Fatal(err)
			}
			rep := Run(tests[0], reg)
			if rep.Err == nil {
				t.Fatalf("no error; cases %+v", rep.Cases)
			}
			if rep.Err.Error() != tc.want || rep.Cases != nil {
				t.Errorf("error:\n%s\nwant:\n%s", rep.Err, tc.want)
			}
			if s := Summarize([]*Report{rep}); s != (Summary{Errors: 1}) {
				t.Errorf("summary %+v", s)
			}
		})
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b/palisade-test.yaml", "a/palisade-test.yaml", ".hidden/palisade-test.yaml", "a/other.yaml"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	got, err := Find([]string{dir, filepath.Join(dir, "a/other.yaml")}, DefaultFileName)
	want := []string{filepath.Join(dir, "a/palisade-test.yaml"), filepath.Join(dir, "b/palisade-test.yaml"), filepath.Join(dir, "a/other.yaml")}
	if err != nil || !cmp.Equal(want, got) {
		t.Errorf("Find: %v %v, want %v", got, err, want)
	}
	if _, err := Find([]string{filepath.Join(dir, "a")}, "kyverno-test.yaml"); err == nil || !strings.Contains(err.Error(), "no kyverno-test.yaml found") {
		t.Errorf("a folder without tests: %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	seed, err := os.ReadFile("../../../examples/tests/palisade-test.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(header + "  results: [{decision: allow, resources: [Pod/a/b/c]}]\n"))
	f.Add([]byte(`{"apiVersion":"palisade.dev/v1","kind":"Test","spec":{"results":[{"rule":1}]}}`))
	f.Add([]byte("kind: Test\n---\nkind: Test\nspec: {tab: continuous, results: [{decision: isolate}]}\n"))
	reg := registry(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		tests, err := Load("fuzz.yaml", data, reg)
		if err != nil {
			var ve *policy.ValidationError
			var de *document.Error
			if !errors.As(err, &ve) && !errors.As(err, &de) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if len(tests) == 0 {
			t.Fatal("no error and nothing loaded")
		}
		for _, tt := range tests {
			if len(tt.Spec.Results) == 0 || len(tt.Spec.Resources) == 0 {
				t.Fatalf("accepted a test without results or resources: %+v", tt.Spec)
			}
			for _, e := range tt.Spec.Results {
				for _, r := range e.Resources {
					if _, err := parseRef(r); err != nil {
						t.Fatalf("accepted resource %q: %v", r, err)
					}
				}
				if (e.Rule == "") == (e.Decision == "") {
					t.Fatalf("accepted an expectation with neither or both of rule and decision: %+v", e)
				}
			}
		}
	})
}

// A resource whose apiVersion Palisade does not read is reported as not
// evaluated (a warning line, a count, a JUnit skipped case): the rules
// that read its fields are skipped on it, saying why, while
// deprecatedAPIVersions judges it.
func TestNotEvaluatedResources(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("old.yaml", "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec: {rules: [{http: {paths: []}}]}\n")
	write("policy.yaml", "apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  clusterWide:\n    deployment:\n"+
		"      rules: [{rule: deprecatedAPIVersions, action: block}, {rule: ingressHosts, action: block}]\n")
	src := write("test.yaml", "apiVersion: palisade.dev/v1\nkind: Test\nmetadata: {name: old-apis}\nspec:\n  policies: [policy.yaml]\n  resources: [old.yaml]\n"+
		"  results:\n    - {rule: deprecatedAPIVersions, resources: [Ingress/shop/web], result: fail}\n"+
		"    - {rule: ingressHosts, resources: [Ingress/shop/web], result: fail}\n")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	reg := registry(t)
	tests, err := Load(src, data, reg)
	if err != nil {
		t.Fatal(err)
	}
	rep := Run(tests[0], reg)
	if rep.Err != nil {
		t.Fatal(rep.Err)
	}
	const reason = "Palisade reads Ingress as networking.k8s.io/v1, not extensions/v1beta1"
	if diff := cmp.Diff([]NotEvaluated{{Resource: "Ingress shop/web", Reason: reason}}, rep.NotEvaluated); diff != "" {
		t.Errorf("not evaluated (-want +got):\n%s", diff)
	}
	if len(rep.Cases) != 2 || !rep.Cases[0].Pass || rep.Cases[1].Pass || rep.Cases[1].Got != "skip" ||
		!strings.Contains(rep.Cases[1].Detail, "(not evaluated: "+reason+")") {
		t.Errorf("cases %+v: want deprecatedAPIVersions failing as expected, ingressHosts skipped with the reason", rep.Cases)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, []*Report{rep}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  warning: Ingress shop/web not evaluated: " + reason + "\n", "Test summary: 1 passed, 1 failed, 0 errors, 1 not evaluated\n"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	var junit bytes.Buffer
	if err := WriteJUnit(&junit, []*Report{rep}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(junit.String(), `skipped="1"`) || !strings.Contains(junit.String(), `<skipped message="not evaluated: `+reason+`">`) {
		t.Errorf("junit has no skipped case:\n%s", junit.String())
	}
}

package document

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readAll(t *testing.T, src string) ([]Doc, []error) {
	t.Helper()
	r := NewReader(strings.NewReader(src), "f.yaml")
	var docs []Doc
	var errs []error
	for {
		d, err := r.Next()
		if err == io.EOF {
			return docs, errs
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		docs = append(docs, d)
	}
}

func TestReaderSplitsYAML(t *testing.T) {
	src := "# leading comment\n---\na: 1\n---\n# only a comment\n---   \nb: 2\nc: |\n  ---not a separator\n...\n--- # trailing\nd: 3"
	docs, errs := readAll(t, src)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []int
	for _, d := range docs {
		got = append(got, d.Line)
	}
	if diff := cmp.Diff([]int{3, 7, 12}, got); diff != "" {
		t.Errorf("start lines (-want +got):\n%s", diff)
	}
	j, err := docs[1].JSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(j) != `{"b":2,"c":"---not a separator\n"}` {
		t.Errorf("JSON = %s", j)
	}
}

func TestReaderJSONStream(t *testing.T) {
	docs, errs := readAll(t, "  {\"kind\":\"Pod\"}\n{\"kind\":\"Service\"}\n[1,2]")
	if len(errs) > 0 || len(docs) != 3 {
		t.Fatalf("docs=%d errs=%v", len(docs), errs)
	}
	// Not a valid JSON stream: read as YAML, whose error has a line.
	docs, _ = readAll(t, "{\"kind\":\"Pod\"}\n{\"kind\":")
	if len(docs) != 1 {
		t.Fatalf("docs=%d", len(docs))
	}
	var de *Error
	if _, err := docs[0].JSON(); !errors.As(err, &de) || de.Line == 0 {
		t.Fatalf("want a located error for truncated JSON, got %v", err)
	}
}

func TestJSONValuesCarryLines(t *testing.T) {
	docs, errs := readAll(t, "\n{\"kind\":\"Pod\",\n \"a\": 1}\n\n  {\"kind\":\"Service\"}\n[1,\n2]")
	if len(errs) > 0 || len(docs) != 3 {
		t.Fatalf("docs=%d errs=%v", len(docs), errs)
	}
	var got []int
	for _, d := range docs {
		got = append(got, d.Line)
	}
	if diff := cmp.Diff([]int{2, 5, 6}, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if l := docs[0].LineOf("a"); l != 3 {
		t.Errorf("LineOf(a) = %d, want 3", l)
	}
}

func TestFlowDocumentsRefuseTrailingContent(t *testing.T) {
	for _, src := range []string{"{a: 1}\n{b: 2}\n", "{\"a\": \"}\"} x", "[1, '2'']', 3]\n# c\nz: 1"} {
		d := Doc{Source: "f", Line: 1, Data: []byte(src)}
		var de *Error
		if _, err := d.JSON(); !errors.As(err, &de) {
			t.Errorf("%q: want a located error, got %v", src, err)
		}
	}
	for _, src := range []string{"{a: '#}', b: \"x\\\"}\"} # trailing comment\n...\n", "[1, 2]\n"} {
		d := Doc{Source: "f", Line: 1, Data: []byte(src)}
		if _, err := d.JSON(); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}

func TestFlowYAMLAndMixedStreams(t *testing.T) {
	docs, errs := readAll(t, "{apiVersion: v1, kind: Pod}\n---\nkind: Service\n")
	if len(errs) > 0 || len(docs) != 2 {
		t.Fatalf("docs=%d errs=%v", len(docs), errs)
	}
	if j, err := docs[0].JSON(); err != nil || string(j) != `{"apiVersion":"v1","kind":"Pod"}` {
		t.Errorf("flow YAML: %s %v", j, err)
	}
}

// Content after "---" on the same line is a document, never dropped.
func TestContentAfterSeparator(t *testing.T) {
	docs, errs := readAll(t, "kind: ConfigMap\n--- {kind: Pod, spec: {hostPID: true}}\n---   # comment only\nkind: Service\n")
	if len(errs) > 0 || len(docs) != 3 {
		t.Fatalf("docs=%d errs=%v", len(docs), errs)
	}
	j, err := docs[1].JSON()
	if err != nil || string(j) != `{"kind":"Pod","spec":{"hostPID":true}}` || docs[1].Line != 2 || docs[2].Line != 4 {
		t.Errorf("doc 2 = %s (line %d) %v; doc 3 line %d", j, docs[1].Line, err, docs[2].Line)
	}
}

func TestYAMLErrorsCarryAbsoluteLines(t *testing.T) {
	docs, _ := readAll(t, "a: 1\n---\nkind: Pod\nmetadata:\n  name: x\n   bad: indent\n")
	_, err := docs[1].JSON()
	var de *Error
	if !errors.As(err, &de) {
		t.Fatalf("want *Error, got %v", err)
	}
	if de.Source != "f.yaml" || de.Line != 6 {
		t.Errorf("error at %s:%d (%v), want f.yaml:6", de.Source, de.Line, de.Err)
	}
	if strings.Contains(err.Error(), "converting YAML") {
		t.Errorf("message keeps converter noise: %v", err)
	}
}

func TestYAMLIsReadAsKubectlReadsIt(t *testing.T) {
	// YAML 1.1 booleans, as kubectl's converter reads them.
	d := Doc{Source: "f", Line: 1, Data: []byte("a: yes\nb: on\nc: \"on\"\n")}
	j, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(j) != `{"a":true,"b":true,"c":"on"}` {
		t.Errorf("JSON = %s", j)
	}
}

func TestLineOf(t *testing.T) {
	docs, _ := readAll(t, "x: 1\n---\napiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n  - name: b\n    securityContext:\n      privileged: true\n")
	d := docs[1]
	tests := map[string]int{
		"":                   3,
		"spec":               5,
		"spec.containers[1]": 8,
		"spec.containers[1].securityContext.privileged": 10,
		"spec.containers[0].securityContext":            7, // missing: nearest parent
		"spec.containers[7]":                            6,
	}
	for path, want := range tests {
		if got := d.LineOf(path); got != want {
			t.Errorf("LineOf(%q) = %d, want %d", path, got, want)
		}
	}
}

func TestOversizedDocument(t *testing.T) {
	big := "a: " + strings.Repeat("x", MaxDocumentSize) + "\n"
	_, errs := readAll(t, big)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "larger than") {
		t.Fatalf("want a size error, got %v", errs)
	}
}

func FuzzReader(f *testing.F) {
	for _, s := range []string{"a: 1\n---\nb: [1,2", "{\"a\":1}{", "---\n---\n", "a:\n  - b\n  -c: d\n", "[1,2,3]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := NewReader(strings.NewReader(s), "fuzz")
		for i := 0; i < 10000; i++ {
			d, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				continue
			}
			if _, err := d.JSON(); err != nil {
				var de *Error
				if !errors.As(err, &de) {
					t.Fatalf("JSON error is not located: %v", err)
				}
			}
			_ = d.LineOf("a.b[0].c")
		}
	})
}

func TestSplitPathKeepsDottedKeys(t *testing.T) {
	got := splitPath("spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/redis]")
	want := []string{"spec", "template", "metadata", "annotations", "container.apparmor.security.beta.kubernetes.io/redis"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a", "b", "2", "c"}, splitPath("a.b[2].c")); diff != "" {
		t.Error(diff)
	}
}

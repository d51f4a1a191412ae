package scan

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// recordWriter keeps what a scan reports.
type recordWriter struct {
	results []*Result
	sum     Summary
}

func (w *recordWriter) Begin() error              { return nil }
func (w *recordWriter) Result(r *Result) error    { w.results = append(w.results, r); return nil }
func (w *recordWriter) Error(e *InputError) error { return nil }
func (w *recordWriter) End(s Summary) error       { w.sum = s; return nil }

// An object whose apiVersion and kind Palisade does not know is reported
// as not evaluated and counted, never passed: a privileged Deployment under
// apiVersion v1 or apps/v1beta1 is not silently allowed.
func TestScanReportsUnknownKindsAsNotEvaluated(t *testing.T) {
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	b, err := policy.Load("p.yaml", []byte(`apiVersion: palisade.dev/v1
kind: Policy
metadata: {name: p}
spec:
  clusterWide:
    deployment: {rules: [{rule: privileged, action: block}, {rule: defaultNamespace, action: log}]}
`), reg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := engine.Compile(b.Policies[0], reg)
	if err != nil {
		t.Fatal(err)
	}
	const deployment = `kind: Deployment
metadata: {name: NAME, namespace: prod}
spec: {template: {spec: {containers: [{name: c, image: nginx, securityContext: {privileged: true}}]}}}
`
	input := "apiVersion: v1\n" + strings.ReplaceAll(deployment, "NAME", "core") +
		"---\napiVersion: apps/v1beta1\n" + strings.ReplaceAll(deployment, "NAME", "beta") +
		"---\napiVersion: apps/v1\n" + strings.ReplaceAll(deployment, "NAME", "known") +
		"---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: prod}\n"
	w := &recordWriter{}
	sum, err := New(Options{Policy: c, Workers: 1, Stdin: strings.NewReader(input)}).Run(context.Background(), []string{"-"}, w)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range w.results {
		got = append(got, r.Name+" notEvaluated="+r.NotEvaluated+" violations="+strings.Repeat("x", len(r.Violations)))
	}
	want := []string{
		"core notEvaluated=Palisade reads Deployment as apps/v1, not v1 violations=",
		"beta notEvaluated=Palisade reads Deployment as apps/v1, not apps/v1beta1 violations=",
		"known notEvaluated= violations=x",
		"w notEvaluated= violations=",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if w.results[1].Line != 6 {
		t.Errorf("beta: line %d, want 6", w.results[1].Line)
	}
	wantSum := Summary{Objects: 4, Violations: 1, Blocked: 1, NotEvaluated: 2}
	if diff := cmp.Diff(wantSum, sum); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

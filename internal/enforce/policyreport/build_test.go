package policyreport

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

var now = time.Unix(1700000000, 0)

func ref(ns, name string) ObjectReference {
	return ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: ns, Name: name, UID: "uid-" + name}
}

func finding(rule string, action policy.Action, sev rules.Severity, container, value string) engine.Finding {
	return engine.Finding{Rule: rule, Action: action, Severity: sev, Finding: rules.Finding{
		Where: "containerSecurityContext", Value: value, Container: container, Field: "spec.containers[0]",
	}}
}

func eval(ns, name string, checked int, findings ...engine.Finding) Evaluation {
	return Evaluation{Resource: ref(ns, name), Result: &engine.Result{Namespace: ns, Checked: checked, Findings: findings}}
}

// report is a report as Build makes it, without its hash.
func report(ns string, sum Summary, results ...Result) PolicyReport {
	return PolicyReport{
		TypeMeta: metav1.TypeMeta{APIVersion: APIVersion, Kind: Kind},
		ObjectMeta: metav1.ObjectMeta{
			Name: Name, Namespace: ns,
			Labels:      map[string]string{LabelManagedBy: "palisade"},
			Annotations: map[string]string{AnnotationPolicy: "prod", AnnotationTab: "continuous"},
		},
		Summary: sum,
		Results: results,
	}
}

func fail(ns, name, rule string, sev Severity, action, msg string) Result {
	return Result{
		Source: "palisade", Policy: "prod", Rule: rule, Severity: sev, Timestamp: Timestamp{Seconds: now.Unix()},
		Result: StatusFail, Scored: true, Resources: []ObjectReference{ref(ns, name)}, Message: msg,
		Properties: map[string]string{"action": action, "tab": "continuous"},
	}
}

func withoutHash(rs []PolicyReport) []PolicyReport {
	for i := range rs {
		delete(rs[i].Annotations, AnnotationHash)
	}
	return rs
}

func TestBuild(t *testing.T) {
	privA := finding("privileged", policy.ActionTerminate, rules.High, "a", "true")
	privB := finding("privileged", policy.ActionTerminate, rules.High, "b", "true")
	root := finding("runAsNonRoot", policy.ActionLog, rules.Medium, "a", "")
	tests := []struct {
		name  string
		evals []Evaluation
		want  []PolicyReport
	}{{
		name: "nothing",
	}, {
		name:  "a clean namespace has a report with passes only",
		evals: []Evaluation{eval("web", "p1", 3)},
		want:  []PolicyReport{report("web", Summary{Pass: 3})},
	}, {
		name: "one result per rule and resource, however many findings",
		evals: []Evaluation{
			eval("web", "p1", 4, privA, privB, root),
		},
		want: []PolicyReport{report("web", Summary{Pass: 2, Fail: 2},
			fail("web", "p1", "privileged", SeverityHigh, "terminate",
				`containerSecurityContext violates rule privileged "true" in container(s) "a", "b" (terminate).`),
			fail("web", "p1", "runAsNonRoot", SeverityMedium, "log",
				`containerSecurityContext violates rule runAsNonRoot "" in container(s) "a" (log).`),
		)},
	}, {
		name: "skipped, cluster-scoped and unchecked objects leave no report",
		evals: []Evaluation{
			{Resource: ref("kube-system", "p1"), Result: &engine.Result{Namespace: "kube-system", Skipped: "system namespace"}},
			{Resource: ObjectReference{Kind: "ClusterRole", Name: "admin"}, Result: &engine.Result{Checked: 1, Findings: []engine.Finding{privA}}},
			eval("quiet", "sa", 0),
		},
	}, {
		name: "an object of an apiVersion Palisade does not read has a skip result saying so",
		evals: []Evaluation{{Resource: ref("web", "old"), Result: &engine.Result{Namespace: "web",
			NotEvaluated: "Palisade reads Ingress as networking.k8s.io/v1, not extensions/v1beta1"}}},
		want: []PolicyReport{report("web", Summary{Skip: 1}, Result{
			Source: "palisade", Policy: "prod", Timestamp: Timestamp{Seconds: now.Unix()}, Result: StatusSkip,
			Resources:  []ObjectReference{ref("web", "old")},
			Message:    "not evaluated: Palisade reads Ingress as networking.k8s.io/v1, not extensions/v1beta1",
			Properties: map[string]string{"tab": "continuous"},
		})},
	}, {
		name: "one report per namespace, sorted",
		evals: []Evaluation{
			eval("web", "p1", 1, privA),
			eval("api", "p2", 1),
		},
		want: []PolicyReport{
			report("api", Summary{Pass: 1}),
			report("web", Summary{Fail: 1}, fail("web", "p1", "privileged", SeverityHigh, "terminate",
				`containerSecurityContext violates rule privileged "true" in container(s) "a" (terminate).`)),
		},
	}, {
		name: "an object that could not be evaluated is an error, listed first",
		evals: []Evaluation{
			eval("web", "p1", 1, privA),
			{Resource: ref("web", "bad"), Err: errors.New("decode Pod: bad")},
		},
		want: []PolicyReport{report("web", Summary{Fail: 1, Error: 1},
			Result{
				Source: "palisade", Policy: "prod", Timestamp: Timestamp{Seconds: now.Unix()}, Result: StatusError,
				Resources: []ObjectReference{ref("web", "bad")}, Message: "decode Pod: bad",
				Properties: map[string]string{"tab": "continuous"},
			},
			fail("web", "p1", "privileged", SeverityHigh, "terminate",
				`containerSecurityContext violates rule privileged "true" in container(s) "a" (terminate).`),
		)},
	}, {
		name: "a rule listed twice is two checks and one result with the stronger action",
		evals: []Evaluation{eval("web", "p1", 4,
			finding("cel", policy.ActionLog, rules.Medium, "", "x"),
			privA,
			finding("cel", policy.ActionIsolate, rules.Medium, "", "y"),
		)},
		want: []PolicyReport{report("web", Summary{Pass: 1, Fail: 2},
			fail("web", "p1", "privileged", SeverityHigh, "terminate",
				`containerSecurityContext violates rule privileged "true" in container(s) "a" (terminate).`),
			fail("web", "p1", "cel", SeverityMedium, "isolate",
				"containerSecurityContext violates rule cel \"x\" (log).\ncontainerSecurityContext violates rule cel \"y\" (isolate)."),
		)},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := withoutHash(Build(Options{Policy: "prod", Tab: policy.TabContinuous, Now: now}, tc.evals))
			if tc.want == nil {
				tc.want = []PolicyReport{}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("reports (-want +got):\n%s", diff)
			}
		})
	}
}

// Only MaxResults results are kept, the most severe first; the summary
// still counts every check and an annotation says how many were left out.
func TestBuildCap(t *testing.T) {
	sevs := []rules.Severity{rules.Low, rules.Critical, rules.Medium, rules.High, rules.Low}
	var evals []Evaluation
	for i, s := range sevs {
		evals = append(evals, eval("web", fmt.Sprintf("p%d", i), 2, finding("r", policy.ActionLog, s, "a", "v")))
	}
	got := Build(Options{Policy: "prod", Tab: policy.TabContinuous, Now: now, MaxResults: 2}, evals)
	if len(got) != 1 {
		t.Fatalf("%d reports", len(got))
	}
	r := got[0]
	var kept []string
	for _, res := range r.Results {
		kept = append(kept, res.Resources[0].Name+":"+string(res.Severity))
	}
	if diff := cmp.Diff([]string{"p1:critical", "p3:high"}, kept); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	if r.Summary != (Summary{Pass: 5, Fail: 5}) || r.Annotations[AnnotationOmitted] != "3" {
		t.Errorf("summary %+v, omitted %q", r.Summary, r.Annotations[AnnotationOmitted])
	}
}

// The Builder holds at most twice the cap however many results come.
func TestBuilderBoundedMemory(t *testing.T) {
	b := NewBuilder(Options{Policy: "prod", Now: now, MaxResults: 10})
	for i := range 1000 {
		b.Add(ref("web", fmt.Sprint(i)), &engine.Result{Namespace: "web", Checked: 1, Findings: []engine.Finding{
			finding("r", policy.ActionLog, rules.Low, "a", "v"),
		}})
		if n := len(b.byNS["web"].results); n >= 20 {
			t.Fatalf("holding %d results after %d adds", n, i+1)
		}
	}
	if r := b.Reports()[0]; r.Summary.Fail != 1000 || len(r.Results) != 10 || r.Annotations[AnnotationOmitted] != "990" {
		t.Errorf("summary %+v, %d results, omitted %s", r.Summary, len(r.Results), r.Annotations[AnnotationOmitted])
	}
}

// The hash ignores timestamps, so that an unchanged cluster writes
// nothing, and changes with what the report says.
func TestContentHash(t *testing.T) {
	build := func(at time.Time, findings ...engine.Finding) string {
		rs := Build(Options{Policy: "prod", Now: at}, []Evaluation{eval("web", "p1", 2, findings...)})
		return rs[0].Annotations[AnnotationHash]
	}
	priv := finding("privileged", policy.ActionLog, rules.High, "a", "true")
	h := build(now, priv)
	if h == "" || build(now.Add(time.Hour), priv) != h {
		t.Errorf("hash changes with the time")
	}
	if build(now) == h {
		t.Errorf("hash does not change with the results")
	}
}

func TestSeverityMapping(t *testing.T) {
	for in, want := range map[rules.Severity]Severity{
		rules.Critical: SeverityCritical, rules.High: SeverityHigh, rules.Medium: SeverityMedium,
		rules.Low: SeverityLow, "": SeverityInfo, "unknown": SeverityInfo,
	} {
		if got := severity(in); got != want {
			t.Errorf("severity(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("é", maxMessage) // 2 bytes each
	got := truncate(long)
	if len(got) > maxMessage || !strings.HasSuffix(got, "…") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("truncate: %d bytes, suffix %q", len(got), got[len(got)-6:])
	}
	if truncate("short") != "short" {
		t.Error("a short message changed")
	}
}

func BenchmarkBuild10000(b *testing.B) {
	evals := make([]Evaluation, 10000)
	for i := range evals {
		ns := fmt.Sprintf("ns-%d", i%20)
		evals[i] = eval(ns, fmt.Sprintf("pod-%d", i), 6,
			finding("privileged", policy.ActionTerminate, rules.High, "app", "true"),
			finding("runAsNonRoot", policy.ActionLog, rules.Medium, "app", ""),
		)
	}
	b.ReportAllocs()
	for b.Loop() {
		Build(Options{Policy: "prod", Tab: policy.TabContinuous, Now: now}, evals)
	}
}

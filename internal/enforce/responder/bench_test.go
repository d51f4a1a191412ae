package responder

import (
	"os"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/falco"
	"github.com/palisade-dev/palisade/internal/core/falco/k8saudit"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/ruleset"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

// recorded is the benchmark's input: real kube-apiserver audit events
// (hack/bench/record-audit.sh), as JSON lines.
func recorded(b *testing.B) ([]byte, int) {
	b.Helper()
	body, err := os.ReadFile("testdata/recorded-audit.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	if err := k8saudit.NewDecoder().Decode(body, func(*k8saudit.Event) error { n++; return nil }); err != nil {
		b.Fatal(err)
	}
	return body, n
}

func reportPerEvent(b *testing.B, start time.Time, events int) {
	elapsed := time.Since(start)
	total := float64(b.N) * float64(events)
	b.ReportMetric(total/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(elapsed.Nanoseconds())/total, "ns/event")
}

// BenchmarkAuditDecode: JSON decoding alone.
func BenchmarkAuditDecode(b *testing.B) {
	body, n := recorded(b)
	dec := k8saudit.NewDecoder()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := dec.Decode(body, func(*k8saudit.Event) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	reportPerEvent(b, start, n)
}

// BenchmarkAuditDecodeEvaluate: decoding plus every rule of Falco's
// k8saudit rules file (48 rules) on every event, outputs formatted for the
// matches.
func BenchmarkAuditDecodeEvaluate(b *testing.B) {
	body, n := recorded(b)
	rs := loadK8sAudit(b)
	dec := k8saudit.NewDecoder()
	m := rs.Rules.NewMatcher()
	matches := 0
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		err := dec.Decode(body, func(e *k8saudit.Event) error {
			m.Match(k8saudit.SourceName, e, func(r *falco.Rule) bool {
				matches++
				_ = m.Output(r)
				return true
			})
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	reportPerEvent(b, start, n)
	b.ReportMetric(float64(matches)/float64(b.N), "matches/op")
}

// BenchmarkResponderAudit: what the agent does with a body the audit
// webhook posts, short of HTTP: decode, find the bindings for each
// event's namespace, evaluate the bound rulesets (Falco's k8saudit rules
// and the five built-in ones), format and queue the matches.
func BenchmarkResponderAudit(b *testing.B) {
	body, n := recorded(b)
	reg, err := rules.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	pb, err := policy.Load("bench", []byte(`apiVersion: palisade.dev/v1
kind: Policy
metadata: {name: bench}
spec:
  clusterWide:
    runtime:
      rulesets:
        - {ruleset: k8s_audit_rules, action: log}
        - {ruleset: pod-exec, action: isolate}
        - {ruleset: terminal-shell, action: terminate}
        - {ruleset: port-forward, action: log}
        - {ruleset: privileged-pod, action: log}
`), reg)
	if err != nil {
		b.Fatal(err)
	}
	compiled, err := engine.Compile(pb.Policies[0], reg)
	if err != nil {
		b.Fatal(err)
	}
	builtin, err := ruleset.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	set := ruleset.NewSet(append(builtin, loadK8sAudit(b))...)
	r, err := New(Options{Policy: func() *engine.Compiled { return compiled }, Rulesets: func() *ruleset.Set { return set }, Queue: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-r.work:
			case <-done:
				return
			}
		}
	}()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := r.Audit(b.Context(), body); err != nil {
			b.Fatal(err)
		}
	}
	reportPerEvent(b, start, n)
}

// loadK8sAudit loads Falco's published k8saudit rules, unchanged.
func loadK8sAudit(b *testing.B) *ruleset.Ruleset {
	b.Helper()
	sets, diags, err := ruleset.LoadSpec(ruleset.Spec{Name: "k8s_audit_rules", Files: []string{fixture.Path(b, "falco-rules", "k8s_audit_rules.yaml")}})
	if err != nil || len(diags) > 0 || len(sets) != 1 {
		b.Fatalf("k8s_audit_rules.yaml: %v %v", err, diags)
	}
	return sets[0]
}

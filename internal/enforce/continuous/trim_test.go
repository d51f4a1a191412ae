package continuous

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// Trimming must not change what any catalog rule finds: every rule that
// runs in the continuous tab judges a trimmed pod as it judges the whole.
func TestTrimKeepsWhatRulesRead(t *testing.T) {
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	preset, err := policy.Preset("log-all", reg)
	if err != nil {
		t.Fatal(err)
	}
	var cont []policy.Rule
	for _, r := range preset.Spec.ClusterWide.Deployment.Rules {
		if def, ok := reg.Get(r.Rule); ok && slices.Contains(def.Tabs, policy.TabContinuous) {
			cont = append(cont, r)
		}
	}
	for _, level := range []string{"baseline", "restricted"} {
		cont = append(cont, policy.Rule{Rule: "podSecurityStandard", Action: policy.ActionLog,
			Properties: []byte(`{"level":"` + level + `"}`)})
	}
	preset.Spec.ClusterWide.Continuous = &policy.RuleTab{Rules: cont}
	compiled, err := engine.Compile(preset, reg)
	if err != nil {
		t.Fatal(err)
	}
	whole := benchPods(t, 10, false)
	trimmed := benchPods(t, 10, true)
	for i := range whole {
		want := compiled.Evaluate(workload.FromPod(whole[i]), policy.TabContinuous, engine.Options{})
		got := compiled.Evaluate(workload.FromPod(trimmed[i]), policy.TabContinuous, engine.Options{})
		if len(want.Findings) == 0 && i%10 == 0 {
			t.Fatalf("pod %d: the violating pod has no findings; the test proves nothing", i)
		}
		msgs := func(r engine.Result) []string {
			var out []string
			for j := range r.Findings {
				out = append(out, r.Findings[j].Message())
			}
			return out
		}
		if diff := cmp.Diff(msgs(want), msgs(got)); diff != "" {
			t.Errorf("pod %d: findings (-whole +trimmed):\n%s", i, diff)
		}
	}
	if p := trimmed[0]; p.ManagedFields != nil || p.Spec.Containers[0].Env != nil || p.Spec.Tolerations != nil || len(p.Status.ContainerStatuses) != 0 {
		t.Errorf("not trimmed: %+v", p)
	}
}

func TestStrongestActionWins(t *testing.T) {
	order := []policy.Action{"", policy.ActionLog, policy.ActionIsolate, policy.ActionTerminate}
	for i := 1; i < len(order); i++ {
		if order[i].Strength() <= order[i-1].Strength() {
			t.Errorf("%s should outrank %s", order[i], order[i-1])
		}
	}
}

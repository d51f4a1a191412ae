package ruleset

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

// TestRulesetSyscallRulesUseStableMacros: a ruleset's own syscall rule may
// use the macros of Falco's stable rules; the ruleset then answers alerts
// of its own rules only, and has syscall rules for a sensor to evaluate.
func TestRulesetSyscallRulesUseStableMacros(t *testing.T) {
	rs := &policy.RuntimeRuleset{}
	rs.Metadata.Name = "miner"
	rs.Spec.FalcoRules = []json.RawMessage{json.RawMessage(`{"rule":"Miner started","desc":"d","condition":"spawned_process and container and proc.name = xmrig","output":"miner %proc.cmdline","priority":"CRITICAL"}`)}
	rs.Spec.FalcoAlerts = []string{"Terminal shell in container"}
	r, diags := Compile(rs)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if len(diags) != 0 {
		t.Errorf("diagnostics of the stable rules leak into the ruleset's: %v", diags)
	}
	if !r.AnswersAlert("Miner started") || !r.AnswersAlert("Terminal shell in container") || r.AnswersAlert("Read sensitive file untrusted") {
		t.Error("the ruleset answers alerts of its own rule and falcoAlerts only")
	}
	if own := r.Own(); len(own) != 1 || own[0].Name != "Miner started" || !r.HasSyscallRules() {
		t.Errorf("own rules %v, want the one syscall rule", own)
	}
	if len(r.Files) != 1 || strings.Contains(string(r.Files[0].Data), "spawned_process:") {
		t.Errorf("the ruleset's files are its items only: %d files", len(r.Files))
	}
}

// TestStableRulesAreTheTestdataCopy keeps the built-in stable rules byte
// for byte the published file in testdata (library/README.md).
func TestStableRulesAreTheTestdataCopy(t *testing.T) {
	if want := fixture.Read(t, "falco-rules", "falco_rules.yaml"); string(StableRules().Data) != string(want) {
		t.Error("library/falco_rules.yaml differs from testdata/falco-rules/falco_rules.yaml")
	}
}

// TestRulesetDiagnosticsOnOverriddenStableRule: a ruleset's rule that
// replaces a stable rule keeps its warnings, though Falco places them at
// the stable rule's first definition.
func TestRulesetDiagnosticsOnOverriddenStableRule(t *testing.T) {
	rs := &policy.RuntimeRuleset{}
	rs.Metadata.Name = "override"
	rs.Spec.FalcoRules = []json.RawMessage{json.RawMessage(`{"rule":"Terminal shell in container","desc":"d","condition":"container and proc.name = sh","output":"shell %proc.cmdline","priority":"NOTICE"}`)}
	_, diags := Compile(rs)
	found := false
	for _, d := range diags {
		if d.Code == "LOAD_NO_EVTTYPE" && d.Item == "rule 'Terminal shell in container'" {
			found = true
		}
	}
	if !found {
		t.Errorf("the overriding rule's LOAD_NO_EVTTYPE warning was dropped: %v", diags)
	}
}

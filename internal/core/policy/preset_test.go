package policy_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

func TestPresetsValidate(t *testing.T) {
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"baseline", "log-all", "recommended", "restricted"}
	if diff := cmp.Diff(want, policy.PresetNames()); diff != "" {
		t.Errorf("presets (-want +got):\n%s", diff)
	}
	for _, name := range policy.PresetNames() {
		p, err := policy.Preset(name, reg)
		if err != nil {
			t.Errorf("preset %s: %v", name, err)
			continue
		}
		if p.Metadata.Name != name {
			t.Errorf("preset %s is named %q", name, p.Metadata.Name)
		}
	}
	if _, err := policy.Preset("nope", reg); err == nil {
		t.Error("unknown preset: want an error")
	}
}

// log-all holds every deployment rule that needs no property, at log.
func TestLogAllMatchesCatalog(t *testing.T) {
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range reg.All() {
		if slices.Contains(r.Tabs, policy.TabDeployment) && !rules.NeedsProperties(r) {
			want = append(want, r.ID)
		}
	}
	p, err := policy.Preset("log-all", reg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range p.Spec.ClusterWide.Deployment.Rules {
		got = append(got, r.Rule)
		if r.Action != policy.ActionLog {
			t.Errorf("log-all: %s has action %s", r.Rule, r.Action)
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log-all rules (-catalog +preset):\n%s", diff)
	}
}

// recommended holds every seed-001 recommendation (every rule from an
// Azure Policy definition, the seed's sensitive-host-namespace and
// security-context rules among them), at log.
func TestRecommendedCoversSeed001(t *testing.T) {
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Preset("recommended", reg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range p.Spec.ClusterWide.Deployment.Rules {
		got[r.Rule] = true
	}
	for _, r := range reg.All() {
		azure := slices.ContainsFunc(r.Sources, func(s rules.Source) bool { return s.Product == "Azure Policy" })
		if azure && !got[r.ID] {
			t.Errorf("recommended is missing Azure Policy rule %s", r.ID)
		}
	}
	for _, id := range []string{"privileged", "allowPrivilegeEscalation", "hostPID", "hostIPC", "readOnlyRootFilesystem", "runAsNonRoot"} {
		if !got[id] {
			t.Errorf("recommended is missing %s", id)
		}
	}
}

package importer

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/policy"
)

// tmRulesetSpec accepts both shapes of a RuntimeRuleset: the current one
// (spec.definition with a label list and rules carrying a mitigation) and
// the older one (spec.labels map and spec.rules grouped by mitigation).
type tmRulesetSpec struct {
	Definition *tmRulesetDefinition `json:"definition,omitempty"`
	Labels     map[string]string    `json:"labels,omitempty"`
	Rules      *tmLegacyRules       `json:"rules,omitempty"`
}

type tmRulesetDefinition struct {
	Labels []json.RawMessage `json:"labels,omitempty"`
	Rules  []json.RawMessage `json:"rules,omitempty"`
}

type tmLabel struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type tmRuntimeRule struct {
	RuleID     string `json:"ruleID"`
	Mitigation string `json:"mitigation,omitempty"`
}

type tmLegacyRules struct {
	Log       []string `json:"log,omitempty"`
	Isolate   []string `json:"isolate,omitempty"`
	Terminate []string `json:"terminate,omitempty"`
}

// tmRuleset is a validated RuntimeRuleset.
type tmRuleset struct {
	name string
	// labels select the pods; none selects every pod.
	labels map[string]string
	// ids holds the rule IDs per mitigation, in tmMitigations order.
	ids [3][]string
}

func parseRuleset(d *docCtx, name string, raw json.RawMessage, path *field.Path) *tmRuleset {
	rs := &tmRuleset{name: name}
	var spec tmRulesetSpec
	if len(raw) == 0 || !d.decode(raw, &spec, path) {
		return rs
	}
	rulesPath := path.Child("rules")
	if spec.Definition != nil {
		if spec.Labels != nil || spec.Rules != nil {
			d.errs = append(d.errs, field.Forbidden(path.Child("definition"), "spec.definition cannot be combined with the older spec.labels and spec.rules"))
			return rs
		}
		rulesPath = path.Child("definition", "rules")
		rs.parseDefinition(d, spec.Definition, path.Child("definition"))
	} else {
		rs.parseLegacy(d, &spec, path)
	}
	if rs.empty() {
		d.warn(rulesPath.String(), "no rules: ruleset %q is skipped", rs.name)
		return rs
	}
	d.warn(rulesPath.String(), "Trend Micro rule IDs are kept as spec.falcoAlerts names: they match only alerts a sensor posts under these names")
	return rs
}

func (rs *tmRuleset) parseDefinition(d *docCtx, def *tmRulesetDefinition, path *field.Path) {
	for i, l := range decodeList[tmLabel](d, def.Labels, path.Child("labels")) {
		if l != nil {
			rs.addLabel(d, l.Key, l.Value, path.Child("labels").Index(i).Child("key"), path.Child("labels").Index(i).Child("value"))
		}
	}
	for i, r := range decodeList[tmRuntimeRule](d, def.Rules, path.Child("rules")) {
		if r == nil {
			continue
		}
		rp := path.Child("rules").Index(i)
		m := r.Mitigation
		if m == "" {
			m = "log"
		}
		mi := slices.Index(tmMitigations, m)
		if mi < 0 {
			d.errs = append(d.errs, field.NotSupported(rp.Child("mitigation"), r.Mitigation, tmMitigations))
		}
		if r.RuleID == "" {
			d.errs = append(d.errs, field.Required(rp.Child("ruleID"), ""))
		} else if mi >= 0 {
			rs.add(mi, r.RuleID)
		}
	}
}

func (rs *tmRuleset) parseLegacy(d *docCtx, spec *tmRulesetSpec, path *field.Path) {
	keys := make([]string, 0, len(spec.Labels))
	for k := range spec.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := path.Child("labels").Key(k)
		rs.addLabel(d, k, spec.Labels[k], p, p)
	}
	if spec.Rules == nil {
		return
	}
	for mi, ids := range [][]string{spec.Rules.Log, spec.Rules.Isolate, spec.Rules.Terminate} {
		for i, id := range ids {
			if id == "" {
				d.errs = append(d.errs, field.Required(path.Child("rules", tmMitigations[mi]).Index(i), "a rule ID"))
				continue
			}
			rs.add(mi, id)
		}
	}
}

func (rs *tmRuleset) addLabel(d *docCtx, key, value string, keyPath, valuePath *field.Path) {
	n := len(d.errs)
	if key == "" {
		d.errs = append(d.errs, field.Required(keyPath, ""))
	}
	for _, msg := range validation.IsQualifiedName(key) {
		if key != "" {
			d.errs = append(d.errs, field.Invalid(keyPath, key, msg))
		}
	}
	for _, msg := range validation.IsValidLabelValue(value) {
		d.errs = append(d.errs, field.Invalid(valuePath, value, msg))
	}
	if prev, ok := rs.labels[key]; ok && prev != value {
		d.errs = append(d.errs, field.Invalid(valuePath, value, fmt.Sprintf("label %s is already given the value %q", key, prev)))
	}
	if len(d.errs) > n {
		return
	}
	if rs.labels == nil {
		rs.labels = map[string]string{}
	}
	rs.labels[key] = value
}

// add records rule id under mitigation index mi, once.
func (rs *tmRuleset) add(mi int, id string) {
	if !slices.Contains(rs.ids[mi], id) {
		rs.ids[mi] = append(rs.ids[mi], id)
	}
}

func (rs *tmRuleset) empty() bool {
	return len(rs.ids[0])+len(rs.ids[1])+len(rs.ids[2]) == 0
}

// outputNames are the names of the Palisade rulesets rs becomes: one per
// mitigation it uses, "<name>-<mitigation>", or "<name>" when it uses one.
func (rs *tmRuleset) outputNames() []string {
	var used []int
	for mi, ids := range rs.ids {
		if len(ids) > 0 {
			used = append(used, mi)
		}
	}
	if len(used) == 1 {
		return []string{rs.name}
	}
	names := make([]string, len(used))
	for i, mi := range used {
		names[i] = rs.name + "-" + tmMitigations[mi]
	}
	return names
}

// palisade splits rs by mitigation, since a Palisade binding carries one
// action: each part becomes a RuntimeRuleset whose falcoAlerts are the
// Trend Micro rule IDs, bound to rs's pods with the mitigation as action.
func (rs *tmRuleset) palisade() ([]*policy.RuntimeRuleset, []policy.RulesetBinding) {
	names := rs.outputNames()
	var out []*policy.RuntimeRuleset
	var bindings []policy.RulesetBinding
	for mi, ids := range rs.ids {
		if len(ids) == 0 {
			continue
		}
		name := names[len(out)]
		out = append(out, &policy.RuntimeRuleset{
			TypeMeta: metav1.TypeMeta{APIVersion: policy.APIVersion, Kind: policy.KindRuntimeRuleset},
			Metadata: metav1.ObjectMeta{Name: name},
			Spec:     policy.RuntimeRulesetSpec{FalcoAlerts: slices.Clone(ids)},
		})
		var match map[string]string
		if len(rs.labels) > 0 {
			match = map[string]string{}
			for k, v := range rs.labels {
				match[k] = v
			}
		}
		bindings = append(bindings, policy.RulesetBinding{
			Ruleset:  name,
			Selector: &metav1.LabelSelector{MatchLabels: match},
			Action:   policy.Action(tmMitigations[mi]),
		})
	}
	return out, bindings
}

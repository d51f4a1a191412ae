package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// formFromPolicy fills the editor from a stored policy. The form has one
// row per catalog rule and tab; what it cannot show (a rule enabled twice
// in a tab, a selector that is not valid, a property it does not know)
// is returned as reasons, and the caller offers the YAML editor instead so
// that nothing is dropped silently.
func formFromPolicy(p *policy.Policy, version int64, reg *rules.Registry, rulesets []string) (*policyForm, []string) {
	f := newPolicyForm(reg, rulesets)
	f.Existing = true
	f.Name.Value = p.Metadata.Name
	f.Description.Value = p.Spec.Description
	f.Version = strconv.FormatInt(version, 10)
	var reasons []string
	reasons = append(reasons, f.CW.fill(&p.Spec.ClusterWide, "the cluster-wide definition")...)
	for i := range p.Spec.Namespaced {
		d := &p.Spec.Namespaced[i]
		ns := f.newNS(reg)
		ns.Name.Value = d.Name
		ns.Namespaces.Value = strings.Join(d.Namespaces, ", ")
		reasons = append(reasons, ns.Def.fill(&d.Definition, fmt.Sprintf("namespace definition %q", d.Name))...)
	}
	return f, reasons
}

func (d *defForm) fill(def *policy.Definition, where string) []string {
	var reasons []string
	if def.Deployment != nil {
		reasons = append(reasons, d.Deployment.fill(def.Deployment, where)...)
	}
	if def.Continuous != nil {
		reasons = append(reasons, d.Continuous.fill(def.Continuous, where)...)
	}
	if def.Runtime != nil {
		for _, b := range def.Runtime.Rulesets {
			d.Runtime.addBinding()
			row := d.Runtime.Bindings[len(d.Runtime.Bindings)-1]
			row.Ruleset.Value, row.Action.Value = b.Ruleset, string(b.Action)
			if b.Selector != nil {
				switch text := metav1.FormatLabelSelector(b.Selector); text {
				case "<none>":
				case "<error>":
					reasons = append(reasons, fmt.Sprintf("%s binds ruleset %s with a selector the form cannot show", where, b.Ruleset))
				default:
					row.Selector.Value = text
				}
			}
		}
	}
	return reasons
}

func (t *ruleTabForm) fill(tab *policy.RuleTab, where string) []string {
	var reasons []string
	var order []string
	for _, r := range tab.Rules {
		row := t.row(r.Rule)
		switch {
		case row == nil:
			reasons = append(reasons, fmt.Sprintf("%s enables %s, which the %s tab of the catalog does not list", where, r.Rule, t.Tab))
			continue
		case row.Enabled:
			reasons = append(reasons, fmt.Sprintf("%s enables %s more than once in the %s tab", where, r.Rule, t.Tab))
			continue
		}
		order = append(order, r.Rule)
		row.Enabled = true
		row.Action.Value = string(r.Action)
		row.ExcludedNamespaces.Value = strings.Join(r.ExcludedNamespaces, ", ")
		row.ExcludedImages.Value = strings.Join(r.ExcludedImages, ", ")
		if err := row.fillProps(r.Properties); err != nil {
			reasons = append(reasons, fmt.Sprintf("%s: %s in the %s tab: %v", where, r.Rule, t.Tab, err))
		}
	}
	t.Order = strings.Join(order, ",")
	for _, x := range tab.Exceptions {
		t.addException()
		row := t.Exceptions[len(t.Exceptions)-1]
		row.Type.Value, row.Operator.Value = x.Type, x.Properties.Operator
		row.Values.Value = strings.Join(x.Properties.Values, "\n")
		row.Namespaces.Value = strings.Join(x.Namespaces, ", ")
	}
	return reasons
}

func (t *ruleTabForm) row(id string) *ruleRow {
	for _, r := range t.Rules {
		if r.Rule.ID == id {
			return r
		}
	}
	return nil
}

// fillProps shows stored properties in their inputs.
func (row *ruleRow) fillProps(raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("properties are not an object")
	}
	for _, p := range row.Props {
		v, ok := m[p.Doc.Name]
		if !ok {
			continue
		}
		delete(m, p.Doc.Name)
		if err := p.fill(v); err != nil {
			return fmt.Errorf("property %s: %w", p.Doc.Name, err)
		}
	}
	if len(m) > 0 {
		return fmt.Errorf("unknown properties %s", strings.Join(slices.Sorted(maps.Keys(m)), ", "))
	}
	return nil
}

func (p *propInput) fill(v json.RawMessage) error {
	switch p.Kind {
	case "bool":
		return json.Unmarshal(v, &p.Checked)
	case "int":
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			return err
		}
		p.Value = n.String()
		return nil
	case "text":
		return json.Unmarshal(v, &p.Value)
	case "lines":
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			return err
		}
		lines := make([]string, len(items))
		for i, it := range items {
			var s string
			if json.Unmarshal(it, &s) == nil {
				if strings.Contains(s, "\n") {
					return fmt.Errorf("a value spans several lines")
				}
				lines[i] = s
			} else {
				lines[i] = string(it)
			}
		}
		p.Value = strings.Join(lines, "\n")
		return nil
	}
	y, err := yaml.JSONToYAML(v)
	if err != nil {
		return err
	}
	p.Value = string(y)
	return nil
}

// defaultText shows a property's default for the help text.
func defaultText(pd rules.ParamDoc) string {
	if pd.Required {
		return "required"
	}
	switch d := pd.Default.(type) {
	case nil:
		return "none"
	case string:
		if d == "" {
			return `""`
		}
		return d
	case []any:
		if len(d) == 0 {
			return "none"
		}
	}
	b, err := json.Marshal(pd.Default)
	if err != nil {
		return fmt.Sprint(pd.Default)
	}
	return string(b)
}

package ui

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/core/policy"
)

// paths maps each field path the built document has to the key of the
// input it came from, so a validation problem can be shown next to it.
type paths map[string]string

// build turns the editor into a policy. Input that cannot be converted at
// all (a word in a number field) is reported on its input and build
// returns ok false without a policy.
func (f *policyForm) build() (p *policy.Policy, fields paths, ok bool) {
	fields = paths{"metadata.name": f.Name.Key, "spec.description": f.Description.Key}
	p = &policy.Policy{Spec: policy.Spec{Description: f.Description.Value}}
	p.APIVersion, p.Kind = policy.APIVersion, policy.KindPolicy
	p.Metadata.Name = f.Name.Value
	ok = true
	var good bool
	p.Spec.ClusterWide, good = f.CW.build("spec.clusterWide", fields)
	ok = ok && good
	for _, ns := range f.NS {
		if ns.Remove || ns.blank() {
			continue
		}
		path := fmt.Sprintf("spec.namespaced[%d]", len(p.Spec.Namespaced))
		fields[path] = ns.Key
		fields[path+".name"] = ns.Name.Key
		fields[path+".namespaces"] = ns.Namespaces.Key
		d := policy.NamespacedDefinition{Name: ns.Name.Value, Namespaces: commaList(ns.Namespaces.Value)}
		d.Definition, good = ns.Def.build(path, fields)
		ok = ok && good
		p.Spec.Namespaced = append(p.Spec.Namespaced, d)
	}
	if !ok {
		return nil, fields, false
	}
	return p, fields, true
}

// blank reports whether nothing was entered in a namespace definition
// (one added and left empty is dropped, not reported).
func (ns *nsForm) blank() bool {
	if ns.Name.Value != "" || ns.Namespaces.Value != "" {
		return false
	}
	d := &ns.Def
	for _, t := range []*ruleTabForm{&d.Deployment, &d.Continuous} {
		for _, r := range t.Rules {
			if r.Enabled {
				return false
			}
		}
		for _, x := range t.Exceptions {
			if !x.Remove && !x.blank() {
				return false
			}
		}
	}
	for _, b := range d.Runtime.Bindings {
		if !b.Remove && !b.blank() {
			return false
		}
	}
	return true
}

func (d *defForm) build(path string, fields paths) (policy.Definition, bool) {
	var def policy.Definition
	dep, ok1 := d.Deployment.build(path+".deployment", fields)
	cont, ok2 := d.Continuous.build(path+".continuous", fields)
	rt, ok3 := d.Runtime.build(path+".runtime", fields)
	def.Deployment, def.Continuous, def.Runtime = dep, cont, rt
	return def, ok1 && ok2 && ok3
}

// build returns the tab, nil when nothing is enabled in it.
func (t *ruleTabForm) build(path string, fields paths) (*policy.RuleTab, bool) {
	ok := true
	tab := &policy.RuleTab{}
	for i, row := range t.enabledInOrder() {
		rp := fmt.Sprintf("%s.rules[%d]", path, i)
		fields[rp] = row.Key
		fields[rp+".rule"] = row.Key
		fields[rp+".action"] = row.Action.Key
		fields[rp+".properties"] = row.Key
		fields[rp+".excludedNamespaces"] = row.ExcludedNamespaces.Key
		fields[rp+".excludedImages"] = row.ExcludedImages.Key
		r := policy.Rule{Rule: row.Rule.ID, Action: policy.Action(row.Action.Value),
			ExcludedNamespaces: commaList(row.ExcludedNamespaces.Value), ExcludedImages: commaList(row.ExcludedImages.Value)}
		props := map[string]any{}
		for _, p := range row.Props {
			fields[rp+".properties."+p.Doc.Name] = p.Key
			v, set, err := p.convert()
			if err != nil {
				p.addErr(err.Error())
				ok = false
				continue
			}
			if set {
				props[p.Doc.Name] = v
			}
		}
		if len(props) > 0 {
			b, err := json.Marshal(props)
			if err != nil {
				row.addErr("properties: " + err.Error())
				ok = false
			}
			r.Properties = b
		}
		tab.Rules = append(tab.Rules, r)
	}
	for _, x := range t.Exceptions {
		if x.Remove || x.blank() {
			continue
		}
		xp := fmt.Sprintf("%s.exceptions[%d]", path, len(tab.Exceptions))
		fields[xp] = x.Key
		fields[xp+".type"] = x.Type.Key
		fields[xp+".properties"] = x.Key
		fields[xp+".properties.operator"] = x.Operator.Key
		fields[xp+".properties.values"] = x.Values.Key
		fields[xp+".namespaces"] = x.Namespaces.Key
		tab.Exceptions = append(tab.Exceptions, policy.Exception{Type: x.Type.Value, Namespaces: commaList(x.Namespaces.Value),
			Properties: policy.ImageCriteria{Operator: x.Operator.Value, Values: lineList(x.Values.Value)}})
	}
	if len(tab.Rules) == 0 && len(tab.Exceptions) == 0 {
		return nil, ok
	}
	return tab, ok
}

// enabledInOrder returns the enabled rows: first those the stored policy
// had, in its order, then the others in catalog order.
func (t *ruleTabForm) enabledInOrder() []*ruleRow {
	order := commaList(t.Order)
	var rows []*ruleRow
	for _, r := range t.Rules {
		if r.Enabled {
			rows = append(rows, r)
		}
	}
	rank := func(r *ruleRow) int {
		if i := slices.Index(order, r.Rule.ID); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(rows, func(a, b *ruleRow) int { return rank(a) - rank(b) })
	return rows
}

func (x *exceptionRow) blank() bool {
	return x.Type.Value == "" && strings.TrimSpace(x.Values.Value) == "" && x.Namespaces.Value == ""
}

func (b *bindingRow) blank() bool { return b.Ruleset.Value == "" && b.Selector.Value == "" }

func (rt *runtimeForm) build(path string, fields paths) (*policy.RuntimeTab, bool) {
	ok := true
	tab := &policy.RuntimeTab{}
	for _, b := range rt.Bindings {
		if b.Remove || b.blank() {
			continue
		}
		bp := fmt.Sprintf("%s.rulesets[%d]", path, len(tab.Rulesets))
		fields[bp] = b.Key
		fields[bp+".ruleset"] = b.Ruleset.Key
		fields[bp+".selector"] = b.Selector.Key
		fields[bp+".action"] = b.Action.Key
		sel, err := parseSelector(b.Selector.Value)
		if err != nil {
			b.Selector.addErr(err.Error())
			ok = false
		}
		tab.Rulesets = append(tab.Rulesets, policy.RulesetBinding{Ruleset: b.Ruleset.Value, Selector: sel, Action: policy.Action(b.Action.Value)})
	}
	if len(tab.Rulesets) == 0 {
		return nil, ok
	}
	return tab, ok
}

// parseSelector reads a label selector as `kubectl -l` takes it
// ("app=web, tier in (a,b), !canary"): equalities become matchLabels, the
// rest matchExpressions. "" is no selector.
func parseSelector(s string) (*metav1.LabelSelector, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	sel, err := metav1.ParseToLabelSelector(s)
	if err != nil {
		return nil, fmt.Errorf("write a label selector as kubectl -l takes it (app=web, tier in (front,back), !canary): %v", err)
	}
	if len(sel.MatchLabels) == 0 {
		sel.MatchLabels = nil
	}
	if len(sel.MatchExpressions) == 0 {
		sel.MatchExpressions = nil
	}
	for i := range sel.MatchExpressions {
		if len(sel.MatchExpressions[i].Values) == 0 {
			sel.MatchExpressions[i].Values = nil // Exists, DoesNotExist
		}
	}
	return sel, nil
}

// convert reads a property input. set is false when the input is left
// empty (or, for a checkbox, equals the default), so the default applies.
func (p *propInput) convert() (v any, set bool, err error) {
	switch p.Kind {
	case "bool":
		def, _ := p.Doc.Default.(bool)
		return p.Checked, p.Checked != def, nil
	case "int":
		if p.Value == "" {
			return nil, false, nil
		}
		n, err := strconv.ParseInt(p.Value, 10, 64)
		if err != nil {
			return nil, false, fmt.Errorf("%q is not a whole number", p.Value)
		}
		return n, true, nil
	case "text":
		return p.Value, p.Value != "", nil
	case "lines":
		lines := lineList(p.Value)
		if len(lines) == 0 {
			return nil, false, nil
		}
		if p.Doc.Type != "[]integer" {
			return lines, true, nil
		}
		nums := make([]int64, len(lines))
		for i, l := range lines {
			if nums[i], err = strconv.ParseInt(l, 10, 64); err != nil {
				return nil, false, fmt.Errorf("line %d: %q is not a whole number", i+1, l)
			}
		}
		return nums, true, nil
	}
	if strings.TrimSpace(p.Value) == "" {
		return nil, false, nil
	}
	j, err := yaml.YAMLToJSON([]byte(p.Value))
	if err != nil {
		return nil, false, fmt.Errorf("not valid YAML or JSON: %v", err)
	}
	if err := json.Unmarshal(j, &v); err != nil {
		return nil, false, fmt.Errorf("not valid YAML or JSON: %v", err)
	}
	if _, isList := v.([]any); strings.HasPrefix(p.Doc.Type, "[]") && !isList {
		return nil, false, fmt.Errorf("must be a list (YAML or JSON)")
	}
	return v, true, nil
}

// commaList splits "a, b,,c" into [a b c]; nil when empty.
func commaList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// lineList splits a textarea into its non-empty lines; nil when empty.
func lineList(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// attach places each problem on the input of the longest field path
// prefix the document got from the form; the rest go to the summary.
func (f *policyForm) attach(problems []policy.Problem, fields paths) {
	inputs := f.inputs()
	for _, pr := range problems {
		if pr.Err == nil {
			continue
		}
		msg := pr.Err.ErrorBody()
		if in := inputs[lookup(fields, pr.Err.Field)]; in != nil {
			in.addErr(msg)
			continue
		}
		f.Summary = append(f.Summary, pr.Err.Error())
	}
}

// lookup returns the key of the longest prefix of path (cut at "." or
// "[") that fields holds, or "".
func lookup(fields paths, path string) string {
	for path != "" {
		if k, ok := fields[path]; ok {
			return k
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return ""
		}
		path = path[:i]
	}
	return ""
}

package ui

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/palisade-dev/palisade/internal/core/image"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// The policy editor keeps what the user typed as strings, so a form that
// does not validate comes back exactly as it was sent. Every input has a
// key, which is its form name; its element ID is the key with dots turned
// into dashes. Keys:
//
//	name, description, version, nsCount
//	cw | ns<N>                          a definition (cluster-wide or namespaced)
//	ns<N>.name, ns<N>.namespaces, ns<N>.remove
//	<def>.tab                           the tab shown last
//	<def>.deployment | <def>.continuous a rule tab
//	<tab>.r.<ruleID>.enabled|action|excludedNamespaces|excludedImages
//	<tab>.r.<ruleID>.p.<property>
//	<tab>.order                         the stored order of the enabled rules
//	<tab>.x<N>.type|operator|values|namespaces|remove, <tab>.xCount
//	<def>.runtime.b<N>.ruleset|selector|action|remove, <def>.runtime.bCount

// Limits on rows a form may ask for, so a crafted form cannot make the
// server render without bound.
const (
	maxDefinitions = 100
	maxRows        = 200
)

// input is one form control's value and the problems shown next to it.
type input struct {
	Key   string
	Value string
	Errs  []string
}

func (in *input) addErr(msg string) { in.Errs = append(in.Errs, msg) }

// policyForm is the whole editor.
type policyForm struct {
	// Existing is set when editing a stored policy (the name is fixed).
	Existing    bool
	Name        input
	Description input
	Version     string
	CW          defForm
	NS          []*nsForm
	// Summary holds problems that belong to no input.
	Summary []string
	// Rulesets are the stored runtime rulesets, for the binding dropdowns.
	Rulesets []string
}

// nsForm is one namespace definition.
type nsForm struct {
	input      // the definition as a whole (Key is ns<N>)
	Name       input
	Namespaces input
	Remove     bool
	Def        defForm
}

// defForm holds a definition's three tabs.
type defForm struct {
	Key        string
	Tab        string
	Deployment ruleTabForm
	Continuous ruleTabForm
	Runtime    runtimeForm
}

// ruleTabForm is the deployment or continuous tab.
type ruleTabForm struct {
	Key        string
	Tab        policy.Tab
	Order      string
	Rules      []*ruleRow
	Exceptions []*exceptionRow
}

// ruleRow is one catalog rule in a tab.
type ruleRow struct {
	input // the row (Key is <tab>.r.<ruleID>)
	Rule  *rules.Rule
	// Actions are the actions valid in the tab.
	Actions            []string
	Enabled            bool
	Action             input
	Props              []*propInput
	ExcludedNamespaces input
	ExcludedImages     input
}

// propInput is one property of a rule.
type propInput struct {
	input
	Doc rules.ParamDoc
	// Kind picks the control: bool, int, text, lines (one value a line)
	// or yaml (a YAML or JSON value).
	Kind    string
	Checked bool
	// DefaultText is the default as shown in the help text.
	DefaultText string
}

// exceptionRow is one image exception of a tab.
type exceptionRow struct {
	input
	Type       input
	Operator   input
	Values     input
	Namespaces input
	Remove     bool
}

// runtimeForm is the runtime tab: ruleset bindings.
type runtimeForm struct {
	Key      string
	Bindings []*bindingRow
	// Rulesets are the stored runtime rulesets, for the dropdowns.
	Rulesets []string
}

// bindingRow binds a runtime ruleset.
type bindingRow struct {
	input
	Ruleset  input
	Selector input
	Action   input
	Remove   bool
}

// ExceptionTypes and Operators feed the exception dropdowns.
func (f *ruleTabForm) ExceptionTypes() []string {
	return []string{"imageRegistry", "imageName", "imageTag", "imagePath"}
}

// Operators lists the image operators.
func (f *ruleTabForm) Operators() []string { return image.Operators }

// RuntimeActions lists the runtime tab's actions.
func (f *runtimeForm) RuntimeActions() []string { return actionStrings(policy.TabRuntime) }

func actionStrings(t policy.Tab) []string {
	var out []string
	for _, a := range policy.ActionsFor(t) {
		out = append(out, string(a))
	}
	return out
}

// propKind picks the control for a property type.
func propKind(typ string) string {
	switch typ {
	case "boolean":
		return "bool"
	case "integer":
		return "int"
	case "string":
		return "text"
	case "[]string", "[]integer":
		return "lines"
	}
	return "yaml"
}

// newPolicyForm returns an empty editor (nothing enabled).
func newPolicyForm(reg *rules.Registry, rulesets []string) *policyForm {
	f := &policyForm{Name: input{Key: "name"}, Description: input{Key: "description"}, Rulesets: rulesets}
	f.CW = newDefForm("cw", reg, rulesets)
	return f
}

func newDefForm(key string, reg *rules.Registry, rulesets []string) defForm {
	return defForm{
		Key:        key,
		Tab:        string(policy.TabDeployment),
		Deployment: newRuleTab(key+".deployment", policy.TabDeployment, reg),
		Continuous: newRuleTab(key+".continuous", policy.TabContinuous, reg),
		Runtime:    runtimeForm{Key: key + ".runtime", Rulesets: rulesets},
	}
}

func (f *policyForm) newNS(reg *rules.Registry) *nsForm {
	key := "ns" + strconv.Itoa(len(f.NS))
	ns := &nsForm{input: input{Key: key}, Name: input{Key: key + ".name"}, Namespaces: input{Key: key + ".namespaces"},
		Def: newDefForm(key, reg, f.Rulesets)}
	f.NS = append(f.NS, ns)
	return ns
}

func newRuleTab(key string, t policy.Tab, reg *rules.Registry) ruleTabForm {
	tab := ruleTabForm{Key: key, Tab: t}
	actions := actionStrings(t)
	for _, r := range reg.All() {
		if !slices.Contains(r.Tabs, t) {
			continue
		}
		rk := key + ".r." + r.ID
		row := &ruleRow{input: input{Key: rk}, Rule: r, Actions: actions, Action: input{Key: rk + ".action", Value: actions[0]},
			ExcludedNamespaces: input{Key: rk + ".excludedNamespaces"}, ExcludedImages: input{Key: rk + ".excludedImages"}}
		for _, pd := range rules.ParamDocs(r) {
			row.Props = append(row.Props, &propInput{input: input{Key: rk + ".p." + pd.Name}, Doc: pd,
				Kind: propKind(pd.Type), DefaultText: defaultText(pd)})
		}
		tab.Rules = append(tab.Rules, row)
	}
	return tab
}

func (t *ruleTabForm) addException() {
	k := t.Key + ".x" + strconv.Itoa(len(t.Exceptions))
	t.Exceptions = append(t.Exceptions, &exceptionRow{input: input{Key: k}, Type: input{Key: k + ".type"},
		Operator: input{Key: k + ".operator"}, Values: input{Key: k + ".values"}, Namespaces: input{Key: k + ".namespaces"}})
}

func (rt *runtimeForm) addBinding() {
	k := rt.Key + ".b" + strconv.Itoa(len(rt.Bindings))
	rt.Bindings = append(rt.Bindings, &bindingRow{input: input{Key: k}, Ruleset: input{Key: k + ".ruleset"},
		Selector: input{Key: k + ".selector"}, Action: input{Key: k + ".action", Value: string(policy.ActionLog)}})
}

// parsePolicyForm reads a submitted editor.
func parsePolicyForm(v url.Values, reg *rules.Registry, rulesets []string) *policyForm {
	f := newPolicyForm(reg, rulesets)
	f.Name.Value = strings.TrimSpace(v.Get("name"))
	f.Description.Value = strings.TrimSpace(v.Get("description"))
	f.Version = v.Get("version")
	f.CW.parse(v)
	for range count(v, "nsCount", maxDefinitions) {
		ns := f.newNS(reg)
		ns.Name.Value = strings.TrimSpace(v.Get(ns.Name.Key))
		ns.Namespaces.Value = strings.TrimSpace(v.Get(ns.Namespaces.Key))
		ns.Remove = v.Get(ns.Key+".remove") != ""
		ns.Def.parse(v)
	}
	return f
}

// count reads a row count, bounded.
func count(v url.Values, key string, limit int) int {
	n, err := strconv.Atoi(v.Get(key))
	if err != nil || n < 0 {
		return 0
	}
	return min(n, limit)
}

func (d *defForm) parse(v url.Values) {
	if t := v.Get(d.Key + ".tab"); t == string(policy.TabContinuous) || t == string(policy.TabRuntime) {
		d.Tab = t
	}
	d.Deployment.parse(v)
	d.Continuous.parse(v)
	for range count(v, d.Runtime.Key+".bCount", maxRows) {
		d.Runtime.addBinding()
		b := d.Runtime.Bindings[len(d.Runtime.Bindings)-1]
		b.Ruleset.Value = strings.TrimSpace(v.Get(b.Ruleset.Key))
		b.Selector.Value = strings.TrimSpace(v.Get(b.Selector.Key))
		b.Action.Value = v.Get(b.Action.Key)
		b.Remove = v.Get(b.Key+".remove") != ""
	}
}

func (t *ruleTabForm) parse(v url.Values) {
	t.Order = v.Get(t.Key + ".order")
	for _, row := range t.Rules {
		row.Enabled = v.Get(row.Key+".enabled") != ""
		if a := v.Get(row.Action.Key); a != "" {
			row.Action.Value = a
		}
		row.ExcludedNamespaces.Value = strings.TrimSpace(v.Get(row.ExcludedNamespaces.Key))
		row.ExcludedImages.Value = strings.TrimSpace(v.Get(row.ExcludedImages.Key))
		for _, p := range row.Props {
			if p.Kind == "bool" {
				p.Checked = v.Get(p.Key) != ""
				continue
			}
			p.Value = v.Get(p.Key)
			if p.Kind != "yaml" && p.Kind != "lines" {
				p.Value = strings.TrimSpace(p.Value)
			}
		}
	}
	for range count(v, t.Key+".xCount", maxRows) {
		t.addException()
		x := t.Exceptions[len(t.Exceptions)-1]
		x.Type.Value = v.Get(x.Type.Key)
		x.Operator.Value = v.Get(x.Operator.Key)
		x.Values.Value = v.Get(x.Values.Key)
		x.Namespaces.Value = strings.TrimSpace(v.Get(x.Namespaces.Key))
		x.Remove = v.Get(x.Key+".remove") != ""
	}
}

// apply performs an editor button other than save: adding a namespace
// definition, an exception row or a binding row. It reports whether op
// was one of them.
func (f *policyForm) apply(op string, reg *rules.Registry) bool {
	switch {
	case op == "add-ns":
		if len(f.NS) < maxDefinitions {
			f.newNS(reg)
		}
		return true
	case strings.HasPrefix(op, "add-exception:"):
		if t := f.ruleTab(strings.TrimPrefix(op, "add-exception:")); t != nil && len(t.Exceptions) < maxRows {
			t.addException()
		}
		return true
	case strings.HasPrefix(op, "add-binding:"):
		if d := f.def(strings.TrimSuffix(strings.TrimPrefix(op, "add-binding:"), ".runtime")); d != nil && len(d.Runtime.Bindings) < maxRows {
			d.Runtime.addBinding()
			d.Tab = string(policy.TabRuntime)
		}
		return true
	}
	return false
}

func (f *policyForm) defs() []*defForm {
	out := []*defForm{&f.CW}
	for _, ns := range f.NS {
		out = append(out, &ns.Def)
	}
	return out
}

func (f *policyForm) def(key string) *defForm {
	for _, d := range f.defs() {
		if d.Key == key {
			return d
		}
	}
	return nil
}

func (f *policyForm) ruleTab(key string) *ruleTabForm {
	for _, d := range f.defs() {
		for _, t := range []*ruleTabForm{&d.Deployment, &d.Continuous} {
			if t.Key == key {
				d.Tab = string(t.Tab)
				return t
			}
		}
	}
	return nil
}

// HasErrors reports whether any problem is shown.
func (f *policyForm) HasErrors() bool {
	if len(f.Summary) > 0 {
		return true
	}
	for _, in := range f.inputs() {
		if len(in.Errs) > 0 {
			return true
		}
	}
	return false
}

// inputs lists every input of the form by key, for attaching problems.
func (f *policyForm) inputs() map[string]*input {
	m := map[string]*input{}
	add := func(ins ...*input) {
		for _, in := range ins {
			m[in.Key] = in
		}
	}
	add(&f.Name, &f.Description)
	for _, ns := range f.NS {
		add(&ns.input, &ns.Name, &ns.Namespaces)
	}
	for _, d := range f.defs() {
		for _, t := range []*ruleTabForm{&d.Deployment, &d.Continuous} {
			for _, row := range t.Rules {
				add(&row.input, &row.Action, &row.ExcludedNamespaces, &row.ExcludedImages)
				for _, p := range row.Props {
					add(&p.input)
				}
			}
			for _, x := range t.Exceptions {
				add(&x.input, &x.Type, &x.Operator, &x.Values, &x.Namespaces)
			}
		}
		for _, b := range d.Runtime.Bindings {
			add(&b.input, &b.Ruleset, &b.Selector, &b.Action)
		}
	}
	return m
}

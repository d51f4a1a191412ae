package policytest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
	"github.com/palisade-dev/palisade/internal/enforce/scan"
	"github.com/palisade-dev/palisade/internal/supply/scanreport"
)

// Report is the outcome of one Test document.
type Report struct {
	Source string `json:"source"`
	Name   string `json:"name,omitempty"`
	Tab    string `json:"tab,omitempty"`
	// Policies are the names of the policies tested.
	Policies []string `json:"policies,omitempty"`
	Cases    []Case   `json:"cases"`
	// NotEvaluated are the resources whose apiVersion or kind Palisade
	// does not read: only the rules that judge any apiVersion ran on them.
	NotEvaluated []NotEvaluated `json:"notEvaluated,omitempty"`
	// Err is set when the test could not be run as written; it then has
	// no cases.
	Err error `json:"-"`
}

// NotEvaluated is a resource the rules that read its fields did not run on.
type NotEvaluated struct {
	Resource string `json:"resource"`
	Reason   string `json:"reason"`
}

// Case is one expectation on one resource.
type Case struct {
	// Line is the line of the expectation in the test file.
	Line     int    `json:"line,omitempty"`
	Policy   string `json:"policy"`
	Resource string `json:"resource"`
	// Rule is the rule ID; empty for a decision.
	Rule     string `json:"rule,omitempty"`
	Expected string `json:"expected"`
	Got      string `json:"got"`
	Pass     bool   `json:"pass"`
	// Detail says why a failing case failed.
	Detail string `json:"detail,omitempty"`
}

// Run loads what t names, evaluates every resource with every policy in
// t's tab and compares with the expectations. The error is set when the
// test cannot be run as written: a file that cannot be read, an
// expectation naming a policy, rule or resource the evaluation does not
// have. Signatures are not verified (no registry is reached): for
// imagesNotSigned every image is unverified.
func Run(t *Test, reg *rules.Registry) *Report {
	rep := &Report{Source: t.Source(), Name: t.Metadata.Name, Tab: string(t.tab())}
	cases, err := run(t, reg, rep)
	if err != nil {
		rep.Err = err
		return rep
	}
	rep.Cases = cases
	return rep
}

// tested is one policy with the evaluation of every object.
type tested struct {
	name     string
	compiled *engine.Compiled
	results  []evaluation
}

// evaluation is one object's result with the rules that were checked.
type evaluation struct {
	engine.Result
	checked map[string]bool
}

// object is one resource read from the test's manifests.
type object struct {
	obj       *workload.Object
	namespace string // as evaluated: the default applied
}

func run(t *Test, reg *rules.Registry, rep *Report) ([]Case, error) {
	policies, err := t.loadPolicies(reg)
	if err != nil {
		return nil, err
	}
	for _, p := range policies {
		rep.Policies = append(rep.Policies, p.name)
	}
	results, err := t.loadScanResults()
	if err != nil {
		return nil, err
	}
	objects, netpols, err := t.loadResources()
	if err != nil {
		return nil, err
	}
	var nps rules.NetworkPolicies
	if slices.ContainsFunc(policies, func(p *tested) bool { return p.compiled.ReadsNetworkPolicies() }) {
		nps = netpols // the manifests are the whole cluster: none there is none
	}
	var roles rules.RBACRoles
	if slices.ContainsFunc(policies, func(p *tested) bool { return p.compiled.ReadsRoles() }) {
		idx := rules.NewRoleIndex()
		for _, o := range objects {
			idx.Add(o.obj, t.namespace())
		}
		roles = idx
	}
	var inventory rules.Inventory
	if slices.ContainsFunc(policies, func(p *tested) bool { return p.compiled.ReadsInventory() != 0 }) {
		idx := rules.NewInventoryIndex() // the manifests are the whole cluster, as for the roles
		for _, o := range objects {
			if o.obj.Unknown == "" {
				idx.Add(o.obj, t.namespace())
			}
		}
		inventory = idx
	}
	for _, o := range objects {
		if o.obj.Unknown != "" {
			rep.NotEvaluated = append(rep.NotEvaluated, NotEvaluated{Resource: display(o), Reason: o.obj.Unknown})
		}
	}
	for _, p := range policies {
		for _, o := range objects {
			ev := evaluation{checked: map[string]bool{}}
			ev.Result = p.compiled.Evaluate(o.obj, t.tab(), engine.Options{
				DefaultNamespace: t.namespace(), ScanResults: results, Roles: roles, NetworkPolicies: nps, Inventory: inventory,
				Checked: func(rule string) { ev.checked[rule] = true },
			})
			p.results = append(p.results, ev)
		}
	}
	return t.compare(policies, objects)
}

// path resolves a path of the test against the test file's folder.
func (t *Test) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(t.Source()), p)
}

func (t *Test) loadPolicies(reg *rules.Registry) ([]*tested, error) {
	var out []*tested
	var errs []error
	seen := map[string]string{}
	add := func(p *policy.Policy, from string) {
		if prev, ok := seen[p.Metadata.Name]; ok {
			errs = append(errs, fmt.Errorf("%s: policy %q is also in %s: policies of a test need distinct names", from, p.Metadata.Name, prev))
			return
		}
		seen[p.Metadata.Name] = from
		c, err := engine.Compile(p, reg)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", from, err))
			return
		}
		out = append(out, &tested{name: p.Metadata.Name, compiled: c})
	}
	for _, f := range t.Spec.Policies {
		path := t.path(f)
		b, err := policy.LoadFile(path, reg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(b.Policies) == 0 {
			errs = append(errs, fmt.Errorf("%s: no Policy document found", path))
		}
		for _, p := range b.Policies {
			add(p, path)
		}
	}
	for _, name := range t.Spec.Presets {
		p, err := policy.Preset(name, reg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.Metadata.Name = name
		add(p, "preset "+name)
	}
	return out, errors.Join(errs...)
}

func (t *Test) loadScanResults() (rules.ScanResults, error) {
	if len(t.Spec.ScanResults) == 0 {
		return nil, nil
	}
	x := scanresult.NewIndex()
	var errs []error
	for _, p := range t.Spec.ScanResults {
		reports, err := scanreport.ReadPath(t.path(p))
		if err != nil {
			errs = append(errs, err)
		}
		for _, r := range reports {
			if err := x.Add(r.Images...); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return x, errors.Join(errs...)
}

// loadResources reads every object of the manifests, as `palisade scan`
// reads them, and their NetworkPolicies for networkPolicyCoverage; any
// document that cannot be read is an error.
func (t *Test) loadResources() ([]object, networkPolicies, error) {
	var out []object
	netpols := networkPolicies{}
	var errs []error
	for _, f := range t.Spec.Resources {
		path := t.path(f)
		data, err := document.ReadFile(path, document.MaxJSONInput)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rd := document.NewReader(bytes.NewReader(data), path)
		for {
			doc, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				errs = append(errs, err)
				break
			}
			raw, err := doc.JSON()
			if err != nil {
				errs = append(errs, err)
				continue
			}
			scan.EachObject(raw, func(raw []byte, apiVersion, kind, itemPath string) {
				obj, err := workload.DecodeKind(raw, apiVersion, kind)
				if err != nil {
					errs = append(errs, &document.Error{Source: path, Line: doc.LineOf(itemPath), Err: err})
					return
				}
				ns := ""
				if !workload.IsClusterScoped(obj.Kind) {
					ns = obj.Namespace(t.namespace())
				}
				out = append(out, object{obj: obj, namespace: ns})
				if kind == "NetworkPolicy" && apiVersion == "networking.k8s.io/v1" {
					np := &networkingv1.NetworkPolicy{}
					if err := json.Unmarshal(raw, np); err != nil {
						errs = append(errs, &document.Error{Source: path, Line: doc.LineOf(itemPath), Err: err})
						return
					}
					netpols[ns] = append(netpols[ns], np)
				}
			}, func(itemPath string, err error) {
				errs = append(errs, &document.Error{Source: path, Line: doc.LineOf(itemPath), Err: err})
			})
		}
	}
	return out, netpols, errors.Join(errs...)
}

// networkPolicies are the NetworkPolicies of the manifests by namespace.
type networkPolicies map[string][]*networkingv1.NetworkPolicy

func (n networkPolicies) NetworkPolicies(namespace string) ([]*networkingv1.NetworkPolicy, error) {
	return n[namespace], nil
}

// compare turns every expectation into cases. Expectations naming a
// policy, rule or resource the evaluation does not have are problems, all
// reported at once.
func (t *Test) compare(policies []*tested, objects []object) ([]Case, error) {
	var cases []Case
	var errs field.ErrorList
	results := field.NewPath("spec", "results")
	for i := range t.Spec.Results {
		e := &t.Spec.Results[i]
		path := results.Index(i)
		p, err := pickPolicy(policies, e.Policy, path.Child("policy"))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if e.Rule != "" && !enables(p.compiled.Policy, t.tab(), e.Rule) {
			errs = append(errs, field.Invalid(path.Child("rule"), e.Rule, fmt.Sprintf("not enabled in the %s tab of policy %q", t.tab(), p.name)))
			continue
		}
		line := t.doc.LineOf(path.String())
		for j, s := range e.Resources {
			r, _ := parseRef(s) // validated by Load
			k, err := find(objects, r, path.Child("resources").Index(j))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			c := judge(e, &p.results[k])
			c.Line, c.Policy, c.Resource = line, p.name, display(objects[k])
			cases = append(cases, c)
		}
	}
	if len(errs) > 0 {
		return nil, &policy.ValidationError{Problems: policy.Locate(t.doc, errs)}
	}
	return cases, nil
}

func pickPolicy(policies []*tested, name string, path *field.Path) (*tested, *field.Error) {
	if name == "" {
		if len(policies) == 1 {
			return policies[0], nil
		}
		return nil, field.Required(path, fmt.Sprintf("the test has %d policies", len(policies)))
	}
	for _, p := range policies {
		if p.name == name {
			return p, nil
		}
	}
	names := make([]string, len(policies))
	for i, p := range policies {
		names[i] = p.name
	}
	return nil, field.NotFound(path, fmt.Sprintf("%s (the test's policies: %s)", name, strings.Join(names, ", ")))
}

// enables reports whether a definition of p enables rule in tab.
func enables(p *policy.Policy, tab policy.Tab, rule string) bool {
	defs := []*policy.Definition{&p.Spec.ClusterWide}
	for i := range p.Spec.Namespaced {
		defs = append(defs, &p.Spec.Namespaced[i].Definition)
	}
	for _, d := range defs {
		if rt := d.Tab(tab); rt != nil && slices.ContainsFunc(rt.Rules, func(r policy.Rule) bool { return r.Rule == rule }) {
			return true
		}
	}
	return false
}

// find returns the index of the one object r names.
func find(objects []object, r ref, path *field.Path) (int, *field.Error) {
	at := -1
	var namespaces []string
	for i, o := range objects {
		if o.obj.Kind != r.kind || o.obj.Meta.Name != r.name || (r.namespace != "" && o.namespace != r.namespace) {
			continue
		}
		if at >= 0 {
			namespaces = append(namespaces, objects[at].namespace, o.namespace)
		}
		at = i
	}
	switch {
	case at < 0:
		return -1, field.NotFound(path, r.String())
	case len(namespaces) > 0 && r.namespace == "":
		return -1, field.Invalid(path, r.String(), "names several resources: add the namespace (KIND/NAMESPACE/NAME)")
	case len(namespaces) > 0:
		return -1, field.Duplicate(path, r.String()+": the manifests hold it more than once")
	}
	return at, nil
}

func (r ref) String() string {
	if r.namespace == "" {
		return r.kind + "/" + r.name
	}
	return r.kind + "/" + r.namespace + "/" + r.name
}

// display names an object for people: "Pod default/busyboxpod".
func display(o object) string {
	if o.namespace == "" {
		return o.obj.Kind + " " + o.obj.Meta.Name
	}
	return o.obj.Kind + " " + o.namespace + "/" + o.obj.Meta.Name
}

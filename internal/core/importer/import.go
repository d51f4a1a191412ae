package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// Source is one input file.
type Source struct {
	Name string
	Data []byte
}

// Options tune Import.
type Options struct {
	// Continuous reports whether Palisade also evaluates a rule on running
	// pods. A Gatekeeper constraint (which Gatekeeper's audit reports on)
	// or a Kyverno policy with background scans then also becomes a
	// continuous rule with action log. Nil: deployment tab only.
	Continuous func(rule string) bool
}

// docKind is what a document was recognised as.
type docKind int

const (
	kindOther docKind = iota
	kindTrendMicro
	kindGatekeeper
	kindGatekeeperTemplate
	kindKyverno
)

// Import converts the documents of every source: Gatekeeper constraints
// (constraints.gatekeeper.sh) and Kyverno ClusterPolicies and Policies
// (kyverno.io), mixed freely, or Trend Micro resources (on their own).
// Whatever has no exact Palisade equivalent is listed in the warnings,
// never dropped silently. Errors are as TrendMicro's.
func Import(opts Options, sources ...Source) (*Result, error) {
	var docs []*document.Doc
	var kinds []docKind
	for _, src := range sources {
		r := document.NewReader(bytes.NewReader(src.Data), src.Name)
		for {
			doc, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
			}
			j, err := doc.JSON()
			if err != nil {
				return nil, err
			}
			docs = append(docs, &doc)
			kinds = append(kinds, classify(j))
		}
	}
	if len(docs) == 0 {
		name := "input"
		if len(sources) > 0 {
			name = sources[0].Name
		}
		return nil, &document.Error{Source: name, Err: errors.New("no Gatekeeper constraint, Kyverno policy or Trend Micro resource found")}
	}
	var tm, foreign []*document.Doc
	for i, d := range docs {
		switch kinds[i] {
		case kindTrendMicro:
			tm = append(tm, d)
		case kindOther:
			// Reported by whichever importer reads the file.
			if len(tm) > 0 || (!slices.Contains(kinds, kindGatekeeper) && !slices.Contains(kinds, kindKyverno)) {
				tm = append(tm, d)
			} else {
				foreign = append(foreign, d)
			}
		default:
			foreign = append(foreign, d)
		}
	}
	if len(tm) > 0 && len(foreign) > 0 {
		d := foreign[0]
		return nil, &document.Error{Source: d.Source, Line: d.Line,
			Err: errors.New("Trend Micro resources cannot be imported together with Gatekeeper or Kyverno ones: import them separately")}
	}
	if len(tm) > 0 {
		return trendMicroDocs(tm)
	}
	imp := &foreignImporter{opts: opts}
	for _, d := range foreign {
		imp.add(d)
	}
	if len(imp.problems) > 0 {
		return nil, &policy.ValidationError{Problems: imp.problems}
	}
	return imp.result(), nil
}

// classify recognises a document by its apiVersion and kind.
func classify(j []byte) docKind {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if json.Unmarshal(j, &head) != nil {
		return kindOther
	}
	group, _, _ := strings.Cut(head.APIVersion, "/")
	switch {
	case slices.Contains(tmAPIVersions, head.APIVersion):
		return kindTrendMicro
	case group == gkConstraintGroup:
		return kindGatekeeper
	case group == gkTemplateGroup:
		return kindGatekeeperTemplate
	case group == kyvernoGroup && (head.Kind == kyvernoClusterPolicy || head.Kind == kyvernoPolicy):
		return kindKyverno
	}
	return kindOther
}

// foreignRule is one Palisade rule an upstream policy maps to.
type foreignRule struct {
	policy.Rule
	// namespaces limits the rule to these namespaces; empty: every one.
	namespaces []string
	// audited: the upstream product also reports existing objects
	// (Gatekeeper's audit, Kyverno's background scans).
	audited bool
}

// foreignImporter gathers Gatekeeper and Kyverno documents.
type foreignImporter struct {
	importer
	opts    Options
	rules   []*foreignRule
	origins []string // "Gatekeeper constraint K8sX/name", in source order
}

func (imp *foreignImporter) add(doc *document.Doc) {
	d := &docCtx{doc: doc}
	defer imp.collect(d)
	j, err := doc.JSON()
	if err != nil {
		d.errs = append(d.errs, field.Invalid(field.NewPath("<document>"), "", err.Error()))
		return
	}
	switch classify(j) {
	case kindGatekeeper:
		imp.addGatekeeper(d, j)
	case kindKyverno:
		imp.addKyverno(d, j)
	case kindGatekeeperTemplate:
		d.warn("kind", "ConstraintTemplate skipped: Palisade maps the constraints of the Gatekeeper library's templates by their kind, and does not run Rego")
	default:
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		_ = json.Unmarshal(j, &head)
		d.errs = append(d.errs, field.NotSupported(field.NewPath("apiVersion"), head.APIVersion+" "+head.Kind,
			[]string{gkConstraintGroup + "/*", kyvernoGroup + "/* ClusterPolicy or Policy"}))
	}
}

// emit records the rules one upstream document maps to.
func (imp *foreignImporter) emit(origin string, rules ...*foreignRule) {
	imp.origins = append(imp.origins, origin)
	imp.rules = append(imp.rules, rules...)
}

// result builds the policy: rules limited to namespaces go to namespace
// definitions, which (replacing the cluster-wide one there) also repeat
// every cluster-wide rule.
func (imp *foreignImporter) result() *Result {
	res := &Result{Warnings: imp.warnings}
	p := &policy.Policy{TypeMeta: metav1.TypeMeta{APIVersion: policy.APIVersion, Kind: policy.KindPolicy}}
	p.Metadata.Name = "imported"
	p.Spec.Description = "imported from " + strings.Join(imp.origins, ", ")
	if len(imp.origins) == 0 {
		p.Spec.Description = "imported: nothing could be carried over (see the warnings)"
	}
	var global []*foreignRule
	var names []string
	for _, r := range imp.rules {
		if len(r.namespaces) == 0 {
			global = append(global, r)
		}
		for _, ns := range r.namespaces {
			if !slices.Contains(names, ns) {
				names = append(names, ns)
			}
		}
	}
	sort.Strings(names)
	p.Spec.ClusterWide = imp.definition(global)
	byKey := map[string]int{}
	for _, ns := range names {
		var rules []*foreignRule
		var key strings.Builder
		for i, r := range imp.rules {
			if len(r.namespaces) == 0 || slices.Contains(r.namespaces, ns) {
				rules = append(rules, r)
				fmt.Fprintf(&key, "%d,", i)
			}
		}
		if i, ok := byKey[key.String()]; ok {
			p.Spec.Namespaced[i].Namespaces = append(p.Spec.Namespaced[i].Namespaces, ns)
			continue
		}
		byKey[key.String()] = len(p.Spec.Namespaced)
		p.Spec.Namespaced = append(p.Spec.Namespaced, policy.NamespacedDefinition{
			Name: "imported-" + ns, Namespaces: []string{ns}, Definition: imp.definition(rules),
		})
	}
	for _, d := range p.Spec.Namespaced {
		for _, ns := range d.Namespaces {
			if policy.IsSystemNamespace(ns) {
				res.Warnings = append(res.Warnings, fmt.Sprintf(
					"namespace definition %q lists system namespace %s: Palisade skips system namespaces unless a definition lists them, so every rule of this definition (the cluster-wide ones included) will be enforced in %s; review it before enforcing",
					d.Name, ns, ns))
			}
		}
	}
	res.Policy = p
	return res
}

// definition puts the rules in the deployment tab and, those audited
// upstream that Palisade also evaluates on running pods, in the
// continuous tab with action log.
func (imp *foreignImporter) definition(rules []*foreignRule) policy.Definition {
	var def policy.Definition
	for _, r := range rules {
		if def.Deployment == nil {
			def.Deployment = &policy.RuleTab{}
		}
		def.Deployment.Rules = append(def.Deployment.Rules, cloneRule(r.Rule, r.Action))
		if r.audited && imp.opts.Continuous != nil && imp.opts.Continuous(r.Rule.Rule) {
			if def.Continuous == nil {
				def.Continuous = &policy.RuleTab{}
			}
			def.Continuous.Rules = append(def.Continuous.Rules, cloneRule(r.Rule, policy.ActionLog))
		}
	}
	return def
}

func cloneRule(r policy.Rule, a policy.Action) policy.Rule {
	r.Action = a
	r.Properties = slices.Clone(r.Properties)
	r.ExcludedNamespaces = slices.Clone(r.ExcludedNamespaces)
	r.ExcludedImages = slices.Clone(r.ExcludedImages)
	return r
}

// props renders rule properties; nil for none.
func props(kv map[string]any) json.RawMessage {
	if len(kv) == 0 {
		return nil
	}
	b, err := json.Marshal(kv)
	if err != nil {
		panic(fmt.Sprintf("importer: properties do not marshal: %v", err))
	}
	return b
}

// namespaceList keeps the names Palisade can express (exact namespace
// names) and warns about the others (Gatekeeper's and Kyverno's "prefix-*"
// wildcards).
func namespaceList(d *docCtx, names []string, path *field.Path) []string {
	var out []string
	for i, ns := range names {
		if len(validation.IsDNS1123Label(ns)) > 0 {
			d.warn(path.Index(i).String(), "%q is not a namespace name (Palisade lists namespaces by exact name, without wildcards): not carried over", ns)
			continue
		}
		if !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	return out
}

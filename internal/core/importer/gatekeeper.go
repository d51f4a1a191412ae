package importer

import (
	"encoding/json"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/policy"
)

// Gatekeeper's groups: constraints (one kind per ConstraintTemplate) and
// the templates themselves.
const (
	gkConstraintGroup = "constraints.gatekeeper.sh"
	gkTemplateGroup   = "templates.gatekeeper.sh"
)

// gkConstraint is a Gatekeeper constraint of any kind.
type gkConstraint struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       json.RawMessage   `json:"spec,omitempty"`
	// Status is written by Gatekeeper's controller and audit.
	Status json.RawMessage `json:"status,omitempty"`
}

// mappedRule is a Palisade rule and its properties.
type mappedRule struct {
	id    string
	props map[string]any
}

func one(id string, kv map[string]any) []mappedRule { return []mappedRule{{id, kv}} }

// gkCtx is what a mapping reads: the parameters and the kinds matched.
type gkCtx struct {
	p     *fields
	kinds []string
}

// gkMapping maps the parameters of one template's constraints; nil for a
// library template with no Palisade equivalent (reason says why).
type gkMapping struct {
	fn     func(c *gkCtx) []mappedRule
	reason string
}

// gkNone is a library template Palisade has no rule for.
func gkNone(reason string) gkMapping { return gkMapping{reason: reason} }

func (imp *foreignImporter) addGatekeeper(d *docCtx, j []byte) {
	var c gkConstraint
	if !d.decode(j, &c, nil) {
		return
	}
	d.errs = append(d.errs, policy.ValidateName(c.Metadata.Name, field.NewPath("metadata", "name"))...)
	spec := newFields(d, c.Spec, field.NewPath("spec"))
	label := fmt.Sprintf("Gatekeeper %s %s", c.Kind, c.Metadata.Name)
	action := gkAction(d, spec)
	namespaces, excluded, kinds := gkMatch(d, spec.child("match"))
	params := spec.child("parameters")
	spec.rest("not a constraint field Palisade reads")

	m, known := gkMappings[c.Kind]
	if !known || m.fn == nil {
		reason := "not a Gatekeeper library template Palisade knows"
		if known {
			reason = m.reason
		}
		d.warn("kind", "%s: %s: constraint not carried over", label, reason)
		return
	}
	excludedImages := exemptImages(params, "exemptImages")
	ctx := &gkCtx{p: params, kinds: kinds}
	mapped := m.fn(ctx)
	params.rest("no Palisade property matches this parameter")
	if len(mapped) == 0 {
		d.warn("kind", "%s: no Palisade rule was added for these parameters: constraint not carried over", label)
		return
	}
	var out []*foreignRule
	for _, mr := range mapped {
		out = append(out, &foreignRule{
			Rule: policy.Rule{Rule: mr.id, Action: action, Properties: props(mr.props),
				ExcludedNamespaces: excluded, ExcludedImages: excludedImages},
			namespaces: namespaces,
			audited:    true,
		})
	}
	imp.emit(label, out...)
}

// gkAction maps spec.enforcementAction: deny blocks; dryrun and warn log.
func gkAction(d *docCtx, spec *fields) policy.Action {
	a, _ := get[string](spec, "enforcementAction")
	switch a {
	case "", "deny":
		return policy.ActionBlock
	case "dryrun", "warn":
		return policy.ActionLog
	case "scoped":
		spec.drop("scopedEnforcementActions", "Palisade has one action per rule and enforcement point: the rule logs")
		return policy.ActionLog
	}
	d.errs = append(d.errs, field.NotSupported(spec.path.Child("enforcementAction"), a, []string{"deny", "dryrun", "warn", "scoped"}))
	return policy.ActionLog
}

// gkMatch reads spec.match: the namespaces (rules limited to them), the
// excluded namespaces and the kinds; the clauses Palisade cannot express
// are reported.
func gkMatch(d *docCtx, m *fields) (namespaces, excluded, kinds []string) {
	ns, _ := get[[]string](m, "namespaces")
	namespaces = namespaceList(d, ns, m.path.Child("namespaces"))
	ex, _ := get[[]string](m, "excludedNamespaces")
	excluded = namespaceList(d, ex, m.path.Child("excludedNamespaces"))
	type gvk struct {
		APIGroups []string `json:"apiGroups"`
		Kinds     []string `json:"kinds"`
	}
	list, _ := get[[]gvk](m, "kinds")
	for _, k := range list {
		for _, kind := range k.Kinds {
			if kind != "*" && !slices.Contains(kinds, kind) {
				kinds = append(kinds, kind)
			}
		}
	}
	if scope, _ := get[string](m, "scope"); scope != "" && scope != "*" {
		d.warn(m.path.Child("scope").String(), "not carried over: Palisade judges namespaced and cluster-scoped objects alike")
	}
	m.rest("Palisade cannot express this match clause, so the rule applies more widely")
	return namespaces, excluded, kinds
}

package importer

import (
	"bytes"
	"encoding/json"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/policy"
)

// ruleSupport says where Palisade evaluates a Trend Micro rule type. The
// Palisade rule ID equals the Trend Micro type, and so do the property
// names.
type ruleSupport int

const (
	unknownType    ruleSupport = iota
	bothTabs                   // deployment and continuous
	deploymentOnly             // evaluated at admission only
	noEquivalent               // nothing in Palisade does this yet: skipped
)

var ruleTypes = map[string]ruleSupport{
	"hostNetwork":              bothTabs,
	"hostIPC":                  bothTabs,
	"hostPID":                  bothTabs,
	"runAsNonRoot":             bothTabs,
	"privileged":               bothTabs,
	"allowPrivilegeEscalation": bothTabs,
	"readOnlyRootFilesystem":   bothTabs,
	"containerCapabilities":    bothTabs,
	"imageRegistry":            bothTabs,
	"imageName":                bothTabs,
	"imageTag":                 bothTabs,
	"imagePath":                bothTabs,

	"podExec":                          deploymentOnly,
	"podPortForward":                   deploymentOnly,
	"imagesNotScanned":                 deploymentOnly,
	"imagesWithMalware":                deploymentOnly,
	"imagesWithSecrets":                deploymentOnly,
	"imagesWithVulnerabilities":        deploymentOnly,
	"imagesWithCVSSAttackVector":       deploymentOnly,
	"imagesWithCVSSAttackComplexity":   deploymentOnly,
	"imagesWithCVSSAvailabilityImpact": deploymentOnly,

	"verifyImages": noEquivalent,
}

// Values Trend Micro's CRD accepts; an empty action or mitigation is log.
var (
	tmActions        = []string{"log", "block"}
	tmMitigations    = []string{"log", "isolate", "terminate"}
	tmExceptionTypes = []string{"imageRegistry", "imageName", "imageTag", "imagePath"}
)

type tmPolicySpec struct {
	XDREnabled *bool             `json:"xdrEnabled,omitempty"`
	Rules      []json.RawMessage `json:"rules,omitempty"`
	Exceptions []json.RawMessage `json:"exceptions,omitempty"`
}

// tmRule is one entry of spec.rules. Action is the deployment (admission)
// action, Mitigation the continuous one.
type tmRule struct {
	Type       string          `json:"type"`
	Action     string          `json:"action,omitempty"`
	Mitigation string          `json:"mitigation,omitempty"`
	Properties json.RawMessage `json:"properties,omitempty"`
	Namespaces []string        `json:"namespaces,omitempty"`
}

type tmException struct {
	Type       string               `json:"type"`
	Properties policy.ImageCriteria `json:"properties"`
	Namespaces []string             `json:"namespaces,omitempty"`
}

// tmPolicy is a validated ClusterPolicy with defaults applied.
type tmPolicy struct {
	name string
	// rules are in source order, without those that have no equivalent.
	rules      []*tmRule
	exceptions []policy.Exception
}

func parseClusterPolicy(d *docCtx, raw json.RawMessage, path *field.Path) *tmPolicy {
	p := &tmPolicy{}
	var spec tmPolicySpec
	if len(raw) == 0 || !d.decode(raw, &spec, path) {
		return p
	}
	if spec.XDREnabled != nil {
		d.warn(path.Child("xdrEnabled").String(), "ignored: XDR telemetry is a Trend Vision One setting with no Palisade equivalent")
	}
	global := map[string]int{} // type → index of its first cluster-wide entry
	for i, r := range decodeList[tmRule](d, spec.Rules, path.Child("rules")) {
		rp := path.Child("rules").Index(i)
		if r == nil || !validRule(d, r, rp) {
			continue
		}
		switch ruleTypes[r.Type] {
		case noEquivalent:
			d.warn(rp.Child("type").String(), "%s has no Palisade equivalent yet (imagesNotSigned will verify signatures): rule skipped", r.Type)
			continue
		case unknownType:
			d.warn(rp.Child("type").String(), "unknown rule type %q: kept in the deployment tab for Palisade's validator to judge", r.Type)
			if r.Mitigation != "log" {
				d.warn(rp.Child("mitigation").String(), "mitigation %s of unknown rule type %q is not carried over", r.Mitigation, r.Type)
			}
		case deploymentOnly:
			if r.Mitigation != "log" {
				d.warn(rp.Child("mitigation").String(), "Palisade evaluates %s at deployment only: mitigation %s is not carried over", r.Type, r.Mitigation)
			}
		}
		if len(r.Namespaces) == 0 {
			if first, ok := global[r.Type]; ok {
				d.warn(rp.Child("type").String(), "%s is already enabled cluster-wide by %s: both entries are kept",
					r.Type, path.Child("rules").Index(first))
			} else {
				global[r.Type] = i
			}
		}
		p.rules = append(p.rules, r)
	}
	for i, e := range decodeList[tmException](d, spec.Exceptions, path.Child("exceptions")) {
		if e == nil {
			continue
		}
		ep := path.Child("exceptions").Index(i)
		if !slices.Contains(tmExceptionTypes, e.Type) {
			d.errs = append(d.errs, field.NotSupported(ep.Child("type"), e.Type, tmExceptionTypes))
		}
		d.errs = append(d.errs, policy.ValidateImageCriteria(e.Properties, ep.Child("properties"))...)
		p.exceptions = append(p.exceptions, policy.Exception{
			Type:       e.Type,
			Properties: e.Properties,
			Namespaces: validNamespaces(d, e.Namespaces, ep.Child("namespaces")),
		})
	}
	return p
}

// validRule checks one rule as Trend Micro's CRD does and applies the
// defaults. It reports whether the rule is usable.
func validRule(d *docCtx, r *tmRule, path *field.Path) bool {
	n := len(d.errs)
	if r.Type == "" {
		d.errs = append(d.errs, field.Required(path.Child("type"), ""))
	}
	if r.Action == "" {
		r.Action = "log"
	} else if !slices.Contains(tmActions, r.Action) {
		d.errs = append(d.errs, field.NotSupported(path.Child("action"), r.Action, tmActions))
	}
	if r.Mitigation == "" {
		r.Mitigation = "log"
	} else if !slices.Contains(tmMitigations, r.Mitigation) {
		d.errs = append(d.errs, field.NotSupported(path.Child("mitigation"), r.Mitigation, tmMitigations))
	} else if r.Mitigation != "log" && r.Action == "log" {
		d.errs = append(d.errs, field.Invalid(path.Child("mitigation"), r.Mitigation,
			"isolate and terminate need action block (the rule's action is log)"))
	}
	switch t := bytes.TrimSpace(r.Properties); {
	case len(t) == 0 || bytes.Equal(t, []byte("null")):
		r.Properties = nil
	case t[0] != '{':
		d.errs = append(d.errs, field.Invalid(path.Child("properties"), jsonKind(t), "must be an object"))
	default:
		r.Properties = t
	}
	r.Namespaces = validNamespaces(d, r.Namespaces, path.Child("namespaces"))
	return len(d.errs) == n
}

// validNamespaces checks namespace names and drops repeats.
func validNamespaces(d *docCtx, names []string, path *field.Path) []string {
	var out []string
	for i, ns := range names {
		for _, msg := range validation.IsDNS1123Label(ns) {
			d.errs = append(d.errs, field.Invalid(path.Index(i), ns, msg))
		}
		if !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	return out
}

// jsonKind names the JSON type of a value that is not an object.
func jsonKind(v []byte) string {
	switch v[0] {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	default:
		return "number"
	}
}

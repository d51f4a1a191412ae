package rules

import (
	"regexp"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/memo"
)

// Reads: an object's own metadata.labels (requiredLabels) or
// metadata.annotations (requiredAnnotations), not its pod template's.
// Required: every listed key, with a value matching its allowedRegex when
// one is given.

// RequiredKey is one metadata key an object must carry.
type RequiredKey struct {
	Key          string `json:"key" doc:"the label or annotation key"`
	AllowedRegex string `json:"allowedRegex" doc:"a pattern (Go RE2 syntax) the value must match; as in Gatekeeper it matches anywhere in the value unless anchored with ^ and $; empty: any value"`
}

// RequiredMetadataParams configures requiredLabels and requiredAnnotations.
type RequiredMetadataParams struct {
	Keys  []RequiredKey `json:"keys" required:"true" doc:"the keys every judged object must carry, each with an optional allowedRegex"`
	Kinds []string      `json:"kinds" doc:"the kinds judged (Deployment, Namespace, ...), as a Gatekeeper constraint's match.kinds; empty: every kind"`
}

// Validate implements the properties check.
func (p *RequiredMetadataParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(p.Keys) == 0 {
		errs = append(errs, field.Required(path.Child("keys"), "at least one key"))
	}
	for i, k := range p.Keys {
		kp := path.Child("keys").Index(i)
		for _, msg := range validation.IsQualifiedName(k.Key) {
			errs = append(errs, field.Invalid(kp.Child("key"), k.Key, msg))
		}
		if _, err := regexp.Compile(k.AllowedRegex); err != nil {
			errs = append(errs, field.Invalid(kp.Child("allowedRegex"), k.AllowedRegex, err.Error()))
		}
	}
	return errs
}

// requiredKey is a RequiredKey ready to check.
type requiredKey struct {
	key, pattern string
	re           *memo.Regexp // nil: any value
	// path is the key's field path, built once.
	path string
}

func init() {
	register(
		requiredMetadataRule("requiredLabels", "labels", "Object missing a required label",
			"Flags an object (of kinds, when set) whose metadata.labels lack one of keys or hold a value its allowedRegex does not match, as Gatekeeper's requiredlabels template does. "+
				"Labels such as an owner or an environment let teams select, audit and account for what runs in the cluster.",
			Source{productGatekeeper, "requiredlabels (K8sRequiredLabels)"}),
		requiredMetadataRule("requiredAnnotations", "annotations", "Object missing a required annotation",
			"Flags an object (of kinds, when set) whose metadata.annotations lack one of keys or hold a value its allowedRegex does not match, as Gatekeeper's requiredannotations template does. "+
				"Annotations such as a contact or a runbook tell operators whom to call and what to do about a workload.",
			Source{productGatekeeper, "requiredannotations (K8sRequiredAnnotations)"}),
	)
}

func requiredMetadataRule(id, what, title, desc string, sources ...Source) *Rule {
	return &Rule{
		ID: id, Title: title, Description: desc, Sources: sources,
		Severity: Low, Tabs: deploymentOnly, Targets: TargetAny,
		Params: func() any { return &RequiredMetadataParams{} },
		New: func(p any) (Check, error) {
			pp := p.(*RequiredMetadataParams)
			keys := make([]requiredKey, len(pp.Keys))
			for i, k := range pp.Keys {
				keys[i] = requiredKey{key: k.Key, pattern: k.AllowedRegex, path: field.NewPath("metadata", what).Key(k.Key).String()}
				if k.AllowedRegex != "" {
					re, err := regexp.Compile(k.AllowedRegex)
					if err != nil {
						return nil, err
					}
					keys[i].re = memo.NewRegexp(re)
				}
			}
			kinds := pp.Kinds
			return func(in *Input) []Finding {
				if len(kinds) > 0 && !slices.Contains(kinds, in.Object.Kind) {
					return nil
				}
				m := in.Object.Meta.Labels
				if what == "annotations" {
					m = in.Object.Meta.Annotations
				}
				var out []Finding
				for _, k := range keys {
					path := k.path
					v, ok := m[k.key]
					switch {
					case !ok:
						out = append(out, Finding{Where: "metadata", Value: "unset", Field: path, Detail: "required"})
					case k.re != nil && !k.re.MatchString(v):
						out = append(out, Finding{Where: "metadata", Value: v, Field: path, Detail: "does not match the allowed pattern " + k.pattern})
					}
				}
				return out
			}, nil
		},
	}
}

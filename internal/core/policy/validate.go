package policy

import (
	"fmt"
	"regexp"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/image"
)

// Catalog is what validation needs to know of the rule catalog.
type Catalog interface {
	// CheckRule validates one rule entry of tab t: that the rule exists,
	// supports the tab, and that its properties decode and are valid.
	CheckRule(r *Rule, t Tab, path *field.Path) field.ErrorList
}

// ExceptionTypes are the image parts an exception can test.
var ExceptionTypes = map[string]image.Part{
	"imageRegistry": image.PartRegistry,
	"imageName":     image.PartName,
	"imageTag":      image.PartTag,
	"imagePath":     image.PartPath,
}

// Validate checks a policy completely and returns every problem.
func Validate(p *Policy, cat Catalog) field.ErrorList {
	var errs field.ErrorList
	if p.APIVersion != APIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), p.APIVersion, []string{APIVersion}))
	}
	errs = append(errs, ValidateName(p.Metadata.Name, field.NewPath("metadata", "name"))...)
	spec := field.NewPath("spec")
	errs = append(errs, validateDefinition(&p.Spec.ClusterWide, spec.Child("clusterWide"), cat)...)
	names := map[string]bool{}
	owner := map[string]string{}
	for i := range p.Spec.Namespaced {
		d := &p.Spec.Namespaced[i]
		path := spec.Child("namespaced").Index(i)
		if d.Name == "" {
			errs = append(errs, field.Required(path.Child("name"), ""))
		} else if names[d.Name] {
			errs = append(errs, field.Duplicate(path.Child("name"), d.Name))
		}
		names[d.Name] = true
		if len(d.Namespaces) == 0 {
			errs = append(errs, field.Required(path.Child("namespaces"), "a namespace definition lists at least one namespace"))
		}
		for j, ns := range d.Namespaces {
			np := path.Child("namespaces").Index(j)
			errs = append(errs, validateNamespace(ns, np)...)
			if prev, ok := owner[ns]; ok {
				errs = append(errs, field.Duplicate(np, fmt.Sprintf("%s (already in namespace definition %q)", ns, prev)))
			}
			owner[ns] = d.Name
		}
		errs = append(errs, validateDefinition(&d.Definition, path, cat)...)
	}
	return errs
}

// ValidateName checks a document name (a DNS subdomain, as Kubernetes
// object names are).
func ValidateName(name string, path *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(path, name, msg))
	}
	return errs
}

func validateNamespace(ns string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(ns) {
		errs = append(errs, field.Invalid(path, ns, msg))
	}
	return errs
}

func validateDefinition(d *Definition, path *field.Path, cat Catalog) field.ErrorList {
	var errs field.ErrorList
	if d.Deployment != nil {
		errs = append(errs, validateRuleTab(d.Deployment, TabDeployment, path.Child(string(TabDeployment)), cat)...)
	}
	if d.Continuous != nil {
		errs = append(errs, validateRuleTab(d.Continuous, TabContinuous, path.Child(string(TabContinuous)), cat)...)
	}
	if d.Deployment != nil && d.Continuous != nil {
		errs = append(errs, validatePairs(d.Deployment, d.Continuous, path)...)
	}
	if d.Segmentation != nil {
		for i, ns := range d.Segmentation.AllowFromNamespaces {
			errs = append(errs, validateNamespace(ns, path.Child("segmentation", "allowFromNamespaces").Index(i))...)
		}
	}
	if d.Runtime != nil {
		for i, b := range d.Runtime.Rulesets {
			bp := path.Child(string(TabRuntime), "rulesets").Index(i)
			if b.Ruleset == "" {
				errs = append(errs, field.Required(bp.Child("ruleset"), ""))
			}
			errs = append(errs, validateAction(b.Action, TabRuntime, bp.Child("action"))...)
			if b.Selector != nil {
				if _, err := metav1.LabelSelectorAsSelector(b.Selector); err != nil {
					errs = append(errs, field.Invalid(bp.Child("selector"), b.Selector.String(), err.Error()))
				}
			}
		}
	}
	return errs
}

func validateAction(a Action, t Tab, path *field.Path) field.ErrorList {
	allowed := ActionsFor(t)
	if a == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	if !slices.Contains(allowed, a) {
		s := make([]string, len(allowed))
		for i, x := range allowed {
			s[i] = string(x)
		}
		return field.ErrorList{field.NotSupported(path, a, s)}
	}
	return nil
}

func validateRuleTab(tab *RuleTab, t Tab, path *field.Path, cat Catalog) field.ErrorList {
	var errs field.ErrorList
	for i := range tab.Rules {
		r := &tab.Rules[i]
		rp := path.Child("rules").Index(i)
		if r.Rule == "" {
			errs = append(errs, field.Required(rp.Child("rule"), ""))
		} else if cat != nil {
			errs = append(errs, cat.CheckRule(r, t, rp)...)
		}
		errs = append(errs, validateAction(r.Action, t, rp.Child("action"))...)
		for j, ns := range r.ExcludedNamespaces {
			errs = append(errs, validateNamespace(ns, rp.Child("excludedNamespaces").Index(j))...)
		}
		for j, img := range r.ExcludedImages {
			if _, err := image.NewPattern(img); err != nil {
				errs = append(errs, field.Invalid(rp.Child("excludedImages").Index(j), img, err.Error()))
			}
		}
	}
	for i, e := range tab.Exceptions {
		errs = append(errs, validateException(&e, path.Child("exceptions").Index(i))...)
	}
	return errs
}

func validateException(e *Exception, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if _, ok := ExceptionTypes[e.Type]; !ok {
		errs = append(errs, field.NotSupported(path.Child("type"), e.Type, []string{"imageRegistry", "imageName", "imageTag", "imagePath"}))
	}
	errs = append(errs, ValidateImageCriteria(e.Properties, path.Child("properties"))...)
	for j, ns := range e.Namespaces {
		errs = append(errs, validateNamespace(ns, path.Child("namespaces").Index(j))...)
	}
	return errs
}

// ValidateImageCriteria checks an operator and its values.
func ValidateImageCriteria(c ImageCriteria, path *field.Path) field.ErrorList {
	if !slices.Contains(image.Operators, c.Operator) {
		return field.ErrorList{field.NotSupported(path.Child("operator"), c.Operator, image.Operators)}
	}
	if len(c.Values) == 0 {
		return field.ErrorList{field.Required(path.Child("values"), "at least one value")}
	}
	var errs field.ErrorList
	if c.Operator == "matches" {
		for i, v := range c.Values {
			if _, err := regexp.Compile(v); err != nil {
				errs = append(errs, field.Invalid(path.Child("values").Index(i), v, err.Error()))
			}
		}
	}
	return errs
}

// validatePairs enforces the allowed deployment → continuous action pairs
// (seed 000): log → log; block → log, isolate or terminate. A continuous
// isolate or terminate for a rule that the deployment tab enables needs at
// least one deployment entry for it that blocks; enabling the rule twice at
// log cannot dodge that.
func validatePairs(dep, cont *RuleTab, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, c := range cont.Rules {
		if c.Action != ActionIsolate && c.Action != ActionTerminate {
			continue
		}
		logAt, blocks := -1, false
		for j, d := range dep.Rules {
			if d.Rule != c.Rule {
				continue
			}
			if d.Action == ActionBlock {
				blocks = true
			} else if logAt < 0 {
				logAt = j
			}
		}
		if logAt >= 0 && !blocks {
			errs = append(errs, field.Invalid(path.Child(string(TabContinuous), "rules").Index(i).Child("action"), c.Action,
				fmt.Sprintf("rule %s logs at deployment (%s), so its continuous action must be log; isolate and terminate need block at deployment",
					c.Rule, path.Child(string(TabDeployment), "rules").Index(logAt).Child("action"))))
		}
	}
	return errs
}

// ValidateRuleset checks the shape of a RuntimeRuleset; the Falco items
// themselves are checked by the runtime rule language.
func ValidateRuleset(rs *RuntimeRuleset) field.ErrorList {
	var errs field.ErrorList
	if rs.APIVersion != APIVersion {
		errs = append(errs, field.NotSupported(field.NewPath("apiVersion"), rs.APIVersion, []string{APIVersion}))
	}
	errs = append(errs, ValidateName(rs.Metadata.Name, field.NewPath("metadata", "name"))...)
	if len(rs.Spec.FalcoRules) == 0 && len(rs.Spec.FalcoAlerts) == 0 {
		errs = append(errs, field.Required(field.NewPath("spec"), "a ruleset holds falcoRules, falcoAlerts or both"))
	}
	for i, a := range rs.Spec.FalcoAlerts {
		if a == "" {
			errs = append(errs, field.Required(field.NewPath("spec", "falcoAlerts").Index(i), "a Falco rule name"))
		}
	}
	return errs
}

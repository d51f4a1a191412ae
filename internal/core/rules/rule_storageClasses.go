package rules

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Reads: spec.storageClassName of a PersistentVolumeClaim and of each of a
// StatefulSet's spec.volumeClaimTemplates[]. Refused: unset or "" (the
// claim then gets the cluster's default class, or none), and, when
// allowedStorageClasses lists names and not "*", a name it does not list.

// StorageClassesParams configures storageClasses.
type StorageClassesParams struct {
	AllowedStorageClasses          []string `json:"allowedStorageClasses" doc:"the StorageClass names a claim may request; empty (the default) or \"*\" allows any name, as long as one is named"`
	IncludeStorageClassesInMessage bool     `json:"includeStorageClassesInMessage" doc:"name the allowed classes in the violation's message"`
}

// Validate implements the properties check.
func (p *StorageClassesParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, s := range p.AllowedStorageClasses {
		if s == "" {
			errs = append(errs, field.Invalid(path.Child("allowedStorageClasses").Index(i), s, `must be a StorageClass name or "*"`))
		}
	}
	return errs
}

func init() {
	register(&Rule{
		ID:    "storageClasses",
		Title: "Volume claim without an allowed storage class",
		Description: "Flags a PersistentVolumeClaim, and each volumeClaimTemplates[] entry of a StatefulSet, whose spec.storageClassName is unset or empty, " +
			"or, when allowedStorageClasses lists names (and not \"*\"), is not one of them, as Gatekeeper's storageclass template does. " +
			"An unnamed class leaves the choice to whichever class the cluster marks as default (or, for \"\", to pre-provisioned volumes only), " +
			"and a class that is not provisioned leaves the pods pending. " +
			"Unlike the template, Palisade does not check that the StorageClass exists in the cluster (the rules read the object alone): " +
			"list the classes that exist in allowedStorageClasses for that.",
		Sources:  []Source{{productGatekeeper, "storageclass (K8sStorageClass)"}},
		Severity: Low, Tabs: deploymentOnly, Targets: TargetPersistentVolumeClaim | TargetPod,
		Params: func() any { return &StorageClassesParams{IncludeStorageClassesInMessage: true} },
		New: func(p any) (Check, error) {
			sp := p.(*StorageClassesParams)
			allowed := sp.AllowedStorageClasses
			if slices.Contains(allowed, "*") {
				allowed = nil
			}
			suffix := ""
			if sp.IncludeStorageClassesInMessage && len(allowed) > 0 {
				suffix = ": must be one of [" + strings.Join(allowed, ", ") + "]"
			}
			return func(in *Input) []Finding {
				if c := in.Object.PersistentVolumeClaim; c != nil {
					return storageClassFinding(&c.Spec, "spec", "persistentVolumeClaim", allowed, suffix)
				}
				var out []Finding
				for i := range in.Object.VolumeClaimTemplates {
					path := field.NewPath("spec", "volumeClaimTemplates").Index(i).Child("spec").String()
					out = append(out, storageClassFinding(&in.Object.VolumeClaimTemplates[i].Spec, path, "volumeClaimTemplate", allowed, suffix)...)
				}
				return out
			}, nil
		},
	})
}

// storageClassFinding judges one claim spec at path.
func storageClassFinding(spec *corev1.PersistentVolumeClaimSpec, path, where string, allowed []string, suffix string) []Finding {
	f := Finding{Where: where, Field: path + ".storageClassName"}
	switch {
	case spec.StorageClassName == nil:
		f.Value, f.Detail = "unset", "no storage class named, so the cluster's default class decides"+suffix
	case *spec.StorageClassName == "":
		f.Value, f.Detail = "", "the empty class binds only pre-provisioned volumes without a class"+suffix
	case len(allowed) > 0 && !slices.Contains(allowed, *spec.StorageClassName):
		f.Value, f.Detail = *spec.StorageClassName, "not an allowed storage class"+suffix
	default:
		return nil
	}
	return []Finding{f}
}

package rules

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// appArmorAnnotationPrefix is the per-container AppArmor annotation the
// seed's sample uses (container.apparmor.security.beta.kubernetes.io/redis).
const appArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/"

// AppArmorParams configures appArmor.
type AppArmorParams struct {
	AllowedProfiles []string `json:"allowedProfiles" doc:"profiles a container may run with, in annotation form: runtime/default, localhost/<profile>, localhost/* (any localhost profile) or unconfined"`
}

// anyLocalhostProfile in allowedProfiles allows every localhost profile,
// as users of Azure Policy and Gatekeeper write it.
const anyLocalhostProfile = "localhost/*"

// appArmorAllowed reports whether profile, in annotation form, is one of
// allowed: listed exactly, or a named localhost profile with localhost/*
// listed.
func appArmorAllowed(allowed []string, profile string) bool {
	if slices.Contains(allowed, profile) {
		return true
	}
	name, local := strings.CutPrefix(profile, "localhost/")
	return local && name != "" && slices.Contains(allowed, anyLocalhostProfile)
}

// Validate implements the properties check.
func (p *AppArmorParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, s := range p.AllowedProfiles {
		name, local := strings.CutPrefix(s, "localhost/")
		if s != "runtime/default" && s != "unconfined" && (!local || name == "") {
			errs = append(errs, field.Invalid(path.Child("allowedProfiles").Index(i), s,
				`must be "runtime/default", "unconfined", "localhost/<profile>" or "localhost/*"`))
		}
	}
	return errs
}

// appArmorProfileString maps the securityContext.appArmorProfile field to
// the annotation form.
func appArmorProfileString(p *corev1.AppArmorProfile) string {
	switch p.Type {
	case corev1.AppArmorProfileTypeRuntimeDefault:
		return "runtime/default"
	case corev1.AppArmorProfileTypeUnconfined:
		return "unconfined"
	case corev1.AppArmorProfileTypeLocalhost:
		if p.LocalhostProfile == nil {
			return "localhost/"
		}
		return "localhost/" + *p.LocalhostProfile
	}
	return string(p.Type)
}

// appArmorProfile returns a container's effective profile in annotation
// form and the field it comes from, in the kubelet's order: the
// container's field, the per-container annotation, the pod's field. The
// profile is "" when none is set.
func appArmorProfile(in *Input, c *workload.Container) (profile string, from appArmorSource) {
	if s := c.C.SecurityContext; s != nil && s.AppArmorProfile != nil {
		return appArmorProfileString(s.AppArmorProfile), fromContainer
	}
	pod := in.Pod()
	if pod.Meta != nil {
		if v, ok := pod.Meta.Annotations[appArmorAnnotationPrefix+c.C.Name]; ok {
			return v, fromAnnotation
		}
	}
	if s := pod.Spec.SecurityContext; s != nil && s.AppArmorProfile != nil {
		return appArmorProfileString(s.AppArmorProfile), fromPod
	}
	return "", fromNowhere
}

// appArmorSource says where a container's AppArmor profile was read.
type appArmorSource uint8

const (
	fromNowhere appArmorSource = iota
	fromContainer
	fromAnnotation
	fromPod
)

// appArmorField is the path of the field a profile was read from, built
// only for a finding.
func appArmorField(in *Input, c *workload.Container, from appArmorSource) string {
	pod := in.Pod()
	switch from {
	case fromAnnotation:
		meta := strings.TrimSuffix(pod.SpecPath, "spec") + "metadata"
		return field.NewPath(meta).Child("annotations").Key(appArmorAnnotationPrefix + c.C.Name).String()
	case fromPod:
		return pod.SpecPath + ".securityContext.appArmorProfile"
	}
	return c.Path + ".securityContext.appArmorProfile"
}

func init() {
	register(&Rule{
		ID:    "appArmor",
		Title: "Container without an allowed AppArmor profile",
		Description: "Flags a container that runs with no AppArmor profile, or with one not in allowedProfiles; the profile is read from " +
			"securityContext.appArmorProfile (container, then pod) or the container.apparmor.security.beta.kubernetes.io/<container> annotation. " +
			"allowedProfiles may list localhost/* for any localhost profile. AppArmor confines what a compromised program may do on the node.",
		Sources: []Source{azurePolicy("Kubernetes cluster containers should only use allowed AppArmor profiles")}, Severity: High, Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		Params: func() any { return &AppArmorParams{AllowedProfiles: []string{"runtime/default"}} },
		New: func(p any) (Check, error) {
			allowed := p.(*AppArmorParams).AllowedProfiles
			return func(in *Input) []Finding {
				var out []Finding
				for _, c := range in.Containers {
					profile, from := appArmorProfile(in, c)
					if profile != "" && appArmorAllowed(allowed, profile) {
						continue
					}
					f := Finding{Where: "containerSecurityContext", Value: profile, Container: c.C.Name, Field: appArmorField(in, c, from)}
					if profile == "" {
						f.Value, f.Detail = "unset", "no AppArmor profile"
					} else {
						f.Detail = "not in the allowed profiles " + quoteList(allowed)
					}
					out = append(out, f)
				}
				return out
			}, nil
		},
	})
}

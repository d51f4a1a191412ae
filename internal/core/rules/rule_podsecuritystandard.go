package rules

import (
	"fmt"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// PodSecurityStandardParams selects the Pod Security Standard to enforce.
type PodSecurityStandardParams struct {
	Level   string `json:"level" doc:"baseline or restricted"`
	Version string `json:"version" doc:"latest, or the Kubernetes minor version whose standard applies (v1.N)"`
}

var pssLevels = []string{string(psaapi.LevelBaseline), string(psaapi.LevelRestricted)}

// Validate implements the properties check.
func (p *PodSecurityStandardParams) Validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if _, err := psaapi.ParseLevel(p.Level); err != nil || p.Level == string(psaapi.LevelPrivileged) {
		errs = append(errs, field.NotSupported(path.Child("level"), p.Level, pssLevels))
	}
	return append(errs, validatePSSVersion(path.Child("version"), p.Version)...)
}

// validatePSSVersion checks a Pod Security Standards version property:
// latest or v1.N.
func validatePSSVersion(path *field.Path, version string) field.ErrorList {
	if _, err := psaapi.ParseVersion(version); err != nil {
		return field.ErrorList{field.Invalid(path, version, err.Error())}
	}
	return nil
}

// pssEvaluator is Kubernetes' own Pod Security Admission evaluator, built
// once on first use: the same checks, versions and messages as the
// kube-apiserver's.
var pssEvaluator = sync.OnceValues(func() (psapolicy.Evaluator, error) {
	return psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
})

func init() {
	register(&Rule{
		ID:    "podSecurityStandard",
		Title: "Pod violates a Pod Security Standard",
		Description: "Evaluates the pod exactly as Kubernetes Pod Security Admission does for the chosen level (baseline or restricted) and version, " +
			"using Kubernetes' own checks, and reports one finding per failing check (OWASP Kubernetes Top 10 K04).",
		Sources: []Source{{productPSS, "Baseline and Restricted policies"}, owaspK04}, Severity: High, Tabs: podTabs, Targets: TargetPod,
		Params: func() any { return &PodSecurityStandardParams{Level: "baseline", Version: "latest"} },
		New:    newPodSecurityStandard,
	})
}

func newPodSecurityStandard(p any) (Check, error) {
	pp := p.(*PodSecurityStandardParams)
	level, err := psaapi.ParseLevel(pp.Level)
	if err != nil || level == psaapi.LevelPrivileged {
		return nil, fmt.Errorf("level %q: must be baseline or restricted", pp.Level)
	}
	version, err := psaapi.ParseVersion(pp.Version)
	if err != nil {
		return nil, fmt.Errorf("version %q: %w", pp.Version, err)
	}
	ev, err := pssEvaluator()
	if err != nil {
		return nil, fmt.Errorf("pod security evaluator: %w", err)
	}
	return pssCheck(ev, psaapi.LevelVersion{Level: level, Version: version}), nil
}

// pssCheck evaluates the pod with a Pod Security Admission evaluator at lv
// and reports one finding per failing check, in our shape: the check's
// reason as the value, the pod spec as the field, and the level, version
// and Kubernetes' own detail as the detail. podSecurityStandard and every
// per-control rule (pssControls) report through it, so a control fails
// with the same finding whichever rule found it.
func pssCheck(ev psapolicy.Evaluator, lv psaapi.LevelVersion) Check {
	prefix := lv.String() // "restricted:v1.30", "baseline:latest"
	return func(in *Input) []Finding {
		pod := in.Pod()
		if pod == nil {
			return nil
		}
		var out []Finding
		for _, r := range ev.EvaluatePod(lv, pod.Meta, evaluatedSpec(in)) {
			if r.Allowed {
				continue
			}
			reason := r.ForbiddenReason
			if reason == "" {
				reason = psapolicy.UnknownForbiddenReason
			}
			detail := prefix
			if r.ForbiddenDetail != "" {
				detail += ": " + r.ForbiddenDetail
			}
			out = append(out, Finding{Where: "pod", Value: reason, Field: pod.SpecPath, Detail: detail})
		}
		return out
	}
}

// evaluatedSpec returns the pod spec Pod Security Admission would see.
//
// Only the in-scope containers count (nil means every container), so that a
// container excluded by excludedImages or an exception causes no finding of
// its own; the pod-level fields (hostNetwork, hostPID, hostIPC, volumes, the
// pod's securityContext) are checked even when every container is exempt.
// And the API server's defaulting that changes a verdict is applied, since
// admission runs on the defaulted object: a volume without a source becomes
// an emptyDir, and in a Pod with hostNetwork a port's hostPort defaults to
// its containerPort. When nothing changes (the common case) this is the
// object's own spec; otherwise a shallow copy, never a modified original.
func evaluatedSpec(in *Input) *corev1.PodSpec {
	pod := in.Pod()
	orig := pod.Spec
	subset := in.Containers != nil && len(in.Containers) < len(pod.Containers)
	defaultPorts := orig.HostNetwork && in.Object.Kind == "Pod" && (needsHostPorts(orig.InitContainers) || needsHostPorts(orig.Containers))
	defaultVolumes := slices.ContainsFunc(orig.Volumes, noVolumeSource)
	if !subset && !defaultPorts && !defaultVolumes {
		return orig
	}
	spec := *orig
	if subset {
		spec.InitContainers, spec.Containers, spec.EphemeralContainers = nil, nil, nil
		for _, c := range in.Containers {
			switch c.Type {
			case workload.InitContainer:
				spec.InitContainers = append(spec.InitContainers, orig.InitContainers[c.Index])
			case workload.RegularContainer:
				spec.Containers = append(spec.Containers, orig.Containers[c.Index])
			case workload.EphemeralContainer:
				spec.EphemeralContainers = append(spec.EphemeralContainers, orig.EphemeralContainers[c.Index])
			}
		}
	}
	if defaultPorts {
		spec.InitContainers = withHostPorts(spec.InitContainers)
		spec.Containers = withHostPorts(spec.Containers)
	}
	if defaultVolumes {
		spec.Volumes = slices.Clone(orig.Volumes)
		for i := range spec.Volumes {
			if noVolumeSource(spec.Volumes[i]) {
				spec.Volumes[i].VolumeSource = corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
			}
		}
	}
	return &spec
}

// noVolumeSource reports whether v names no source; the API server
// defaults it to an emptyDir.
func noVolumeSource(v corev1.Volume) bool { return v.VolumeSource == corev1.VolumeSource{} }

func needsHostPorts(cs []corev1.Container) bool {
	for i := range cs {
		for _, p := range cs[i].Ports {
			if p.HostPort == 0 {
				return true
			}
		}
	}
	return false
}

// withHostPorts returns cs with every unset hostPort set to its
// containerPort, copying what it changes.
func withHostPorts(cs []corev1.Container) []corev1.Container {
	if !needsHostPorts(cs) {
		return cs
	}
	out := slices.Clone(cs)
	for i := range out {
		if !needsHostPorts(out[i : i+1]) {
			continue
		}
		out[i].Ports = slices.Clone(out[i].Ports)
		for j := range out[i].Ports {
			if out[i].Ports[j].HostPort == 0 {
				out[i].Ports[j].HostPort = out[i].Ports[j].ContainerPort
			}
		}
	}
	return out
}

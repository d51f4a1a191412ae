package rules

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// containerRule builds a rule that checks every in-scope container on its
// own; test returns the offending value and the full path of the offending
// field (a container's or, when the container inherits it, the pod's), or ok.
func containerRule(id, title, desc string, sev Severity, test func(in *Input, c *workload.Container) scFinding) *Rule {
	return &Rule{
		ID: id, Title: title, Description: desc, Sources: []Source{trendMicro(id)}, Severity: sev,
		Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		New: func(any) (Check, error) {
			return func(in *Input) []Finding {
				var out []Finding
				for _, c := range in.Containers {
					if r := test(in, c); r.bad {
						path := containerField(c, r.sub)
						if r.pod {
							path = podField(in, r.sub)
						}
						out = append(out, Finding{Where: "containerSecurityContext", Value: r.value, Container: c.C.Name, Field: path, Detail: r.detail})
					}
				}
				return out
			}, nil
		},
	}
}

// scFinding is a security-context test's verdict on a container; the
// field's path (sub, under the container or, when pod is set, the pod
// spec) is built only for a finding.
type scFinding struct {
	value, sub, detail string
	pod, bad           bool
}

func sc(c *workload.Container) *corev1.SecurityContext {
	if c.C.SecurityContext == nil {
		return &corev1.SecurityContext{}
	}
	return c.C.SecurityContext
}

func podSC(in *Input) *corev1.PodSecurityContext {
	if in.Pod().Spec.SecurityContext == nil {
		return &corev1.PodSecurityContext{}
	}
	return in.Pod().Spec.SecurityContext
}

func boolValue(b *bool) string {
	if b == nil {
		return "unset"
	}
	return strconv.FormatBool(*b)
}

func init() {
	register(
		containerRule("privileged", "Privileged container",
			"Flags a container with securityContext.privileged: true. A privileged container has every capability and all host devices: it is root on the node.",
			Critical, func(_ *Input, c *workload.Container) scFinding {
				s := sc(c)
				return scFinding{value: "true", sub: "securityContext.privileged", bad: s.Privileged != nil && *s.Privileged}
			}).also(azurePolicy("Kubernetes cluster should not allow privileged containers")),
		containerRule("allowPrivilegeEscalation", "Container allows privilege escalation",
			"Flags a container whose securityContext.allowPrivilegeEscalation is not false (unset defaults to true, and privileged implies it). A process can then gain more privileges than its parent through setuid binaries.",
			Medium, func(_ *Input, c *workload.Container) scFinding {
				s := sc(c)
				const sub = "securityContext.allowPrivilegeEscalation"
				if s.Privileged != nil && *s.Privileged && (s.AllowPrivilegeEscalation == nil || *s.AllowPrivilegeEscalation) {
					return scFinding{value: boolValue(s.AllowPrivilegeEscalation), sub: sub, detail: "privileged containers always allow escalation", bad: true}
				}
				v := s.AllowPrivilegeEscalation
				return scFinding{value: boolValue(v), sub: sub, bad: v == nil || *v}
			}).also(azurePolicy("Kubernetes clusters should not allow container privilege escalation")),
		containerRule("readOnlyRootFilesystem", "Container has a writable root filesystem",
			"Flags a container whose securityContext.readOnlyRootFilesystem is not true. A writable root filesystem lets an attacker drop binaries on the PATH.",
			Medium, func(_ *Input, c *workload.Container) scFinding {
				v := sc(c).ReadOnlyRootFilesystem
				return scFinding{value: boolValue(v), sub: "securityContext.readOnlyRootFilesystem", bad: v == nil || !*v}
			}).also(azurePolicy("Kubernetes cluster containers should run with a read only root file system")),
		containerRule("runAsNonRoot", "Container may run as root",
			"Flags a container that may run as root: runAsUser is 0, or neither runAsNonRoot: true nor a non-zero runAsUser is set (container or pod level). Root in a container is root on the node once anything else goes wrong.",
			High, func(in *Input, c *workload.Container) scFinding {
				s, ps := sc(c), podSC(in)
				user, userOfPod := s.RunAsUser, false
				if user == nil {
					user, userOfPod = ps.RunAsUser, true
				}
				nonRoot, nonRootOfPod := s.RunAsNonRoot, false
				if nonRoot == nil && ps.RunAsNonRoot != nil {
					nonRoot, nonRootOfPod = ps.RunAsNonRoot, true
				}
				if user != nil && *user == 0 {
					return scFinding{value: "runAsUser=0", sub: "securityContext.runAsUser", pod: userOfPod, bad: true}
				}
				if user == nil && (nonRoot == nil || !*nonRoot) {
					return scFinding{value: "runAsNonRoot=" + boolValue(nonRoot), sub: "securityContext.runAsNonRoot", pod: nonRootOfPod, bad: true}
				}
				return scFinding{}
			}).also(azurePolicy("Kubernetes cluster pods and containers should only run with approved user and group IDs")),
	)
}

package rules

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/palisade-dev/palisade/internal/core/workload"
)

// containerRule builds a rule that checks every in-scope container on its
// own; test returns the offending value and the full path of the offending
// field (a container's or, when the container inherits it, the pod's), or ok.
func containerRule(id, title, desc string, sev Severity, test func(in *Input, c *workload.Container) (value, field, detail string, bad bool)) *Rule {
	return &Rule{
		ID: id, Title: title, Description: desc, Sources: []Source{trendMicro(id)}, Severity: sev,
		Tabs: podTabs, Targets: TargetPod, ContainersOnly: true,
		New: func(any) (Check, error) {
			return func(in *Input) []Finding {
				var out []Finding
				for _, c := range in.Containers {
					if v, f, d, bad := test(in, c); bad {
						out = append(out, Finding{Where: "containerSecurityContext", Value: v, Container: c.C.Name, Field: f, Detail: d})
					}
				}
				return out
			}, nil
		},
	}
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
			Critical, func(_ *Input, c *workload.Container) (string, string, string, bool) {
				s := sc(c)
				return "true", containerField(c, "securityContext.privileged"), "", s.Privileged != nil && *s.Privileged
			}).also(azurePolicy("Kubernetes cluster should not allow privileged containers")),
		containerRule("allowPrivilegeEscalation", "Container allows privilege escalation",
			"Flags a container whose securityContext.allowPrivilegeEscalation is not false (unset defaults to true, and privileged implies it). A process can then gain more privileges than its parent through setuid binaries.",
			Medium, func(_ *Input, c *workload.Container) (string, string, string, bool) {
				s := sc(c)
				if s.Privileged != nil && *s.Privileged && (s.AllowPrivilegeEscalation == nil || *s.AllowPrivilegeEscalation) {
					return boolValue(s.AllowPrivilegeEscalation), containerField(c, "securityContext.allowPrivilegeEscalation"), "privileged containers always allow escalation", true
				}
				v := s.AllowPrivilegeEscalation
				return boolValue(v), containerField(c, "securityContext.allowPrivilegeEscalation"), "", v == nil || *v
			}).also(azurePolicy("Kubernetes clusters should not allow container privilege escalation")),
		containerRule("readOnlyRootFilesystem", "Container has a writable root filesystem",
			"Flags a container whose securityContext.readOnlyRootFilesystem is not true. A writable root filesystem lets an attacker drop binaries on the PATH.",
			Medium, func(_ *Input, c *workload.Container) (string, string, string, bool) {
				v := sc(c).ReadOnlyRootFilesystem
				return boolValue(v), containerField(c, "securityContext.readOnlyRootFilesystem"), "", v == nil || !*v
			}).also(azurePolicy("Kubernetes cluster containers should run with a read only root file system")),
		containerRule("runAsNonRoot", "Container may run as root",
			"Flags a container that may run as root: runAsUser is 0, or neither runAsNonRoot: true nor a non-zero runAsUser is set (container or pod level). Root in a container is root on the node once anything else goes wrong.",
			High, func(in *Input, c *workload.Container) (string, string, string, bool) {
				s, ps := sc(c), podSC(in)
				user, userField := s.RunAsUser, containerField(c, "securityContext.runAsUser")
				if user == nil {
					user, userField = ps.RunAsUser, podField(in, "securityContext.runAsUser")
				}
				nonRoot, nonRootField := s.RunAsNonRoot, containerField(c, "securityContext.runAsNonRoot")
				if nonRoot == nil && ps.RunAsNonRoot != nil {
					nonRoot, nonRootField = ps.RunAsNonRoot, podField(in, "securityContext.runAsNonRoot")
				}
				if user != nil && *user == 0 {
					return "runAsUser=0", userField, "", true
				}
				if user == nil && (nonRoot == nil || !*nonRoot) {
					return "runAsNonRoot=" + boolValue(nonRoot), nonRootField, "", true
				}
				return "", "", "", false
			}).also(azurePolicy("Kubernetes cluster pods and containers should only run with approved user and group IDs")),
	)
}

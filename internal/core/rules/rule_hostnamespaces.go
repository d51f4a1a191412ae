package rules

import "github.com/palisade-dev/palisade/internal/core/policy"

var podTabs = []policy.Tab{policy.TabDeployment, policy.TabContinuous}

// hostNamespaceRule flags a pod that shares one of the host's namespaces.
func hostNamespaceRule(id, title, field, why string, get func(in *Input) bool) *Rule {
	return &Rule{
		ID:          id,
		Title:       title,
		Description: "Flags a pod with spec." + field + ": true. " + why,
		Sources:     []Source{trendMicro(id)},
		Severity:    High,
		Tabs:        podTabs,
		Targets:     TargetPod,
		New: func(any) (Check, error) {
			return func(in *Input) []Finding {
				if get(in) {
					return []Finding{PodFinding(in, "podSecurityContext", field, "true")}
				}
				return nil
			}, nil
		},
	}
}

// sharedHostNamespaces is the Azure Policy that hostPID and hostIPC carry
// out together.
var sharedHostNamespaces = azurePolicy("Kubernetes cluster containers should not share host process ID or host IPC namespace")

func init() {
	register(
		hostNamespaceRule("hostNetwork", "Container runs in the host network namespace", "hostNetwork",
			"The pod sees every interface of the node and can sniff or spoof its traffic.",
			func(in *Input) bool { return in.Pod().Spec.HostNetwork }),
		hostNamespaceRule("hostIPC", "Container runs in the host IPC namespace", "hostIPC",
			"The pod can read and write the shared memory of every process on the node.",
			func(in *Input) bool { return in.Pod().Spec.HostIPC }).also(sharedHostNamespaces),
		hostNamespaceRule("hostPID", "Container runs in the host PID namespace", "hostPID",
			"The pod sees every process on the node; with privileges, nsenter into PID 1 is a full breakout.",
			func(in *Input) bool { return in.Pod().Spec.HostPID }).also(sharedHostNamespaces),
	)
}

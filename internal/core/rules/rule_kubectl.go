package rules

import (
	"slices"
	"strconv"
	"strings"

	"github.com/palisade-dev/palisade/internal/core/policy"
)

var deploymentOnly = []policy.Tab{policy.TabDeployment}

func connectRule(id, title, desc string, subresources ...string) *Rule {
	return &Rule{
		ID: id, Title: title, Description: desc, Sources: []Source{trendMicro(id)}, Severity: High,
		Tabs: deploymentOnly, Targets: TargetConnect,
		New: func(any) (Check, error) {
			return func(in *Input) []Finding {
				if in.Connect == nil || !slices.Contains(subresources, in.Connect.Subresource) {
					return nil
				}
				return []Finding{{Where: "pod", Value: in.Connect.Subresource, Container: in.Connect.Container, Field: "pods/" + in.Connect.Subresource}}
			}, nil
		},
	}
}

func init() {
	register(
		connectRule("podExec", "Exec or attach into a container",
			"Flags kubectl exec and kubectl attach into a pod's containers (CONNECT on pods/exec and pods/attach). A shell in a container is the first step of most intrusions.",
			"exec", "attach"),
		connectRule("podPortForward", "Port-forward to a pod",
			"Flags kubectl port-forward to a pod (CONNECT on pods/portforward), which opens a tunnel past Services and NetworkPolicies.",
			"portforward"),
	)
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

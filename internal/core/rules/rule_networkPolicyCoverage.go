package rules

import (
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/palisade-dev/palisade/internal/core/policy"
)

var continuousOnly = []policy.Tab{policy.TabContinuous}

func init() {
	register(&Rule{
		ID:    "networkPolicyCoverage",
		Title: "Pod selected by no NetworkPolicy",
		Description: "Flags pods (and the pod templates of workloads, in a cluster audit) that no NetworkPolicy of their namespace selects: " +
			"such a pod accepts traffic from anywhere and may send it anywhere, so a breached container can move sideways. " +
			"Any NetworkPolicy selecting the pod counts, whatever its rules; the finding says how many the namespace has. " +
			"Evaluated where the NetworkPolicies are known: the continuous checks and `palisade scan --cluster`.",
		Sources: []Source{{productCloudNative, "Network Policies"}}, Severity: Medium, Tabs: continuousOnly, Targets: TargetPod, NetworkPolicies: true,
		New: func(any) (Check, error) { return networkPolicyCoverage, nil },
	})
}

func networkPolicyCoverage(in *Input) []Finding {
	pod := in.Pod()
	if in.NetworkPolicies == nil || pod == nil || in.Namespace == "" {
		return nil
	}
	nps, err := in.NetworkPolicies.NetworkPolicies(in.Namespace)
	if err != nil {
		return []Finding{{Where: "pod", Value: in.Object.Meta.Name, Field: "metadata.labels",
			Detail: "the NetworkPolicies of namespace " + in.Namespace + " could not be read: " + err.Error()}}
	}
	for _, np := range nps {
		if selects(&np.Spec.PodSelector, pod.Meta.Labels) {
			return nil
		}
	}
	detail := "no NetworkPolicy in namespace " + in.Namespace + " selects it"
	switch len(nps) {
	case 0:
		detail += " (the namespace has none): it accepts traffic from anywhere"
	case 1:
		detail += " (the namespace has 1, for other pods)"
	default:
		detail += " (the namespace has " + strconv.Itoa(len(nps)) + ", for other pods)"
	}
	field := "metadata.labels"
	if pod.Meta != &in.Object.Meta {
		field = pod.SpecPath[:len(pod.SpecPath)-len("spec")] + "metadata.labels"
	}
	return []Finding{{Where: "pod", Value: in.Object.Meta.Name, Field: field, Detail: detail}}
}

// selects reports whether a NetworkPolicy's podSelector selects a pod with
// the given labels. Plain matchLabels, the usual case, are compared
// directly; expressions go through apimachinery's selector. An invalid
// selector selects nothing (the API server refuses those).
func selects(sel *metav1.LabelSelector, podLabels map[string]string) bool {
	if len(sel.MatchExpressions) == 0 {
		for k, v := range sel.MatchLabels {
			if got, ok := podLabels[k]; !ok || got != v {
				return false
			}
		}
		return true
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(podLabels))
}

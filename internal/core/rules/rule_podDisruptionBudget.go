package rules

import (
	"strconv"

	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Reads: a PodDisruptionBudget's spec.maxUnavailable, spec.minAvailable
// and spec.selector, and spec.replicas and the pod template's labels of
// the Deployments, StatefulSets, ReplicaSets and ReplicationControllers of
// its namespace (the inventory); for such a workload, the same of the
// PodDisruptionBudgets of its namespace that select it. Refused: a budget
// that lets no selected pod be evicted (maxUnavailable 0 or "0%", or
// minAvailable at least a selected workload's replicas).

func init() {
	register(&Rule{
		ID:    "podDisruptionBudget",
		Title: "PodDisruptionBudget that lets no pod be evicted",
		Description: "Flags a PodDisruptionBudget with maxUnavailable 0 (or \"0%\"), and one whose minAvailable is at least the replicas of a " +
			"Deployment, StatefulSet, ReplicaSet or ReplicationController it selects; and flags such a workload when a PodDisruptionBudget " +
			"selecting it does either. No pod of it can then be evicted, so node drains and cluster upgrades wait forever. " +
			"Gatekeeper's poddisruptionbudget template flags the same three cases: a budget whose maxUnavailable is not above 0; a budget, " +
			"and a workload, where the budget's minAvailable is not below the workload's spec.replicas; a workload selected by a budget with " +
			"maxUnavailable 0. Differences: a budget selects a workload when its selector matches the pod template's labels, as the " +
			"disruption controller counts pods (the template requires the workload's spec.selector.matchLabels to equal the budget's, and " +
			"ignores matchExpressions); percentages are computed as the disruption controller does, rounding up (the template flags every " +
			"percentage minAvailable and no percentage maxUnavailable); unset replicas count as 1, as the API server defaults them (the " +
			"template skips them); a workload scaled to 0 has no pod to evict and is not flagged; and a workload another controls " +
			"(a Deployment's ReplicaSets) is judged through its owner. " +
			"The workloads and budgets come from the inventory (docs/policy.md, \"Rules that read other objects\"); without one only " +
			"maxUnavailable 0 is flagged.",
		Sources:  []Source{{productGatekeeper, "poddisruptionbudget (K8sPodDisruptionBudget)"}},
		Severity: Medium, Tabs: deploymentOnly, Targets: TargetPodDisruptionBudget | TargetPod,
		Inventory: InventoryPodDisruptionBudgets | InventoryWorkloads,
		New:       func(any) (Check, error) { return podDisruptionBudget, nil },
	})
}

const noEviction = "no pod it selects can ever be evicted, so node drains wait forever"

func podDisruptionBudget(in *Input) []Finding {
	if pdb := in.Object.PodDisruptionBudget; pdb != nil {
		return pdbFindings(in, pdb)
	}
	w, ok := WorkloadOf(in.Object, in.Namespace)
	if !ok || in.Inventory == nil {
		return nil
	}
	replicas := replicasOf(w)
	var out []Finding
	for _, pdb := range in.Inventory.PodDisruptionBudgets(in.Namespace) {
		if pdb.Spec.Selector == nil || !selects(pdb.Spec.Selector, w.Labels) {
			continue
		}
		if zeroMaxUnavailable(pdb) {
			out = append(out, Finding{Where: "object", Value: pdb.Name, Field: "spec.template.metadata.labels",
				Detail: "selected by PodDisruptionBudget " + pdb.Name + ", whose maxUnavailable is " + pdb.Spec.MaxUnavailable.String() +
					": no pod can ever be evicted, so node drains wait forever"})
			continue
		}
		if replicas > 0 && minAvailableBlocks(pdb, replicas) {
			out = append(out, Finding{Where: "object", Value: strconv.Itoa(int(replicas)), Field: "spec.replicas",
				Detail: replicasDetail(w, replicas) + " but PodDisruptionBudget " + pdb.Name + " has minAvailable " + pdb.Spec.MinAvailable.String() +
					": no pod can ever be evicted, so node drains wait forever"})
		}
	}
	return out
}

// pdbFindings judges a PodDisruptionBudget alone, then with the workloads
// it selects.
func pdbFindings(in *Input, pdb *policyv1.PodDisruptionBudget) []Finding {
	if zeroMaxUnavailable(pdb) {
		return []Finding{{Where: "podDisruptionBudget", Value: pdb.Spec.MaxUnavailable.String(), Field: "spec.maxUnavailable", Detail: noEviction}}
	}
	if in.Inventory == nil || pdb.Spec.MinAvailable == nil || pdb.Spec.Selector == nil {
		return nil
	}
	var out []Finding
	for _, w := range in.Inventory.Workloads(in.Namespace) {
		replicas := replicasOf(w)
		if replicas == 0 || !selects(pdb.Spec.Selector, w.Labels) || !minAvailableBlocks(pdb, replicas) {
			continue
		}
		out = append(out, Finding{Where: "podDisruptionBudget", Value: pdb.Spec.MinAvailable.String(), Field: "spec.minAvailable",
			Detail: "it selects " + w.Kind + " " + w.Name + ", which has " + strconv.Itoa(int(replicas)) + " replica(s): no pod of it can ever be evicted, so node drains wait forever"})
	}
	return out
}

// replicasOf is a workload's spec.replicas, 1 when unset.
func replicasOf(w Workload) int32 {
	if w.Replicas == nil {
		return 1
	}
	return *w.Replicas
}

func replicasDetail(w Workload, n int32) string {
	if w.Replicas == nil {
		return "spec.replicas is unset, so 1,"
	}
	return "it has " + strconv.Itoa(int(n)) + " replica(s)"
}

// zeroMaxUnavailable reports whether the budget's maxUnavailable is 0 or
// "0%" (any percentage above 0 rounds up to at least one pod).
func zeroMaxUnavailable(pdb *policyv1.PodDisruptionBudget) bool {
	mu := pdb.Spec.MaxUnavailable
	if mu == nil {
		return false
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(mu, 100, true)
	return err == nil && n <= 0
}

// minAvailableBlocks reports whether the budget's minAvailable, computed
// for replicas pods as the disruption controller does (percentages
// rounded up), is at least replicas. An unparsable percentage, which the
// API server refuses, blocks nothing.
func minAvailableBlocks(pdb *policyv1.PodDisruptionBudget, replicas int32) bool {
	ma := pdb.Spec.MinAvailable
	if ma == nil {
		return false
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(ma, int(replicas), true)
	return err == nil && n >= int(replicas)
}

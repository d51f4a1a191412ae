package rules

import "testing"

func pdb(name, spec string) string {
	return `{apiVersion: policy/v1, kind: PodDisruptionBudget, metadata: {name: ` + name + `}, spec: ` + spec + `}`
}

func replicated(kind, name, replicas, labels string) string {
	apiVersion := "apps/v1"
	if kind == "ReplicationController" {
		apiVersion = "v1"
	}
	return `{apiVersion: ` + apiVersion + `, kind: ` + kind + `, metadata: {name: ` + name + `}, spec: {` + replicas +
		`template: {metadata: {labels: ` + labels + `}, spec: {containers: [{name: c, image: nginx}]}}}}`
}

// TestPodDisruptionBudget holds the cases of Gatekeeper's
// poddisruptionbudget template, written from its semantics (maxUnavailable
// must be above 0; minAvailable must be below a selected workload's
// replicas; judged from the budget and from the workload), and ours
// (selection by the template's labels, percentages, unset and zero
// replicas).
func TestPodDisruptionBudget(t *testing.T) {
	const sel = `selector: {matchLabels: {app: web}}`
	web := `{app: web}`
	blocked := func(kind, name, n string) string {
		return "it selects " + kind + " " + name + ", which has " + n + " replica(s): no pod of it can ever be evicted, so node drains wait forever"
	}
	onBudget := func(min, detail string) Finding {
		return Finding{Where: "podDisruptionBudget", Value: min, Field: "spec.minAvailable", Detail: detail}
	}
	onWorkload := func(n, pdbName, min string) Finding {
		return Finding{Where: "object", Value: n, Field: "spec.replicas",
			Detail: "it has " + n + " replica(s) but PodDisruptionBudget " + pdbName + " has minAvailable " + min + ": no pod can ever be evicted, so node drains wait forever"}
	}
	inventoryCases(t, "podDisruptionBudget", []inventoryCase{
		// The budget alone.
		{name: "maxUnavailable 0", manifest: pdb("p", `{maxUnavailable: 0, `+sel+`}`),
			want: []Finding{{Where: "podDisruptionBudget", Value: "0", Field: "spec.maxUnavailable", Detail: noEviction}}},
		{name: "maxUnavailable 0%", manifest: pdb("p", `{maxUnavailable: "0%", `+sel+`}`),
			want: []Finding{{Where: "podDisruptionBudget", Value: "0%", Field: "spec.maxUnavailable", Detail: noEviction}}},
		{name: "maxUnavailable 1", manifest: pdb("p", `{maxUnavailable: 1, `+sel+`}`)},
		{name: "maxUnavailable 10% rounds up to a pod", manifest: pdb("p", `{maxUnavailable: "10%", `+sel+`}`)},
		{name: "minAvailable without an inventory", manifest: pdb("p", `{minAvailable: 5, `+sel+`}`)},
		// The budget with the workloads it selects.
		{name: "minAvailable below the replicas", manifest: pdb("p", `{minAvailable: 2, `+sel+`}`),
			others: []string{replicated("Deployment", "web", `replicas: 3, `, web)}},
		{name: "minAvailable equal to the replicas", manifest: pdb("p", `{minAvailable: 3, `+sel+`}`),
			others: []string{replicated("Deployment", "web", `replicas: 3, `, web)},
			want:   []Finding{onBudget("3", blocked("Deployment", "web", "3"))}},
		{name: "minAvailable above the replicas", manifest: pdb("p", `{minAvailable: 5, `+sel+`}`),
			others: []string{replicated("StatefulSet", "db", `replicas: 3, `, web), replicated("ReplicaSet", "big", `replicas: 9, `, web)},
			want:   []Finding{onBudget("5", blocked("StatefulSet", "db", "3"))}},
		{name: "unset replicas count as 1", manifest: pdb("p", `{minAvailable: 1, `+sel+`}`),
			others: []string{replicated("ReplicationController", "rc", ``, web)},
			want:   []Finding{onBudget("1", blocked("ReplicationController", "rc", "1"))}},
		{name: "a workload scaled to 0 has no pod to evict", manifest: pdb("p", `{minAvailable: 1, `+sel+`}`),
			others: []string{replicated("Deployment", "web", `replicas: 0, `, web)}},
		{name: "a workload it does not select", manifest: pdb("p", `{minAvailable: 3, `+sel+`}`),
			others: []string{replicated("Deployment", "api", `replicas: 3, `, `{app: api}`)}},
		{name: "selection by the template's labels, extra labels included", manifest: pdb("p", `{minAvailable: 2, `+sel+`}`),
			others: []string{replicated("Deployment", "web", `replicas: 2, `, `{app: web, tier: front}`)},
			want:   []Finding{onBudget("2", blocked("Deployment", "web", "2"))}},
		{name: "selection by expressions", manifest: pdb("p", `{minAvailable: 2, selector: {matchExpressions: [{key: app, operator: In, values: [web, api]}]}}`),
			others: []string{replicated("Deployment", "web", `replicas: 2, `, web)},
			want:   []Finding{onBudget("2", blocked("Deployment", "web", "2"))}},
		{name: "minAvailable 100%", manifest: pdb("p", `{minAvailable: "100%", `+sel+`}`),
			others: []string{replicated("Deployment", "web", `replicas: 4, `, web)},
			want:   []Finding{onBudget("100%", blocked("Deployment", "web", "4"))}},
		{name: "minAvailable 60% of 2 rounds up to 2", manifest: pdb("p", `{minAvailable: "60%", `+sel+`}`),
			others: []string{replicated("Deployment", "web", `replicas: 2, `, web)},
			want:   []Finding{onBudget("60%", blocked("Deployment", "web", "2"))}},
		{name: "minAvailable 50% of 4 leaves two pods to evict", manifest: pdb("p", `{minAvailable: "50%", `+sel+`}`),
			others: []string{replicated("Deployment", "web", `replicas: 4, `, web)}},
		{name: "a workload of another namespace", manifest: pdb("p", `{minAvailable: 3, `+sel+`}`),
			others: []string{`{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: staging}, spec: {replicas: 1, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: x}]}}}}`}},
		// The workload with the budgets that select it.
		{name: "a workload without an inventory", manifest: replicated("Deployment", "web", `replicas: 1, `, web)},
		{name: "a workload selected by a budget with maxUnavailable 0", manifest: replicated("Deployment", "web", `replicas: 3, `, web),
			others: []string{pdb("zero", `{maxUnavailable: 0, `+sel+`}`)},
			want: []Finding{{Where: "object", Value: "zero", Field: "spec.template.metadata.labels",
				Detail: "selected by PodDisruptionBudget zero, whose maxUnavailable is 0: no pod can ever be evicted, so node drains wait forever"}}},
		{name: "a workload whose replicas a budget's minAvailable reaches", manifest: replicated("StatefulSet", "web", `replicas: 2, `, web),
			others: []string{pdb("ok", `{minAvailable: 1, `+sel+`}`), pdb("tight", `{minAvailable: 2, `+sel+`}`)},
			want:   []Finding{onWorkload("2", "tight", "2")}},
		{name: "a workload with unset replicas", manifest: replicated("Deployment", "web", ``, web),
			others: []string{pdb("p", `{minAvailable: 1, `+sel+`}`)},
			want: []Finding{{Where: "object", Value: "1", Field: "spec.replicas",
				Detail: "spec.replicas is unset, so 1, but PodDisruptionBudget p has minAvailable 1: no pod can ever be evicted, so node drains wait forever"}}},
		{name: "a workload with room to evict", manifest: replicated("Deployment", "web", `replicas: 3, `, web),
			others: []string{pdb("p", `{minAvailable: 2, `+sel+`}`), pdb("q", `{maxUnavailable: 1, `+sel+`}`)}},
		{name: "a workload no budget selects", manifest: replicated("Deployment", "api", `replicas: 1, `, `{app: api}`),
			others: []string{pdb("p", `{minAvailable: 1, `+sel+`}`)}},
		{name: "a budget without a selector selects nothing here", manifest: replicated("Deployment", "web", `replicas: 1, `, web),
			others: []string{pdb("p", `{minAvailable: 1}`)}},
		{name: "a Deployment's ReplicaSet is judged through its owner",
			manifest: `{apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: web-5d9f, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u, controller: true}]}, spec: {replicas: 1, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: x}]}}}}`,
			others:   []string{pdb("p", `{minAvailable: 1, `+sel+`}`)}},
		{name: "DaemonSets are not judged", manifest: `{apiVersion: apps/v1, kind: DaemonSet, metadata: {name: d}, spec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: x}]}}}}`,
			others: []string{pdb("p", `{maxUnavailable: 0, `+sel+`}`)}},
		{name: "Pods are not judged", manifest: `{apiVersion: v1, kind: Pod, metadata: {name: p, labels: {app: web}}, spec: {containers: [{name: c, image: x}]}}`,
			others: []string{pdb("p", `{maxUnavailable: 0, `+sel+`}`)}},
	})
}

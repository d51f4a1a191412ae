package rules

import "testing"

// TestReplicaLimits holds the cases of Gatekeeper's replicalimits
// template, written from its semantics: spec.replicas must lie within one
// of the ranges (bounds included).
func TestReplicaLimits(t *testing.T) {
	const props = `{ranges: [{minReplicas: 3, maxReplicas: 50}]}`
	tmpl := `template: {metadata: {labels: {app: a}}, spec: {containers: [{name: c, image: nginx}]}}`
	workload := func(apiVersion, kind, replicas string) string {
		return `{apiVersion: ` + apiVersion + `, kind: ` + kind + `, metadata: {name: w}, spec: {` + replicas + tmpl + `}}`
	}
	deploy := func(replicas string) string { return workload("apps/v1", "Deployment", replicas) }
	const detail = "not within the allowed ranges [3-50]"
	seed001Cases(t, "replicaLimits", []seed001Case{
		{name: "within the range", props: props, manifest: deploy(`replicas: 10, `)},
		{name: "the lower bound is allowed", props: props, manifest: deploy(`replicas: 3, `)},
		{name: "the upper bound is allowed", props: props, manifest: deploy(`replicas: 50, `)},
		{name: "too many replicas", props: props, manifest: deploy(`replicas: 100, `),
			want: []Finding{{Where: "object", Value: "100", Field: "spec.replicas", Detail: detail}}},
		{name: "too few replicas", props: props, manifest: deploy(`replicas: 2, `),
			want: []Finding{{Where: "object", Value: "2", Field: "spec.replicas", Detail: detail}}},
		{name: "zero replicas", props: props, manifest: workload("apps/v1", "StatefulSet", `replicas: 0, `),
			want: []Finding{{Where: "object", Value: "0", Field: "spec.replicas", Detail: detail}}},
		{name: "unset replicas count as 1", props: props, manifest: workload("apps/v1", "ReplicaSet", ``),
			want: []Finding{{Where: "object", Value: "1", Field: "spec.replicas", Detail: "unset, so 1: " + detail}}},
		{name: "any one of several ranges", props: `{ranges: [{minReplicas: 1, maxReplicas: 1}, {minReplicas: 3, maxReplicas: 5}]}`,
			manifest: workload("v1", "ReplicationController", `replicas: 4, `)},
		{name: "between two ranges", props: `{ranges: [{minReplicas: 1, maxReplicas: 1}, {minReplicas: 3, maxReplicas: 5}]}`,
			manifest: deploy(`replicas: 2, `),
			want:     []Finding{{Where: "object", Value: "2", Field: "spec.replicas", Detail: "not within the allowed ranges [1-1, 3-5]"}}},
		{name: "DaemonSets have no replicas", props: props, manifest: workload("apps/v1", "DaemonSet", ``)},
		{name: "Pods have no replicas", props: props, manifest: seed001Pod(`{containers: [{name: c, image: nginx}]}`)},
	})
}

func TestReplicaLimitsProperties(t *testing.T) {
	seed001PropErrors(t, "replicaLimits", map[string][]string{
		``:             {"properties.ranges", "Required"},
		`{ranges: []}`: {"properties.ranges", "Required"},
		`{ranges: [{minReplicas: 5, maxReplicas: 3}]}`:  {"properties.ranges[0].maxReplicas"},
		`{ranges: [{minReplicas: -1, maxReplicas: 3}]}`: {"properties.ranges[0].minReplicas"},
	})
}

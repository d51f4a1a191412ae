package rules

import "testing"

// TestHPABounds holds the cases of Gatekeeper's horizontalpodautoscaler
// template, written from its semantics: minReplicas and maxReplicas within
// the allowed range (bounds included), and a spread of at least
// minimumReplicaSpread; plus ours (unset minReplicas counts as 1, other
// kinds and autoscaling versions).
func TestHPABounds(t *testing.T) {
	const props = `{minimumReplicas: 3, maximumReplicas: 6, minimumReplicaSpread: 1}`
	hpa := func(apiVersion, bounds string) string {
		return `{apiVersion: ` + apiVersion + `, kind: HorizontalPodAutoscaler, metadata: {name: web}, spec: {` + bounds +
			`scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}}}`
	}
	v2 := func(bounds string) string { return hpa("autoscaling/v2", bounds) }
	const outside = "outside the allowed range 3-6"
	seed001Cases(t, "hpaBounds", []seed001Case{
		{name: "within the range with a spread", props: props, manifest: v2(`minReplicas: 3, maxReplicas: 6, `)},
		{name: "the spread exactly", props: props, manifest: v2(`minReplicas: 4, maxReplicas: 5, `)},
		{name: "maxReplicas above the range", props: props, manifest: v2(`minReplicas: 3, maxReplicas: 7, `),
			want: []Finding{{Where: "horizontalPodAutoscaler", Value: "7", Field: "spec.maxReplicas", Detail: outside}}},
		{name: "minReplicas below the range", props: props, manifest: v2(`minReplicas: 2, maxReplicas: 5, `),
			want: []Finding{{Where: "horizontalPodAutoscaler", Value: "2", Field: "spec.minReplicas", Detail: outside}}},
		{name: "no spread", props: props, manifest: v2(`minReplicas: 4, maxReplicas: 4, `),
			want: []Finding{{Where: "horizontalPodAutoscaler", Value: "4-4", Field: "spec.maxReplicas", Detail: "a spread of 0 replicas, less than the 1 required"}}},
		{name: "both out and too narrow", props: `{minimumReplicas: 3, maximumReplicas: 10, minimumReplicaSpread: 5}`, manifest: v2(`minReplicas: 11, maxReplicas: 12, `),
			want: []Finding{
				{Where: "horizontalPodAutoscaler", Value: "11", Field: "spec.minReplicas", Detail: "outside the allowed range 3-10"},
				{Where: "horizontalPodAutoscaler", Value: "12", Field: "spec.maxReplicas", Detail: "outside the allowed range 3-10"},
				{Where: "horizontalPodAutoscaler", Value: "11-12", Field: "spec.maxReplicas", Detail: "a spread of 1 replicas, less than the 5 required"},
			}},
		{name: "unset minReplicas counts as 1", props: props, manifest: v2(`maxReplicas: 5, `),
			want: []Finding{{Where: "horizontalPodAutoscaler", Value: "1", Field: "spec.minReplicas", Detail: "unset, so 1: " + outside}}},
		{name: "unset minReplicas within the range", props: `{maximumReplicas: 5}`, manifest: v2(`maxReplicas: 5, `)},
		{name: "no spread required by default", props: `{maximumReplicas: 5}`, manifest: v2(`minReplicas: 2, maxReplicas: 2, `)},
		{name: "autoscaling/v1 is not read", props: props, manifest: hpa("autoscaling/v1", `minReplicas: 1, maxReplicas: 100, `)},
		{name: "Deployments are not autoscalers", props: props, manifest: `{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {replicas: 100, template: {spec: {containers: [{name: c, image: nginx}]}}}}`},
	})
}

func TestHPABoundsProperties(t *testing.T) {
	seed001PropErrors(t, "hpaBounds", map[string][]string{
		``:                     {"properties.maximumReplicas", "Required"},
		`{minimumReplicas: 3}`: {"properties.maximumReplicas", "Required"},
		`{minimumReplicas: 5, maximumReplicas: 3}`:                          {"properties.maximumReplicas", "less than minimumReplicas"},
		`{minimumReplicas: -1, maximumReplicas: 3}`:                         {"properties.minimumReplicas"},
		`{maximumReplicas: 3, minimumReplicaSpread: -1}`:                    {"properties.minimumReplicaSpread", "negative"},
		`{minimumReplicas: 2, maximumReplicas: 4, minimumReplicaSpread: 3}`: {"properties.minimumReplicaSpread", "no autoscaler could pass"},
	})
}

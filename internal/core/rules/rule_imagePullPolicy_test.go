package rules

import "testing"

// Cases follow Kyverno's imagepullpolicy-always (every container pulls
// Always, judged on the pod Kubernetes defaulted) and Polaris's
// pullPolicyNotAlways.
func TestImagePullPolicy(t *testing.T) {
	const pp = "spec.containers[0].imagePullPolicy"
	seed001Cases(t, "imagePullPolicy", []seed001Case{
		{name: "Always passes",
			manifest: seed001Pod(`{containers: [{name: c, image: redis:7, imagePullPolicy: Always}]}`)},
		{name: "IfNotPresent is not allowed by default",
			manifest: seed001Pod(`{containers: [{name: c, image: redis:7, imagePullPolicy: IfNotPresent}]}`),
			want: []Finding{{Where: "container", Value: "IfNotPresent", Container: "c", Field: pp,
				Detail: `not in the allowed pull policies ["Always"]`}}},
		{name: "unset with a tag defaults to IfNotPresent",
			manifest: seed001Pod(`{containers: [{name: c, image: redis:7}]}`),
			want: []Finding{{Where: "container", Value: "IfNotPresent", Container: "c", Field: pp,
				Detail: `unset, so IfNotPresent for this image; not in the allowed pull policies ["Always"]`}}},
		{name: "unset with no tag or :latest defaults to Always",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}, {name: d, image: redis:latest}]}`)},
		{name: "unset with a digest defaults to IfNotPresent",
			props:    `{allowed: [IfNotPresent]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: "redis@sha256:0000000000000000000000000000000000000000000000000000000000000000"}]}`)},
		{name: "Never outside a configured list, init containers too",
			props:    `{allowed: [Always, IfNotPresent]}`,
			manifest: seed001Pod(`{initContainers: [{name: i, image: busybox:1, imagePullPolicy: Never}], containers: [{name: c, image: redis:7}]}`),
			want: []Finding{{Where: "container", Value: "Never", Container: "i", Field: "spec.initContainers[0].imagePullPolicy",
				Detail: `not in the allowed pull policies ["Always", "IfNotPresent"]`}}},
	})
}

func TestImagePullPolicyProperties(t *testing.T) {
	seed001PropErrors(t, "imagePullPolicy", map[string][]string{
		`{allowed: []}`:               {"properties.allowed", "Required"},
		`{allowed: [always]}`:         {"properties.allowed[0]", "Unsupported value"},
		`{allowed: [Always, Always]}`: {"properties.allowed[1]", "Duplicate"},
		`{policy: Always}`:            {"properties.policy"},
	})
}

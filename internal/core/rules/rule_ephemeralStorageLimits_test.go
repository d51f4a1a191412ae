package rules

import "testing"

// Cases follow Gatekeeper's ephemeralstoragelimit: every container and
// init container sets an ephemeral-storage limit, at most the maximum.
func TestEphemeralStorageLimits(t *testing.T) {
	const lim = "spec.containers[0].resources.limits.ephemeral-storage"
	seed001Cases(t, "ephemeralStorageLimits", []seed001Case{
		{name: "a limit passes, with no maximum by default",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {ephemeral-storage: 500Gi}}}]}`)},
		{name: "no limit is flagged, a request does not count",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {ephemeral-storage: 1Gi}}}]}`),
			want:     []Finding{{Where: "containerResources", Value: "unset", Container: "c", Field: lim, Detail: "no ephemeral-storage limit"}}},
		{name: "a limit equal to the maximum passes",
			props:    `{maxEphemeralStorage: 2Gi}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {ephemeral-storage: 2048Mi}}}]}`)},
		{name: "a limit above the maximum, compared as quantities",
			props:    `{maxEphemeralStorage: 2Gi}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {ephemeral-storage: 3G}}}]}`),
			want: []Finding{{Where: "containerResources", Value: "3G", Container: "c", Field: lim,
				Detail: "ephemeral-storage limit above maxEphemeralStorage 2Gi"}}},
		{name: "init containers need a limit, ephemeral containers cannot set one",
			manifest: seed001Pod(`{initContainers: [{name: i, image: busybox}], containers: [{name: c, image: redis, resources: {limits: {ephemeral-storage: 1Gi}}}], ephemeralContainers: [{name: debug, image: busybox}]}`),
			want: []Finding{{Where: "containerResources", Value: "unset", Container: "i",
				Field: "spec.initContainers[0].resources.limits.ephemeral-storage", Detail: "no ephemeral-storage limit"}}},
	})
}

func TestEphemeralStorageLimitsProperties(t *testing.T) {
	seed001PropErrors(t, "ephemeralStorageLimits", map[string][]string{
		`{maxEphemeralStorage: lots}`: {"properties.maxEphemeralStorage", "Kubernetes quantity"},
		`{maxEphemeralStorage: "0"}`:  {"properties.maxEphemeralStorage", "greater than zero"},
		`{ephemeral-storage: 1Gi}`:    {"properties.ephemeral-storage"},
	})
}

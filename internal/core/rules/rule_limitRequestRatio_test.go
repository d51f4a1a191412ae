package rules

import "testing"

// Cases follow Gatekeeper's containerratios: a violation when a limit is
// more than ratio (cpuRatio for CPU) times the request.
func TestLimitRequestRatio(t *testing.T) {
	const cpu, mem = "spec.containers[0].resources.limits.cpu", "spec.containers[0].resources.limits.memory"
	seed001Cases(t, "limitRequestRatio", []seed001Case{
		{name: "ratios within the defaults pass",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {cpu: 100m, memory: 1Gi}, limits: {cpu: "1", memory: 2Gi}}}]}`)},
		{name: "a limit alone is its own request",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {cpu: "1", memory: 2Gi}}}]}`)},
		{name: "no limits: nothing to compare",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {cpu: 1m, memory: 1Mi}}}]}`)},
		{name: "memory limit above twice the request by default",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {memory: 1Gi}, limits: {memory: 3Gi}}}]}`),
			want: []Finding{{Where: "containerResources", Value: "3Gi", Container: "c", Field: mem,
				Detail: "memory limit/request ratio 3 (request 1Gi), above maxMemoryRatio 2"}}},
		{name: "cpu limit above the configured ratio, in millicores",
			props:    `{maxCpuRatio: 1.5}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {cpu: 500m}, limits: {cpu: "1"}}}]}`),
			want: []Finding{{Where: "containerResources", Value: "1", Container: "c", Field: cpu,
				Detail: "cpu limit/request ratio 2 (request 500m), above maxCpuRatio 1.5"}}},
		{name: "a zero request makes any limit too far above it",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {cpu: "0"}, limits: {cpu: 100m}}}]}`),
			want: []Finding{{Where: "containerResources", Value: "100m", Container: "c", Field: cpu,
				Detail: "cpu request is 0: any limit is above maxCpuRatio 10"}}},
		{name: "an empty ratio leaves that resource unchecked",
			props:    `{maxMemoryRatio: ""}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {memory: 1Mi}, limits: {memory: 1Gi}}}]}`)},
		{name: "a ratio of 1 requires limits equal to requests, init containers too",
			props:    `{maxCpuRatio: "", maxMemoryRatio: 1}`,
			manifest: seed001Pod(`{initContainers: [{name: i, image: busybox, resources: {requests: {memory: 1Gi}, limits: {memory: 1025Mi}}}], containers: [{name: c, image: redis, resources: {requests: {memory: 1Gi}, limits: {memory: 1Gi}}}]}`),
			want: []Finding{{Where: "containerResources", Value: "1025Mi", Container: "i", Field: "spec.initContainers[0].resources.limits.memory",
				Detail: "memory limit/request ratio 1.001 (request 1Gi), above maxMemoryRatio 1"}}},
	})
}

func TestLimitRequestRatioProperties(t *testing.T) {
	seed001PropErrors(t, "limitRequestRatio", map[string][]string{
		`{maxCpuRatio: lots}`:                   {"properties.maxCpuRatio", "number"},
		`{maxMemoryRatio: 0.5}`:                 {"properties.maxMemoryRatio", "at least 1"},
		`{maxCpuRatio: "", maxMemoryRatio: ""}`: {"properties", "maxCpuRatio, maxMemoryRatio or both"},
		`{ratio: 2}`:                            {"properties.ratio"},
	})
}

package rules

import "testing"

func TestResourceLimits(t *testing.T) {
	const cpu, mem = "spec.containers[0].resources.limits.cpu", "spec.containers[0].resources.limits.memory"
	seed001Cases(t, "resourceLimits", []seed001Case{
		{name: "limits within the defaults pass",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {cpu: 100m, memory: 250Mi}}}]}`)},
		{name: "limits equal to the maximum pass",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {cpu: "32", memory: 64Gi}}}]}`)},
		{name: "no limits: cpu and memory are both missing",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {cpu: 100m, memory: 250Mi}}}]}`),
			want: []Finding{
				{Where: "containerResources", Value: "unset", Container: "c", Field: cpu, Detail: "no cpu limit"},
				{Where: "containerResources", Value: "unset", Container: "c", Field: mem, Detail: "no memory limit"},
			}},
		{name: "cpu above the default maximum",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {cpu: "33", memory: 1Gi}}}]}`),
			want:     []Finding{{Where: "containerResources", Value: "33", Container: "c", Field: cpu, Detail: "cpu limit above maxCpu 32"}}},
		{name: "memory above a configured maximum, compared as quantities",
			props:    `{maxMemory: 1Gi}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {cpu: "1", memory: 1025Mi}}}]}`),
			want:     []Finding{{Where: "containerResources", Value: "1025Mi", Container: "c", Field: mem, Detail: "memory limit above maxMemory 1Gi"}}},
		{name: "a numeric maxCpu and millicores",
			props:    `{maxCpu: 0.25}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {cpu: 500m, memory: 1Gi}}}]}`),
			want:     []Finding{{Where: "containerResources", Value: "500m", Container: "c", Field: cpu, Detail: "cpu limit above maxCpu 250m"}}},
		{name: "only a memory limit is required, as Kyverno's require-requests-limits does",
			props:    `{resources: [memory]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {memory: 250Mi}}}]}`)},
		{name: "only memory is required and missing",
			props:    `{resources: [memory]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {cpu: 100m}}}]}`),
			want:     []Finding{{Where: "containerResources", Value: "unset", Container: "c", Field: mem, Detail: "no memory limit"}}},
		{name: "only cpu is required: a missing memory limit passes, Polaris's cpuLimitsMissing alone",
			props:    `{resources: [cpu]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {cpu: 100m}}}]}`)},
		{name: "a resource not required, when set, is still held to its maximum",
			props:    `{resources: [cpu], maxMemory: 1Gi}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {cpu: 100m, memory: 2Gi}}}]}`),
			want:     []Finding{{Where: "containerResources", Value: "2Gi", Container: "c", Field: mem, Detail: "memory limit above maxMemory 1Gi"}}},
		{name: "a resource not required may be unset, whatever its maximum",
			props:    `{resources: [memory], maxCpu: "2"}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {memory: 1Gi}}}]}`)},
		{name: "memory only: a CPU limit above maxCpu is flagged",
			props:    `{resources: [memory], maxCpu: "2"}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {cpu: "64", memory: 1Gi}}}]}`),
			want:     []Finding{{Where: "containerResources", Value: "64", Container: "c", Field: cpu, Detail: "cpu limit above maxCpu 2"}}},
		{name: "a required resource is still held to its maximum",
			props:    `{resources: [cpu], maxCpu: 1}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {cpu: "2"}}}]}`),
			want:     []Finding{{Where: "containerResources", Value: "2", Container: "c", Field: cpu, Detail: "cpu limit above maxCpu 1"}}},
		{name: "a request does not stand for a limit",
			props:    `{resources: [memory]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {memory: 250Mi}}}]}`),
			want:     []Finding{{Where: "containerResources", Value: "unset", Container: "c", Field: mem, Detail: "no memory limit"}}},
		{name: "init containers need limits too",
			manifest: seed001Pod(`{initContainers: [{name: i, image: busybox, resources: {limits: {memory: 1Gi}}}], containers: [{name: c, image: redis, resources: {limits: {cpu: "1", memory: 1Gi}}}]}`),
			want: []Finding{{Where: "containerResources", Value: "unset", Container: "i",
				Field: "spec.initContainers[0].resources.limits.cpu", Detail: "no cpu limit"}}},
	})
}

func TestResourceLimitsProperties(t *testing.T) {
	seed001PropErrors(t, "resourceLimits", map[string][]string{
		`{maxCpu: lots}`:                {"properties.maxCpu", "Kubernetes quantity"},
		`{maxMemory: -1Gi}`:             {"properties.maxMemory", "greater than zero"},
		`{maxCpu: "0", maxMemory: "x"}`: {"properties.maxCpu", "properties.maxMemory"},
		`{maxCpu: [1]}`:                 {"properties", "a quantity must be a string or a number"},
		`{maxCpus: "1"}`:                {"properties.maxCpus"},
		`{resources: []}`:               {"properties.resources", "Required"},
		`{resources: [cpu, gpu]}`:       {"properties.resources[1]", "Unsupported value"},
		`{resources: [memory, memory]}`: {"properties.resources[1]", "Duplicate"},
	})
}

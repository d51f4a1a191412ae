package rules

import "testing"

// Cases follow Gatekeeper's containerrequests (every container requests
// cpu and memory, at most the configured maximum) and Polaris's
// cpuRequestsMissing and memoryRequestsMissing.
func TestResourceRequests(t *testing.T) {
	const cpu, mem = "spec.containers[0].resources.requests.cpu", "spec.containers[0].resources.requests.memory"
	seed001Cases(t, "resourceRequests", []seed001Case{
		{name: "cpu and memory requests pass",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {cpu: 100m, memory: 250Mi}}}]}`)},
		{name: "no resources: cpu and memory requests are both missing",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`),
			want: []Finding{
				{Where: "containerResources", Value: "unset", Container: "c", Field: cpu, Detail: "no cpu request"},
				{Where: "containerResources", Value: "unset", Container: "c", Field: mem, Detail: "no memory request"},
			}},
		{name: "a limit without a request counts as the request Kubernetes defaults",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {cpu: 100m}, limits: {memory: 1Gi}}}]}`)},
		{name: "only memory is required",
			props:    `{resources: [memory]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {cpu: 100m}}}]}`),
			want:     []Finding{{Where: "containerResources", Value: "unset", Container: "c", Field: mem, Detail: "no memory request"}}},
		{name: "only cpu is required",
			props:    `{resources: [cpu]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {cpu: 100m}}}]}`)},
		{name: "no maximum by default",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {cpu: "64", memory: 512Gi}}}]}`)},
		{name: "requests equal to the maximum pass",
			props:    `{maxCpu: 2, maxMemory: 4Gi}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {cpu: 2000m, memory: 4Gi}}}]}`)},
		{name: "requests above the maximum, compared as quantities",
			props:    `{maxCpu: 500m, maxMemory: 1Gi}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {requests: {cpu: "1", memory: 1025Mi}}}]}`),
			want: []Finding{
				{Where: "containerResources", Value: "1", Container: "c", Field: cpu, Detail: "cpu request above maxCpu 500m"},
				{Where: "containerResources", Value: "1025Mi", Container: "c", Field: mem, Detail: "memory request above maxMemory 1Gi"},
			}},
		{name: "a limit standing for the request is held to the maximum",
			props:    `{resources: [cpu], maxCpu: 1}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, resources: {limits: {cpu: "2"}}}]}`),
			want:     []Finding{{Where: "containerResources", Value: "2", Container: "c", Field: cpu, Detail: "cpu request above maxCpu 1"}}},
		{name: "init containers need requests too",
			props:    `{resources: [cpu]}`,
			manifest: seed001Pod(`{initContainers: [{name: i, image: busybox}], containers: [{name: c, image: redis, resources: {requests: {cpu: 100m}}}]}`),
			want: []Finding{{Where: "containerResources", Value: "unset", Container: "i",
				Field: "spec.initContainers[0].resources.requests.cpu", Detail: "no cpu request"}}},
	})
}

func TestResourceRequestsProperties(t *testing.T) {
	seed001PropErrors(t, "resourceRequests", map[string][]string{
		`{resources: []}`:         {"properties.resources", "Required"},
		`{resources: [gpu]}`:      {"properties.resources[0]", "Unsupported value"},
		`{resources: [cpu, cpu]}`: {"properties.resources[1]", "Duplicate"},
		`{maxCpu: lots}`:          {"properties.maxCpu", "Kubernetes quantity"},
		`{maxMemory: "0"}`:        {"properties.maxMemory", "greater than zero"},
		`{maxMemorys: "1"}`:       {"properties.maxMemorys"},
	})
}

package rules

import (
	"slices"
	"testing"
)

// Cases follow Gatekeeper's requiredprobes: each container of
// spec.containers sets every probe in probes, with a handler in probeTypes.
func TestRequiredProbes(t *testing.T) {
	const live, ready = "spec.containers[0].livenessProbe", "spec.containers[0].readinessProbe"
	seed001Cases(t, "requiredProbes", []seed001Case{
		{name: "liveness and readiness probes pass",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, livenessProbe: {tcpSocket: {port: 6379}}, readinessProbe: {exec: {command: [redis-cli, ping]}}}]}`)},
		{name: "no probes: both are missing",
			manifest: seed001Pod(`{containers: [{name: c, image: redis}]}`),
			want: []Finding{
				{Where: "container", Value: "unset", Container: "c", Field: live, Detail: "no livenessProbe"},
				{Where: "container", Value: "unset", Container: "c", Field: ready, Detail: "no readinessProbe"},
			}},
		{name: "a startup probe does not stand for a liveness probe",
			manifest: seed001Pod(`{containers: [{name: c, image: redis, startupProbe: {grpc: {port: 9000}}, readinessProbe: {grpc: {port: 9000}}}]}`),
			want:     []Finding{{Where: "container", Value: "unset", Container: "c", Field: live, Detail: "no livenessProbe"}}},
		{name: "only readiness is required",
			props:    `{probes: [readinessProbe]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, readinessProbe: {httpGet: {port: 80}}}]}`)},
		{name: "a handler not in probeTypes",
			props:    `{probes: [readinessProbe], probeTypes: [httpGet, tcpSocket]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, readinessProbe: {exec: {command: ["true"]}}}]}`),
			want: []Finding{{Where: "container", Value: "exec", Container: "c", Field: ready,
				Detail: `readinessProbe handler not in probeTypes ["httpGet", "tcpSocket"]`}}},
		{name: "a probe without a handler",
			props:    `{probes: [livenessProbe]}`,
			manifest: seed001Pod(`{containers: [{name: c, image: redis, livenessProbe: {periodSeconds: 5}}]}`),
			want: []Finding{{Where: "container", Value: "none", Container: "c", Field: live,
				Detail: `livenessProbe handler not in probeTypes ["exec", "grpc", "httpGet", "tcpSocket"]`}}},
		{name: "init containers are not checked",
			manifest: seed001Pod(`{initContainers: [{name: i, image: busybox}], containers: [{name: c, image: redis, livenessProbe: {tcpSocket: {port: 1}}, readinessProbe: {tcpSocket: {port: 1}}}]}`)},
	})
}

func TestRequiredProbesProperties(t *testing.T) {
	seed001PropErrors(t, "requiredProbes", map[string][]string{
		`{probes: []}`:                     {"properties.probes", "Required"},
		`{probes: [liveness]}`:             {"properties.probes[0]", "Unsupported value"},
		`{probeTypes: [httpGet, httpGet]}`: {"properties.probeTypes[1]", "Duplicate"},
		`{probeTypes: [http]}`:             {"properties.probeTypes[0]", "Unsupported value"},
		`{probe: [livenessProbe]}`:         {"properties.probe"},
	})
}

// The continuous controller caches pods without their probes, so the rule
// must not be offered there.
func TestRequiredProbesDeploymentOnly(t *testing.T) {
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	r, _ := reg.Get("requiredProbes")
	if !slices.Equal(r.Tabs, deploymentOnly) {
		t.Errorf("tabs %v, want the deployment tab only", r.Tabs)
	}
}

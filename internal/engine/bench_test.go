package engine

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/palisade-dev/palisade/internal/policy"
	"github.com/palisade-dev/palisade/internal/rules"
	"github.com/palisade-dev/palisade/internal/workload"
)

// benchDeployment is a realistic Deployment: the seed's unhealthy redis
// with an init container and a sidecar.
func benchDeployment(b *testing.B) []byte {
	b.Helper()
	obj := readExample(b, "redis-unhealthy.yaml")
	var m map[string]any
	if err := json.Unmarshal(obj.Raw, &m); err != nil {
		b.Fatal(err)
	}
	spec := m["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	c := spec["containers"].([]any)[0].(map[string]any)
	spec["initContainers"] = []any{map[string]any{"name": "init", "image": "busybox:1.36", "command": []any{"sh", "-c", "true"}}}
	spec["containers"] = append(spec["containers"].([]any), map[string]any{
		"name": "metrics", "image": "ghcr.io/acme/exporter:v1.2.3",
		"ports":     []any{map[string]any{"containerPort": 9121}},
		"resources": map[string]any{"limits": map[string]any{"cpu": "100m", "memory": "64Mi"}},
		"securityContext": map[string]any{"runAsNonRoot": true, "readOnlyRootFilesystem": true,
			"allowPrivilegeEscalation": false, "capabilities": map[string]any{"drop": []any{"ALL"}}},
	})
	c["env"] = []any{map[string]any{"name": "REDIS_PASSWORD", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "redis", "key": "password"}}}}
	m["metadata"].(map[string]any)["namespace"] = "shop"
	raw, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

func BenchmarkDecodeDeployment(b *testing.B) {
	raw := benchDeployment(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := workload.Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func allRules(b *testing.B) *Compiled {
	b.Helper()
	data, err := os.ReadFile("testdata/all-rules.yaml")
	if err != nil {
		b.Fatal(err)
	}
	reg, err := rules.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	bundle, err := policy.Load("all-rules.yaml", data, reg)
	if err != nil {
		b.Fatal(err)
	}
	c, err := Compile(bundle.Policies[0], reg)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkEvaluateAllRules(b *testing.B) {
	c := allRules(b)
	obj, err := workload.Decode(benchDeployment(b))
	if err != nil {
		b.Fatal(err)
	}
	if n := len(c.Evaluate(obj, policy.TabDeployment, Options{}).Findings); n == 0 {
		b.Fatal("no findings")
	}
	b.ReportAllocs()
	for b.Loop() {
		c.Evaluate(obj, policy.TabDeployment, Options{})
	}
}

// BenchmarkEvaluateAllRulesWithoutCEL isolates the cost of the CEL rule,
// which must first turn the object into a map.
func BenchmarkEvaluateAllRulesWithoutCEL(b *testing.B) {
	c := allRules(b)
	dep := c.clusterWide.tabs[policy.TabDeployment]
	dep.rules = dep.rules[:len(dep.rules)-1]
	obj, err := workload.Decode(benchDeployment(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.Evaluate(obj, policy.TabDeployment, Options{})
	}
}

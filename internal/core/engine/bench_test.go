package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/core/image/scanresult"
	"github.com/palisade-dev/palisade/internal/core/image/trust"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
	"github.com/palisade-dev/palisade/internal/platform/benchdata"
)

// benchDeployments are two realistic Deployments with an init container
// and a sidecar: a compliant one (the seed's healthy redis, from a trusted
// registry) and a violating one (the seed's unhealthy redis).
func benchDeployments(b testing.TB) map[string][]byte {
	b.Helper()
	out := map[string][]byte{}
	for name, file := range map[string]string{"compliant": "redis-healthy.yaml", "violating": "redis-unhealthy.yaml"} {
		obj := readExample(b, file)
		var m map[string]any
		if err := json.Unmarshal(obj.Raw, &m); err != nil {
			b.Fatal(err)
		}
		spec := m["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
		c := spec["containers"].([]any)[0].(map[string]any)
		hardened := map[string]any{"runAsNonRoot": true, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
			"capabilities": map[string]any{"drop": []any{"ALL"}}, "seccompProfile": map[string]any{"type": "RuntimeDefault"}}
		limits := map[string]any{"limits": map[string]any{"cpu": "100m", "memory": "64Mi"}}
		initC := map[string]any{"name": "init", "image": benchImages[1],
			"command": []any{"sh", "-c", "true"}, "resources": limits, "securityContext": hardened}
		metrics := map[string]any{"name": "metrics", "image": benchImages[2],
			"ports": []any{map[string]any{"containerPort": 9121}}, "resources": limits, "securityContext": hardened}
		if name == "compliant" {
			// Compliant with every rule of all-rules.yaml: pinned images
			// pulled Always, probes, ephemeral-storage limits, a group,
			// the required labels and annotations.
			c["image"] = benchImages[0]
			c["securityContext"].(map[string]any)["capabilities"] = map[string]any{"drop": []any{"ALL"}}
			c["securityContext"].(map[string]any)["seccompProfile"] = map[string]any{"type": "RuntimeDefault"}
			spec["automountServiceAccountToken"] = false
			limits = map[string]any{"limits": map[string]any{"cpu": "100m", "memory": "64Mi", "ephemeral-storage": "1Gi"},
				"requests": map[string]any{"cpu": "50m", "memory": "64Mi"}}
			initC["resources"], metrics["resources"] = limits, limits
			c["resources"].(map[string]any)["limits"].(map[string]any)["ephemeral-storage"] = "1Gi"
			probe := func(port int) map[string]any { return map[string]any{"tcpSocket": map[string]any{"port": port}} }
			c["livenessProbe"], c["readinessProbe"] = probe(6379), probe(6379)
			metrics["livenessProbe"], metrics["readinessProbe"] = probe(9121), probe(9121)
			for _, ct := range []map[string]any{c, initC, metrics} {
				ct["imagePullPolicy"] = "Always"
			}
			psc, _ := spec["securityContext"].(map[string]any)
			if psc == nil {
				psc = map[string]any{}
				spec["securityContext"] = psc
			}
			psc["runAsGroup"] = 10001
			meta := m["metadata"].(map[string]any)
			meta["labels"].(map[string]any)["team"] = "shop"
			meta["annotations"] = map[string]any{"owner": "shop-team@example.com"}
		}
		spec["initContainers"] = []any{initC}
		spec["containers"] = append(spec["containers"].([]any), metrics)
		c["env"] = []any{map[string]any{"name": "REDIS_PASSWORD", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "redis", "key": "password"}}}}
		tmeta := m["spec"].(map[string]any)["template"].(map[string]any)["metadata"].(map[string]any)
		tmeta["annotations"] = map[string]any{
			"container.apparmor.security.beta.kubernetes.io/redis":   "runtime/default",
			"container.apparmor.security.beta.kubernetes.io/init":    "runtime/default",
			"container.apparmor.security.beta.kubernetes.io/metrics": "runtime/default",
		}
		m["metadata"].(map[string]any)["namespace"] = "shop"
		raw, err := json.Marshal(m)
		if err != nil {
			b.Fatal(err)
		}
		out[name] = raw
	}
	return out
}

var benchCases = []string{"compliant", "violating"}

// benchImages are the compliant Deployment's images (redis, init,
// metrics), pinned by digest; the violating one keeps init and metrics.
var benchImages = []string{
	"acme.azurecr.io/redis:7.2@sha256:" + strings.Repeat("1", 64),
	"acme.azurecr.io/busybox:1.36@sha256:" + strings.Repeat("2", 64),
	"acme.azurecr.io/exporter:v1.2.3@sha256:" + strings.Repeat("3", 64),
}

// benchSignatures is a verifier whose answers are all in its cache, as
// the agent's are after an image's first pod: every image is signed.
// The registry round trip of a cold image is measured by the image
// package's benchmarks, not here.
type benchSignatures struct{}

func (benchSignatures) Verify(_ context.Context, _ *trust.Trust, req trust.Request) trust.Result {
	return trust.Result{Status: trust.Signed, Digest: req.Image.Digest, Detail: "signed by the benchmark's key"}
}

func (s benchSignatures) Cached(t *trust.Trust, req trust.Request) (trust.Result, bool) {
	return s.Verify(context.Background(), t, req), true
}

func BenchmarkDecodeDeployment(b *testing.B) {
	objs := benchDeployments(b)
	for _, name := range benchCases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := workload.Decode(objs[name]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func allRules(b testing.TB, withCEL bool) *Compiled {
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
	want := 0
	for _, r := range reg.All() {
		if slices.Contains(r.Tabs, policy.TabDeployment) {
			want++
		}
	}
	if got := len(c.clusterWide.tabs[policy.TabDeployment].rules); got != want {
		b.Fatalf("all-rules.yaml enables %d rules, the catalog has %d deployment rules", got, want)
	}
	if !withCEL {
		dep := c.clusterWide.tabs[policy.TabDeployment]
		dep.setRules(dep.rules[:len(dep.rules)-1])
	}
	return c
}

// benchScanResults holds the benchmark Deployments' images: the compliant
// one's scanned clean yesterday, the violating one's redis:latest with
// 120 vulnerabilities, one of them critical over the network.
func benchScanResults(b testing.TB) *scanresult.Index {
	b.Helper()
	day := time.Now().Add(-24 * time.Hour)
	clean := []scanresult.Scan{{Type: scanresult.ScanVulnerability, Time: day}, {Type: scanresult.ScanMalware, Time: day}, {Type: scanresult.ScanSecret, Time: day}}
	network, err := scanresult.ParseCVSS("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
	if err != nil {
		b.Fatal(err)
	}
	redis := &scanresult.Image{References: []string{"redis:latest"}, Scans: clean,
		Vulnerabilities: []scanresult.Vulnerability{{ID: "CVE-2025-49844", Severity: scanresult.SeverityCritical, CVSS: &network}}}
	for i := range 119 {
		redis.Vulnerabilities = append(redis.Vulnerabilities, scanresult.Vulnerability{ID: fmt.Sprintf("CVE-2024-%05d", i), Severity: scanresult.SeverityMedium})
	}
	x := scanresult.NewIndex()
	for _, ref := range benchImages {
		name, digest, _ := strings.Cut(ref, "@")
		if err := x.Add(&scanresult.Image{References: []string{name}, Digests: []string{digest}, Scans: clean}); err != nil {
			b.Fatal(err)
		}
	}
	if err := x.Add(redis); err != nil {
		b.Fatal(err)
	}
	return x
}

func benchEvaluate(b *testing.B, withCEL bool) {
	c := allRules(b, withCEL)
	opts := Options{ScanResults: benchScanResults(b), Signatures: benchSignatures{}}
	objs := benchDeployments(b)
	for _, name := range benchCases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				// A fresh object per evaluation, as admission has: the
				// CEL rule pays for its own decoding every time.
				b.StopTimer()
				obj, err := workload.Decode(objs[name])
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				c.Evaluate(obj, policy.TabDeployment, opts)
			}
		})
	}
}

// BenchmarkEvaluateAllRules runs every rule of the catalog, cel included.
func BenchmarkEvaluateAllRules(b *testing.B) { benchEvaluate(b, true) }

// BenchmarkEvaluateAllRulesWithoutCEL isolates the cost of the CEL rule,
// which must first turn the object into unstructured JSON.
func BenchmarkEvaluateAllRulesWithoutCEL(b *testing.B) { benchEvaluate(b, false) }

// BenchmarkScanRules evaluates the seven scan-result rules alone on a Pod
// with three containers whose images are among 100,000 in the index:
// ns/container is what they add to a review, per container.
func BenchmarkScanRules(b *testing.B) {
	reg, err := rules.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	p := &policy.Policy{Spec: policy.Spec{ClusterWide: policy.Definition{Deployment: &policy.RuleTab{}}}}
	p.Metadata.Name = "scans"
	for _, id := range []string{"imagesNotScanned", "imagesWithMalware", "imagesWithSecrets", "imagesWithVulnerabilities",
		"imagesWithCVSSAttackVector", "imagesWithCVSSAttackComplexity", "imagesWithCVSSAvailabilityImpact"} {
		p.Spec.ClusterWide.Deployment.Rules = append(p.Spec.ClusterWide.Deployment.Rules, policy.Rule{Rule: id, Action: policy.ActionBlock})
	}
	c, err := Compile(p, reg)
	if err != nil {
		b.Fatal(err)
	}
	obj, err := workload.Decode([]byte(benchdata.Object("Pod", true)))
	if err != nil {
		b.Fatal(err)
	}
	// clean: the images' scans found nothing; 200-medium: each image has
	// 200 medium vulnerabilities, every one looked at and let pass.
	for _, vulns := range []int{0, 200} {
		index, err := benchdata.ScanIndex(100_000, vulns)
		if err != nil {
			b.Fatal(err)
		}
		name := "clean"
		if vulns > 0 {
			name = fmt.Sprintf("%d-medium", vulns)
		}
		b.Run(name, func(b *testing.B) {
			opts := Options{DefaultNamespace: "shop", ScanResults: index}
			if res := c.Evaluate(obj, policy.TabDeployment, opts); len(res.Findings) != 0 || res.Checked != 7 {
				b.Fatalf("findings %+v, %d rules checked; want 7 rules passing", res.Findings, res.Checked)
			}
			b.ReportAllocs()
			for b.Loop() {
				c.Evaluate(obj, policy.TabDeployment, opts)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(obj.Pod.Containers)), "ns/container")
		})
	}
}

// TestBenchDeploymentsAreWhatTheySay keeps the benchmark honest as the
// catalog grows: the compliant Deployment passes every rule of
// all-rules.yaml, so the benchmark measures the catalog's cost on an
// object it lets through (the common case at admission), and the
// violating one fails rules of every kind.
func TestBenchDeploymentsAreWhatTheySay(t *testing.T) {
	c := allRules(t, true)
	objs := benchDeployments(t)
	opts := Options{ScanResults: benchScanResults(t), Signatures: benchSignatures{}}
	for _, name := range benchCases {
		obj, err := workload.Decode(objs[name])
		if err != nil {
			t.Fatal(err)
		}
		res := c.Evaluate(obj, policy.TabDeployment, opts)
		switch {
		case name == "compliant" && len(res.Findings) > 0:
			for _, f := range res.Findings {
				t.Errorf("compliant Deployment: %s", f.Message())
			}
		case name == "violating" && len(res.Findings) < 40:
			t.Errorf("violating Deployment: %d findings, want at least 40", len(res.Findings))
		}
	}
}

// BenchmarkEachRule runs each rule of all-rules.yaml alone on the
// compliant Deployment, to find the rules the catalog's cost comes from:
//
//	go test ./internal/core/engine -run x -bench EachRule -benchtime 20000x
func BenchmarkEachRule(b *testing.B) {
	c := allRules(b, true)
	dep := c.clusterWide.tabs[policy.TabDeployment]
	all := dep.rules
	defer dep.setRules(all)
	opts := Options{ScanResults: benchScanResults(b), Signatures: benchSignatures{}}
	obj, err := workload.Decode(benchDeployments(b)["compliant"])
	if err != nil {
		b.Fatal(err)
	}
	for _, cr := range all {
		dep.setRules([]*compiledRule{cr})
		b.Run(cr.rule.ID, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Evaluate(obj, policy.TabDeployment, opts)
			}
		})
	}
}

// BenchmarkSkipByTarget evaluates a Service under the whole catalog and
// under only the rules that apply to a Service: the two must cost the
// same, since an object meets only the rules of its targets.
//
//	go test ./internal/core/engine -run x -bench SkipByTarget -benchtime 200000x -count 5
func BenchmarkSkipByTarget(b *testing.B) {
	c := allRules(b, true)
	dep := c.clusterWide.tabs[policy.TabDeployment]
	all := dep.rules
	defer dep.setRules(all)
	svc, err := workload.Decode([]byte(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop","labels":{"app":"web","team":"shop"}},` +
		`"spec":{"type":"ClusterIP","selector":{"app":"web"},"ports":[{"port":443,"targetPort":8443}]}}`))
	if err != nil {
		b.Fatal(err)
	}
	mask := objectTargets(svc, nil)
	own := append([]*compiledRule(nil), dep.rulesFor(mask)...)
	for _, run := range []struct {
		name  string
		rules []*compiledRule
	}{{"whole-catalog", all}, {"service-rules-only", own}} {
		dep.setRules(run.rules)
		b.Run(run.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Evaluate(svc, policy.TabDeployment, Options{})
			}
		})
	}
}

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

const examples = "../../examples"

const blockPrivileged = `clusterWide:
  deployment:
    rules:
      - {rule: privileged, action: block}`

// trimLines drops trailing white space on every line: the API server puts
// a space after "denied the request:" before our first line break.
func trimLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// The seed-000 walkthrough, exactly: kubectl apply -f busybox.yaml.
func TestSeedBusyboxDenied(t *testing.T) {
	usePolicy(t, "seed-block", blockPrivileged)
	r := kubectl(context.Background(), examples, "apply", "-f", "busybox.yaml")
	want := `Error from server: error when creating "busybox.yaml": admission webhook "validate.palisade.dev" denied the request:
- containerSecurityContext violates rule privileged "true" in container(s) "busybox-container" (block).`
	if r.err == nil || trimLines(r.stderr) != want {
		t.Fatalf("kubectl apply:\n%s\nwant stderr:\n%s", r, want)
	}
	ev := lastEvent(t)
	if ev["rule"] != "privileged" || ev["action"] != "block" || ev["user"] != "palisade-admin" || ev["name"] != "busyboxpod" ||
		ev["namespace"] != "default" || ev["container"] != "busybox-container" || ev["policy"] != "seed-block" || ev["tab"] != "deployment" {
		t.Errorf("event %v", ev)
	}
}

func TestPrivilegedDeploymentTemplateDenied(t *testing.T) {
	usePolicy(t, "deploy-block", blockPrivileged)
	r := kubectl(context.Background(), examples, "apply", "-f", "redis-unhealthy.yaml")
	if r.err == nil || !strings.Contains(r.stderr, `error when creating "redis-unhealthy.yaml": admission webhook "validate.palisade.dev" denied the request`) ||
		!strings.Contains(r.stderr, `- containerSecurityContext violates rule privileged "true" in container(s) "redis" (block).`) {
		t.Fatalf("%s", r)
	}
	// The Service in the same file is not affected by privileged.
	if !strings.Contains(r.stdout, "service/redis-unhealthy-service created") {
		t.Errorf("the Service should be created: %s", r)
	}
	cleanup(t, "service", "redis-unhealthy-service")
}

func TestLogOnlyWarns(t *testing.T) {
	usePolicy(t, "log-only", strings.ReplaceAll(blockPrivileged, "block", "log"))
	cleanup(t, "pod", "busyboxpod")
	r := kubectl(context.Background(), examples, "apply", "-f", "busybox.yaml")
	want := `Warning: containerSecurityContext violates rule privileged "true" in container(s) "busybox-container" (log).`
	if r.err != nil || !strings.Contains(r.stderr, want) || !strings.Contains(r.stdout, "pod/busyboxpod created") {
		t.Fatalf("%s\nwant warning: %s", r, want)
	}
	if ev := lastEvent(t); ev["action"] != "log" || ev["policy"] != "log-only" {
		t.Errorf("event %v", ev)
	}
}

func TestNamespaceDefinitionOverridesClusterWide(t *testing.T) {
	namespace(t, "payments")
	usePolicy(t, "ns-override", `clusterWide:
  deployment:
    rules:
      - {rule: privileged, action: log}
namespaced:
  - name: payments
    namespaces: [payments]
    deployment:
      rules:
        - {rule: privileged, action: block}`)
	ctx := context.Background()
	cleanup(t, "pod", "busyboxpod")
	if r := kubectl(ctx, examples, "apply", "-f", "busybox.yaml"); r.err != nil || !strings.Contains(r.stderr, "(log).") {
		t.Errorf("default namespace follows clusterWide (log): %s", r)
	}
	r := kubectl(ctx, examples, "apply", "-n", "payments", "-f", "busybox.yaml")
	if r.err == nil || !strings.Contains(r.stderr, `violates rule privileged "true" in container(s) "busybox-container" (block).`) {
		t.Errorf("payments follows its namespace definition (block): %s", r)
	}
}

func TestExcludedNamespaces(t *testing.T) {
	namespace(t, "sandbox")
	usePolicy(t, "excluded", `clusterWide:
  deployment:
    rules:
      - {rule: privileged, action: block, excludedNamespaces: [sandbox]}`)
	ctx := context.Background()
	cleanup(t, "pod", "busyboxpod", "-n", "sandbox")
	if r := kubectl(ctx, examples, "apply", "-n", "sandbox", "-f", "busybox.yaml"); r.err != nil {
		t.Errorf("a rule's excludedNamespaces: %s", r)
	}
	// kube-system is excluded twice over: by the webhook's namespaceSelector
	// and by the policy's system-namespace default.
	cleanup(t, "pod", "busyboxpod", "-n", "kube-system")
	if r := kubectl(ctx, examples, "apply", "-n", "kube-system", "-f", "busybox.yaml"); r.err != nil {
		t.Errorf("kube-system: %s", r)
	}
}

func TestDryRunHasNoSideEffects(t *testing.T) {
	ctx := context.Background()
	usePolicy(t, "dry-block", blockPrivileged)
	if r := kubectl(ctx, examples, "apply", "--dry-run=server", "-f", "busybox.yaml"); r.err == nil || !strings.Contains(r.stderr, "(block).") {
		t.Errorf("a server dry-run is still judged: %s", r)
	}
	usePolicy(t, "dry-log", strings.ReplaceAll(blockPrivileged, "block", "log"))
	before := countEvents(t)
	r := kubectl(ctx, examples, "apply", "--dry-run=server", "-f", "busybox.yaml")
	if r.err != nil || !strings.Contains(r.stderr, "Warning:") {
		t.Errorf("dry-run under log: %s", r)
	}
	if after := countEvents(t); after != before {
		t.Errorf("a dry-run recorded %d events", after-before)
	}
	if r := kubectl(ctx, "", "get", "pod", "busyboxpod"); r.err == nil {
		t.Errorf("a dry-run created the pod")
	}
}

// Scaling a Deployment whose template was admitted under an older policy
// must not be refused: the update brings no violation.
func TestUpdateWithUnchangedTemplateIsNotBlocked(t *testing.T) {
	ctx := context.Background()
	usePolicy(t, "upd-log", strings.ReplaceAll(blockPrivileged, "block", "log"))
	cleanup(t, "deployment", "redis-unhealthy-deployment")
	cleanup(t, "service", "redis-unhealthy-service")
	if r := kubectl(ctx, examples, "apply", "-f", "redis-unhealthy.yaml"); r.err != nil {
		t.Fatalf("%s", r)
	}
	usePolicy(t, "upd-block", blockPrivileged)
	r := kubectl(ctx, "", "patch", "deployment", "redis-unhealthy-deployment", "-p", `{"spec":{"replicas":5}}`)
	if r.err != nil || !strings.Contains(r.stderr, "Not enforced") {
		t.Errorf("scaling: %s", r)
	}
	// A changed template is judged, and refused only for the violations it
	// brings (Kyverno's allowExistingViolations): a new label is admitted
	// with the old violation named as not enforced, a new privileged
	// container is refused.
	r = kubectl(ctx, "", "patch", "deployment", "redis-unhealthy-deployment", "-p", `{"spec":{"template":{"metadata":{"labels":{"rev":"2"}}}}}`)
	if r.err != nil || !strings.Contains(r.stderr, "Not enforced: the object had this violation before this update.") {
		t.Errorf("a template changed without a new violation: %s", r)
	}
	r = kubectl(ctx, "", "patch", "deployment", "redis-unhealthy-deployment", "-p",
		`{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36","securityContext":{"privileged":true}}]}}}}`)
	if r.err == nil || !strings.Contains(r.stderr, `denied the request`) || !strings.Contains(r.stderr, `violates rule privileged "true" in container(s) "sidecar"`) {
		t.Errorf("a template changed with a new privileged container: %s", r)
	}
}

func TestExecAndPortForwardRefused(t *testing.T) {
	ctx := context.Background()
	usePolicy(t, "kubectl-allow", "clusterWide: {}")
	cleanup(t, "pod", "busyboxpod")
	if r := kubectl(ctx, examples, "apply", "-f", "busybox.yaml"); r.err != nil {
		t.Fatalf("%s", r)
	}
	usePolicy(t, "kubectl-block", `clusterWide:
  deployment:
    rules:
      - {rule: podExec, action: block}
      - {rule: podPortForward, action: block}`)
	r := kubectl(ctx, "", "exec", "busyboxpod", "-c", "busybox-container", "--", "sh", "-c", "id")
	if r.err == nil || !strings.Contains(r.stderr, `admission webhook "validate.palisade.dev" denied the request`) ||
		!strings.Contains(r.stderr, `- pod violates rule podExec "exec" in container(s) "busybox-container" (block).`) {
		t.Errorf("kubectl exec: %s", r)
	}
	// kubectl refuses to port-forward to a pod that is not Running, and
	// there is no kubelet to run it: set the phase through the status
	// subresource.
	if r := kubectl(ctx, "", "patch", "pod", "busyboxpod", "--subresource=status", "--type=merge", "-p", `{"status":{"phase":"Running"}}`); r.err != nil {
		t.Fatalf("set phase: %s", r)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	r = kubectl(pctx, "", "port-forward", "pod/busyboxpod", "0:80")
	if !strings.Contains(r.stderr, `- pod violates rule podPortForward "portforward" (block).`) {
		t.Errorf("kubectl port-forward: %s", r)
	}
	if ev := lastEvent(t); ev["rule"] != "podPortForward" || ev["operation"] != "CONNECT" {
		t.Errorf("event %v", ev)
	}
}

func readEvents(t *testing.T) []map[string]any {
	t.Helper()
	return readEventsFile(t, env.eventsFile)
}

// readEventsFile reads an agent's --events file (none yet: no events).
func readEventsFile(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("events file %s: %v", path, err)
		}
		out = append(out, ev)
	}
	return out
}

func countEvents(t *testing.T) int { return len(readEvents(t)) }

func lastEvent(t *testing.T) map[string]any {
	t.Helper()
	evs := readEvents(t)
	if len(evs) == 0 {
		t.Fatal("no events recorded")
	}
	return evs[len(evs)-1]
}

// A policy file that does not validate is rejected, and the policy in force
// keeps enforcing.
func TestBadPolicyFileKeepsThePreviousPolicy(t *testing.T) {
	usePolicy(t, "keep-block", blockPrivileged)
	errorsBefore := metric(t, `palisade_reloads_total{result="error",what="policy"}`)
	if err := os.WriteFile(env.policyFile, []byte(policyYAML("broken", "clusterWide:\n  deployment:\n    rules: [{rule: privileged, action: kill}]")), 0o600); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for metric(t, `palisade_reloads_total{result="error",what="policy"}`) == errorsBefore {
		if time.Now().After(deadline) {
			t.Fatal("the bad policy file was not noticed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	r := kubectl(context.Background(), examples, "apply", "-f", "busybox.yaml")
	if r.err == nil || !strings.Contains(r.stderr, "(block).") {
		t.Errorf("the previous policy must keep enforcing: %s", r)
	}
	if log := readFile(env.dir + "/agent.log"); !strings.Contains(log, `Unsupported value: \"kill\"`) && !strings.Contains(log, `Unsupported value: "kill"`) {
		t.Errorf("the rejection is not logged with its reason")
	}
}

// metric returns a counter's value from /metrics ("" when absent).
func metric(t *testing.T, series string) string {
	t.Helper()
	resp, err := env.client.Get(env.agentURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			return v
		}
	}
	return ""
}

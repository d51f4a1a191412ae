package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// continuousAgent is an agent process with --continuous and its own policy
// file and events file.
type continuousAgent struct {
	t      *testing.T
	policy string
	events string
	proc   *process
}

// startContinuous starts an agent judging running pods with the given
// policy spec (namespace definitions keep each test to its namespaces).
func startContinuous(t *testing.T, name, spec string, extra ...string) *continuousAgent {
	t.Helper()
	return startContinuousEnv(t, name, spec, nil, extra...)
}

func startContinuousEnv(t *testing.T, name, spec string, extraEnv []string, extra ...string) *continuousAgent {
	t.Helper()
	dir := filepath.Join(env.dir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	a := &continuousAgent{t: t, policy: filepath.Join(dir, "policy.yaml"), events: filepath.Join(dir, "events.jsonl")}
	a.setPolicy(name+"-1", spec)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"agent", "--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--tls-cert-file", filepath.Join(env.dir, "tls.crt"), "--tls-key-file", filepath.Join(env.dir, "tls.key"),
		"--policy", a.policy, "--events", a.events, "--reload-interval", "100ms", "--log-format", "text",
		"--continuous", "--kubeconfig", env.kubeconfig, "--cluster-name", "e2e"}, extra...)
	a.proc = startProcessEnv(t, name, extraEnv, args...)
	url := fmt.Sprintf("https://127.0.0.1:%d", port)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("agent log:\n%s", readFile(a.proc.log))
		}
	})
	waitFor(t, "the continuous agent", 20*time.Second, func() bool { return ready(url) })
	return a
}

func (a *continuousAgent) setPolicy(name, spec string) {
	a.t.Helper()
	tmp := a.policy + ".tmp"
	if err := os.WriteFile(tmp, []byte(policyYAML(name, spec)), 0o600); err != nil {
		a.t.Fatal(err)
	}
	if err := os.Rename(tmp, a.policy); err != nil {
		a.t.Fatal(err)
	}
}

func (a *continuousAgent) eventsFor(pod string) []map[string]any {
	var out []map[string]any
	for _, ev := range readEventsFile(a.t, a.events) {
		if ev["name"] == pod && ev["tab"] == "continuous" {
			out = append(out, ev)
		}
	}
	return out
}

// hasEvent reports whether an event for pod has this action and a message
// containing text.
func (a *continuousAgent) hasEvent(pod, action, text string) bool {
	for _, ev := range a.eventsFor(pod) {
		if ev["action"] == action && strings.Contains(ev["message"].(string), text) {
			return true
		}
	}
	return false
}

// continuousNamespace creates a namespace the suite's admission webhook
// leaves alone (so privileged pods can be created in it).
func continuousNamespace(t *testing.T, ns string) {
	t.Helper()
	namespace(t, ns)
	if r := kubectl(context.Background(), "", "label", "namespace", ns, "palisade.dev/managed-by=continuous", "--overwrite"); r.err != nil {
		t.Fatalf("label namespace: %s", r)
	}
}

func privilegedPod(t *testing.T, ns, name, image string) {
	t.Helper()
	pod := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: %s}
spec:
  containers:
  - {name: app, image: %q, securityContext: {privileged: true}}
`, name, ns, image)
	if out, err := kubectlIn(context.Background(), pod, "", "apply", "-f", "-"); err != nil {
		t.Fatalf("create pod: %v: %s", err, out)
	}
}

func podExists(t *testing.T, ns, name string) bool {
	r := kubectl(context.Background(), "", "get", "pod", "-n", ns, name, "-o", "name")
	return r.err == nil
}

func podLabel(t *testing.T, ns, name, label string) string {
	r := kubectl(context.Background(), "", "get", "pod", "-n", ns, name, "-o", "jsonpath={.metadata.labels."+strings.ReplaceAll(label, ".", `\.`)+"}")
	return strings.TrimSpace(r.stdout)
}

// The seed's terminate: a privileged pod created while the policy only
// logged is deleted once the policy moves to block + terminate.
func TestContinuousTerminateAfterPolicyChange(t *testing.T) {
	const ns = "cont-terminate"
	continuousNamespace(t, ns)
	logOnly := `clusterWide: {}
namespaced:
  - name: t
    namespaces: [` + ns + `]
    deployment: {rules: [{rule: privileged, action: log}]}
    continuous: {rules: [{rule: privileged, action: log}]}`
	a := startContinuous(t, "cont-terminate", logOnly)
	privilegedPod(t, ns, "old-privileged", "busybox")
	cleanup(t, "pod", "-n", ns, "old-privileged")
	waitFor(t, "the log event", 20*time.Second, func() bool {
		return a.hasEvent("old-privileged", "log", `violates rule privileged "true" in container(s) "app" (log).`)
	})
	if !podExists(t, ns, "old-privileged") {
		t.Fatal("a log-only policy deleted the pod")
	}
	a.setPolicy("cont-terminate-2", strings.ReplaceAll(logOnly, "{rule: privileged, action: log}]}\n    continuous: {rules: [{rule: privileged, action: log}]}",
		"{rule: privileged, action: block}]}\n    continuous: {rules: [{rule: privileged, action: terminate}]}"))
	waitFor(t, "the pod to be terminated", 20*time.Second, func() bool { return !podExists(t, ns, "old-privileged") })
	if !a.hasEvent("old-privileged", "terminate", "(pod deleted)") {
		t.Errorf("no terminate event: %v", a.eventsFor("old-privileged"))
	}
	// Reported once: the log event was not repeated by the policy change.
	n := 0
	for _, ev := range a.eventsFor("old-privileged") {
		if ev["action"] == "log" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d log events, want 1", n)
	}
}

// isolate labels the pod and keeps the deny-all NetworkPolicy; moving the
// policy back to log releases the pod. An excepted image and an excluded
// namespace are left alone.
func TestContinuousIsolateAndRelease(t *testing.T) {
	const ns, other = "cont-isolate", "cont-excluded"
	continuousNamespace(t, ns)
	continuousNamespace(t, other)
	isolate := `clusterWide: {}
namespaced:
  - name: i
    namespaces: [` + ns + `, ` + other + `]
    continuous:
      rules: [{rule: privileged, action: isolate, excludedNamespaces: [` + other + `]}]
      exceptions: [{type: imagePath, properties: {operator: startsWith, values: ["registry.example.com/trusted/"]}}]`
	a := startContinuous(t, "cont-isolate", isolate)
	privilegedPod(t, ns, "suspect", "busybox")
	privilegedPod(t, ns, "trusted", "registry.example.com/trusted/agent:1")
	privilegedPod(t, other, "elsewhere", "busybox")
	cleanup(t, "pod", "-n", ns, "suspect", "trusted")
	cleanup(t, "pod", "-n", other, "elsewhere")
	waitFor(t, "the isolation label", 20*time.Second, func() bool { return podLabel(t, ns, "suspect", "palisade.dev/isolated") == "true" })
	r := kubectl(context.Background(), "", "get", "networkpolicy", "-n", ns, "palisade-isolate", "-o", "json")
	if r.err != nil {
		t.Fatalf("the NetworkPolicy: %s", r)
	}
	var np struct {
		Spec struct {
			PodSelector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"podSelector"`
			PolicyTypes []string `json:"policyTypes"`
			Ingress     []any    `json:"ingress"`
			Egress      []any    `json:"egress"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &np); err != nil {
		t.Fatal(err)
	}
	if np.Spec.PodSelector.MatchLabels["palisade.dev/isolated"] != "true" || len(np.Spec.PolicyTypes) != 2 || len(np.Spec.Ingress)+len(np.Spec.Egress) != 0 {
		t.Errorf("NetworkPolicy spec %+v, want deny-all ingress and egress for the label", np.Spec)
	}
	if !a.hasEvent("suspect", "isolate", "(pod isolated: labelled palisade.dev/isolated=true") {
		t.Errorf("no isolate event: %v", a.eventsFor("suspect"))
	}
	// Deleting the NetworkPolicy is undone at the next check.
	kubectl(context.Background(), "", "delete", "networkpolicy", "-n", ns, "palisade-isolate")
	a.setPolicy("cont-isolate-2", isolate+"\n# touched") // a policy change re-judges every pod
	waitFor(t, "the NetworkPolicy to come back", 20*time.Second, func() bool {
		return kubectl(context.Background(), "", "get", "networkpolicy", "-n", ns, "palisade-isolate").err == nil
	})

	if got := podLabel(t, ns, "trusted", "palisade.dev/isolated"); got != "" || len(a.eventsFor("trusted")) != 0 {
		t.Errorf("the excepted image was touched: label %q, events %v", got, a.eventsFor("trusted"))
	}
	if got := podLabel(t, other, "elsewhere", "palisade.dev/isolated"); got != "" || len(a.eventsFor("elsewhere")) != 0 {
		t.Errorf("the excluded namespace was touched: label %q, events %v", got, a.eventsFor("elsewhere"))
	}

	a.setPolicy("cont-isolate-3", strings.Replace(isolate, "action: isolate", "action: log", 1))
	waitFor(t, "the release", 20*time.Second, func() bool { return podLabel(t, ns, "suspect", "palisade.dev/isolated") == "" })
	if !a.hasEvent("suspect", "log", "isolation released") {
		t.Errorf("no release event: %v", a.eventsFor("suspect"))
	}
}

// --dry-run records what terminate would do and does nothing.
func TestContinuousDryRun(t *testing.T) {
	const ns = "cont-dryrun"
	continuousNamespace(t, ns)
	a := startContinuous(t, "cont-dryrun", `clusterWide: {}
namespaced:
  - name: d
    namespaces: [`+ns+`]
    continuous: {rules: [{rule: privileged, action: terminate}]}`, "--dry-run")
	privilegedPod(t, ns, "kept", "busybox")
	cleanup(t, "pod", "-n", ns, "kept")
	waitFor(t, "the dry-run event", 20*time.Second, func() bool {
		return a.hasEvent("kept", "terminate", "(dry run: the pod would be deleted)")
	})
	if !podExists(t, ns, "kept") {
		t.Error("--dry-run deleted the pod")
	}
}

// Guardrails: at most --terminate-per-minute deletions (the rest wait), and
// never in --protected-namespaces.
func TestContinuousGuardrails(t *testing.T) {
	const ns, protected = "cont-rate", "cont-protected"
	continuousNamespace(t, ns)
	continuousNamespace(t, protected)
	a := startContinuous(t, "cont-rate", `clusterWide: {}
namespaced:
  - name: r
    namespaces: [`+ns+`, `+protected+`]
    continuous: {rules: [{rule: privileged, action: terminate}]}`, "--terminate-per-minute", "1", "--protected-namespaces", protected)
	privilegedPod(t, protected, "guarded", "busybox")
	cleanup(t, "pod", "-n", protected, "guarded")
	waitFor(t, "the protected pod's event", 20*time.Second, func() bool {
		return a.hasEvent("guarded", "terminate", "(not terminated: namespace "+protected+" is protected from containment)")
	})
	names := []string{"one", "two", "three"}
	for _, n := range names {
		privilegedPod(t, ns, n, "busybox")
	}
	cleanup(t, "pod", "-n", ns, "one", "two", "three")
	left := func() int {
		n := 0
		for _, name := range names {
			if podExists(t, ns, name) {
				n++
			}
		}
		return n
	}
	waitFor(t, "the first deletion", 20*time.Second, func() bool { return left() == 2 })
	// The next deletion waits a minute; two seconds later both pods are
	// still there, and the protected one too.
	time.Sleep(2 * time.Second)
	if got := left(); got != 2 {
		t.Errorf("%d of 3 pods left, want 2 (one deletion per minute)", got)
	}
	if !podExists(t, protected, "guarded") {
		t.Error("a pod in a protected namespace was deleted")
	}
}

// Two replicas with --leader-elect: one holds the Lease and judges; a
// violation is reported once, not once per replica.
func TestContinuousLeaderElection(t *testing.T) {
	const ns = "cont-leader"
	continuousNamespace(t, ns)
	spec := `clusterWide: {}
namespaced:
  - name: l
    namespaces: [` + ns + `]
    continuous: {rules: [{rule: privileged, action: log}]}`
	a := startContinuousEnv(t, "cont-leader-a", spec, []string{"POD_NAMESPACE=" + ns, "POD_NAME=replica-a"}, "--leader-elect")
	b := startContinuousEnv(t, "cont-leader-b", spec, []string{"POD_NAMESPACE=" + ns, "POD_NAME=replica-b"}, "--leader-elect")
	privilegedPod(t, ns, "watched", "busybox")
	cleanup(t, "pod", "-n", ns, "watched")
	waitFor(t, "the log event from the leader", 30*time.Second, func() bool {
		return len(a.eventsFor("watched"))+len(b.eventsFor("watched")) > 0
	})
	time.Sleep(2 * time.Second)
	if na, nb := len(a.eventsFor("watched")), len(b.eventsFor("watched")); na+nb != 1 {
		t.Errorf("events: replica a %d, replica b %d; want 1 in all", na, nb)
	}
	r := kubectl(context.Background(), "", "get", "lease", "-n", ns, "palisade-continuous", "-o", "jsonpath={.spec.holderIdentity}")
	if h := strings.TrimSpace(r.stdout); h != "replica-a" && h != "replica-b" {
		t.Errorf("lease holder %q: %s", h, r)
	}
}

// The agent publishes the continuous tab's results per namespace as a
// PolicyReport: counts and the failing pods.
func TestContinuousPolicyReports(t *testing.T) {
	const ns = "cont-report"
	if out, err := kubectlIn(context.Background(), "", "", "apply", "-f", "../../internal/enforce/policyreport/testdata/policyreport-crd.yaml"); err != nil {
		t.Fatalf("install the PolicyReport CRD: %v: %s", err, out)
	}
	waitFor(t, "the PolicyReport API", 20*time.Second, func() bool {
		return kubectl(context.Background(), "", "get", "policyreports", "-A").err == nil
	})
	continuousNamespace(t, ns)
	startContinuous(t, "cont-report", `clusterWide: {}
namespaced:
  - name: r
    namespaces: [`+ns+`]
    continuous: {rules: [{rule: privileged, action: log}, {rule: hostPID, action: log}]}`,
		"--policy-reports", "--policy-report-interval", "1s")
	privilegedPod(t, ns, "reported", "busybox")
	cleanup(t, "pod", "-n", ns, "reported")
	var report struct {
		Summary struct{ Pass, Fail int } `json:"summary"`
		Results []struct {
			Rule      string `json:"rule"`
			Result    string `json:"result"`
			Resources []struct {
				Kind, Name string
			} `json:"resources"`
		} `json:"results"`
	}
	waitFor(t, "the PolicyReport", 30*time.Second, func() bool {
		r := kubectl(context.Background(), "", "get", "policyreport", "-n", ns, "palisade", "-o", "json")
		return r.err == nil && json.Unmarshal([]byte(r.stdout), &report) == nil && report.Summary.Fail == 1
	})
	if report.Summary.Pass != 1 || len(report.Results) != 1 || report.Results[0].Rule != "privileged" ||
		report.Results[0].Result != "fail" || len(report.Results[0].Resources) != 1 || report.Results[0].Resources[0].Name != "reported" {
		t.Errorf("report %+v, want privileged failing for pod reported and hostPID passing", report)
	}
}

// The start-up check says whether isolation can work: what kube-system's
// DaemonSets tell about the network plugin.
func TestContinuousNetworkPluginCheck(t *testing.T) {
	spec := `clusterWide: {}`
	logOf := func(name string) string {
		a := startContinuous(t, name, spec)
		waitFor(t, "the network plugin verdict", 20*time.Second, func() bool {
			return strings.Contains(readFile(a.proc.log), "NetworkPolicy")
		})
		a.proc.stop()
		return readFile(a.proc.log)
	}
	daemonSet := func(name string) {
		ds := fmt.Sprintf(`apiVersion: apps/v1
kind: DaemonSet
metadata: {name: %s, namespace: kube-system}
spec:
  selector: {matchLabels: {app: %s}}
  template:
    metadata: {labels: {app: %s}}
    spec: {containers: [{name: cni, image: "registry.example.com/%s:1"}]}
`, name, name, name, name)
		if out, err := kubectlIn(context.Background(), ds, "", "apply", "-f", "-"); err != nil {
			t.Fatalf("create DaemonSet %s: %v: %s", name, err, out)
		}
		cleanup(t, "daemonset", "-n", "kube-system", name)
	}
	if got := logOf("netcheck-none"); !strings.Contains(got, "NO KNOWN NETWORK PLUGIN FOUND") {
		t.Errorf("without a plugin, the log should warn that it cannot tell:\n%s", got)
	}
	daemonSet("kube-flannel-ds")
	if got := logOf("netcheck-flannel"); !strings.Contains(got, "THE NETWORK PLUGIN DOES NOT ENFORCE NetworkPolicy") {
		t.Errorf("with flannel alone, the log should say isolation does not cut pods off:\n%s", got)
	}
	daemonSet("calico-node")
	if got := logOf("netcheck-calico"); !strings.Contains(got, "the network plugin enforces NetworkPolicy") || !strings.Contains(got, "calico-node") {
		t.Errorf("with Calico, the log should say NetworkPolicy is enforced:\n%s", got)
	}
}

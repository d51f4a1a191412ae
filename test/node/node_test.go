package node

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const blockPrivileged = `clusterWide:
  deployment:
    rules:
      - {rule: privileged, action: block}`

// The chart's agents run from the image built for this commit, under the
// chart's security contexts, and the API server reaches their webhook
// through the Service.
func TestChartInstalledAgents(t *testing.T) {
	// Right after an upgrade the old replicas are still draining.
	var out string
	eventually(t, 60*time.Second, "two agent replicas and no other", func() bool {
		out = mustKubectl(t, "", "get", "pods", "-n", releaseNS, "-l", agentLabels, "-o",
			`jsonpath={range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status} {.spec.securityContext.runAsUser} {.spec.containers[0].securityContext.readOnlyRootFilesystem} {.spec.containers[0].image}{"\n"}{end}`)
		return len(strings.Split(strings.TrimSpace(out), "\n")) == 2 && len(agentProcesses(t)) == 2
	})
	digest, err := os.ReadFile(filepath.Join(env.clusterDir, "images/palisade/digest"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 agent replicas:\n%s", out)
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 5 || f[1] != "True" || f[2] != "65532" || f[3] != "true" || !strings.HasSuffix(f[4], "@"+strings.TrimSpace(string(digest))) {
			t.Errorf("agent pod %q: want Ready, runAsUser 65532, read-only root, the image built (%s)", l, strings.TrimSpace(string(digest)))
		}
	}
	// The processes themselves, on this node, run as 65532.
	for pid, uid := range agentProcesses(t) {
		if uid != "65532" {
			t.Errorf("agent process %s runs as uid %s", pid, uid)
		}
	}
	svc := mustKubectl(t, "", "get", "validatingwebhookconfiguration", "-l", "app.kubernetes.io/instance=palisade", "-o",
		`jsonpath={.items[0].webhooks[0].clientConfig.service.namespace}/{.items[0].webhooks[0].clientConfig.service.name}`)
	if svc != releaseNS+"/palisade" {
		t.Errorf("the webhook calls %q, want the Service %s/palisade", svc, releaseNS)
	}
}

// agentProcesses are the node's agent processes (PID → real uid).
func agentProcesses(t *testing.T) map[string]string {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	found := map[string]string{}
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil || !strings.HasPrefix(string(b), "/usr/local/bin/palisade\x00agent\x00") {
			continue
		}
		status, err := os.ReadFile(filepath.Join(filepath.Dir(p), "status"))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(status), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "Uid:" {
				found[filepath.Base(filepath.Dir(p))] = f[1]
			}
		}
	}
	return found
}

// The seed's walkthrough, exactly, through the chart-installed agent.
func TestSeedBusyboxDenied(t *testing.T) {
	usePolicy(t, "seed-block", blockPrivileged)
	r := kubectl(context.Background(), "", "apply", "-f", "examples/busybox.yaml")
	want := `Error from server: error when creating "examples/busybox.yaml": admission webhook "validate.palisade.dev" denied the request:
- containerSecurityContext violates rule privileged "true" in container(s) "busybox-container" (block).`
	if r.err == nil || trimLines(r.stderr) != want {
		t.Fatalf("kubectl apply:\n%s\nwant stderr:\n%s", r, want)
	}
	eventually(t, 10*time.Second, "the denial in the agent's log", func() bool {
		return hasEvent(t, "busyboxpod", "privileged", "block", `"true"`)
	})
}

// trimLines drops trailing white space on every line: the API server puts
// a space after "denied the request:" before our first line break.
func trimLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// kubectl exec and port-forward into a running container: refused under
// block, let through and recorded under log.
func TestExecAndPortForward(t *testing.T) {
	const ns = "node-exec"
	namespace(t, ns)
	usePolicy(t, "exec-block", `clusterWide:
  deployment:
    rules:
      - {rule: podExec, action: block}
      - {rule: podPortForward, action: block}`)
	webPod(t, ns, "target", "app: target", "")
	ctx := context.Background()
	r := kubectl(ctx, "", "exec", "-n", ns, "target", "--", "id")
	if r.err == nil || !strings.Contains(r.stderr, `admission webhook "validate.palisade.dev" denied the request`) ||
		!strings.Contains(r.stderr, `- pod violates rule podExec "exec" in container(s) "web" (block).`) {
		t.Errorf("kubectl exec under block: %s", r)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	r = kubectl(pctx, "", "port-forward", "-n", ns, "pod/target", "0:8080")
	cancel()
	if !strings.Contains(r.stderr, `- pod violates rule podPortForward "portforward" (block).`) {
		t.Errorf("kubectl port-forward under block: %s", r)
	}

	usePolicy(t, "exec-log", `clusterWide:
  deployment:
    rules:
      - {rule: podExec, action: log}
      - {rule: podPortForward, action: log}`)
	r = kubectl(ctx, "", "exec", "-n", ns, "target", "--", "id", "-u")
	if r.err != nil || strings.TrimSpace(r.stdout) != "0" {
		t.Fatalf("kubectl exec under log: %s", r)
	}
	eventually(t, 10*time.Second, "the exec's event", func() bool { return hasEvent(t, "target", "podExec", "log", "exec") })
}

// terminate: a running container that the tightened policy forbids is
// killed by the continuous checks, and its Deployment's replacement is
// refused at admission, so the workload stops instead of looping.
func TestTerminateRunningContainer(t *testing.T) {
	const ns = "node-terminate"
	namespace(t, ns)
	usePolicy(t, "terminate-log", strings.ReplaceAll(blockPrivileged, "block", "log"))
	mustKubectl(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: drifter, namespace: `+ns+`}
spec:
  replicas: 1
  selector: {matchLabels: {app: drifter}}
  template:
    metadata: {labels: {app: drifter}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: sh, image: `+busybox+`, command: [sleep, "3600"], securityContext: {privileged: true}}
`, "apply", "-f", "-")
	var pod string
	eventually(t, 60*time.Second, "the Deployment's pod to run", func() bool {
		pod = strings.TrimSpace(kubectl(context.Background(), "", "get", "pods", "-n", ns, "-l", "app=drifter",
			"--field-selector=status.phase=Running", "-o", "jsonpath={.items[0].metadata.name}").stdout)
		return pod != ""
	})
	waitReady(t, ns, pod)
	id := containerID(t, ns, pod)
	if !runningInContainerd(t, id) {
		t.Fatalf("container %s of %s is not running in containerd", id, pod)
	}

	usePolicy(t, "terminate", `clusterWide:
  deployment:
    rules:
      - {rule: privileged, action: block}
  continuous:
    rules:
      - {rule: privileged, action: terminate}`)
	eventually(t, 30*time.Second, "the container to be gone from containerd", func() bool { return !runningInContainerd(t, id) })
	eventually(t, 30*time.Second, "the terminate event", func() bool { return hasEvent(t, pod, "privileged", "terminate", "(pod deleted)") })
	if ev := kubeEvents(t, ns, pod); !strings.Contains(ev, "Terminated: ") {
		t.Errorf("no Terminated Event on the pod: %q", ev)
	}
	eventually(t, 30*time.Second, "the replacement refused at admission", func() bool {
		out := kubectl(context.Background(), "", "get", "events", "-n", ns, "--field-selector", "involvedObject.kind=ReplicaSet",
			"-o", `jsonpath={range .items[*]}{.reason}: {.message}{"\n"}{end}`).stdout
		return strings.Contains(out, `FailedCreate`) && strings.Contains(out, `violates rule privileged "true" in container(s) "sh" (block)`)
	})
	// The agents reload a new policy each at its own moment (the kubelet
	// refreshes each pod's mounted ConfigMap at its own sync): a
	// replacement judged by a replica still on the old policy is admitted,
	// and then terminated in its turn. Either way the workload stops: no
	// pod of it keeps running.
	eventually(t, 60*time.Second, "no drifter pod left running", func() bool {
		out := kubectl(context.Background(), "", "get", "pods", "-n", ns, "-l", "app=drifter", "-o",
			`jsonpath={range .items[*]}{.metadata.name} {.metadata.deletionTimestamp}{"\n"}{end}`).stdout
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if f := strings.Fields(l); len(f) == 1 {
				return false // a pod not being deleted
			}
		}
		return true
	})
}

const isolatePrivileged = `clusterWide:
  continuous:
    rules:
      - {rule: privileged, action: isolate}`

// isolate, proven by traffic: B reaches A; A is isolated; neither B nor a
// pod of another namespace reaches it any more, while A's readiness probe
// (from the node, which kube-router always lets through) keeps passing;
// releasing the isolation brings the traffic back.
func TestIsolateCutsTraffic(t *testing.T) {
	const ns, other = "node-isolate", "node-isolate-other"
	namespace(t, ns)
	namespace(t, other)
	usePolicy(t, "isolate-off", `clusterWide: {}`)
	webPod(t, ns, "a", "app: a", "securityContext: {privileged: true}")
	shellPod(t, ns, "b", "app: b")
	shellPod(t, other, "c", "app: c")
	url := "http://" + podIP(t, ns, "a") + ":8080/"
	if !reaches(t, ns, "b", url) || !reaches(t, other, "c", url) {
		t.Fatal("before isolation, b and c cannot reach a")
	}

	usePolicy(t, "isolate", isolatePrivileged)
	eventually(t, 30*time.Second, "a to be labelled isolated", func() bool {
		return strings.Contains(mustKubectl(t, "", "get", "pod", "-n", ns, "a", "-o", "jsonpath={.metadata.labels}"), `"palisade.dev/isolated":"true"`)
	})
	eventually(t, 10*time.Second, "b's requests to a to fail", func() bool { return !reaches(t, ns, "b", url) })
	if reaches(t, other, "c", url) {
		t.Error("a pod of another namespace still reaches the isolated pod")
	}
	if reaches(t, ns, "b", url) {
		t.Error("b reaches the isolated pod again")
	}
	ready := mustKubectl(t, "", "get", "pod", "-n", ns, "a", "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
	if ready != "True" {
		t.Errorf("the isolated pod's readiness probe fails (Ready=%s); the node's probes are let through", ready)
	}
	eventually(t, 10*time.Second, "the verified isolation event", func() bool {
		return hasEvent(t, "a", "privileged", "isolate", "verified: "+strings.TrimPrefix(strings.TrimSuffix(url, "/"), "http://")+" stopped answering the agent")
	})
	if ev := kubeEvents(t, ns, "a"); !strings.Contains(ev, "Isolated: ") || !strings.Contains(ev, "verified:") {
		t.Errorf("Kubernetes Events on a: %q, want Isolated, verified", ev)
	}

	usePolicy(t, "isolate-released", strings.ReplaceAll(isolatePrivileged, "isolate}", "log}"))
	eventually(t, 30*time.Second, "the isolation to be released", func() bool {
		return !strings.Contains(mustKubectl(t, "", "get", "pod", "-n", ns, "a", "-o", "jsonpath={.metadata.labels}"), "palisade.dev/isolated")
	})
	eventually(t, 10*time.Second, "b to reach a again", func() bool { return reaches(t, ns, "b", url) })
	if !reaches(t, other, "c", url) {
		t.Error("after the release, c still cannot reach a")
	}
}

// Without a NetworkPolicy enforcer on the node, an isolation is reported
// as not enforced (an Event, a metric, the event's message), never as
// done.
func TestIsolationWithoutEnforcer(t *testing.T) {
	const ns = "node-noenforcer"
	namespace(t, ns)
	usePolicy(t, "noenforcer-off", `clusterWide: {}`)
	webPod(t, ns, "d", "app: d", "securityContext: {privileged: true}")
	before := metricSum(t, `palisade_isolation_verifications_total{result="not_cut"}`)
	cluster(t, "netpol", "stop")
	t.Cleanup(func() { cluster(t, "netpol", "start") })

	usePolicy(t, "noenforcer", isolatePrivileged)
	eventually(t, 40*time.Second, "the not-enforced event", func() bool {
		return hasEvent(t, "d", "privileged", "isolate", "(NOT isolated: ")
	})
	if ev := kubeEvents(t, ns, "d"); !strings.Contains(ev, "IsolationNotEnforced: ") || strings.Contains(ev, "Isolated: ") {
		t.Errorf("Kubernetes Events on d: %q, want IsolationNotEnforced and no Isolated", ev)
	}
	if after := metricSum(t, `palisade_isolation_verifications_total{result="not_cut"}`); after < before+1 {
		t.Errorf("palisade_isolation_verifications_total{result=\"not_cut\"} went from %v to %v, want at least one more", before, after)
	}
}

// Segmentation at birth, proven by traffic: in a governed namespace, a pod
// of the same namespace connects, a pod of another does not.
func TestSegmentationAtBirth(t *testing.T) {
	const ns, outside = "node-segmented", "node-outside"
	usePolicy(t, "segmented", `clusterWide: {}
namespaced:
  - name: segmented
    namespaces: [`+ns+`]
    segmentation: {enabled: true}`)
	namespace(t, ns)
	namespace(t, outside)
	eventually(t, 30*time.Second, "the segmentation NetworkPolicy", func() bool {
		return kubectl(context.Background(), "", "get", "networkpolicy", "-n", ns, "palisade-segmentation").err == nil
	})
	webPod(t, ns, "server", "app: server", "")
	shellPod(t, ns, "neighbour", "app: neighbour")
	shellPod(t, outside, "stranger", "app: stranger")
	url := "http://" + podIP(t, ns, "server") + ":8080/"
	eventually(t, 10*time.Second, "the neighbour to connect", func() bool { return reaches(t, ns, "neighbour", url) })
	// The enforcer may still be syncing (the previous test restarted it).
	eventually(t, 20*time.Second, "the stranger to be refused", func() bool { return !reaches(t, outside, "stranger", url) })
	if !reaches(t, ns, "neighbour", url) {
		t.Error("the neighbour no longer connects")
	}
}

// Runtime: a real `kubectl exec -it ... sh` into a real container reaches
// the agent through the API server's audit webhook, and the terminal-shell
// ruleset terminates the pod.
func TestRuntimeTerminalShellTerminates(t *testing.T) {
	const ns = "node-runtime"
	namespace(t, ns)
	usePolicy(t, "runtime", `clusterWide:
  runtime:
    rulesets:
      - {ruleset: terminal-shell, selector: {matchLabels: {app: shell-target}}, action: terminate}`)
	shellPod(t, ns, "victim", "app: shell-target")
	id := containerID(t, ns, "victim")
	// A terminal: kubectl asks for one only when its input is one, so
	// script(1) gives it a pseudo-terminal.
	kc := env.kubeconfig
	cmd := "kubectl --kubeconfig " + kc + " exec -it -n " + ns + " victim -- sh -c 'echo in; sleep 1'"
	// The container may be killed before the session ends: its output
	// is what matters.
	if out, err := exec.Command("script", "-qec", cmd, "/dev/null").CombinedOutput(); !strings.Contains(string(out), "in") {
		t.Fatalf("the terminal session did not run: %v: %q", err, out)
	}
	eventually(t, 30*time.Second, "the container to be gone from containerd", func() bool { return !runningInContainerd(t, id) })
	eventually(t, 10*time.Second, "the runtime event", func() bool { return hasEvent(t, "victim", "Terminal shell in pod", "terminate", "(pod deleted)") })
}

// Package node tests Palisade on a real node (hack/cluster.sh): the agent
// installed by Helm from its own image, enforcing on containers that run.
package node

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/platform/containerd"
)

const (
	releaseNS   = "palisade-system"
	policyCM    = "palisade-policy"
	busybox     = "palisade.test/busybox:1"
	agentLabels = "app.kubernetes.io/instance=palisade,app.kubernetes.io/component=agent"
)

var env struct {
	kubeconfig string
	clusterDir string
	root       string
}

func TestMain(m *testing.M) {
	dir := os.Getenv("PALISADE_CLUSTER_DIR")
	if dir == "" || os.Getenv("PALISADE_NODE_E2E") == "" {
		fmt.Println("node: PALISADE_NODE_E2E and PALISADE_CLUSTER_DIR are not set; skipping (hack/test.sh starts hack/cluster.sh and sets them)")
		os.Exit(0)
	}
	env.clusterDir, env.kubeconfig = dir, filepath.Join(dir, "kubeconfig")
	root, err := filepath.Abs("../..")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	env.root = root
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "agent logs:\n%s\n", kubectl(context.Background(), "", "logs", "-n", releaseNS, "-l", agentLabels, "--tail=60", "--prefix").stdout)
	}
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	err            error
}

func (r result) String() string {
	return fmt.Sprintf("err=%v\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
}

// kubectl runs kubectl against the node's cluster, stdin from in.
func kubectl(ctx context.Context, in string, args ...string) result {
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", env.kubeconfig}, args...)...)
	cmd.Dir = env.root
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(in), &out, &errb
	err := cmd.Run()
	return result{out.String(), errb.String(), err}
}

func mustKubectl(t *testing.T, in string, args ...string) string {
	t.Helper()
	r := kubectl(context.Background(), in, args...)
	if r.err != nil {
		t.Fatalf("kubectl %s: %s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// cluster runs hack/cluster.sh (the enforcer's start and stop).
func cluster(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(env.root, "hack/cluster.sh"), args...)
	cmd.Env = append(os.Environ(), "PALISADE_CLUSTER_DIR="+env.clusterDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/cluster.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

func policyYAML(name, spec string) string {
	return "apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: " + name + "}\nspec:\n  " +
		strings.ReplaceAll(strings.TrimSpace(spec), "\n", "\n  ") + "\n"
}

// usePolicy writes the chart's policy ConfigMap, as `helm upgrade
// --set-file policy=...` would, and waits until every agent replica
// enforces it (the kubelet refreshes the mounted file within its sync
// period, then the agent reloads it).
func usePolicy(t *testing.T, name, spec string) {
	t.Helper()
	usePolicyDocs(t, name, policyYAML(name, spec))
}

// usePolicyDocs is usePolicy with the whole policy file given (the policy
// named name, and RuntimeRuleset documents beside it).
func usePolicyDocs(t *testing.T, name, file string) {
	t.Helper()
	cm := map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": policyCM, "namespace": releaseNS},
		"data":     map[string]string{"policy.yaml": file}}
	b, _ := json.Marshal(cm)
	mustKubectl(t, string(b), "apply", "-f", "-")
	eventually(t, 90*time.Second, "the agents to load policy "+name, func() bool {
		ips := agentIPs(t)
		for _, ip := range ips {
			if !strings.Contains(metrics(ip), `name="`+name+`"`) {
				return false
			}
		}
		return len(ips) > 0
	})
}

// agentIPs are the addresses of the agent pods that are Ready.
func agentIPs(t *testing.T) []string {
	t.Helper()
	out := kubectl(context.Background(), "", "get", "pods", "-n", releaseNS, "-l", agentLabels, "-o",
		`jsonpath={range .items[*]}{.status.podIP} {.status.conditions[?(@.type=="Ready")].status} {.metadata.deletionTimestamp}{"\n"}{end}`).stdout
	var ips []string // a pod being deleted has a third field
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 2 && f[1] == "True" {
			ips = append(ips, f[0])
		}
	}
	return ips
}

var httpClient = &http.Client{Timeout: 2 * time.Second}

// metrics is an agent's /metrics (its plain-HTTP port, on the pod's
// address: the node reaches its pods).
func metrics(ip string) string {
	resp, err := httpClient.Get("http://" + ip + ":9090/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// metricSum adds up a series over the agent replicas.
func metricSum(t *testing.T, series string) float64 {
	t.Helper()
	var sum float64
	for _, ip := range agentIPs(t) {
		for _, l := range strings.Split(metrics(ip), "\n") {
			if rest, ok := strings.CutPrefix(l, series+" "); ok {
				var v float64
				fmt.Sscan(rest, &v)
				sum += v
			}
		}
	}
	return sum
}

// agentEvents are the events the agents logged (--log-events, set by
// hack/cluster.sh), oldest first per replica.
func agentEvents(t *testing.T) []map[string]any {
	t.Helper()
	out := kubectl(context.Background(), "", "logs", "-n", releaseNS, "-l", agentLabels, "--tail=-1").stdout
	var events []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "event" {
			events = append(events, m)
		}
	}
	return events
}

// hasEvent reports whether an agent logged an event on name with the rule
// and action whose message contains text.
func hasEvent(t *testing.T, name, rule, action, text string) bool {
	for _, e := range agentEvents(t) {
		if e["name"] == name && e["rule"] == rule && e["action"] == action && strings.Contains(fmt.Sprint(e["message"]), text) {
			return true
		}
	}
	return false
}

// namespace creates a namespace for one test and deletes it after.
func namespace(t *testing.T, name string, labels ...string) {
	t.Helper()
	ls := ""
	if len(labels) > 0 {
		ls = ", labels: {" + strings.Join(labels, ", ") + "}"
	}
	mustKubectl(t, fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s%s}\n", name, ls), "apply", "-f", "-")
	eventually(t, 30*time.Second, "the default ServiceAccount of "+name, func() bool {
		return kubectl(context.Background(), "", "get", "serviceaccount", "default", "-n", name).err == nil
	})
	t.Cleanup(func() {
		kubectl(context.Background(), "", "delete", "namespace", name, "--wait=false")
	})
}

// webPod runs busybox's httpd on port 8080 with a readiness probe on it;
// extra is added to the container (YAML flow mapping entries).
func webPod(t *testing.T, ns, name, labels, extra string) {
	t.Helper()
	if extra != "" {
		extra = ", " + extra
	}
	manifest := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: %s, labels: {%s}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: web, image: %s, command: [httpd, -f, -p, "8080", -h, /var/www], ports: [{containerPort: 8080}],
     readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}%s}
`, name, ns, labels, busybox, extra)
	mustKubectl(t, manifest, "apply", "-f", "-")
	waitReady(t, ns, name)
}

// shellPod runs a container that sleeps, to exec into and to send
// requests from.
func shellPod(t *testing.T, ns, name, labels string) {
	t.Helper()
	manifest := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: %s, labels: {%s}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: sh, image: %s, command: [sleep, "3600"]}
`, name, ns, labels, busybox)
	mustKubectl(t, manifest, "apply", "-f", "-")
	waitReady(t, ns, name)
}

func waitReady(t *testing.T, ns, name string) {
	t.Helper()
	if r := kubectl(context.Background(), "", "wait", "--for=condition=Ready", "--timeout=90s", "-n", ns, "pod/"+name); r.err != nil {
		t.Fatalf("pod %s/%s not Ready: %s\n%s", ns, name, r, kubectl(context.Background(), "", "describe", "pod", "-n", ns, name).stdout)
	}
}

func podIP(t *testing.T, ns, name string) string {
	t.Helper()
	return strings.TrimSpace(mustKubectl(t, "", "get", "pod", "-n", ns, name, "-o", "jsonpath={.status.podIP}"))
}

// reaches reports whether pod from (ns/name) gets the test page from url
// within 2 s. busybox's own wget -T crashes; timeout bounds it instead.
func reaches(t *testing.T, ns, from, url string) bool {
	t.Helper()
	r := kubectl(context.Background(), "", "exec", "-n", ns, from, "--", "timeout", "2", "wget", "-q", "-O", "-", url)
	return r.err == nil && strings.Contains(r.stdout, "palisade test page")
}

// containerID is the pod's first container's ID in containerd (without
// the containerd:// prefix).
func containerID(t *testing.T, ns, name string) string {
	t.Helper()
	id := strings.TrimSpace(mustKubectl(t, "", "get", "pod", "-n", ns, name, "-o", "jsonpath={.status.containerStatuses[0].containerID}"))
	id, ok := strings.CutPrefix(id, "containerd://")
	if !ok || id == "" {
		t.Fatalf("pod %s/%s: container ID %q", ns, name, id)
	}
	return id
}

// runningInContainerd reports whether containerd still runs a task for the
// container.
func runningInContainerd(t *testing.T, id string) bool {
	t.Helper()
	running, err := containerd.Running(filepath.Join(env.clusterDir, "containerd.sock"), id)
	if err != nil {
		t.Fatal(err)
	}
	return running
}

// kubeEvents are the Kubernetes Events' reasons and notes on an object.
func kubeEvents(t *testing.T, ns, name string) string {
	t.Helper()
	return kubectl(context.Background(), "", "get", "events.events.k8s.io", "-n", ns, "--field-selector", "regarding.name="+name,
		"-o", `jsonpath={range .items[*]}{.reason}: {.note}{"\n"}{end}`).stdout
}

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// auditControlPlane is a second control plane from hack/, started with an
// audit policy and the audit webhook backend pointed at an agent: the
// shared one cannot be, since the agent's address must be known before the
// API server starts.
type auditControlPlane struct {
	dir        string
	kubeconfig string
}

// startAuditControlPlane starts etcd and kube-apiserver with Falco's
// published audit policy and an audit webhook posting batches to
// agentURL/audit with token.
func startAuditControlPlane(t *testing.T, agentURL, token string) *auditControlPlane {
	t.Helper()
	dir := filepath.Join(env.dir, "audit-cp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	webhook := filepath.Join(dir, "audit-webhook.kubeconfig")
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: palisade
  cluster: {server: %q, certificate-authority-data: %s}
users:
- name: kube-apiserver
  user: {token: %q}
contexts:
- name: audit
  context: {cluster: palisade, user: kube-apiserver}
current-context: audit
`, agentURL+"/audit", caBundle(), token)
	if err := os.WriteFile(webhook, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	policy, err := filepath.Abs("../../testdata/falco-rules/audit-policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	flags := strings.Join([]string{"--audit-policy-file=" + policy, "--audit-webhook-config-file=" + webhook,
		"--audit-webhook-mode=batch", "--audit-webhook-batch-max-wait=500ms"}, " ")
	cp := &auditControlPlane{dir: filepath.Join(dir, "cp"), kubeconfig: filepath.Join(dir, "cp", "kubeconfig")}
	script, _ := filepath.Abs("../../hack/controlplane.sh")
	run := func(verb string) ([]byte, error) {
		cmd := exec.Command(script, verb)
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "PALISADE_CONTROLPLANE_DIR="+cp.dir, "PALISADE_APISERVER_FLAGS="+flags)
		return cmd.CombinedOutput()
	}
	if out, err := run("up"); err != nil {
		t.Fatalf("start the audit control plane: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("audit control plane's kube-apiserver log (tail):\n%s", tail(readFile(filepath.Join(cp.dir, "apiserver.log")), 30))
		}
		_, _ = run("down")
	})
	return cp
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (cp *auditControlPlane) kubectl(stdin string, args ...string) result {
	return kubectlAt(context.Background(), cp.kubeconfig, stdin, "", args...)
}

func (cp *auditControlPlane) pod(t *testing.T, ns, name, app string) {
	t.Helper()
	manifest := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: %s, labels: {app: %s}}
spec:
  containers:
  - {name: app, image: docker.io/library/nginx:1.27}
`, name, ns, app)
	if r := cp.kubectl(manifest, "apply", "-f", "-"); r.err != nil {
		t.Fatalf("create pod: %s", r)
	}
}

const runtimePolicy = `clusterWide:
  runtime:
    rulesets:
      - {ruleset: pod-exec, selector: {matchLabels: {app: shell-target}}, action: isolate}
      - {ruleset: pod-exec, action: log}
      - {ruleset: falco-shells, selector: {matchLabels: {app: falco-target}}, action: terminate}
      - {ruleset: k8s_audit_rules, action: log}`

// A RuntimeRuleset of rule names a Falco sensor evaluates.
const falcoShellsRuleset = `apiVersion: palisade.dev/v1
kind: RuntimeRuleset
metadata: {name: falco-shells}
spec:
  falcoAlerts: [Terminal shell in container]
`

// The seed's runtime tab end to end: the API server's audit webhook feeds
// the agent; kubectl exec into a pod bound to isolate gets it labelled and
// cut off by a NetworkPolicy; a Falco alert for a pod bound to terminate
// gets it deleted; Falco's own k8saudit rules, loaded unchanged, fire too.
func TestRuntimeResponses(t *testing.T) {
	dir := filepath.Join(env.dir, "runtime")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	agentURL := fmt.Sprintf("https://127.0.0.1:%d", port)
	const token = "e2e-runtime-token-0123456789"
	files := map[string]string{"token": token, "policy.yaml": policyYAML("runtime-1", runtimePolicy), "falco-shells.yaml": falcoShellsRuleset}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cp := startAuditControlPlane(t, agentURL, token)
	events := filepath.Join(dir, "events.jsonl")
	agent := startProcess(t, "runtime-agent", "agent", "--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--tls-cert-file", filepath.Join(env.dir, "tls.crt"), "--tls-key-file", filepath.Join(env.dir, "tls.key"),
		"--policy", filepath.Join(dir, "policy.yaml"), "--events", events, "--log-format", "text", "--cluster-name", "e2e-runtime",
		"--kubeconfig", cp.kubeconfig, "--runtime-token-file", filepath.Join(dir, "token"),
		"--runtime-rules", filepath.Join(dir, "falco-shells.yaml"), "--runtime-rules", "../../testdata/falco-rules/k8s_audit_rules.yaml")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("agent log:\n%s", readFile(agent.log))
		}
	})
	waitFor(t, "the runtime agent", 20*time.Second, func() bool { return ready(agentURL) })

	const ns = "runtime-e2e"
	if r := cp.kubectl("", "create", "namespace", ns); r.err != nil {
		t.Fatalf("create namespace: %s", r)
	}
	// No controller-manager: the namespace's default ServiceAccount is ours to make.
	if r := cp.kubectl("", "create", "serviceaccount", "default", "-n", ns); r.err != nil {
		t.Fatalf("create service account: %s", r)
	}
	cp.pod(t, ns, "shell-1", "shell-target")
	cp.pod(t, ns, "falco-1", "falco-target")

	// kubectl exec: the pod is on no node (there is no kubelet), so the
	// API server refuses the session after allowing the request; the
	// attempt is what the audit log records and what the rule answers.
	r := cp.kubectl("", "exec", "-n", ns, "shell-1", "--", "sh", "-c", "id")
	if r.err == nil {
		t.Fatalf("exec succeeded without a kubelet: %s", r)
	}
	waitFor(t, "the exec to isolate the pod", 30*time.Second, func() bool {
		out := cp.kubectl("", "get", "pod", "-n", ns, "shell-1", "-o", `jsonpath={.metadata.labels.palisade\.dev/isolated}`)
		return strings.TrimSpace(out.stdout) == "true"
	})
	if r := cp.kubectl("", "get", "networkpolicy", "-n", ns, "palisade-isolate", "-o", "jsonpath={.spec.podSelector.matchLabels}"); r.err != nil ||
		!strings.Contains(r.stdout, `"palisade.dev/isolated":"true"`) {
		t.Fatalf("isolation NetworkPolicy: %s", r)
	}
	note := cp.kubectl("", "get", "pod", "-n", ns, "shell-1", "-o", `jsonpath={.metadata.annotations.palisade\.dev/isolation}`)
	if !strings.Contains(note.stdout, `"by":"runtime"`) || !strings.Contains(note.stdout, `"rule":"Exec or attach into pod"`) {
		t.Errorf("isolation annotation %q: want it to say the runtime rule did it", note.stdout)
	}
	waitFor(t, "the exec events", 10*time.Second, func() bool {
		return hasRuntimeEvent(t, events, "shell-1", "Exec or attach into pod", "isolate", "(pod isolated")
	})

	// A Falco alert, as Falco's http_output posts it.
	alert := fmt.Sprintf(`{"hostname":"node-1","output":"%s: Notice A shell was spawned in a container with an attached terminal (k8s.ns=%s k8s.pod=falco-1)","priority":"Notice","rule":"Terminal shell in container","source":"syscall","tags":["container","shell"],"time":"%s","output_fields":{"k8s.ns.name":"%s","k8s.pod.name":"falco-1","proc.name":"bash"}}`,
		time.Now().UTC().Format("15:04:05.000000000"), ns, time.Now().UTC().Format(time.RFC3339Nano), ns)
	post := func(tok string) int {
		req, _ := http.NewRequest(http.MethodPost, agentURL+"/falco", strings.NewReader(alert))
		req.Header.Set("Content-Type", "application/json")
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := env.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(""); code != http.StatusUnauthorized {
		t.Fatalf("an alert without the token: status %d, want 401", code)
	}
	if code := post(token); code != http.StatusOK {
		t.Fatalf("alert: status %d", code)
	}
	waitFor(t, "the alert to terminate the pod", 20*time.Second, func() bool {
		return cp.kubectl("", "get", "pod", "-n", ns, "falco-1").err != nil
	})
	waitFor(t, "the terminate event", 10*time.Second, func() bool {
		return hasRuntimeEvent(t, events, "falco-1", "Terminal shell in container", "terminate", "(pod deleted)")
	})

	// Falco's published k8saudit rules, loaded unchanged, fire on the same
	// audit stream: creating a ClusterRoleBinding to cluster-admin.
	crb := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: runtime-e2e-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: ServiceAccount, name: default, namespace: runtime-e2e}
`
	if r := cp.kubectl(crb, "apply", "-f", "-"); r.err != nil {
		t.Fatalf("create ClusterRoleBinding: %s", r)
	}
	waitFor(t, "Falco's k8saudit rule to fire", 20*time.Second, func() bool {
		for _, ev := range readEventsFile(t, events) {
			if ev["rule"] == "Attach to cluster-admin Role" && ev["action"] == "log" {
				return true
			}
		}
		return false
	})
}

// hasRuntimeEvent reports whether a runtime event for pod has this rule
// and action and a message containing text.
func hasRuntimeEvent(t *testing.T, path, pod, rule, action, text string) bool {
	for _, ev := range readEventsFile(t, path) {
		if ev["tab"] == "runtime" && ev["name"] == pod && ev["rule"] == rule && ev["action"] == action &&
			strings.Contains(fmt.Sprint(ev["message"]), text) {
			return true
		}
	}
	return false
}

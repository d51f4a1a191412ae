package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
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
)

// process is a palisade command running in the background, logging to a
// file.
type process struct {
	t    *testing.T
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

func startProcess(t *testing.T, name string, args ...string) *process {
	t.Helper()
	return startProcessEnv(t, name, nil, args...)
}

// startProcessEnv is startProcess with extra environment variables.
func startProcessEnv(t *testing.T, name string, extraEnv []string, args ...string) *process {
	t.Helper()
	p := &process{t: t, name: name, log: filepath.Join(env.dir, name+".log"), done: make(chan struct{})}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(env.bin, args...)
	p.cmd.Env = append(os.Environ(), extraEnv...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); f.Close(); close(p.done) }()
	t.Cleanup(p.stop)
	return p
}

// stop interrupts the process and waits for it to exit.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// consoleAPI calls the console's REST API with the admin token.
type consoleAPI struct {
	url, token string
}

func (c consoleAPI) call(t *testing.T, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// listening reports whether the console answers HTTP.
func (c consoleAPI) listening() bool {
	resp, err := http.Get(c.url + "/api/v1/openapi.yaml")
	if err == nil {
		resp.Body.Close()
	}
	return err == nil
}

func (c consoleAPI) events(t *testing.T, cluster string) []map[string]any {
	t.Helper()
	code, out := c.call(t, http.MethodGet, "/api/v1/events?limit=100&cluster="+cluster, nil)
	if code != http.StatusOK {
		t.Fatalf("GET events: %d %v", code, out)
	}
	items, _ := out["items"].([]any)
	evs := make([]map[string]any, 0, len(items))
	for _, it := range items {
		evs = append(evs, it.(map[string]any))
	}
	return evs
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func ready(url string) bool {
	resp, err := env.client.Get(url + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// The console, a managed agent and a real kube-apiserver (issue 4): a
// blocking policy assigned through the API denies the seed's busybox pod
// and the event reaches the trail; while the console is down (and the
// agent restarts) denials go on, and their events arrive once it is back.
func TestManagedAgentWithConsole(t *testing.T) {
	ctx := context.Background()
	const cluster, ns = "e2e-managed", "e2e-managed"
	dir := filepath.Join(env.dir, "managed")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	consolePort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	consoleArgs := []string{"console", "--listen", fmt.Sprintf("127.0.0.1:%d", consolePort),
		"--database", "sqlite://" + filepath.Join(dir, "console.db"), "--admin-token-file", filepath.Join(dir, "admin-token")}
	con := startProcess(t, "console", consoleArgs...)
	api := consoleAPI{url: fmt.Sprintf("http://127.0.0.1:%d", consolePort)}
	waitFor(t, "the console", 20*time.Second, func() bool {
		// The token file is written before the console listens.
		b, err := os.ReadFile(filepath.Join(dir, "admin-token"))
		if err != nil || !api.listening() {
			return false
		}
		api.token = strings.TrimSpace(string(b))
		code, _ := api.call(t, http.MethodGet, "/api/v1/clusters", nil)
		return code == http.StatusOK
	})

	code, out := api.call(t, http.MethodPost, "/api/v1/clusters", map[string]string{"name": cluster})
	if code != http.StatusCreated {
		t.Fatalf("register cluster: %d %v", code, out)
	}
	tokenFile := filepath.Join(dir, "agent-token")
	if err := os.WriteFile(tokenFile, []byte(out["token"].(string)), 0o600); err != nil {
		t.Fatal(err)
	}
	agentPort, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	agentURL := fmt.Sprintf("https://127.0.0.1:%d", agentPort)
	agentArgs := []string{"agent", "--listen", fmt.Sprintf("127.0.0.1:%d", agentPort),
		"--tls-cert-file", filepath.Join(env.dir, "tls.crt"), "--tls-key-file", filepath.Join(env.dir, "tls.key"),
		"--console", api.url, "--token-file", tokenFile, "--state-dir", filepath.Join(dir, "state"), "--log-format", "text",
		"--scan-results-by-digest=false"} // no registry is reached from the tests
	agent := startProcess(t, "managed-agent", agentArgs...)
	waitFor(t, "the managed agent", 20*time.Second, func() bool { return ready(agentURL) })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("console log:\n%s\nagent log:\n%s", readFile(con.log), readFile(agent.log))
		}
	})

	// The managed agent judges only the namespace labelled for it.
	registerManagedWebhook(t, agentURL)
	if r := kubectl(ctx, "", "create", "namespace", ns); r.err != nil && !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("create namespace: %s", r)
	}
	if r := kubectl(ctx, "", "label", "namespace", ns, "palisade.dev/managed-by=e2e", "--overwrite"); r.err != nil {
		t.Fatalf("label namespace: %s", r)
	}
	if r := kubectl(ctx, "", "create", "serviceaccount", "default", "-n", ns); r.err != nil && !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("create serviceaccount: %s", r)
	}

	// Assign a blocking policy through the API.
	policy := map[string]any{"apiVersion": "palisade.dev/v1", "kind": "Policy", "metadata": map[string]any{"name": "managed-block"},
		"spec": map[string]any{"clusterWide": map[string]any{"deployment": map[string]any{
			"rules": []any{map[string]any{"rule": "privileged", "action": "block"}}}}}}
	if code, out := api.call(t, http.MethodPost, "/api/v1/policies", policy); code != http.StatusCreated {
		t.Fatalf("create policy: %d %v", code, out)
	}
	if code, out := api.call(t, http.MethodPatch, "/api/v1/clusters/"+cluster, map[string]string{"policy": "managed-block"}); code != http.StatusOK {
		t.Fatalf("assign policy: %d %v", code, out)
	}
	waitFor(t, "the agent to enforce the assigned policy", 10*time.Second, func() bool {
		_, c := api.call(t, http.MethodGet, "/api/v1/clusters/"+cluster, nil)
		v, _ := c["agentPolicy"].(string)
		return strings.HasPrefix(v, `"managed-block-`) && c["lastSeen"] != nil
	})

	want := `Error from server: error when creating "busybox.yaml": admission webhook "managed.validate.palisade.dev" denied the request:
- containerSecurityContext violates rule privileged "true" in container(s) "busybox-container" (block).`
	deny := func(step string) {
		t.Helper()
		r := kubectl(ctx, examples, "apply", "-n", ns, "-f", "busybox.yaml")
		if r.err == nil || trimLines(r.stderr) != want {
			t.Fatalf("%s: kubectl apply:\n%s\nwant stderr:\n%s", step, r, want)
		}
	}
	deny("console up")
	waitFor(t, "the event in /api/v1/events", 10*time.Second, func() bool { return len(api.events(t, cluster)) == 1 })
	ev := api.events(t, cluster)[0]
	if ev["rule"] != "privileged" || ev["action"] != "block" || ev["namespace"] != ns || ev["name"] != "busyboxpod" ||
		ev["policy"] != "managed-block" || ev["cluster"] != cluster || ev["user"] != "palisade-admin" {
		t.Errorf("event %v", ev)
	}

	// The console goes away: the agent keeps enforcing, even across its
	// own restart, and queues the events.
	con.stop()
	deny("console down")
	agent.stop()
	agent = startProcess(t, "managed-agent", agentArgs...)
	waitFor(t, "the restarted agent, from its saved policy", 20*time.Second, func() bool { return ready(agentURL) })
	deny("console down, agent restarted")

	con = startProcess(t, "console", consoleArgs...)
	waitFor(t, "the console to restart", 20*time.Second, api.listening)
	waitFor(t, "the queued events", 60*time.Second, func() bool { return len(api.events(t, cluster)) >= 3 })
	// Let the agent's queue drain completely, then check nothing came twice.
	waitFor(t, "the agent's queue to drain", 20*time.Second, func() bool {
		return strings.Contains(agentMetrics(t, agentURL), "palisade_event_queue_pending_bytes 0\n")
	})
	evs := api.events(t, cluster)
	ids := map[string]bool{}
	for _, e := range evs {
		ids[e["id"].(string)] = true
	}
	if len(evs) != 3 || len(ids) != 3 {
		t.Errorf("%d events (%d distinct) at the console, want 3 denials, each once: %v", len(evs), len(ids), evs)
	}

	// Scan results through the console: imported with the CLI, asked for
	// by the agent when admission meets the image.
	imp := exec.Command(env.bin, "results", "import", debianBusterReport, "--console", api.url, "--token-file", filepath.Join(dir, "admin-token"))
	if out, err := imp.CombinedOutput(); err != nil || !strings.Contains(string(out), "debian-buster.json: 1 image (trivy)") {
		t.Fatalf("palisade results import: %v\n%s", err, out)
	}
	scans := map[string]any{"apiVersion": "palisade.dev/v1", "kind": "Policy", "metadata": map[string]any{"name": "managed-scans"},
		"spec": map[string]any{"clusterWide": map[string]any{"deployment": map[string]any{
			"rules": []any{map[string]any{"rule": "imagesWithCVSSAttackVector", "action": "block",
				"properties": map[string]any{"attackVector": "network", "severity": "critical"}}}}}}}
	if code, out := api.call(t, http.MethodPost, "/api/v1/policies", scans); code != http.StatusCreated {
		t.Fatalf("create policy: %d %v", code, out)
	}
	if code, out := api.call(t, http.MethodPatch, "/api/v1/clusters/"+cluster, map[string]string{"policy": "managed-scans"}); code != http.StatusOK {
		t.Fatalf("assign policy: %d %v", code, out)
	}
	waitFor(t, "the agent to enforce managed-scans", 10*time.Second, func() bool {
		_, c := api.call(t, http.MethodGet, "/api/v1/clusters/"+cluster, nil)
		v, _ := c["agentPolicy"].(string)
		return strings.HasPrefix(v, `"managed-scans-`)
	})
	pod := strings.ReplaceAll(debianBusterPod, "namespace: scans", "namespace: "+ns)
	r := kubectlStdin(ctx, pod, "", "apply", "--dry-run=server", "-f", "-")
	wantScan := `- image violates rule imagesWithCVSSAttackVector "ghcr.io/aquasecurity/trivy-test-images:debian-buster" in container(s) "app": ` +
		`1 vulnerability with attack vector network at or above critical: CVE-2019-18224 (critical 9.8) (block).`
	if r.err == nil || !strings.Contains(r.stderr, wantScan) {
		t.Fatalf("scan results from the console: kubectl apply:\n%s\nwant: %s", r, wantScan)
	}
}

func agentMetrics(t *testing.T, url string) string {
	t.Helper()
	resp, err := env.client.Get(url + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func registerManagedWebhook(t *testing.T, agentURL string) {
	t.Helper()
	cfg := fmt.Sprintf(`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: palisade-e2e-managed}
webhooks:
- name: managed.validate.palisade.dev
  clientConfig: {url: "%s/validate", caBundle: "%s"}
  rules:
  - {operations: [CREATE, UPDATE], apiGroups: [""], apiVersions: [v1], resources: [pods]}
  namespaceSelector: {matchLabels: {palisade.dev/managed-by: e2e}}
  failurePolicy: Fail
  sideEffects: NoneOnDryRun
  admissionReviewVersions: [v1]
  timeoutSeconds: 5
`, agentURL, base64.StdEncoding.EncodeToString(env.caPEM))
	if out, err := kubectlIn(context.Background(), cfg, "", "apply", "-f", "-"); err != nil {
		t.Fatalf("register webhook: %v: %s", err, out)
	}
	t.Cleanup(func() {
		kubectl(context.Background(), "", "delete", "validatingwebhookconfiguration", "palisade-e2e-managed", "--ignore-not-found")
	})
}

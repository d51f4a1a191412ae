package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/enforce/admission"
	"github.com/palisade-dev/palisade/internal/platform/devcert"
)

// WebhookName is the name kubectl prints in denials.
const WebhookName = "validate.palisade.dev"

// env is the shared state of the suite: one control plane, one agent.
var env struct {
	kubeconfig string
	caPEM      []byte
	bin        string
	dir        string
	policyFile string
	eventsFile string
	// scanResults is the folder the agent reads image scan reports from.
	scanResults string
	agentURL    string
	client      *http.Client
}

func TestMain(m *testing.M) {
	kc := os.Getenv("PALISADE_E2E_KUBECONFIG")
	if kc == "" {
		fmt.Println("e2e: PALISADE_E2E_KUBECONFIG is not set; skipping (hack/test.sh starts a control plane and sets it)")
		os.Exit(0)
	}
	code, err := setup(kc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e setup:", err)
		os.Exit(1)
	}
	os.Exit(code(m))
}

func setup(kc string) (func(*testing.M) int, error) {
	dir, err := os.MkdirTemp("", "palisade-e2e")
	if err != nil {
		return nil, err
	}
	env.kubeconfig, env.dir = kc, dir
	env.policyFile = filepath.Join(dir, "policy.yaml")
	env.eventsFile = filepath.Join(dir, "events.jsonl")
	env.scanResults = filepath.Join(dir, "scan-results")
	if err := os.Mkdir(env.scanResults, 0o700); err != nil {
		return nil, err
	}
	// The agent follows Trivy Operator's reports: their resources must be
	// served before it starts looking.
	if out, err := kubectlIn(context.Background(), "", "", "apply", "--server-side", "-f", "testdata/trivy-operator-crds.yaml"); err != nil {
		return nil, fmt.Errorf("install the Trivy Operator CRDs: %v: %s", err, out)
	}
	if out, err := kubectlIn(context.Background(), "", "", "wait", "--for=condition=Established", "--timeout=30s",
		"crd/vulnerabilityreports.aquasecurity.github.io", "crd/clustervulnerabilityreports.aquasecurity.github.io",
		"crd/exposedsecretreports.aquasecurity.github.io"); err != nil {
		return nil, fmt.Errorf("wait for the Trivy Operator CRDs: %v: %s", err, out)
	}
	bin := filepath.Join(dir, "palisade")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/palisade").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build palisade: %v\n%s", err, out)
	}
	certs, err := devcert.WriteServing(dir, 24*time.Hour, "127.0.0.1")
	if err != nil {
		return nil, err
	}
	caPEM := certs.CAPEM
	env.caPEM, env.bin = caPEM, bin
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	env.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if err := os.WriteFile(env.policyFile, []byte(policyYAML("boot", "clusterWide: {}")), 0o600); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env.agentURL = fmt.Sprintf("https://127.0.0.1:%d", port)
	logf, err := os.Create(filepath.Join(dir, "agent.log"))
	if err != nil {
		return nil, err
	}
	agent := exec.Command(bin, "agent", "--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--tls-cert-file", filepath.Join(dir, "tls.crt"), "--tls-key-file", filepath.Join(dir, "tls.key"),
		"--policy", env.policyFile, "--events", env.eventsFile, "--reload-interval", "100ms", "--log-format", "text",
		"--cluster-name", "e2e", "--scan-results", env.scanResults, "--trivy-operator", "--watch-roles", "--kubeconfig", kc,
		// The scanned images' registries are not reached from the tests
		// (loopback only): scans are matched by tag, as recorded.
		"--scan-results-by-digest=false")
	agent.Stdout, agent.Stderr = logf, logf
	if err := agent.Start(); err != nil {
		return nil, err
	}
	stop := func() {
		agent.Process.Signal(os.Interrupt)
		agent.Wait()
		logf.Close()
	}
	if err := waitReady(); err != nil {
		stop()
		return nil, fmt.Errorf("%w; agent log: %s", err, readFile(filepath.Join(dir, "agent.log")))
	}
	if err := registerWebhook(caPEM); err != nil {
		stop()
		return nil, err
	}
	return func(m *testing.M) int {
		code := m.Run()
		kubectl(context.Background(), "", "delete", "validatingwebhookconfiguration", "palisade-e2e", "--ignore-not-found")
		stop()
		if code != 0 {
			fmt.Fprintf(os.Stderr, "agent log:\n%s\n", readFile(filepath.Join(dir, "agent.log")))
		} else {
			os.RemoveAll(dir)
		}
		return code
	}, nil
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitReady() error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := env.client.Get(env.agentURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("agent not ready at %s", env.agentURL)
}

func caBundle() string { return base64.StdEncoding.EncodeToString(env.caPEM) }

// registerWebhook registers the agent as the API server would see it from
// the Helm chart, but by URL (there is no Service without a kubelet).
func registerWebhook(caPEM []byte) error {
	ca := base64.StdEncoding.EncodeToString(caPEM)
	cfg := fmt.Sprintf(`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: palisade-e2e}
webhooks:
- name: %s
  clientConfig: {url: "%s/validate", caBundle: "%s"}
  rules: %s
  namespaceSelector:
    matchExpressions:
    - {key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system, palisade-system]}
    - {key: palisade.dev/managed-by, operator: DoesNotExist}
  failurePolicy: Fail
  sideEffects: NoneOnDryRun
  admissionReviewVersions: [v1]
  timeoutSeconds: 5
`, WebhookName, env.agentURL, ca, webhookRulesJSON())
	out, err := kubectlIn(context.Background(), cfg, "", "apply", "-f", "-")
	if err != nil {
		return fmt.Errorf("register webhook: %v: %s", err, out)
	}
	return nil
}

// webhookRulesJSON is what the agent must be sent, derived from the rule
// catalog as the Helm chart's check and the demo derive it (JSON is YAML).
func webhookRulesJSON() string {
	reg, err := rules.Builtin()
	if err != nil {
		panic(err)
	}
	b, err := json.Marshal(admission.WebhookRules(reg))
	if err != nil {
		panic(err)
	}
	return string(b)
}

// result is what a kubectl run printed.
type result struct {
	stdout, stderr string
	err            error
}

func (r result) String() string {
	return fmt.Sprintf("err=%v\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
}

// kubectl runs kubectl in dir ("" for the package folder).
func kubectl(ctx context.Context, dir string, args ...string) result {
	return kubectlStdin(ctx, "", dir, args...)
}

func kubectlStdin(ctx context.Context, stdin, dir string, args ...string) result {
	return kubectlAt(ctx, env.kubeconfig, stdin, dir, args...)
}

// kubectlAt runs kubectl against the API server of kubeconfig.
func kubectlAt(ctx context.Context, kubeconfig, stdin, dir string, args ...string) result {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return result{out.String(), errb.String(), err}
}

func kubectlIn(ctx context.Context, stdin, dir string, args ...string) (string, error) {
	r := kubectlStdin(ctx, stdin, dir, args...)
	return r.stdout + r.stderr, r.err
}

// policyYAML builds a policy named name with the given spec body.
func policyYAML(name, spec string) string {
	return "apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: " + name + "}\nspec:\n  " + strings.ReplaceAll(strings.TrimSpace(spec), "\n", "\n  ") + "\n"
}

// usePolicy writes the policy file and waits until the agent enforces it.
func usePolicy(t *testing.T, name, spec string) {
	t.Helper()
	if err := os.WriteFile(env.policyFile, []byte(policyYAML(name, spec)), 0o600); err != nil {
		t.Fatal(err)
	}
	want := `palisade_policy_info{hash=`
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := env.client.Get(env.agentURL + "/metrics")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, l := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(l, want) && strings.Contains(l, `name="`+name+`"`) {
					return
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the agent did not load policy %q; agent log:\n%s", name, readFile(filepath.Join(env.dir, "agent.log")))
}

// namespace creates a namespace with its default ServiceAccount (there is
// no controller-manager to create it) and deletes it at the end.
func namespace(t *testing.T, name string) {
	t.Helper()
	ctx := context.Background()
	if r := kubectl(ctx, "", "create", "namespace", name); r.err != nil && !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("create namespace: %s", r)
	}
	if r := kubectl(ctx, "", "create", "serviceaccount", "default", "-n", name); r.err != nil && !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("create serviceaccount: %s", r)
	}
}

// cleanup deletes objects at the end of a test, without waiting.
func cleanup(t *testing.T, args ...string) {
	t.Cleanup(func() {
		kubectl(context.Background(), "", append([]string{"delete", "--ignore-not-found", "--wait=false"}, args...)...)
	})
}

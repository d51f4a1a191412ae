package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/agent"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/enforce/admission"
	"github.com/palisade-dev/palisade/internal/platform/backoff"
	"github.com/palisade-dev/palisade/internal/platform/devcert"
	"github.com/palisade-dev/palisade/internal/platform/edge"
	"github.com/palisade-dev/palisade/internal/platform/progress"
	"github.com/palisade-dev/palisade/internal/platform/redact"
)

//go:embed demo-policy.yaml
var demoPolicy []byte

// demoConfig is the demo's typed configuration.
type demoConfig struct {
	dir        string
	listen     string
	kubeconfig string
	// kube is kubectl's flags: --kubeconfig, --context, --as, -n.
	kube      *kubeFlags
	namespace string
	exit      bool
	// node runs the demo on a real node (hack/cluster.sh) instead.
	node bool
	logs *logFlags
	// progress, when set, shows how long the control plane takes to start.
	progress io.Writer
}

const (
	demoCluster = "demo"
	demoWebhook = "palisade-demo"
	// demoLabel marks the namespace the demo's webhook judges.
	demoLabel = "palisade.dev/managed-by"
)

func newDemoCmd() *cobra.Command {
	cfg := demoConfig{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole product locally: a Kubernetes control plane, the console and a managed agent",
		Long: `Start everything on loopback and walk through the examples of Trend Micro
Container Security and Azure Policy for Kubernetes:

  1. a kube-apiserver + etcd from hack/controlplane.sh (the first run installs
     etcd and builds kube-apiserver: about 4 minutes; later runs take seconds),
     unless --kubeconfig points at a cluster to use instead;
  2. the console on SQLite, with the admin token in DIR/admin-token;
  3. a cluster "demo" registered there, assigned the demo policy (privileged
     and hostPID containers blocked, the Azure Policy recommendations logged);
  4. a managed agent, registered as the API server's admission webhook for one
     namespace (labelled ` + demoLabel + `=demo); the agent listens on
     127.0.0.1, so --kubeconfig must name an API server on this machine;
  5. kubectl apply of every file in examples/, printing what the API server
     answered.

It then prints the event trail and the console's URL and keeps running until
Ctrl-C, when it removes its webhook and stops what it started. Run it from the
repository's root.

--node runs containers instead (as root): hack/cluster.sh starts a real node
(kubelet, containerd) with Palisade installed by Helm from its own image; a
privileged pod and a hostPID pod run, the policy is tightened, and the demo
shows the first container killed and the second cut off from a client pod
(its traffic before and after). The first run builds Kubernetes' node
components (about 15 minutes); later runs take about a minute.

--context and --as (kubectl's) apply to the --kubeconfig cluster.`,
		Example: `  palisade demo                                          # starts its own control plane
  palisade demo --exit                                   # print the results and stop
  palisade demo --kubeconfig ~/.kube/config --context kind-dev -n palisade-demo
  sudo palisade demo --node --exit                       # a real node: terminate and isolate running pods`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.logs.validate(); err != nil {
				return err
			}
			cfg.kubeconfig = *cfg.kube.KubeConfig
			if cfg.node && cfg.kubeconfig != "" {
				return badInput(fmt.Errorf("--node starts its own node: it takes no --kubeconfig"))
			}
			if cfg.kubeconfig == "" {
				for _, name := range []string{"context", "as", "as-group"} {
					if cmd.Flags().Changed(name) {
						return badInput(fmt.Errorf("--%s needs --kubeconfig (without it the demo starts its own control plane)", name))
					}
				}
			}
			if cfg.namespace = *cfg.kube.Namespace; cfg.namespace == "" {
				cfg.namespace = "default"
			}
			if progress.Enabled(cmd.ErrOrStderr(), os.Getenv) {
				cfg.progress = cmd.ErrOrStderr()
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if cfg.node {
				return runNodeDemo(ctx, cfg, cmd.OutOrStdout())
			}
			return runDemo(ctx, cfg, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.dir, "dir", filepath.Join(os.TempDir(), "palisade-demo"), "state folder (database, tokens, logs, control plane)")
	f.StringVar(&cfg.listen, "listen", "127.0.0.1:8080", "the console's address")
	cfg.kube = addKubeFlags(cmd, kubeFlagOptions{namespace: `namespace the examples are applied to (and the webhook judges) (default "default")`})
	f.Lookup("kubeconfig").Usage = "use the cluster of this kubeconfig instead of starting one from hack/"
	f.BoolVar(&cfg.exit, "exit", false, "stop after printing the results instead of waiting for Ctrl-C")
	f.BoolVar(&cfg.node, "node", false, "run on a real node started by hack/cluster.sh (as root): running pods terminated and isolated")
	cfg.logs = addLogFlags(f, "text") // DIR/palisade.log, read by people
	return cmd
}

// demo is one run's state.
type demo struct {
	cfg   demoConfig
	out   io.Writer
	root  string // the repository
	api   string // console URL
	admin string
	start time.Time
}

func (d *demo) step(format string, a ...any) { fmt.Fprintf(d.out, "==> "+format+"\n", a...) }

func runDemo(ctx context.Context, cfg demoConfig, out io.Writer) (err error) {
	d := &demo{cfg: cfg, out: out}
	if d.root, err = repoRoot(); err != nil {
		return badInput(err)
	}
	if err := os.MkdirAll(cfg.dir, 0o700); err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(cfg.dir, "palisade.log"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	logger, err := cfg.logs.logger(logf)
	if err != nil {
		return err
	}

	if cfg.kubeconfig == "" {
		d.step("starting a kube-apiserver and etcd on loopback (hack/controlplane.sh; the first run builds kube-apiserver, ~4 min)")
		cpDir := filepath.Join(cfg.dir, "controlplane")
		if err := d.controlPlane(ctx, cpDir, "up"); err != nil {
			return err
		}
		defer func() {
			d.step("stopping the control plane")
			_ = d.controlPlane(context.Background(), cpDir, "down")
		}()
		d.cfg.kubeconfig = filepath.Join(cpDir, "kubeconfig")
	} else if err := d.checkLoopback(); err != nil {
		return badInput(err)
	}
	d.start = time.Now()

	// The console, in this process.
	ccfg := consoleConfig{listen: cfg.listen, database: "sqlite://" + filepath.Join(cfg.dir, "console.db"),
		adminTokenFile: filepath.Join(cfg.dir, "admin-token"), maxConnsPerClient: edge.DefaultPerClient}
	if err := ccfg.validate(); err != nil { // plain HTTP: loopback only
		return badInput(err)
	}
	consoleCtx, stopConsole := context.WithCancel(context.Background())
	consoleDone := make(chan error, 1)
	consoleReady := make(chan net.Addr, 1)
	go func() {
		consoleDone <- runConsole(consoleCtx, ccfg, logger.With("component", "console"), io.Discard, consoleReady)
	}()
	defer func() { stopConsole(); <-consoleDone }()
	select {
	case addr := <-consoleReady:
		d.api = "http://" + addr.String()
	case err := <-consoleDone:
		return fmt.Errorf("console: %w", err)
	}
	b, err := os.ReadFile(ccfg.adminTokenFile)
	if err != nil {
		return err
	}
	d.admin = strings.TrimSpace(string(b))
	d.step("console on SQLite at %s (admin token in %s)", d.api, ccfg.adminTokenFile)

	token, err := d.setUpCluster(ctx)
	if err != nil {
		return err
	}

	// The managed agent, in this process.
	certs, err := devcert.WriteServing(cfg.dir, 7*24*time.Hour, "127.0.0.1")
	if err != nil {
		return err
	}
	acfg := agent.Config{Listen: "127.0.0.1:0", TLSCertFile: certs.Cert, TLSKeyFile: certs.Key, PollInterval: 2 * time.Second,
		ConsoleURL: d.api, Token: token, StateDir: filepath.Join(cfg.dir, "agent")}
	agentCtx, stopAgent := context.WithCancel(context.Background())
	agentDone := make(chan error, 1)
	agentReady := make(chan net.Addr, 1)
	go func() { agentDone <- agent.Run(agentCtx, acfg, logger.With("component", "agent"), agentReady) }()
	defer func() { stopAgent(); <-agentDone }()
	var agentURL string
	select {
	case addr := <-agentReady:
		agentURL = "https://" + addr.String()
	case err := <-agentDone:
		return fmt.Errorf("agent: %w", err)
	}
	if err := d.waitEnforcing(ctx); err != nil {
		return err
	}
	d.step("managed agent at %s enforces the console's policy %q", agentURL, "demo")

	if err := d.registerWebhook(ctx, agentURL, certs.CAPEM); err != nil {
		return err
	}
	defer func() {
		d.step("removing the webhook")
		_, _ = d.kubectl(context.Background(), "", "delete", "validatingwebhookconfiguration", demoWebhook, "--ignore-not-found")
		_, _ = d.kubectl(context.Background(), "", "label", "namespace", cfg.namespace, demoLabel+"-")
	}()
	d.step("webhook registered for namespace %q; applying the examples", cfg.namespace)

	denied, err := d.applyExamples(ctx)
	if err != nil {
		return err
	}
	if err := d.printEvents(ctx, denied); err != nil {
		return err
	}
	if cfg.exit {
		return nil
	}
	fmt.Fprintf(out, `
The console is at %s: open %s/events and log in with the token in %s
  curl -H "Authorization: Bearer $(cat %s)" '%s/api/v1/events?action=block'
Try it yourself:
  export KUBECONFIG=%s
  kubectl apply -n %s -f examples/busybox.yaml
Press Ctrl-C to stop.
`, d.api, d.api, ccfg.adminTokenFile, ccfg.adminTokenFile, d.api, d.cfg.kubeconfig, cfg.namespace)
	<-ctx.Done()
	return nil
}

// checkLoopback refuses a cluster whose API server is not on this machine:
// the agent runs in this process on 127.0.0.1, and a webhook the API server
// cannot reach would refuse every pod in the namespace.
func (d *demo) checkLoopback() error {
	rc, err := d.cfg.kube.ToRESTConfig()
	if err != nil {
		return fmt.Errorf("--kubeconfig %s: %w", d.cfg.kubeconfig, err)
	}
	server := rc.Host
	u, err := url.Parse(server)
	if err != nil {
		return fmt.Errorf("--kubeconfig %s: server %q: %w", d.cfg.kubeconfig, redact.URL(server), err)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--kubeconfig %s: the API server %s is not on loopback; the demo's agent listens on 127.0.0.1, "+
			"which only an API server on this machine can call (use hack/controlplane.sh, or install the Helm chart)", d.cfg.kubeconfig, redact.URL(server))
	}
	return nil
}

// repoRoot finds the repository from the working directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "hack", "controlplane.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("demo: run it inside the Palisade repository (hack/controlplane.sh and examples/ are needed)")
		}
		dir = parent
	}
}

func (d *demo) controlPlane(ctx context.Context, dir, verb string) error {
	return d.script(ctx, "controlplane.sh", "PALISADE_CONTROLPLANE_DIR="+dir, "controlplane: "+verb, verb)
}

// script runs hack/NAME with one more environment variable. On a
// terminal, a line tells how long the script has been at its latest step
// (a first run builds Kubernetes for minutes).
func (d *demo) script(ctx context.Context, name, env, first string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(d.root, "hack", name), args...)
	cmd.Env = append(os.Environ(), env)
	var step scriptStep
	step.set(first)
	line := progress.New(d.cfg.progress, step.get, progress.Options{})
	line.Start()
	defer line.Stop()
	cmd.Stdout, cmd.Stderr = io.Discard, io.MultiWriter(line.Above(d.out), &step)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("hack/%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

func (d *demo) kubectl(ctx context.Context, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kubectl", append(d.kubectlFlags(), args...)...)
	cmd.Dir = d.root
	cmd.Stdin = strings.NewReader(stdin)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return strings.TrimSpace(buf.String()), err
}

// kubectlFlags point kubectl at the demo's cluster, as the flags chose it.
func (d *demo) kubectlFlags() []string {
	flags := []string{"--kubeconfig", d.cfg.kubeconfig}
	if k := d.cfg.kube; k != nil {
		if *k.Context != "" {
			flags = append(flags, "--context", *k.Context)
		}
		if *k.Impersonate != "" {
			flags = append(flags, "--as", *k.Impersonate)
		}
		for _, g := range *k.ImpersonateGroup {
			flags = append(flags, "--as-group", g)
		}
	}
	return flags
}

// scriptStep keeps the last line a script printed, for the progress line.
type scriptStep struct {
	mu   sync.Mutex
	last string
	part []byte
}

func (s *scriptStep) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.part = append(s.part, p...)
	for {
		i := bytes.IndexByte(s.part, '\n')
		if i < 0 {
			break
		}
		// "controlplane: building kube-apiserver v1.35.0 from the Go
		// module (several minutes, ...)": the line keeps what precedes
		// the parenthesis.
		l, _, _ := strings.Cut(string(s.part[:i]), " (")
		if l = strings.TrimSpace(l); l != "" {
			s.last = l
		}
		s.part = s.part[i+1:]
	}
	return len(p), nil
}

func (s *scriptStep) set(l string) { s.mu.Lock(); s.last = l; s.mu.Unlock() }

func (s *scriptStep) get() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// call is one console API request with the admin token.
func (d *demo) call(ctx context.Context, method, path, contentType string, body []byte, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, d.api+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+d.admin)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 && resp.StatusCode != http.StatusConflict && resp.StatusCode != http.StatusNotFound {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil && len(b) > 0 {
		_ = json.Unmarshal(b, out)
	}
	return resp.StatusCode, nil
}

// setUpCluster stores the demo policy, registers the cluster afresh (a
// token is shown only once) and assigns the policy; it returns the agent
// token.
func (d *demo) setUpCluster(ctx context.Context) (string, error) {
	code, err := d.call(ctx, http.MethodPost, "/api/v1/policies", "application/yaml", demoPolicy, nil)
	if err != nil {
		return "", err
	}
	if code == http.StatusConflict {
		if _, err := d.call(ctx, http.MethodPut, "/api/v1/policies/demo", "application/yaml", demoPolicy, nil); err != nil {
			return "", err
		}
	}
	if _, err := d.call(ctx, http.MethodDelete, "/api/v1/clusters/"+demoCluster, "", nil, nil); err != nil {
		return "", err
	}
	var reg struct {
		Token string `json:"token"`
	}
	body := fmt.Sprintf(`{"name": %q, "policy": "demo"}`, demoCluster)
	if _, err := d.call(ctx, http.MethodPost, "/api/v1/clusters", "application/json", []byte(body), &reg); err != nil {
		return "", err
	}
	d.step("cluster %q registered and assigned the policy \"demo\"", demoCluster)
	return reg.Token, nil
}

// waitEnforcing waits until the console shows the agent enforcing the
// demo policy.
func (d *demo) waitEnforcing(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var c struct {
			AgentPolicy string `json:"agentPolicy"`
		}
		if _, err := d.call(ctx, http.MethodGet, "/api/v1/clusters/"+demoCluster, "", nil, &c); err == nil &&
			strings.HasPrefix(c.AgentPolicy, `"demo-`) {
			return nil
		}
		if !backoff.Sleep(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
	return fmt.Errorf("the agent did not take the demo policy within 30 s (see %s)", filepath.Join(d.cfg.dir, "palisade.log"))
}

func (d *demo) registerWebhook(ctx context.Context, agentURL string, caPEM []byte) error {
	ns := d.cfg.namespace
	if out, err := d.kubectl(ctx, "", "create", "namespace", ns); err != nil && !strings.Contains(out, "already exists") {
		return fmt.Errorf("create namespace %s: %s", ns, out)
	}
	if out, err := d.kubectl(ctx, "", "create", "serviceaccount", "default", "-n", ns); err != nil && !strings.Contains(out, "already exists") {
		return fmt.Errorf("create the default ServiceAccount of %s: %s", ns, out)
	}
	if out, err := d.kubectl(ctx, "", "label", "namespace", ns, demoLabel+"=demo", "--overwrite"); err != nil {
		return fmt.Errorf("label namespace %s: %s", ns, out)
	}
	cfg, err := demoWebhookConfig(agentURL, caPEM)
	if err != nil {
		return err
	}
	if out, err := d.kubectl(ctx, cfg, "apply", "-f", "-"); err != nil {
		return fmt.Errorf("register the webhook: %s", out)
	}
	return nil
}

// demoWebhookConfig sends the agent every object the catalog's rules read
// (admission.WebhookRules) in the demo's namespace, and the cluster-scoped
// RBAC objects, which no namespace selector limits.
func demoWebhookConfig(agentURL string, caPEM []byte) (string, error) {
	reg, err := rules.Builtin()
	if err != nil {
		return "", err
	}
	url := agentURL + "/validate"
	fail := admissionregistrationv1.Fail
	sideEffects := admissionregistrationv1.SideEffectClassNoneOnDryRun
	timeout := int32(5)
	cfg := admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: demoWebhook},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:                    "validate.palisade.dev",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caPEM},
			Rules:                   admission.WebhookRules(reg),
			NamespaceSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{demoLabel: "demo"}},
			FailurePolicy:           &fail,
			SideEffects:             &sideEffects,
			AdmissionReviewVersions: []string{"v1"},
			TimeoutSeconds:          &timeout,
		}},
	}
	b, err := json.Marshal(cfg)
	return string(b), err
}

// applyExamples applies every seed example and prints the API server's
// answer; it returns how many were denied.
func (d *demo) applyExamples(ctx context.Context) (int, error) {
	files, err := filepath.Glob(filepath.Join(d.root, "examples", "*"))
	if err != nil || len(files) == 0 {
		return 0, fmt.Errorf("no examples in %s", filepath.Join(d.root, "examples"))
	}
	denied := 0
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.IsDir() {
			continue // examples/tests holds `palisade test` suites, not manifests
		}
		rel, _ := filepath.Rel(d.root, f)
		fmt.Fprintf(d.out, "\n$ kubectl apply -n %s -f %s\n", d.cfg.namespace, rel)
		out, err := d.kubectl(ctx, "", "apply", "-n", d.cfg.namespace, "-f", rel)
		fmt.Fprintln(d.out, indent(out))
		if err != nil {
			denied++
		}
	}
	fmt.Fprintln(d.out)
	return denied, nil
}

func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "  " + strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// printEvents waits until the console holds an event for every denial and
// prints the trail.
func (d *demo) printEvents(ctx context.Context, denied int) error {
	var page struct {
		Items []struct {
			Time      time.Time `json:"time"`
			Namespace string    `json:"namespace"`
			Kind      string    `json:"kind"`
			Name      string    `json:"name"`
			Rule      string    `json:"rule"`
			Action    string    `json:"action"`
		} `json:"items"`
	}
	path := "/api/v1/events?limit=200&cluster=" + demoCluster + "&since=" + d.start.UTC().Format(time.RFC3339)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := d.call(ctx, http.MethodGet, path+"&action=block", "", nil, &page); err != nil {
			return err
		}
		if len(page.Items) >= denied || time.Now().After(deadline) {
			break
		}
		if !backoff.Sleep(ctx, 200*time.Millisecond) {
			return ctx.Err()
		}
	}
	if _, err := d.call(ctx, http.MethodGet, path, "", nil, &page); err != nil {
		return err
	}
	logged := 0
	for _, e := range page.Items {
		if e.Action == "log" {
			logged++
		}
	}
	d.step("the event trail at the console (GET /api/v1/events?cluster=%s): %d events, %d of them log-only findings; the denials:",
		demoCluster, len(page.Items), logged)
	for _, e := range page.Items {
		if e.Action != "log" {
			fmt.Fprintf(d.out, "  %s  %-6s %-12s %s %s/%s\n", e.Time.Local().Format("15:04:05"), e.Action, e.Rule, e.Kind, e.Namespace, e.Name)
		}
	}
	return nil
}

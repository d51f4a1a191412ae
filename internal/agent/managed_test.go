package agent

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/console/agentclient"
	"github.com/palisade-dev/palisade/internal/console/consoletest"
	"github.com/palisade-dev/palisade/internal/console/httpapi"
	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/platform/devcert"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

const adminToken = "admin-token-for-agent-tests"

// consoleFixture is a real console (service, SQLite store, REST API) that
// can be stopped and started again on the same address, as an outage.
type consoleFixture struct {
	t     testing.TB
	svc   *service.Service
	st    store.Store
	addr  string
	srv   *http.Server
	done  chan struct{}
	token string // the cluster's agent token
}

func newConsole(t testing.TB) *consoleFixture {
	t.Helper()
	svc, st, _ := consoletest.New(t)
	c := &consoleFixture{t: t, svc: svc, st: st, addr: "127.0.0.1:0"}
	c.start()
	t.Cleanup(c.stop)
	var err error
	_, c.token, err = c.svc.RegisterCluster(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *consoleFixture) url() string { return "http://" + c.addr }

func (c *consoleFixture) start() {
	c.t.Helper()
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		c.t.Fatal(err)
	}
	c.addr = ln.Addr().String()
	c.srv = &http.Server{Handler: httpapi.New(httpapi.Options{Service: c.svc, AdminToken: adminToken})}
	c.done = make(chan struct{})
	go func() { defer close(c.done); _ = c.srv.Serve(ln) }()
}

// stop closes the listener and every connection, long polls included.
func (c *consoleFixture) stop() {
	if c.srv == nil {
		return
	}
	c.srv.Close()
	<-c.done
	c.srv = nil
}

func (c *consoleFixture) createPolicy(name, action string) {
	c.t.Helper()
	if _, err := c.svc.CreatePolicy(context.Background(), []byte(policyYAML(name, action))); err != nil {
		c.t.Fatal(err)
	}
}

func (c *consoleFixture) assign(name string) {
	c.t.Helper()
	if _, err := c.svc.AssignPolicy(context.Background(), "prod", name); err != nil {
		c.t.Fatal(err)
	}
}

func (c *consoleFixture) events() []string {
	c.t.Helper()
	page, err := c.st.ListEvents(context.Background(), store.EventFilter{Cluster: "prod", Limit: 1000})
	if err != nil {
		c.t.Fatal(err)
	}
	ids := make([]string, len(page.Events))
	for i, e := range page.Events {
		ids[i] = e.ID
	}
	return ids
}

func (c *consoleFixture) agentPolicy() string {
	c.t.Helper()
	cl, err := c.st.GetCluster(context.Background(), "prod")
	if err != nil {
		c.t.Fatal(err)
	}
	return cl.AgentPolicy
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startManaged(t *testing.T, c *consoleFixture, state string) *ManagedPolicy {
	return startManagedWatched(t, c, state, nil)
}

func startManagedWatched(t testing.TB, c *consoleFixture, state string, onChange func(*engine.Compiled, string, error)) *ManagedPolicy {
	t.Helper()
	reg, _ := rules.Builtin()
	client, err := agentclient.New(c.url(), c.token, "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewManagedPolicy(reg, ManagedOptions{Client: client, StateDir: state, Wait: 2 * time.Second, OnChange: onChange})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return m
}

func policyName(m *ManagedPolicy) string {
	if c := m.Current(); c != nil {
		return c.Policy.Metadata.Name
	}
	return ""
}

func TestManagedPolicyFollowsTheConsole(t *testing.T) {
	c := newConsole(t)
	c.createPolicy("strict", "block")
	c.createPolicy("lenient", "log")
	m := startManaged(t, c, t.TempDir())

	// No policy assigned: a decision all the same (allow everything).
	eventually(t, "a first answer", func() bool { return m.Ready() == nil })
	if m.Current() != nil || m.Version() != `"none"` {
		t.Fatalf("with no policy assigned: current %q, version %s", policyName(m), m.Version())
	}
	c.assign("strict")
	eventually(t, "the assigned policy", func() bool { return policyName(m) == "strict" })
	eventually(t, "the console to show the version enforced", func() bool { return c.agentPolicy() == m.Version() })

	// An edit reaches the agent through the long poll.
	if _, err := c.svc.UpdatePolicy(context.Background(), "strict", []byte(policyYAML("strict", "log")), 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the edited policy", func() bool {
		r := m.Current()
		return r != nil && string(r.Policy.Spec.ClusterWide.Deployment.Rules[0].Action) == "log"
	})
	c.assign("lenient")
	eventually(t, "the reassigned policy", func() bool { return policyName(m) == "lenient" })
	c.assign("")
	eventually(t, "the cleared assignment", func() bool { return m.Current() == nil && m.Version() == `"none"` })
}

// A policy this agent cannot compile (written by a newer console, say) is
// refused; the previous one keeps enforcing and the console shows which.
func TestManagedPolicyRejectsWhatItCannotCompile(t *testing.T) {
	c := newConsole(t)
	c.createPolicy("strict", "block")
	c.assign("strict")
	rejected := make(chan error, 1)
	m := startManagedWatched(t, c, t.TempDir(), func(_ *engine.Compiled, _ string, err error) {
		if err != nil {
			rejected <- err
		}
	})
	eventually(t, "the assigned policy", func() bool { return policyName(m) == "strict" })
	good := m.Version()
	// Bypass the console's validation, as a newer console's catalog would.
	future := strings.Replace(policyYAML("strict", "block"), "privileged", "ruleFromTheFuture", 1)
	raw, err := yaml.YAMLToJSON([]byte(future))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.st.UpdatePolicy(context.Background(), "strict", raw, 0); err != nil {
		t.Fatal(err)
	}
	// A change made through the console (as the newer console's would
	// be announced to this one) wakes the long poll and empties the
	// console's cache of what agents pull.
	c.createPolicy("unrelated", "log")
	if _, err := c.svc.UpdatePolicy(context.Background(), "unrelated", []byte(policyYAML("unrelated", "block")), 0); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-rejected:
		if !strings.Contains(err.Error(), "ruleFromTheFuture") {
			t.Errorf("rejection %q should name the unknown rule", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not reject the policy it cannot compile")
	}
	eventually(t, "the console to show the version still enforced", func() bool { return c.agentPolicy() == good })
	if policyName(m) != "strict" || m.Version() != good {
		t.Errorf("enforcing %q %s, want the previous version %s", policyName(m), m.Version(), good)
	}
	if r := m.Current(); r == nil || r.Policy.Spec.ClusterWide.Deployment.Rules[0].Rule != "privileged" {
		t.Errorf("the previous policy should still be in force")
	}
}

// An agent restarted while the console is down enforces the policy it
// saved.
func TestManagedPolicySurvivesRestartWithoutConsole(t *testing.T) {
	c := newConsole(t)
	c.createPolicy("strict", "block")
	c.assign("strict")
	state := t.TempDir()
	reg, _ := rules.Builtin()
	{
		m := startManaged(t, c, state)
		eventually(t, "the assigned policy", func() bool { return policyName(m) == "strict" })
	}
	c.stop()
	client, err := agentclient.New(c.url(), c.token, "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewManagedPolicy(reg, ManagedOptions{Client: client, StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Ready(); err != nil || policyName(m) != "strict" {
		t.Fatalf("after restart without the console: ready %v, policy %q", err, policyName(m))
	}
	// A corrupt saved file is reported and ignored, not trusted.
	if err := os.WriteFile(filepath.Join(state, "policy.json"), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err = NewManagedPolicy(reg, ManagedOptions{Client: client, StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	if m.Ready() == nil {
		t.Errorf("a corrupt saved policy should leave the agent not ready")
	}
}

// The whole managed agent: admission decisions while the console is up,
// down, and after the agent itself restarts during the outage; every event
// reaches the console exactly once.
// managedAgent runs a managed agent (the whole of Run) against a console
// fixture, with its state in a directory of its own.
type managedAgent struct {
	t      *testing.T
	cfg    Config
	hc     *http.Client
	logger *slog.Logger
}

func newManagedAgent(t *testing.T, c *consoleFixture) *managedAgent {
	t.Helper()
	dir := t.TempDir()
	certs, err := devcert.WriteServing(dir, time.Hour, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certs.CAPEM)
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	cfg := Config{Listen: "127.0.0.1:0", TLSCertFile: certs.Cert, TLSKeyFile: certs.Key, PollInterval: time.Second,
		ConsoleURL: c.url(), Token: c.token, StateDir: filepath.Join(dir, "state"), PolicyWait: 2 * time.Second}
	return &managedAgent{t: t, cfg: cfg, hc: hc, logger: slog.New(slog.DiscardHandler)}
}

// run starts the agent and waits until it is ready; it returns the
// agent's URL and a function that stops it.
func (a *managedAgent) run() (string, func()) {
	t := a.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, a.cfg, a.logger, ready) }()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	url := "https://" + addr.String()
	eventually(t, "the agent to be ready", func() bool {
		resp, err := a.hc.Get(url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return url, func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// review sends the agent a privileged pod to judge, which the policy
// "strict" denies: one event.
func (a *managedAgent) review(url string, n int) {
	t := a.t
	t.Helper()
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"busyboxpod","namespace":"default"},"spec":{"containers":[{"name":"busybox-container","image":"busybox","securityContext":{"privileged":true}}]}}`
	body := fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-%d","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"default","operation":"CREATE","userInfo":{"username":"alice"},"object":%s}}`, n, pod)
	resp, err := a.hc.Post(url+"/validate", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `"allowed":false`) {
		t.Fatalf("review %d: %s, want a denial", n, b)
	}
}

func TestManagedAgentDeliversEveryEventOnce(t *testing.T) {
	c := newConsole(t)
	c.createPolicy("strict", "block")
	c.assign("strict")
	a := newManagedAgent(t, c)

	url, stop := a.run()
	eventually(t, "the assigned policy in force", func() bool { return strings.HasPrefix(c.agentPolicy(), `"strict-`) })
	a.review(url, 1)
	eventually(t, "the first event at the console", func() bool { return len(c.events()) == 1 })

	c.stop()
	a.review(url, 2) // the console is down: the policy still enforces
	stop()           // and the agent restarts during the outage
	url, stop = a.run()
	defer func() { stop() }()
	a.review(url, 3)
	c.start()
	eventually(t, "the events of the outage", func() bool { return len(c.events()) == 3 })
	// Nothing is delivered twice: another decision arrives, alone.
	a.review(url, 4)
	eventually(t, "the fourth event", func() bool { return len(c.events()) >= 4 })
	ids := c.events()
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("event %s stored twice", id)
		}
		seen[id] = true
	}
	if len(ids) != 4 {
		t.Errorf("%d events at the console, want 4", len(ids))
	}
}

// A token rotated on the console with no overlap, written to the agent's
// --token-file (as the kubelet writes an updated Secret), is taken up
// without a restart: events go on being delivered and the policy followed.
func TestManagedAgentTakesARotatedTokenFromItsFile(t *testing.T) {
	c := newConsole(t)
	c.createPolicy("strict", "block")
	c.createPolicy("stricter", "block")
	c.assign("strict")
	a := newManagedAgent(t, c)
	tokenFile := filepath.Join(t.TempDir(), "token")
	writeToken(t, tokenFile, c.token)
	a.cfg.Token, a.cfg.TokenFile = "", tokenFile

	url, stop := a.run()
	defer stop()
	eventually(t, "the assigned policy in force", func() bool { return strings.HasPrefix(c.agentPolicy(), `"strict-`) })
	a.review(url, 1)
	eventually(t, "the first event at the console", func() bool { return len(c.events()) == 1 })

	_, rotated, err := c.svc.RotateToken(context.Background(), "prod", 0)
	if err != nil {
		t.Fatal(err)
	}
	writeToken(t, tokenFile, rotated)
	a.review(url, 2)
	eventually(t, "the event sent with the new token", func() bool { return len(c.events()) == 2 })
	c.assign("stricter")
	eventually(t, "the policy polled with the new token", func() bool { return strings.HasPrefix(c.agentPolicy(), `"stricter-`) })
}

// writeToken replaces the token file at once, as the kubelet's rename does.
func writeToken(t *testing.T, path, token string) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

// A --console URL with a password (http://user:pass@host) is logged with
// the password hidden.
func TestManagedAgentHidesTheConsolePassword(t *testing.T) {
	c := newConsole(t)
	a := newManagedAgent(t, c)
	a.cfg.ConsoleURL = "http://agent:s3cret@" + c.addr
	var logs fixture.Buffer
	a.logger = slog.New(slog.NewTextHandler(&logs, nil))
	_, stop := a.run()
	stop()
	out := logs.String()
	if strings.Contains(out, "s3cret") || !strings.Contains(out, "agent:xxxxx@") {
		t.Errorf("the log shows the console's password, or not the redacted URL:\n%s", out)
	}
}

// A fresh agent that refuses the console's policy enforces nothing, and the
// console must not show it in sync.
func TestFreshAgentRefusingAPolicyIsNotShownInSync(t *testing.T) {
	c := newConsole(t)
	c.createPolicy("strict", "block")
	raw, err := yaml.YAMLToJSON([]byte(strings.Replace(policyYAML("strict", "block"), "privileged", "ruleFromTheFuture", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.st.UpdatePolicy(context.Background(), "strict", raw, 0); err != nil {
		t.Fatal(err)
	}
	c.assign("strict")
	refused := make(chan struct{}, 1)
	m := startManagedWatched(t, c, t.TempDir(), func(_ *engine.Compiled, _ string, err error) {
		if err != nil {
			select {
			case refused <- struct{}{}:
			default:
			}
		}
	})
	select {
	case <-refused:
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not refuse the policy")
	}
	refusedAt := time.Now().Add(-time.Millisecond)
	eventually(t, "the agent's poll after refusing", func() bool {
		cl, err := c.st.GetCluster(context.Background(), "prod")
		return err == nil && cl.LastSeen.After(refusedAt)
	})
	if got := c.agentPolicy(); got != "" {
		t.Errorf("the console shows the agent enforcing %s; it enforces nothing", got)
	}
	if m.Ready() == nil {
		t.Errorf("an agent enforcing nothing is not ready")
	}
}

// The console's rulesets that the policy binds come with it, are kept on
// disk with it, and follow edits.
func TestManagedRulesetsFollowTheConsole(t *testing.T) {
	c := newConsole(t)
	ruleset := func(priority string) []byte {
		return []byte(`apiVersion: palisade.dev/v1
kind: RuntimeRuleset
metadata: {name: guard}
spec:
  falcoRules:
    - rule: Exec
      desc: d
      condition: ka.target.subresource=exec
      output: exec into %ka.target.name
      priority: ` + priority + `
      source: k8s_audit
`)
	}
	ctx := context.Background()
	if _, err := c.svc.CreateRuleset(ctx, ruleset("WARNING")); err != nil {
		t.Fatal(err)
	}
	pol := `apiVersion: palisade.dev/v1
kind: Policy
metadata: {name: rt}
spec:
  clusterWide:
    runtime: {rulesets: [{ruleset: guard, action: isolate}]}
`
	if _, err := c.svc.CreatePolicy(ctx, []byte(pol)); err != nil {
		t.Fatal(err)
	}
	c.assign("rt")
	state := t.TempDir()
	m := startManaged(t, c, state)
	priority := func(m *ManagedPolicy) string {
		for _, rs := range m.Rulesets() {
			if r := rs.Rules.Rule("Exec"); rs.Name == "guard" && r != nil {
				return r.Priority.String()
			}
		}
		return ""
	}
	eventually(t, "the bound ruleset", func() bool { return priority(m) == "Warning" })
	if _, err := c.svc.UpdateRuleset(ctx, "guard", ruleset("CRITICAL"), 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the edited ruleset", func() bool { return priority(m) == "Critical" })

	c.stop()
	client, err := agentclient.New(c.url(), c.token, "")
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := rules.Builtin()
	restarted, err := NewManagedPolicy(reg, ManagedOptions{Client: client, StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	if got := priority(restarted); got != "Critical" {
		t.Errorf("after a restart without the console: ruleset priority %q, want the saved Critical", got)
	}
}

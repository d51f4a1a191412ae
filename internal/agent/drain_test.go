package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/platform/devcert"
)

// Told to stop, the agent first drains: /readyz fails so the pod leaves
// the Service, while requests are still answered; only then does it close
// its port.
func TestShutdownDelayDrains(t *testing.T) {
	dir := t.TempDir()
	certs, err := devcert.WriteServing(dir, time.Hour, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte("apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: p}\nspec: {clusterWide: {}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Listen: "127.0.0.1:0", TLSCertFile: filepath.Join(dir, "tls.crt"), TLSKeyFile: filepath.Join(dir, "tls.key"),
		PolicyFile: policy, PollInterval: time.Second, ShutdownDelay: 2 * time.Second}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, slog.New(slog.DiscardHandler), ready) }()
	var addr net.Addr
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("agent stopped: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certs.CAPEM)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(path string) int {
		resp, err := client.Get("https://" + addr.String() + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor(t, func() bool { return get("/readyz") == http.StatusOK }, "/readyz to pass")
	stop()
	waitFor(t, func() bool { return get("/readyz") == http.StatusServiceUnavailable }, "/readyz to fail once stopping")
	resp, err := client.Get("https://" + addr.String() + "/healthz")
	if err != nil {
		t.Fatalf("while draining: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Errorf("while draining, /healthz answered %d (close %v), want 200 and Connection: close: requests are served, connections not kept", resp.StatusCode, resp.Close)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the agent did not stop after its shutdown delay")
	}
	if code := get("/healthz"); code != 0 {
		t.Errorf("after stopping, /healthz answered %d", code)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	// A bound against a hang, not a speed check: informers on a loaded
	// machine take seconds.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

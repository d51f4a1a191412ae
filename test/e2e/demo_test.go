package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// palisade demo (README's first Quickstart command) against the suite's
// control plane: every seed example applied through the console-managed
// agent, the denials printed, and the events read back from the console.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.bin, "demo", "--kubeconfig", env.kubeconfig, "--namespace", "palisade-demo",
		"--listen", "127.0.0.1:0", "--dir", filepath.Join(env.dir, "demo"), "--exit")
	cmd.Dir = "../.."
	b, err := cmd.CombinedOutput()
	out := string(b)
	if err != nil {
		t.Fatalf("palisade demo: %v\n%s", err, out)
	}
	for _, want := range []string{
		`$ kubectl apply -n palisade-demo -f examples/busybox.yaml`,
		`  Error from server: error when creating "examples/busybox.yaml": admission webhook "validate.palisade.dev" denied the request:
  - containerSecurityContext violates rule privileged "true" in container(s) "busybox-container" (block).`,
		`  - podSecurityContext violates rule hostPID "true" (block).`,
		`block  privileged   Pod palisade-demo/busyboxpod`,
		`block  hostPID      Pod palisade-demo/r00t`,
		`block  privileged   Deployment palisade-demo/redis-unhealthy-deployment`,
		`==> removing the webhook`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if r := kubectl(ctx, "", "get", "validatingwebhookconfiguration", "palisade-demo"); r.err == nil {
		t.Errorf("the demo left its webhook registered")
	}
}

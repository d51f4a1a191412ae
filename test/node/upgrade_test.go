package node

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// Upgrading the release keeps the webhook's certificate and CA, so the
// webhook keeps working; uninstalling leaves no webhook configuration
// behind. (The suite's last test: it reinstalls with hack/cluster.sh.)
func TestHelmUpgradeAndUninstall(t *testing.T) {
	tlsCert := func() string {
		return mustKubectl(t, "", "get", "secret", "-n", releaseNS, "palisade-tls", "-o", "jsonpath={.data.tls\\.crt}")
	}
	caBundle := func() string {
		return mustKubectl(t, "", "get", "validatingwebhookconfiguration", "-l", "app.kubernetes.io/instance=palisade",
			"-o", "jsonpath={.items[0].webhooks[0].clientConfig.caBundle}")
	}
	crt, ca := tlsCert(), caBundle()
	if crt == "" || ca == "" {
		t.Fatalf("no certificate (%d bytes) or caBundle (%d bytes)", len(crt), len(ca))
	}
	helm(t, "upgrade", "palisade", filepath.Join(env.root, "deploy/helm/palisade"), "-n", releaseNS, "--reuse-values",
		"--set", "agent.logLevel=debug", "--wait", "--timeout", "3m")
	if tlsCert() != crt || caBundle() != ca {
		t.Error("the upgrade replaced the webhook's certificate or CA")
	}
	usePolicy(t, "after-upgrade", blockPrivileged)
	if r := kubectl(context.Background(), "", "apply", "-f", "examples/busybox.yaml"); r.err == nil || !strings.Contains(r.stderr, "denied the request") {
		t.Fatalf("after the upgrade, the privileged pod was not denied: %s", r)
	}

	t.Cleanup(func() { cluster(t, "install") })
	helm(t, "uninstall", "palisade", "-n", releaseNS, "--wait", "--timeout", "3m")
	for _, kind := range []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations"} {
		if out := mustKubectl(t, "", "get", kind, "-o", "name"); strings.Contains(out, "palisade") {
			t.Errorf("after helm uninstall: %s", out)
		}
	}
	// Nothing judges pods any more.
	r := kubectl(context.Background(), "", "apply", "--dry-run=server", "-f", "examples/busybox.yaml")
	if r.err != nil {
		t.Errorf("after helm uninstall, a pod is still refused: %s", r)
	}
}

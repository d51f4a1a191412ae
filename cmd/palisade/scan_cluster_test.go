package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The cluster flags are checked before anything is read or dialled.
func TestScanClusterFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "--tab", "continuous", "x.yaml"}, "--tab needs --cluster"},
		{[]string{"scan", "--policy-reports", "x.yaml"}, "--policy-reports needs --cluster"},
		{[]string{"scan", "--policy-report", "x.yaml"}, "--policy-report needs --cluster"}, // the deprecated spelling
		{[]string{"scan", "-A", "x.yaml"}, "--all-namespaces needs --cluster"},
		{[]string{"scan", "--context", "prod", "x.yaml"}, "--context needs --cluster"},
		{[]string{"scan", "--as", "someone", "x.yaml"}, "--as needs --cluster"},
		{[]string{"scan", "--kubeconfig", "k", "x.yaml"}, "--kubeconfig needs --cluster"},
		{[]string{"scan", "--cluster", "x.yaml"}, "--cluster reads the cluster, not paths (x.yaml)"},
		{[]string{"scan", "--cluster", "--tab", "runtime"}, `--tab: unsupported value "runtime": supported values: "continuous", "deployment"`},
		{[]string{"scan", "--cluster", "--kubeconfig", "testdata/no-such-kubeconfig"}, "kubeconfig: stat testdata/no-such-kubeconfig: no such file or directory"},
	} {
		code, out, errOut := palisade(t, "", tc.args...)
		if code != exitInput || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr %q, want 2 and %q\nstdout: %s", strings.Join(tc.args, " "), code, errOut, tc.want, out)
		}
	}
}

// Without any kubeconfig, outside a pod, the audit says so instead of
// dialling localhost:8080 as kubectl's last resort would.
func TestScanClusterWithoutKubeconfig(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	code, _, errOut := palisade(t, "", "scan", "--cluster", "-A")
	if code != exitInput || !strings.Contains(errOut, "kubeconfig: no configuration has been provided") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

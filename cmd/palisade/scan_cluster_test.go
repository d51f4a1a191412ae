package main

import (
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
		{[]string{"scan", "--policy-report", "x.yaml"}, "--policy-report needs --cluster"},
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

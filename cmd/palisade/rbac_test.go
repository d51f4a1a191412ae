package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The binding comes first, its role last, in another file: the scan
// still judges the binding with the role's rules.
func TestScanJudgesBindingsWithTheirRoles(t *testing.T) {
	dir := t.TempDir()
	binding := `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-exec, namespace: prod}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ci-debug}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: ci}
`
	role := `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ci-debug}
rules:
- {apiGroups: [""], resources: [pods/exec], verbs: [create]}
`
	if err := os.WriteFile(filepath.Join(dir, "a-binding.yaml"), []byte(binding), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b-role.yaml"), []byte(role), 0o644); err != nil {
		t.Fatal(err)
	}
	policy := scanResultPolicy(t, "      - {rule: rbacPodExec, action: block}\n")
	wantBinding := `roleBinding violates rule rbacPodExec "ClusterRole/ci-debug": grants create on pods/exec in namespace prod to ServiceAccount:ci:deployer (block).`
	wantRole := `clusterRole violates rule rbacPodExec`
	for name, run := range map[string]func() (int, string, string){
		"folder": func() (int, string, string) { return palisade(t, "", "scan", "--policy", policy, dir) },
		"stdin": func() (int, string, string) {
			return palisade(t, binding+"---\n"+role, "scan", "--policy", policy, "-")
		},
	} {
		code, out, errOut := run()
		if code != exitBlocked || !strings.Contains(out, wantBinding) || !strings.Contains(out, wantRole) {
			t.Errorf("%s: exit %d\n%s%s\nwant: %s", name, code, out, errOut, wantBinding)
		}
	}
}

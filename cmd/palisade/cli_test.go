package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/core/policy"
)

// Every command a user can type shows an example in its help.
func TestEveryCommandHasAnExample(t *testing.T) {
	root := newRoot(strings.NewReader(""), io.Discard, io.Discard)
	visit(root, func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q has no Example", c.CommandPath())
		}
		if !strings.Contains(c.Example, c.CommandPath()) {
			t.Errorf("%q: no example runs it:\n%s", c.CommandPath(), c.Example)
		}
	})
}

// complete asks cobra's hidden __complete command, as the shell scripts
// do, and returns the offered values (without descriptions) and the
// directive line.
func complete(t *testing.T, args ...string) (values []string, directive string) {
	t.Helper()
	code, out, errOut := palisade(t, "", append([]string{cobra.ShellCompRequestCmd}, args...)...)
	if code != exitOK {
		t.Fatalf("__complete %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines[:len(lines)-1] {
		v, _, _ := strings.Cut(l, "\t")
		values = append(values, v)
	}
	return values, lines[len(lines)-1]
}

func TestCompletion(t *testing.T) {
	const noFiles, fileExt = ":4", ":8"
	presets := policy.PresetNames()
	kubeconfig := writeKubeconfig(t, "payments")
	for _, tc := range []struct {
		args      []string
		want      []string
		directive string
	}{
		{[]string{"scan", "--preset", ""}, presets, noFiles},
		{[]string{"scan", "--policy", "p.yaml", "--preset", ""}, presets, noFiles},
		{[]string{"scan", "-o", ""}, []string{"json", "junit", "sarif", "table"}, noFiles},
		{[]string{"scan", "--output", ""}, []string{"json", "junit", "sarif", "table"}, noFiles},
		{[]string{"scan", "--cluster", "--tab", ""}, []string{"continuous", "deployment"}, noFiles},
		{[]string{"scan", "--policy", ""}, []string{"yaml", "yml", "json"}, fileExt},
		{[]string{"agent", "--policy", ""}, []string{"yaml", "yml", "json"}, fileExt},
		{[]string{"runtime", "eval", "--rules", ""}, []string{"yaml", "yml", "json"}, fileExt},
		{[]string{"policy", "validate", ""}, []string{"yaml", "yml", "json"}, fileExt},
		{[]string{"scan", "--cluster", "--kubeconfig", kubeconfig, "--context", ""}, []string{"dev", "prod"}, noFiles},
		{[]string{"rules", "-o", ""}, []string{"table", "json", "markdown"}, noFiles},
		{[]string{"version", "-o", ""}, []string{"text", "json"}, noFiles},
		{[]string{"policy", "preset", ""}, presets, noFiles},
		{[]string{"policy", "preset", "baseline", ""}, nil, noFiles},
	} {
		got, directive := complete(t, tc.args...)
		if !cmp.Equal(tc.want, got) || directive != tc.directive {
			t.Errorf("%s: %q %s, want %q %s", strings.Join(tc.args, " "), got, directive, tc.want, tc.directive)
		}
	}

	// Rule IDs: every rule, less those already given, with its title.
	got, directive := complete(t, "rules", "")
	all := len(got)
	if directive != noFiles || !slices.Contains(got, "privileged") || !slices.Contains(got, "hostPID") || all < 20 {
		t.Errorf("rules: %q %s", got, directive)
	}
	got, _ = complete(t, "rules", "privileged", "")
	if slices.Contains(got, "privileged") || len(got) != all-1 {
		t.Errorf("rules privileged: %q still offers the given ID", got)
	}
	_, out, _ := palisade(t, "", cobra.ShellCompRequestCmd, "rules", "priv")
	if !strings.Contains(out, "privileged\t") {
		t.Errorf("rule IDs come with their titles:\n%s", out)
	}
}

// Cobra's completion command writes each shell's script.
func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "__start_palisade", "zsh": "#compdef palisade", "fish": "complete -c palisade", "powershell": "Register-ArgumentCompleter",
	} {
		code, out, errOut := palisade(t, "", "completion", shell)
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("completion %s: exit %d, output lacks %q\n%s", shell, code, want, errOut)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := palisade(t, "", "version")
	if code != exitOK || !strings.Contains(out, "version:    ") || !strings.Contains(out, "go version: "+runtime.Version()) {
		t.Errorf("version: exit %d\n%s", code, out)
	}
	code, out, _ = palisade(t, "", "version", "-o", "json")
	var v struct{ Version, GoVersion, Platform string }
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != exitOK || v.Version == "" || v.GoVersion != runtime.Version() || v.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("version -o json: exit %d, %v\n%s", code, err, out)
	}
	code, out, _ = palisade(t, "", "--version")
	if code != exitOK || !strings.HasPrefix(out, "palisade "+v.Version) || !strings.HasSuffix(out, runtime.Version()+" "+v.Platform+"\n") {
		t.Errorf("--version: exit %d %q", code, out)
	}
	if code, _, errOut := palisade(t, "", "version", "-o", "yaml"); code != exitInput || !strings.Contains(errOut, `unknown output format "yaml"`) {
		t.Errorf("version -o yaml: exit %d %s", code, errOut)
	}
}

// The renamed flags' old spellings still set the same option, and warn.
func TestDeprecatedSpellings(t *testing.T) {
	for _, tc := range []struct {
		cmd      func() *cobra.Command
		old, new string
		args     []string
		want     string
	}{
		{newAgentCmd, "cluster", "cluster-name", []string{"--cluster", "prod-eu"}, "prod-eu"},
		{newAgentCmd, "cluster", "cluster-name", []string{"--cluster=prod-eu"}, "prod-eu"},
		{newScanCmd, "policy-report", "policy-reports", []string{"--policy-report"}, "true"},
	} {
		cmd := tc.cmd()
		var warn strings.Builder
		cmd.Flags().SetOutput(&warn)
		if err := cmd.ParseFlags(tc.args); err != nil {
			t.Fatal(err)
		}
		if got := cmd.Flags().Lookup(tc.new).Value.String(); got != tc.want {
			t.Errorf("%s: --%s is %q, want %q", tc.args, tc.new, got, tc.want)
		}
		if want := "Flag --" + tc.old + " has been deprecated, use --" + tc.new + " instead"; !strings.Contains(warn.String(), want) {
			t.Errorf("%s: warning %q, want %q", tc.args, warn.String(), want)
		}
		if f := cmd.Flags().Lookup(tc.old); !f.Hidden && f.Deprecated == "" {
			t.Errorf("--%s is shown in help", tc.old)
		}
	}

	// Through the whole command: the warning goes to stderr, never into a
	// report on stdout.
	code, out, errOut := palisade(t, "", "scan", "--cluster", "--policy-report", "--kubeconfig", "testdata/no-such-kubeconfig", "-o", "json")
	if code != exitInput || out != "" || !strings.Contains(errOut, "Flag --policy-report has been deprecated, use --policy-reports instead") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = palisade(t, "", "agent", "--cluster", "prod-eu")
	if code != exitInput || !strings.Contains(errOut, "Flag --cluster has been deprecated, use --cluster-name instead") {
		t.Errorf("agent --cluster: exit %d, stderr %q", code, errOut)
	}
}

func TestPolicyAndPresetExclusive(t *testing.T) {
	code, _, errOut := palisade(t, "", "scan", "--policy", "testdata/block-privileged.yaml", "--preset", "baseline", "../../examples/busybox.yaml")
	if code != exitInput || !strings.Contains(errOut, "[policy preset] were all set") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// scan --cluster picks the namespace as kubectl does.
func TestScanClusterNamespace(t *testing.T) {
	kubeconfig := writeKubeconfig(t, "payments")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "payments"},                         // the context's
		{[]string{"--context", "dev"}, "default"}, // a context without one
		{[]string{"-n", "web"}, "web"},            // -n wins
		{[]string{"--namespace=web", "--context", "dev"}, "web"},
		{[]string{"-A"}, ""}, // every namespace
		{[]string{"--all-namespaces"}, ""},
	} {
		cmd := &cobra.Command{Use: "scan"}
		var cl clusterFlags
		cl.register(cmd)
		args := append([]string{"--cluster", "--kubeconfig", kubeconfig}, tc.args...)
		if err := cmd.ParseFlags(args); err != nil {
			t.Fatal(err)
		}
		got, err := cl.namespace()
		if err != nil || got != tc.want {
			t.Errorf("%s: namespace %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
	code, _, errOut := palisade(t, "", "scan", "--cluster", "--kubeconfig", kubeconfig, "-n", "web", "-A")
	if code != exitInput || !strings.Contains(errOut, "if any flags in the group [namespace all-namespaces] are set none of the others can be") {
		t.Errorf("-n with -A: exit %d, stderr %q", code, errOut)
	}
}

func TestRulesByID(t *testing.T) {
	code, out, _ := palisade(t, "", "rules", "hostPID", "privileged", "-o", "json")
	var entries []catalogEntry
	if err := json.Unmarshal([]byte(out), &entries); err != nil || code != exitOK {
		t.Fatalf("exit %d: %v", code, err)
	}
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.ID)
	}
	if want := []string{"hostPID", "privileged"}; !cmp.Equal(want, ids) && !cmp.Equal([]string{"privileged", "hostPID"}, ids) {
		t.Errorf("rules %v, want %v", ids, want)
	}
	if code, _, errOut := palisade(t, "", "rules", "privileged", "noSuchRule"); code != exitInput || !strings.Contains(errOut, "unknown rule noSuchRule") {
		t.Errorf("unknown rule: exit %d, stderr %q", code, errOut)
	}
}

// writeKubeconfig writes a kubeconfig with two contexts: prod (current,
// namespace ns) and dev (no namespace).
func writeKubeconfig(t *testing.T, ns string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters:
- {name: c, cluster: {server: "https://127.0.0.1:6443"}}
users:
- {name: u, user: {token: t}}
contexts:
- {name: prod, context: {cluster: c, user: u, namespace: ` + ns + `}}
- {name: dev, context: {cluster: c, user: u}}
current-context: prod
`
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// policy import takes several files and mixes Gatekeeper and Kyverno; the
// warnings go to stderr with file and line, the policy to stdout.
func TestPolicyImportForeign(t *testing.T) {
	gk := "../../internal/core/importer/testdata/gatekeeper/unmapped.yaml"
	ky := "../../internal/core/importer/testdata/kyverno/pod-security.yaml"
	code, out, errOut := palisade(t, "", "policy", "import", gk, ky)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "rule: allowedCapabilities") || !strings.Contains(out, "rule: pssPrivileged") {
		t.Errorf("stdout lacks the mapped rules:\n%s", out)
	}
	if !strings.Contains(errOut, "warning: "+gk+":15: kind: Gatekeeper K8sMyOwnTemplate custom: not a Gatekeeper library template Palisade knows") {
		t.Errorf("stderr lacks the unmapped constraint:\n%s", errOut)
	}
	code, _, errOut = palisade(t, "", "policy", "import", "testdata/block-privileged.yaml")
	if code != exitInput || !strings.Contains(errOut, "apiVersion") {
		t.Errorf("a Palisade policy as input: exit %d, stderr %q", code, errOut)
	}
}

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const auditNS = "audit-e2e"

// auditPolicy judges the continuous tab only: privileged pods would be
// terminated, host PID namespaces logged.
const auditPolicy = `clusterWide:
  continuous:
    rules:
      - {rule: privileged, action: terminate}
      - {rule: hostPID, action: log}`

// auditNamespace creates a namespace the suite's admission webhook leaves
// alone. Namespaces are never deleted (there is no controller-manager to
// finish it), only the objects in them.
func auditNamespace(t *testing.T, ns string) {
	t.Helper()
	manifest := fmt.Sprintf("apiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: {palisade.dev/managed-by: audit}}\n", ns)
	if out, err := kubectlIn(context.Background(), manifest, "", "apply", "-f", "-"); err != nil {
		t.Fatalf("namespace: %v: %s", err, out)
	}
	namespace(t, ns) // its default ServiceAccount
}

func apply(t *testing.T, manifest string) {
	t.Helper()
	if out, err := kubectlIn(context.Background(), manifest, "", "apply", "-f", "-"); err != nil {
		t.Fatalf("kubectl apply: %v: %s\n%s", err, out, manifest)
	}
}

func uidOf(t *testing.T, ns, kind, name string) string {
	t.Helper()
	r := kubectl(context.Background(), "", "get", kind, name, "-n", ns, "-o", "jsonpath={.metadata.uid}")
	if r.err != nil || r.stdout == "" {
		t.Fatalf("uid of %s %s: %s", kind, name, r)
	}
	return r.stdout
}

// runAudit runs palisade scan --cluster on the namespace and returns its
// exit code, stdout and stderr.
func runAudit(t *testing.T, policyFile string, extra ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append([]string{"scan", "--cluster", "--kubeconfig", env.kubeconfig, "-n", auditNS, "--policy", policyFile}, extra...)
	cmd := exec.CommandContext(ctx, env.bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errb.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	}
	t.Fatalf("palisade scan: %v", err)
	return 0, "", ""
}

type auditReport struct {
	Results []struct {
		Source, Kind, Name string
		Violations         []struct{ Rule, Action string }
	}
	Errors  []struct{ Source, Message string }
	Summary struct {
		Tab                                          string
		Objects, Violations, Blocked, Logged, Errors int
	}
}

// A cluster audit reports a privileged pod once, at its source, and a
// Deployment's pods not at all: they are judged through its template. With
// --policy-reports it writes one PolicyReport for the namespace, rewrites it
// only when it changes and deletes it when nothing is checked there.
func TestAuditCluster(t *testing.T) {
	auditNamespace(t, auditNS)
	policyFile := filepath.Join(env.dir, "audit-policy.yaml")
	if err := os.WriteFile(policyFile, []byte(policyYAML("audit-e2e", auditPolicy)), 0o600); err != nil {
		t.Fatal(err)
	}
	cleanup(t, "-n", auditNS, "pod/priv", "pod/web-1-a", "replicaset/web-1", "deployment/web", "policyreport/palisade")

	apply(t, `apiVersion: v1
kind: Pod
metadata: {name: priv, namespace: `+auditNS+`}
spec:
  containers:
  - {name: app, image: busybox, securityContext: {privileged: true}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: `+auditNS+`}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: nginx}
`)
	// No controller-manager: make the Deployment's ReplicaSet and Pod by
	// hand, owned as the controllers would own them. The Pod is privileged
	// so that reporting it would show.
	dep := uidOf(t, auditNS, "deployment", "web")
	apply(t, fmt.Sprintf(`apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-1
  namespace: %s
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: %s, controller: true}]
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: app, image: nginx}
`, auditNS, dep))
	rs := uidOf(t, auditNS, "replicaset", "web-1")
	apply(t, fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: web-1-a
  namespace: %s
  labels: {app: web}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: %s, controller: true}]
spec:
  containers:
  - {name: app, image: nginx, securityContext: {privileged: true}}
`, auditNS, rs))

	code, out, stderr := runAudit(t, policyFile, "-o", "json")
	var rep auditReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s\n%s", code, err, out, stderr)
	}
	if code != 1 {
		t.Errorf("exit %d, want 1 (a terminate finding)\n%s", code, stderr)
	}
	var reported []string
	for _, r := range rep.Results {
		line := r.Kind + " " + r.Name
		for _, v := range r.Violations {
			line += " " + v.Rule + "/" + v.Action
		}
		reported = append(reported, line)
		if !strings.HasPrefix(r.Source, "cluster://") || !strings.HasSuffix(r.Source, "/"+auditNS+"/"+r.Kind+"/"+r.Name) {
			t.Errorf("source %q", r.Source)
		}
	}
	want := "Deployment web|Pod priv privileged/terminate|ServiceAccount default"
	if got := strings.Join(reported, "|"); got != want {
		t.Errorf("reported %s\nwant     %s", got, want)
	}
	if s := rep.Summary; s.Tab != "continuous" || s.Objects != 3 || s.Violations != 1 || s.Blocked != 1 || s.Errors != 0 {
		t.Errorf("summary %+v", s)
	}

	// PolicyReports: the CRD is left installed for later runs.
	if out, err := kubectlIn(context.Background(), "", "", "apply", "-f", "../../internal/enforce/policyreport/testdata/policyreport-crd.yaml"); err != nil {
		t.Fatalf("apply CRD: %v: %s", err, out)
	}
	if r := kubectl(context.Background(), "", "wait", "--for", "condition=established", "--timeout=30s", "crd/policyreports.wgpolicyk8s.io"); r.err != nil {
		t.Fatalf("CRD not established: %s", r)
	}
	publish := func(wantCode int, wantStats string) {
		t.Helper()
		code, out, stderr := runAudit(t, policyFile, "--policy-reports")
		if code != wantCode || !strings.Contains(stderr, "PolicyReports: "+wantStats) {
			t.Fatalf("exit %d, want %d; stderr:\n%s\nwant %q\nstdout:\n%s", code, wantCode, stderr, wantStats, out)
		}
	}
	publish(1, "1 created, 0 updated, 0 unchanged, 0 deleted")
	pr := policyReport(t)
	// Two rules on the Deployment and on the pod; the pod's privileged fails.
	if pr.Summary != (prSummary{Pass: 3, Fail: 1}) {
		t.Errorf("summary %+v", pr.Summary)
	}
	priv := uidOf(t, auditNS, "pod", "priv")
	if len(pr.Results) != 1 {
		t.Fatalf("results %+v", pr.Results)
	}
	r := pr.Results[0]
	if r.Policy != "audit-e2e" || r.Rule != "privileged" || r.Result != "fail" || r.Severity != "critical" || r.Source != "palisade" ||
		!r.Scored || r.Timestamp.Seconds < time.Now().Add(-time.Hour).Unix() || r.Properties["action"] != "terminate" || r.Properties["tab"] != "continuous" ||
		r.Message != `containerSecurityContext violates rule privileged "true" in container(s) "app" (terminate).` {
		t.Errorf("result %+v", r)
	}
	if len(r.Resources) != 1 || r.Resources[0] != (prResource{APIVersion: "v1", Kind: "Pod", Namespace: auditNS, Name: "priv", UID: priv}) {
		t.Errorf("resources %+v", r.Resources)
	}

	// Nothing changed: nothing is written.
	publish(1, "0 created, 0 updated, 1 unchanged, 0 deleted")

	// The privileged pod is gone: the report is rewritten without failures.
	kubectl(context.Background(), "", "delete", "pod", "priv", "-n", auditNS)
	publish(0, "0 created, 1 updated, 0 unchanged, 0 deleted")
	if pr := policyReport(t); pr.Summary != (prSummary{Pass: 2}) || len(pr.Results) != 0 {
		t.Errorf("after the fix: %+v", pr)
	}

	// Nothing is checked in the namespace anymore: the report goes.
	kubectl(context.Background(), "", "delete", "-n", auditNS, "pod/web-1-a", "replicaset/web-1", "deployment/web")
	publish(0, "0 created, 0 updated, 0 unchanged, 1 deleted")
	if r := kubectl(context.Background(), "", "get", "policyreport", "palisade", "-n", auditNS); r.err == nil {
		t.Errorf("the report is still there: %s", r)
	}
}

type prSummary struct{ Pass, Fail, Warn, Error, Skip int }

type prResource struct {
	APIVersion string `json:"apiVersion"`
	Kind       string
	Namespace  string
	Name       string
	UID        string
}

type prReport struct {
	Summary prSummary
	Results []struct {
		Policy, Rule, Result, Severity, Source, Message string
		Scored                                          bool
		Timestamp                                       struct{ Seconds, Nanos int64 }
		Resources                                       []prResource
		Properties                                      map[string]string
	}
}

func policyReport(t *testing.T) prReport {
	t.Helper()
	r := kubectl(context.Background(), "", "get", "policyreport", "palisade", "-n", auditNS, "-o", "json")
	if r.err != nil {
		t.Fatalf("get PolicyReport: %s", r)
	}
	var pr prReport
	if err := json.Unmarshal([]byte(r.stdout), &pr); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	return pr
}

package clusterscan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/enforce/policyreport"
	"github.com/palisade-dev/palisade/internal/enforce/scan"
)

func compile(t *testing.T, spec string) *engine.Compiled {
	t.Helper()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	b, err := policy.Load("p.yaml", []byte("apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: audit}\nspec:\n"+spec), reg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := engine.Compile(b.Policies[0], reg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const terminatePrivileged = `  clusterWide:
    continuous:
      rules:
        - {rule: privileged, action: terminate}
        - {rule: hostPID, action: log}`

type jsonReport struct {
	Results []struct {
		Source, Kind, Namespace, Name string
		Violations                    []struct{ Rule, Action string }
	}
	Errors  []struct{ Source, Message string }
	Summary scan.Summary
}

func audit(t *testing.T, client *fake.Clientset, reports *policyreport.Builder) jsonReport {
	t.Helper()
	var out bytes.Buffer
	stream, err := scan.NewStream(scan.NewJSONWriter(&out, nil), "continuous")
	if err != nil {
		t.Fatal(err)
	}
	err = Audit(context.Background(), &Lister{Client: client}, Options{
		Policy: compile(t, terminatePrivileged), Tab: policy.TabContinuous, Context: "kind-dev",
		Report: stream, Reports: reports,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.End(); err != nil {
		t.Fatal(err)
	}
	var rep jsonReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	return rep
}

func TestAudit(t *testing.T) {
	priv := pod("priv", "p-1", "", corev1.PodRunning)
	priv.Spec.Containers[0].SecurityContext = privileged()
	dep := &appsv1.Deployment{ObjectMeta: om("web", "dep-1", "")}
	dep.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app", Image: "nginx"}}
	rs := &appsv1.ReplicaSet{ObjectMeta: om("web-1", "rs-1", "Deployment/dep-1")}
	rs.Spec.Template = dep.Spec.Template
	owned := pod("web-1-x", "p-2", "ReplicaSet/rs-1", corev1.PodRunning)
	owned.Spec.Containers[0].SecurityContext = privileged() // judged through its Deployment only
	client := fake.NewClientset(priv, dep, rs, owned)

	reports := policyreport.NewBuilder(policyreport.Options{Policy: "audit", Tab: policy.TabContinuous, Now: time.Unix(1700000000, 0)})
	rep := audit(t, client, reports)
	type row struct{ Source, Rules string }
	var got []row
	for _, r := range rep.Results {
		rules := ""
		for _, v := range r.Violations {
			rules += v.Rule + "/" + v.Action + " "
		}
		got = append(got, row{r.Source, rules})
	}
	want := []row{
		{"cluster://kind-dev/prod/Deployment/web", ""},
		{"cluster://kind-dev/prod/Pod/priv", "privileged/terminate "},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(scan.Summary{Tab: "continuous", Objects: 2, Violations: 1, Blocked: 1}, rep.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	prs := reports.Reports()
	if len(prs) != 1 || prs[0].Namespace != "prod" {
		t.Fatalf("reports %+v", prs)
	}
	// Two rules checked on each of two objects; one failed.
	if diff := cmp.Diff(policyreport.Summary{Pass: 3, Fail: 1}, prs[0].Summary); diff != "" {
		t.Errorf("report summary (-want +got):\n%s", diff)
	}
	if r := prs[0].Results; len(r) != 1 || r[0].Resources[0] != (policyreport.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: "prod", Name: "priv", UID: "p-1"}) {
		t.Errorf("report results %+v", r)
	}
}

// An API server that cannot be reached ends the audit with an input
// error, so the report is still well-formed and the scan exits 2.
func TestAuditUnreachable(t *testing.T) {
	client := fake.NewClientset()
	client.PrependReactor("list", "*", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("connection refused")
	})
	rep := audit(t, client, nil)
	want := []struct{ Source, Message string }{{"cluster://kind-dev/CronJob", "list CronJob: connection refused"}}
	if diff := cmp.Diff(want, rep.Errors); diff != "" || rep.Summary.Errors != 1 {
		t.Errorf("errors (-want +got):\n%s\nsummary %+v", diff, rep.Summary)
	}
}

// The audit lists roles and NetworkPolicies first when the policy needs
// them: a RoleBinding listed before the ClusterRole it references is
// judged with it, and a pod no NetworkPolicy selects is reported.
func TestAuditReadsRolesAndNetworkPolicies(t *testing.T) {
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "debugger"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create"}}}}
	binding := &rbacv1.RoleBinding{ObjectMeta: om("debug", "rb-1", ""),
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "debugger"},
		Subjects: []rbacv1.Subject{{Kind: "User", Name: "bob"}}}
	covered := pod("web", "p-1", "", corev1.PodRunning)
	covered.Labels = map[string]string{"app": "web"}
	bare := pod("batch", "p-2", "", corev1.PodRunning)
	np := &networkingv1.NetworkPolicy{ObjectMeta: om("web", "np-1", ""),
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}
	client := fake.NewClientset(role, binding, covered, bare, np)

	var out bytes.Buffer
	stream, err := scan.NewStream(scan.NewJSONWriter(&out, nil), "continuous")
	if err != nil {
		t.Fatal(err)
	}
	spec := `  clusterWide:
    continuous:
      rules:
        - {rule: rbacPodExec, action: log}
        - {rule: networkPolicyCoverage, action: log}`
	if err := Audit(context.Background(), &Lister{Client: client}, Options{
		Policy: compile(t, spec), Tab: policy.TabContinuous, Context: "kind-dev", Report: stream,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.End(); err != nil {
		t.Fatal(err)
	}
	var rep jsonReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, r := range rep.Results {
		for _, v := range r.Violations {
			got[r.Kind+"/"+r.Name] = append(got[r.Kind+"/"+r.Name], v.Rule)
		}
	}
	want := map[string][]string{
		"RoleBinding/debug":    {"rbacPodExec"},
		"ClusterRole/debugger": {"rbacPodExec"},
		"Pod/batch":            {"networkPolicyCoverage"},
	}
	if diff := cmp.Diff(want, got); diff != "" || len(rep.Errors) != 0 {
		t.Errorf("findings (-want +got):\n%s\nerrors: %v", diff, rep.Errors)
	}
}

package engine

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

func compile(t testing.TB, src string) *Compiled {
	t.Helper()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	b, err := policy.Load("p.yaml", []byte("apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n"+src), reg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(b.Policies[0], reg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func decode(t testing.TB, yaml string) *workload.Object {
	t.Helper()
	d := document.Doc{Source: "o.yaml", Line: 1, Data: []byte(yaml)}
	j, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	o, err := workload.Decode(j)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func readExample(t testing.TB, name string) *workload.Object {
	t.Helper()
	data, err := os.ReadFile(fixture.Repo(t, "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, string(data))
}

func messages(r Result) []string {
	var out []string
	for i := range r.Findings {
		out = append(out, r.Findings[i].Message())
	}
	return out
}

func TestSeedBusyboxDenial(t *testing.T) {
	c := compile(t, "  clusterWide:\n    deployment: {rules: [{rule: privileged, action: block}]}\n")
	r := c.Evaluate(readExample(t, "busybox.yaml"), policy.TabDeployment, Options{DefaultNamespace: "default"})
	if !r.Blocked {
		t.Fatal("the seed busybox pod must be blocked")
	}
	want := "\n- containerSecurityContext violates rule privileged \"true\" in container(s) \"busybox-container\" (block)."
	if got := r.Denial(); got != want {
		t.Errorf("Denial() = %q\nwant        %q", got, want)
	}

	c = compile(t, "  clusterWide:\n    deployment: {rules: [{rule: privileged, action: log}]}\n")
	r = c.Evaluate(readExample(t, "busybox.yaml"), policy.TabDeployment, Options{DefaultNamespace: "default"})
	if r.Blocked {
		t.Fatal("log must not block")
	}
	if diff := cmp.Diff([]string{`- containerSecurityContext violates rule privileged "true" in container(s) "busybox-container" (log).`}, r.Lines(policy.ActionLog)); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestBreakoutOneLinerIsBlockedByPodLevelRule(t *testing.T) {
	c := compile(t, "  clusterWide:\n    deployment: {rules: [{rule: hostPID, action: block}, {rule: privileged, action: block}]}\n")
	r := c.Evaluate(readExample(t, "breakout-pod.json"), policy.TabDeployment, Options{DefaultNamespace: "default"})
	want := []string{
		`- podSecurityContext violates rule hostPID "true" (block).`,
		`- containerSecurityContext violates rule privileged "true" in container(s) "1" (block).`,
	}
	if diff := cmp.Diff(want, r.Lines(policy.ActionBlock)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

const twoPrivileged = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: NS}
spec:
  template:
    spec:
      initContainers:
      - {name: init, image: "docker.io/acme/devone:1", securityContext: {privileged: true}}
      containers:
      - {name: app, image: "acme/dev-tools:2", securityContext: {privileged: true}}
      - {name: sidecar, image: "myregistry.azurecr.io/istio:1.2", securityContext: {privileged: true}}
`

func TestDenialGroupsContainersPerRule(t *testing.T) {
	c := compile(t, "  clusterWide:\n    deployment: {rules: [{rule: privileged, action: block}]}\n")
	r := c.Evaluate(decode(t, strings.ReplaceAll(twoPrivileged, "NS", "web")), policy.TabDeployment, Options{})
	want := []string{`- containerSecurityContext violates rule privileged "true" in container(s) "init", "app", "sidecar" (block).`}
	if diff := cmp.Diff(want, r.Lines(policy.ActionBlock)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(r.Findings) != 3 {
		t.Errorf("findings stay per container for reports: got %d", len(r.Findings))
	}
}

func TestExceptionsExclusionsAndNamespaces(t *testing.T) {
	c := compile(t, `  clusterWide:
    deployment:
      rules:
        - {rule: privileged, action: block, excludedImages: ["myregistry.azurecr.io/istio:*"], excludedNamespaces: [sandbox]}
        - {rule: imageName, action: block, properties: {operator: contains, values: [dev]}}
      exceptions:
        - {type: imageName, properties: {operator: equals, values: [acme/devone]}}
        - {type: imageTag, properties: {operator: equals, values: ["2"]}, namespaces: [trusted]}
  namespaced:
    - name: ops
      namespaces: [ops, kube-system]
      deployment: {rules: [{rule: imageTag, action: log, properties: {operator: equals, values: ["1"]}}]}
`)
	eval := func(ns string) Result {
		return c.Evaluate(decode(t, strings.ReplaceAll(twoPrivileged, "NS", ns)), policy.TabDeployment, Options{})
	}
	// web: the devone init container is excepted (seed 000's example), the
	// istio sidecar is excluded from privileged only.
	want := []string{
		`containerSecurityContext violates rule privileged "true" in container(s) "app" (block).`,
		`image violates rule imageName "docker.io/acme/dev-tools:2" in container(s) "app": name contains ["dev"] (block).`,
	}
	if diff := cmp.Diff(want, messages(eval("web"))); diff != "" {
		t.Errorf("web (-want +got):\n%s", diff)
	}
	// sandbox: privileged does not apply; imageName still does.
	if diff := cmp.Diff(want[1:], messages(eval("sandbox"))); diff != "" {
		t.Errorf("sandbox (-want +got):\n%s", diff)
	}
	// trusted: tag 2 is excepted there, so app is allowed entirely.
	if got := messages(eval("trusted")); len(got) != 0 {
		t.Errorf("trusted: %v", got)
	}
	// ops: the namespace definition replaces clusterWide.
	r := eval("ops")
	if r.Definition != "ops" || r.Blocked {
		t.Errorf("ops: definition %q blocked %v", r.Definition, r.Blocked)
	}
	if diff := cmp.Diff([]string{`image violates rule imageTag "docker.io/acme/devone:1" in container(s) "init": tag equals ["1"] (log).`}, messages(r)); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
	// kube-system is skipped by default, but enforced when listed explicitly.
	if r := eval("kube-system"); r.Definition != "ops" || len(r.Findings) != 1 {
		t.Errorf("kube-system listed explicitly: %+v", r)
	}
	if r := eval("palisade-system"); r.Skipped == "" || len(r.Findings) != 0 {
		t.Errorf("palisade-system must be skipped by default: %+v", r)
	}
}

// Exemptions cover a container's own fields, never the pod's, as
// Gatekeeper's exemptImages do: with the pod's only container exempt, the
// pod-level rules still find hostPID and hostNetwork, and the rules that
// read only containers are not checked at all.
func TestExemptContainerLeavesPodFieldsChecked(t *testing.T) {
	const pod = `{apiVersion: v1, kind: Pod, metadata: {name: p, namespace: prod}, spec: {hostPID: true, hostNetwork: true,
  containers: [{name: c, image: "myregistry.azurecr.io/istio:1", securityContext: {privileged: true}}]}}`
	for name, src := range map[string]string{
		"excludedImages": `  clusterWide:
    deployment:
      rules:
        - {rule: hostPID, action: block, excludedImages: ["myregistry.azurecr.io/istio:*"]}
        - {rule: hostNetworkAndPorts, action: block, excludedImages: ["myregistry.azurecr.io/istio:*"]}
        - {rule: podSecurityStandard, action: log, properties: {level: baseline}, excludedImages: ["myregistry.azurecr.io/istio:*"]}
        - {rule: privileged, action: block, excludedImages: ["myregistry.azurecr.io/istio:*"]}
`,
		"exceptions": `  clusterWide:
    deployment:
      rules:
        - {rule: hostPID, action: block}
        - {rule: hostNetworkAndPorts, action: block}
        - {rule: podSecurityStandard, action: log, properties: {level: baseline}}
        - {rule: privileged, action: block}
      exceptions: [{type: imageRegistry, properties: {operator: equals, values: [myregistry.azurecr.io]}}]
`,
	} {
		t.Run(name, func(t *testing.T) {
			var checked []string
			r := compile(t, src).Evaluate(decode(t, pod), policy.TabDeployment, Options{Checked: func(id string) { checked = append(checked, id) }})
			var got []string
			for _, f := range r.Findings {
				got = append(got, f.Rule+" "+f.Field+" "+f.Value)
			}
			want := []string{
				"hostPID spec.hostPID true",
				"hostNetworkAndPorts spec.hostNetwork true",
				"podSecurityStandard spec host namespaces",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"hostPID", "hostNetworkAndPorts", "podSecurityStandard"}, checked); diff != "" || !r.Blocked {
				t.Errorf("checked (-want +got):\n%s; blocked %v", diff, r.Blocked)
			}
		})
	}
}

func TestConnectRules(t *testing.T) {
	c := compile(t, "  clusterWide:\n    deployment: {rules: [{rule: podExec, action: block}, {rule: podPortForward, action: log}, {rule: privileged, action: block}]}\n")
	pod := readExample(t, "busybox.yaml")
	r := c.Evaluate(pod, policy.TabDeployment, Options{DefaultNamespace: "default", Connect: &rules.Connect{Subresource: "exec", Container: "busybox-container"}})
	want := []string{`pod violates rule podExec "exec" in container(s) "busybox-container" (block).`}
	if diff := cmp.Diff(want, messages(r)); diff != "" {
		t.Errorf("exec (-want +got):\n%s", diff)
	}
	r = c.Evaluate(pod, policy.TabDeployment, Options{DefaultNamespace: "default", Connect: &rules.Connect{Subresource: "portforward"}})
	if diff := cmp.Diff([]string{`pod violates rule podPortForward "portforward" (log).`}, messages(r)); diff != "" || r.Blocked {
		t.Errorf("port-forward (-want +got):\n%s", diff)
	}
}

func TestContinuousTabIsSeparate(t *testing.T) {
	c := compile(t, "  clusterWide:\n    deployment: {rules: [{rule: privileged, action: block}]}\n    continuous: {rules: [{rule: privileged, action: terminate}]}\n")
	r := c.Evaluate(readExample(t, "busybox.yaml"), policy.TabContinuous, Options{DefaultNamespace: "default"})
	if len(r.Findings) != 1 || r.Findings[0].Action != policy.ActionTerminate || r.Blocked {
		t.Errorf("continuous: %+v", r)
	}
}

func TestReadsScanResults(t *testing.T) {
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for preset, want := range map[string]bool{"log-all": true, "recommended": false} {
		p, err := policy.Preset(preset, reg)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Compile(p, reg)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.ReadsScanResults(); got != want {
			t.Errorf("%s: ReadsScanResults = %v, want %v", preset, got, want)
		}
	}
}

func TestCheckedReportsEveryRuleCheckedOnTheObject(t *testing.T) {
	c := compile(t, `  clusterWide:
    deployment:
      rules:
        - {rule: privileged, action: block}
        - {rule: hostPID, action: log, excludedNamespaces: [default]}
        - {rule: httpsOnlyIngress, action: log}
        - {rule: runAsNonRoot, action: log}
`)
	var checked []string
	r := c.Evaluate(readExample(t, "busybox.yaml"), policy.TabDeployment, Options{
		DefaultNamespace: "default",
		Checked:          func(rule string) { checked = append(checked, rule) },
	})
	// hostPID is excluded in default and httpsOnlyIngress targets Ingresses:
	// neither is checked; privileged fails and runAsNonRoot fails too.
	if diff := cmp.Diff([]string{"privileged", "runAsNonRoot"}, checked); diff != "" || r.Checked != len(checked) {
		t.Errorf("checked (-want +got):\n%s; Result.Checked %d", diff, r.Checked)
	}
}

// With every container exempt, the restricted level judges only what the
// pod sets: a pod that sets nothing at pod level passes, one that sets
// runAsNonRoot: false there does not.
func TestExemptContainersRestrictedJudgesPodFieldsOnly(t *testing.T) {
	c := compile(t, `  clusterWide:
    deployment:
      rules: [{rule: podSecurityStandard, action: block, properties: {level: restricted}, excludedImages: ["myregistry.azurecr.io/*"]}]
`)
	const pod = `{apiVersion: v1, kind: Pod, metadata: {name: p, namespace: prod}, spec: {POD containers: [{name: c, image: "myregistry.azurecr.io/app:1"}]}}`
	if r := c.Evaluate(decode(t, strings.Replace(pod, "POD", "", 1)), policy.TabDeployment, Options{}); len(r.Findings) != 0 || r.Checked != 1 {
		t.Errorf("nothing set at pod level: checked %d, findings %v", r.Checked, messages(r))
	}
	r := c.Evaluate(decode(t, strings.Replace(pod, "POD", "securityContext: {runAsNonRoot: false},", 1)), policy.TabDeployment, Options{})
	if len(r.Findings) != 1 || r.Findings[0].Value != "runAsNonRoot != true" {
		t.Errorf("pod runAsNonRoot: false: findings %+v", r.Findings)
	}
}

// On an object whose apiVersion Palisade does not read, only the rules
// that judge any apiVersion run; on its current apiVersion every rule does.
func TestUndecodedObjectsRunAnyAPIVersionRulesOnly(t *testing.T) {
	c := compile(t, "  clusterWide:\n    deployment: {rules: [{rule: deprecatedAPIVersions, action: block}, {rule: defaultNamespace, action: log}, "+
		"{rule: cel, action: log, properties: {expression: 'false', message: never}}]}\n")
	old := decode(t, "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: web}\nspec: {backend: {serviceName: web, servicePort: 80}}\n")
	r := c.Evaluate(old, policy.TabDeployment, Options{DefaultNamespace: "default"})
	want := []string{`object violates rule deprecatedAPIVersions "extensions/v1beta1 Ingress": removed in Kubernetes 1.22: use networking.k8s.io/v1 (block).`}
	if diff := cmp.Diff(want, messages(r)); diff != "" || r.Checked != 1 || !r.Blocked {
		t.Errorf("checked %d, blocked %v, messages (-want +got):\n%s", r.Checked, r.Blocked, diff)
	}
	current := decode(t, "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\nspec: {defaultBackend: {service: {name: web, port: {number: 80}}}}\n")
	if r := c.Evaluate(current, policy.TabDeployment, Options{DefaultNamespace: "default"}); r.Checked != 3 || len(r.Findings) != 2 {
		t.Errorf("networking.k8s.io/v1 Ingress: checked %d, findings %v; want 3 rules checked, defaultNamespace and cel found", r.Checked, messages(r))
	}
}

func TestReferentialRulesReadTheInventory(t *testing.T) {
	c := compile(t, "  clusterWide:\n    deployment: {rules: [{rule: uniqueIngressHosts, action: block}, {rule: podDisruptionBudget, action: log}]}\n")
	if got, want := c.ReadsInventory(), rules.InventoryIngresses|rules.InventoryPodDisruptionBudgets|rules.InventoryWorkloads; got != want {
		t.Errorf("ReadsInventory = %b, want %b", got, want)
	}
	if got := compile(t, "  clusterWide:\n    deployment: {rules: [{rule: privileged, action: block}]}\n").ReadsInventory(); got != 0 {
		t.Errorf("a policy without referential rules: ReadsInventory = %b, want 0", got)
	}
	ing := func(ns, name string) string {
		return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec: {rules: [{host: shop.example.com}]}\n"
	}
	mine := decode(t, ing("prod", "mine"))
	if r := c.Evaluate(mine, policy.TabDeployment, Options{}); len(r.Findings) != 0 {
		t.Errorf("without an inventory: %v", messages(r))
	}
	inv := rules.NewInventoryIndex()
	inv.Add(decode(t, ing("staging", "theirs")), "default")
	r := c.Evaluate(mine, policy.TabDeployment, Options{Inventory: inv})
	want := []string{`ingress violates rule uniqueIngressHosts "shop.example.com": Ingress staging/theirs already uses this host (block).`}
	if diff := cmp.Diff(want, messages(r)); diff != "" || !r.Blocked {
		t.Errorf("with an inventory (-want +got):\n%s", diff)
	}
	pdb := decode(t, "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\nspec: {maxUnavailable: 0, selector: {matchLabels: {app: web}}}\n")
	r = c.Evaluate(pdb, policy.TabDeployment, Options{DefaultNamespace: "prod"})
	if r.Checked != 1 || len(r.Findings) != 1 || r.Findings[0].Rule != "podDisruptionBudget" {
		t.Errorf("a PodDisruptionBudget is judged by the rules that target it: %+v", r)
	}
}

// An object meets only the rules of its targets: a ConfigMap is judged
// by the rules that read any object, a Service by those and the Service
// rules, a CONNECT request by the connect rules alone, whatever the
// policy holds besides.
func TestRulesByTarget(t *testing.T) {
	c := compile(t, "  clusterWide:\n    deployment: {rules: [{rule: privileged, action: block}, {rule: serviceTypes, action: log}, "+
		"{rule: defaultNamespace, action: log}, {rule: podExec, action: block}]}\n")
	tb := c.clusterWide.tabs[policy.TabDeployment]
	ids := func(rs []*compiledRule) []string {
		var out []string
		for _, cr := range rs {
			out = append(out, cr.rule.ID)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		mask rules.Target
		want []string
	}{
		{"ConfigMap", rules.TargetAny, []string{"defaultNamespace"}},
		{"Service", rules.TargetAny | rules.TargetService, []string{"serviceTypes", "defaultNamespace"}},
		{"Deployment", rules.TargetAny | rules.TargetPod, []string{"privileged", "defaultNamespace"}},
		{"CONNECT", rules.TargetConnect, []string{"podExec"}},
		{"two targets", rules.TargetAny | rules.TargetPod | rules.TargetService, []string{"privileged", "serviceTypes", "defaultNamespace"}},
	} {
		if diff := cmp.Diff(tt.want, ids(tb.rulesFor(tt.mask))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

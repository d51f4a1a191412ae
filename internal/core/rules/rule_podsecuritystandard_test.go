package rules

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// restrictedSC is a container securityContext the restricted level accepts
// (with a pod that sets runAsNonRoot and seccompProfile).
const restrictedSC = `{allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}`

func restrictedPod(containers string) string {
	return podYAML(`{securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}, containers: [` + containers + `]}`)
}

func TestPodSecurityStandard(t *testing.T) {
	pssFinding := func(field, reason, detail string) Finding {
		return Finding{Where: "pod", Value: reason, Field: field, Detail: detail}
	}
	runRuleCases(t, []ruleCase{
		{name: "default is baseline: a bare pod passes", rule: "podSecurityStandard", obj: podYAML(`{containers: [` + oneContainer + `]}`)},
		{name: "baseline: privileged", rule: "podSecurityStandard", props: `{"level":"baseline"}`,
			obj:  podYAML(`{containers: [{name: app, image: busybox, securityContext: {privileged: true}}]}`),
			want: []Finding{pssFinding("spec", "privileged", `baseline:latest: container "app" must not set securityContext.privileged=true`)}},
		{name: "baseline: one finding per failing check", rule: "podSecurityStandard", props: `{"level":"baseline","version":"latest"}`,
			obj: podYAML(`{hostNetwork: true, hostPID: true, containers: [{name: app, image: busybox, ports: [{containerPort: 80, hostPort: 8080}],
  securityContext: {capabilities: {add: [SYS_ADMIN]}}}]}`),
			want: []Finding{
				// In Kubernetes' order: by check ID.
				pssFinding("spec", "non-default capabilities", `baseline:latest: container "app" must not include "SYS_ADMIN" in securityContext.capabilities.add`),
				pssFinding("spec", "host namespaces", "baseline:latest: hostNetwork=true, hostPID=true"),
				pssFinding("spec", "hostPort", `baseline:latest: container "app" uses hostPort 8080`),
			}},
		{name: "restricted: a bare pod", rule: "podSecurityStandard", props: `{"level":"restricted"}`,
			obj: podYAML(`{containers: [` + oneContainer + `]}`),
			want: []Finding{
				pssFinding("spec", "allowPrivilegeEscalation != false", `restricted:latest: container "app" must set securityContext.allowPrivilegeEscalation=false`),
				pssFinding("spec", "unrestricted capabilities", `restricted:latest: container "app" must set securityContext.capabilities.drop=["ALL"]`),
				pssFinding("spec", "runAsNonRoot != true", `restricted:latest: pod or container "app" must set securityContext.runAsNonRoot=true`),
				pssFinding("spec", "seccompProfile", `restricted:latest: pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`),
			}},
		{name: "restricted: compliant", rule: "podSecurityStandard", props: `{"level":"restricted"}`,
			obj: restrictedPod(`{name: app, image: busybox, securityContext: ` + restrictedSC + `}`)},
		{name: "restricted v1.21 predates the capabilities check", rule: "podSecurityStandard", props: `{"level":"restricted","version":"v1.21"}`,
			obj: restrictedPod(`{name: app, image: busybox, securityContext: {allowPrivilegeEscalation: false}}`)},
		{name: "restricted v1.22 has it", rule: "podSecurityStandard", props: `{"level":"restricted","version":"v1.22"}`,
			obj:  restrictedPod(`{name: app, image: busybox, securityContext: {allowPrivilegeEscalation: false}}`),
			want: []Finding{pssFinding("spec", "unrestricted capabilities", `restricted:v1.22: container "app" must set securityContext.capabilities.drop=["ALL"]`)}},
		{name: "init and ephemeral containers count", rule: "podSecurityStandard",
			obj: podYAML(`{initContainers: [{name: i, image: busybox, securityContext: {privileged: true}}], containers: [` + oneContainer + `],
  ephemeralContainers: [{name: e, image: busybox, securityContext: {privileged: true}}]}`),
			want: []Finding{pssFinding("spec", "privileged", `baseline:latest: containers "i", "e" must not set securityContext.privileged=true`)}},
		{name: "the pod template's metadata counts (AppArmor annotation)", rule: "podSecurityStandard", obj: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    metadata:
      annotations: {container.apparmor.security.beta.kubernetes.io/app: unconfined}
    spec:
      containers: [` + oneContainer + `]`,
			want: []Finding{pssFinding("spec.template.spec", "forbidden AppArmor profile", `baseline:latest: annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/app="unconfined""`)}},
		{name: "hostPath volume on a CronJob", rule: "podSecurityStandard", obj: `
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          volumes: [{name: host, hostPath: {path: /}}]
          containers: [` + oneContainer + `]`,
			want: []Finding{pssFinding("spec.jobTemplate.spec.template.spec", "hostPath volumes", `baseline:latest: volume "host"`)}},
	})
}

func TestPodSecurityStandardExcludedContainers(t *testing.T) {
	check := ruleCheck(t, "podSecurityStandard", `{"level":"restricted"}`)
	in := objectInput(t, `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  initContainers:
  - {name: init, image: busybox, securityContext: `+restrictedSC+`}
  - {name: istio-init, image: istio/proxyv2, securityContext: {privileged: true}}
  containers:
  - {name: app, image: busybox, securityContext: `+restrictedSC+`}
  - {name: sidecar, image: istio/proxyv2, securityContext: {capabilities: {add: [NET_ADMIN]}}}
  ephemeralContainers:
  - {name: debug, image: busybox, securityContext: {runAsUser: 0}}`)
	all := in.Containers
	before, err := json.Marshal(in.Object.Pod.Spec)
	if err != nil {
		t.Fatal(err)
	}

	reasons := func(fs []Finding) []string {
		var rs []string
		for _, f := range fs {
			rs = append(rs, f.Value)
		}
		return rs
	}
	cases := []struct {
		name  string
		scope []*workload.Container
		want  []string
	}{
		{"all", all, []string{"privileged", "allowPrivilegeEscalation != false", "unrestricted capabilities", "runAsUser=0"}},
		{"istio excluded", []*workload.Container{all[0], all[2], all[4]}, []string{"allowPrivilegeEscalation != false", "unrestricted capabilities", "runAsUser=0"}},
		{"istio and debug excluded", []*workload.Container{all[0], all[2]}, nil},
		{"only the sidecar", []*workload.Container{all[3]}, []string{"allowPrivilegeEscalation != false", "unrestricted capabilities"}},
		{"only the ephemeral container", []*workload.Container{all[4]}, []string{"allowPrivilegeEscalation != false", "unrestricted capabilities", "runAsUser=0"}},
	}
	for _, tc := range cases {
		in.Containers = tc.scope
		if diff := cmp.Diff(tc.want, reasons(check(in))); diff != "" {
			t.Errorf("%s: reasons (-want +got):\n%s", tc.name, diff)
		}
	}
	after, _ := json.Marshal(in.Object.Pod.Spec)
	if string(before) != string(after) {
		t.Errorf("evaluating a subset changed the object's pod spec:\n%s\n%s", before, after)
	}
}

func TestEvaluatedSpec(t *testing.T) {
	in := objectInput(t, allTypes(`{}`))
	pod := in.Object.Pod
	if got := evaluatedSpec(in); got != pod.Spec {
		t.Error("every container in scope: want the original spec, not a copy")
	}
	all := in.Containers
	in.Containers = nil
	if got := evaluatedSpec(in); got != pod.Spec {
		t.Error("nil scope: want the original spec")
	}
	in.Containers = all[2:] // the ephemeral container
	got := evaluatedSpec(in)
	if got == pod.Spec {
		t.Fatal("a subset: want a copy")
	}
	if len(got.InitContainers) != 0 || len(got.Containers) != 0 || len(got.EphemeralContainers) != 1 || got.EphemeralContainers[0].Name != "debug" {
		t.Errorf("subset spec has init %d, containers %d, ephemeral %v", len(got.InitContainers), len(got.Containers), got.EphemeralContainers)
	}
	if len(pod.Spec.InitContainers) != 1 || len(pod.Spec.Containers) != 1 || len(pod.Spec.EphemeralContainers) != 1 {
		t.Error("the original spec was modified")
	}
}

// TestPodSecurityStandardAPIDefaults checks that the verdict is the one
// admission reaches on the object as the API server defaults it.
func TestPodSecurityStandardAPIDefaults(t *testing.T) {
	const hostNetworkPod = `{hostNetwork: true, containers: [{name: app, image: busybox, ports: [{containerPort: 80}, {containerPort: 81, hostPort: 81}]}]}`
	runRuleCases(t, []ruleCase{
		{name: "a volume without a source is an emptyDir", rule: "podSecurityStandard", props: `{"level":"restricted"}`,
			obj: `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  volumes: [{name: scratch}]
  containers: [{name: app, image: busybox, securityContext: ` + restrictedSC + `}]`},
		{name: "a Pod with hostNetwork gets hostPorts", rule: "podSecurityStandard", obj: podYAML(hostNetworkPod),
			want: []Finding{
				{Where: "pod", Value: "host namespaces", Field: "spec", Detail: "baseline:latest: hostNetwork=true"},
				{Where: "pod", Value: "hostPort", Field: "spec", Detail: `baseline:latest: container "app" uses hostPorts 80, 81`},
			}},
		{name: "a pod template with hostNetwork does not", rule: "podSecurityStandard", obj: `
apiVersion: v1
kind: PodTemplate
metadata: {name: t}
template:
  spec: ` + hostNetworkPod,
			want: []Finding{
				{Where: "pod", Value: "host namespaces", Field: "template.spec", Detail: "baseline:latest: hostNetwork=true"},
				{Where: "pod", Value: "hostPort", Field: "template.spec", Detail: `baseline:latest: container "app" uses hostPort 81`},
			}},
	})
	in := objectInput(t, podYAML(`{hostNetwork: true, volumes: [{name: v}], containers: [{name: app, image: busybox, ports: [{containerPort: 80}]}]}`))
	spec := evaluatedSpec(in)
	if spec.Containers[0].Ports[0].HostPort != 80 || spec.Volumes[0].EmptyDir == nil {
		t.Errorf("defaults not applied: %+v %+v", spec.Containers[0].Ports, spec.Volumes)
	}
	if orig := in.Object.Pod.Spec; orig.Containers[0].Ports[0].HostPort != 0 || orig.Volumes[0].EmptyDir != nil {
		t.Error("defaulting modified the object's own spec")
	}
}

func TestPodSecurityStandardProperties(t *testing.T) {
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	path := field.NewPath("spec", "clusterWide", "deployment", "rules").Index(0)
	for props, want := range map[string]string{
		`{"level":"privileged"}`:                   `properties.level: Unsupported value: "privileged": supported values: "baseline", "restricted"`,
		`{"level":"Baseline"}`:                     `properties.level: Unsupported value: "Baseline"`,
		`{"version":"1.30"}`:                       `properties.version: Invalid value: "1.30": must be "latest" or "v1.x"`,
		`{"version":"v2.0"}`:                       `properties.version: Invalid value: "v2.0"`,
		`{"version":""}`:                           `properties.version: Invalid value: ""`,
		`{"level":"restricted","profile":"x"}`:     `properties.profile: `,
		`{"level":"restricted","version":"v1.0"}`:  ``,
		`{"level":"restricted","version":"v1.99"}`: ``,
	} {
		errs := reg.CheckRule(&policy.Rule{Rule: "podSecurityStandard", Properties: json.RawMessage(props)}, policy.TabDeployment, path)
		got := errs.ToAggregate()
		switch {
		case want == "" && got != nil:
			t.Errorf("%s: unexpected error %v", props, got)
		case want != "" && (got == nil || !strings.Contains(got.Error(), want)):
			t.Errorf("%s: error %v, want it to contain %q", props, got, want)
		}
	}
}

package continuous

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/workload"
)

// Trimming must not change what any catalog rule finds: every rule that
// runs in the continuous tab judges a trimmed pod as it judges the whole.
func TestTrimKeepsWhatRulesRead(t *testing.T) {
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	preset, err := policy.Preset("log-all", reg)
	if err != nil {
		t.Fatal(err)
	}
	var cont []policy.Rule
	for _, r := range preset.Spec.ClusterWide.Deployment.Rules {
		if def, ok := reg.Get(r.Rule); ok && slices.Contains(def.Tabs, policy.TabContinuous) {
			cont = append(cont, r)
		}
	}
	for _, level := range []string{"baseline", "restricted"} {
		cont = append(cont, policy.Rule{Rule: "podSecurityStandard", Action: policy.ActionLog,
			Properties: []byte(`{"level":"` + level + `"}`)})
	}
	preset.Spec.ClusterWide.Continuous = &policy.RuleTab{Rules: cont}
	compiled, err := engine.Compile(preset, reg)
	if err != nil {
		t.Fatal(err)
	}
	whole := benchPods(t, 10, false)
	trimmed := benchPods(t, 10, true)
	for i := range whole {
		want := compiled.Evaluate(workload.FromPod(whole[i]), policy.TabContinuous, engine.Options{})
		got := compiled.Evaluate(workload.FromPod(trimmed[i]), policy.TabContinuous, engine.Options{})
		if len(want.Findings) == 0 && i%10 == 0 {
			t.Fatalf("pod %d: the violating pod has no findings; the test proves nothing", i)
		}
		msgs := func(r engine.Result) []string {
			var out []string
			for j := range r.Findings {
				out = append(out, r.Findings[j].Message())
			}
			return out
		}
		if diff := cmp.Diff(msgs(want), msgs(got)); diff != "" {
			t.Errorf("pod %d: findings (-whole +trimmed):\n%s", i, diff)
		}
	}
	if p := trimmed[0]; p.ManagedFields != nil || p.Spec.Containers[0].Env != nil || p.Spec.Tolerations != nil || len(p.Status.ContainerStatuses) != 0 {
		t.Errorf("not trimmed: %+v", p)
	}

	// Probe and lifecycle hosts, which the Pod Security Standards read,
	// survive the trim; the rest of the probes does not.
	hosted := whole[1].DeepCopy()
	c := &hosted.Spec.Containers[0]
	c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Host: "10.0.0.9", Path: "/healthz"}}, PeriodSeconds: 5}
	c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}
	c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{TCPSocket: &corev1.TCPSocketAction{Host: "10.0.0.8"}}}
	want := compiled.Evaluate(workload.FromPod(hosted.DeepCopy()), policy.TabContinuous, engine.Options{})
	trimmedObj, err := Trim(hosted)
	if err != nil {
		t.Fatal(err)
	}
	got := compiled.Evaluate(workload.FromPod(trimmedObj.(*corev1.Pod)), policy.TabContinuous, engine.Options{})
	var probeFindings int
	for j := range want.Findings {
		if strings.Contains(want.Findings[j].Message(), "10.0.0.9") {
			probeFindings++
		}
	}
	if probeFindings == 0 {
		t.Fatal("no finding names the probe's host; the test proves nothing")
	}
	if len(got.Findings) != len(want.Findings) {
		t.Errorf("with probe hosts: %d findings trimmed, %d whole", len(got.Findings), len(want.Findings))
	}
	if c := hosted.Spec.Containers[0]; c.ReadinessProbe != nil || c.LivenessProbe == nil || c.LivenessProbe.PeriodSeconds != 0 || c.LivenessProbe.HTTPGet.Path != "" {
		t.Errorf("probes not trimmed to their hosts: %+v", c)
	}
}

func TestStrongestActionWins(t *testing.T) {
	order := []policy.Action{"", policy.ActionLog, policy.ActionIsolate, policy.ActionTerminate}
	for i := 1; i < len(order); i++ {
		if order[i].Strength() <= order[i-1].Strength() {
			t.Errorf("%s should outrank %s", order[i], order[i-1])
		}
	}
}

// The fields allowedUsersAndGroups, forbiddenHostPaths, flexVolumeDrivers
// and resourceLimits read (security contexts, volumes, resources) survive
// the trim: each rule finds on the trimmed pod what it finds on the whole.
func TestTrimKeepsUserGroupAndVolumeFields(t *testing.T) {
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	const doc = `
apiVersion: palisade.dev/v1
kind: Policy
metadata: {name: users-and-volumes}
spec:
  clusterWide:
    continuous:
      rules:
        - rule: allowedUsersAndGroups
          action: log
          properties:
            runAsUser: {rule: MustRunAsNonRoot}
            runAsGroup: {rule: MustRunAs, ranges: [{min: 1000, max: 2000}]}
            supplementalGroups: {rule: MayRunAs, ranges: [{min: 1000, max: 2000}]}
            fsGroup: {rule: MayRunAs, ranges: [{min: 1000, max: 2000}]}
        - {rule: forbiddenHostPaths, action: log}
        - {rule: flexVolumeDrivers, action: log}
        - {rule: resourceLimits, action: log, properties: {resources: [memory], maxMemory: 1Gi}}
`
	bundle, err := policy.Load("users-and-volumes.yaml", []byte(doc), reg)
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := engine.Compile(bundle.Policies[0], reg)
	if err != nil {
		t.Fatal(err)
	}
	root, group := int64(0), int64(3000)
	pod := &corev1.Pod{
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{RunAsGroup: &group, FSGroup: &root, SupplementalGroups: []int64{root}},
			Volumes: []corev1.Volume{
				{Name: "sock", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run"}}},
				{Name: "flex", VolumeSource: corev1.VolumeSource{FlexVolume: &corev1.FlexVolumeSource{Driver: "example/lvm"}}},
			},
			Containers: []corev1.Container{{
				Name: "app", Image: "nginx", Env: []corev1.EnvVar{{Name: "A", Value: "b"}},
				SecurityContext: &corev1.SecurityContext{RunAsUser: &root},
				Resources:       corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("2Gi")}},
			}},
		},
	}
	pod.Name, pod.Namespace = "p", "prod"
	want := compiled.Evaluate(workload.FromPod(pod.DeepCopy()), policy.TabContinuous, engine.Options{})
	trimmed, err := Trim(pod)
	if err != nil {
		t.Fatal(err)
	}
	got := compiled.Evaluate(workload.FromPod(trimmed.(*corev1.Pod)), policy.TabContinuous, engine.Options{})
	seen := map[string]bool{}
	var wantMsgs, gotMsgs []string
	for i := range want.Findings {
		seen[want.Findings[i].Rule] = true
		wantMsgs = append(wantMsgs, want.Findings[i].Message())
	}
	for i := range got.Findings {
		gotMsgs = append(gotMsgs, got.Findings[i].Message())
	}
	for _, id := range []string{"allowedUsersAndGroups", "forbiddenHostPaths", "flexVolumeDrivers", "resourceLimits"} {
		if !seen[id] {
			t.Errorf("the whole pod has no %s finding; the test proves nothing for it", id)
		}
	}
	if diff := cmp.Diff(wantMsgs, gotMsgs); diff != "" {
		t.Errorf("findings (-whole +trimmed):\n%s", diff)
	}
	if trimmed.(*corev1.Pod).Spec.Containers[0].Env != nil {
		t.Error("not trimmed: env kept")
	}
}

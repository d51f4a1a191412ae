package rules

import (
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/core/document"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/workload"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

// seed001Build builds rule id from the built-in registry with props (YAML;
// "" for the defaults) and returns the error the registry reports.
func seed001Build(t testing.TB, id, props string) (Check, error) {
	t.Helper()
	reg, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	pr := &policy.Rule{Rule: id, Action: policy.ActionLog}
	if props != "" {
		j, err := yaml.YAMLToJSON([]byte(props))
		if err != nil {
			t.Fatalf("properties: %v", err)
		}
		pr.Properties = j
	}
	_, check, err := reg.Build(pr)
	return check, err
}

// seed001Check is seed001Build for properties that must be valid.
func seed001Check(t testing.TB, id, props string) Check {
	t.Helper()
	check, err := seed001Build(t, id, props)
	if err != nil {
		t.Fatalf("build %s: %v", id, err)
	}
	return check
}

// seed001Object decodes one manifest written in YAML.
func seed001Object(t testing.TB, manifest string) *workload.Object {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	obj, err := workload.Decode(j)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return obj
}

// seed001Input is what the engine passes a check when nothing is
// excluded: every container is in scope.
func seed001Input(obj *workload.Object, ns string) *Input {
	in := &Input{Object: obj, Namespace: ns}
	if obj.Pod != nil {
		for i := range obj.Pod.Containers {
			in.Containers = append(in.Containers, &obj.Pod.Containers[i])
		}
	}
	return in
}

// seed001Run builds rule id with props and runs it on manifest in
// namespace "prod".
func seed001Run(t *testing.T, id, props, manifest string) []Finding {
	t.Helper()
	return seed001Check(t, id, props)(seed001Input(seed001Object(t, manifest), "prod"))
}

// seed001Diff compares findings, treating nil and empty alike.
func seed001Diff(want, got []Finding) string {
	return cmp.Diff(want, got, cmpopts.EquateEmpty())
}

// seed001Pod is a Pod manifest (flow YAML) with the given spec.
func seed001Pod(spec string) string {
	return `{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: ` + spec + `}`
}

// seed001Case is one table row of a seed-001 rule test.
type seed001Case struct {
	name     string
	props    string // YAML; "" for the defaults
	manifest string
	want     []Finding
}

// seed001Cases runs rule id on each case's manifest in namespace "prod"
// and compares the exact findings.
func seed001Cases(t *testing.T, id string, cases []seed001Case) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := seed001Run(t, id, tc.props, tc.manifest)
			if diff := seed001Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// seed001PropErrors checks that each set of properties is refused with an
// error naming the given text (a field path, a reason).
func seed001PropErrors(t *testing.T, id string, cases map[string][]string) {
	t.Helper()
	for props, wants := range cases {
		_, err := seed001Build(t, id, props)
		if err == nil {
			t.Errorf("%s with %s: want an error", id, props)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s with %s: error %q does not mention %q", id, props, err, w)
			}
		}
	}
}

// seed001Applies mirrors the engine's choice of the rules that read an object.
func seed001Applies(r *Rule, obj *workload.Object) bool {
	return r.Targets&TargetAny != 0 ||
		obj.Pod != nil && r.Targets&TargetPod != 0 ||
		obj.Service != nil && r.Targets&TargetService != 0 ||
		obj.Ingress != nil && r.Targets&TargetIngress != 0 ||
		obj.ServiceAccount != nil && r.Targets&TargetServiceAccount != 0 ||
		obj.PersistentVolumeClaim != nil && r.Targets&TargetPersistentVolumeClaim != 0 ||
		obj.HorizontalPodAutoscaler != nil && r.Targets&TargetHorizontalPodAutoscaler != 0 ||
		obj.PodDisruptionBudget != nil && r.Targets&TargetPodDisruptionBudget != 0
}

func readExample(t *testing.T, name string) map[string]*workload.Object {
	t.Helper()
	f, err := os.Open(fixture.Repo(t, "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	objs := map[string]*workload.Object{}
	r := document.NewReader(f, name)
	for {
		doc, err := r.Next()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatal(err)
		}
		j, err := doc.JSON()
		if err != nil {
			t.Fatal(err)
		}
		obj, err := workload.Decode(j)
		if err != nil {
			t.Fatal(err)
		}
		objs[obj.Kind+"/"+obj.Meta.Name] = obj
	}
}

// TestSeed001Examples runs the seed's healthy and unhealthy samples through
// every seed-001 recommendation with its defaults.
func TestSeed001Examples(t *testing.T) {
	ids := []string{
		"resourceLimits", "allowedRegistries", "allowedCapabilities", "appArmor", "allowedServicePorts",
		"hostNetworkAndPorts", "allowedHostPaths", "httpsOnlyIngress", "automountServiceAccountToken",
		"defaultNamespace", "sysAdminCapability",
		"privileged", "readOnlyRootFilesystem", "allowPrivilegeEscalation", "runAsNonRoot", "hostPID", "hostIPC",
	}
	reg, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	objs := readExample(t, "redis-unhealthy.yaml")
	for k, v := range readExample(t, "redis-healthy.yaml") {
		objs[k] = v
	}

	got := map[string][]string{}       // object → rules that flag it
	findings := map[string][]Finding{} // "object rule" → findings
	for name, obj := range objs {
		got[name] = []string{}
		for _, id := range ids {
			r, check, err := reg.Build(&policy.Rule{Rule: id, Action: policy.ActionLog})
			if err != nil {
				t.Fatalf("build %s: %v", id, err)
			}
			if !seed001Applies(r, obj) {
				continue
			}
			if fs := check(seed001Input(obj, "default")); len(fs) > 0 {
				got[name] = append(got[name], id)
				findings[name+" "+id] = fs
			}
		}
		slices.Sort(got[name])
	}

	want := map[string][]string{
		"Deployment/redis-unhealthy-deployment": {
			"allowPrivilegeEscalation", "allowedCapabilities", "allowedHostPaths", "allowedRegistries", "appArmor",
			"automountServiceAccountToken", "defaultNamespace", "hostIPC", "hostNetworkAndPorts", "hostPID",
			"privileged", "readOnlyRootFilesystem", "resourceLimits", "runAsNonRoot",
			"sysAdminCapability", // privileged holds every capability
		},
		"Deployment/redis-healthy-deployment": {"allowedRegistries", "automountServiceAccountToken", "defaultNamespace"},
		"Service/redis-unhealthy-service":     {"defaultNamespace"},
		"Service/redis-healthy-service":       {"defaultNamespace"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules flagging each object (-want +got):\n%s", diff)
	}

	values := func(key string) []string {
		var vs []string
		for _, f := range findings[key] {
			vs = append(vs, f.Where+" "+f.Value)
		}
		return vs
	}
	for key, want := range map[string][]string{
		"Deployment/redis-unhealthy-deployment hostNetworkAndPorts": {"podSecurityContext true", "container 9001"},
		"Deployment/redis-unhealthy-deployment allowedCapabilities": {"containerSecurityContext NET_ADMIN"},
		"Deployment/redis-unhealthy-deployment allowedHostPaths":    {"pod /tmp"},
		"Deployment/redis-unhealthy-deployment resourceLimits":      {"containerResources unset", "containerResources unset"},
		"Deployment/redis-unhealthy-deployment appArmor":            {"containerSecurityContext unset"},
		"Deployment/redis-unhealthy-deployment allowedRegistries":   {"image docker.io/library/redis:latest"},
		"Deployment/redis-healthy-deployment allowedRegistries":     {"image <customer-registry>.azurecr.io/redis:latest"},
	} {
		if diff := cmp.Diff(want, values(key)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", key, diff)
		}
	}
	if fs := findings["Deployment/redis-healthy-deployment allowedRegistries"]; len(fs) != 1 || !strings.Contains(fs[0].Detail, "invalid image reference") {
		t.Errorf("healthy allowedRegistries: want one invalid-reference finding, got %+v", fs)
	}
}

// TestSeed001Catalog checks how each recommendation is registered: the
// seed's severity (重大度), the tabs, and defaults that build.
func TestSeed001Catalog(t *testing.T) {
	pod, deploy := []policy.Tab{policy.TabDeployment, policy.TabContinuous}, []policy.Tab{policy.TabDeployment}
	want := map[string]struct {
		sev  Severity
		tabs []policy.Tab
	}{
		"resourceLimits":               {Medium, pod},
		"allowedRegistries":            {High, pod},
		"allowedCapabilities":          {Medium, pod},
		"appArmor":                     {High, pod},
		"allowedServicePorts":          {Medium, deploy},
		"hostNetworkAndPorts":          {Medium, pod},
		"allowedHostPaths":             {Medium, pod},
		"httpsOnlyIngress":             {High, deploy},
		"automountServiceAccountToken": {High, pod},
		"defaultNamespace":             {Low, deploy},
		"sysAdminCapability":           {High, pod},
	}
	reg, err := Builtin()
	if err != nil {
		t.Fatalf("Builtin: %v", err)
	}
	for id, w := range want {
		r, ok := reg.Get(id)
		if !ok {
			t.Errorf("%s is not registered", id)
			continue
		}
		if r.Sources[0].Product != "Azure Policy" || r.Severity != w.sev || !slices.Equal(r.Tabs, w.tabs) {
			t.Errorf("%s: sources %q, severity %q, tabs %v; want Azure Policy first, %q, %v", id, r.Sources, r.Severity, r.Tabs, w.sev, w.tabs)
		}
		if NeedsProperties(r) {
			t.Errorf("%s: the seed gives every property a default", id)
		}
	}
}

package rules

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// TestDeprecatedAPIVersions holds the cases of Gatekeeper's
// verifydeprecatedapi samples (1.16, 1.22, 1.25, 1.26, 1.27, 1.29) and of
// Kyverno's check-deprecated-apis, written from their semantics: a removed
// apiVersion of a kind is refused with its replacement, its replacement is
// not; plus ours (the version property, includeDeprecated, objects
// Palisade cannot decode).
func TestDeprecatedAPIVersions(t *testing.T) {
	obj := func(apiVersion, kind string) string {
		return `{apiVersion: ` + apiVersion + `, kind: ` + kind + `, metadata: {name: x}, spec: {}}`
	}
	removed := func(apiVersion, kind, detail string) []Finding {
		return []Finding{{Where: "object", Value: apiVersion + " " + kind, Field: "apiVersion", Detail: detail}}
	}
	seed001Cases(t, "deprecatedAPIVersions", []seed001Case{
		{name: "1.16: extensions/v1beta1 Deployment", props: `{kubernetesVersion: "1.16"}`, manifest: obj("extensions/v1beta1", "Deployment"),
			want: removed("extensions/v1beta1", "Deployment", "removed in Kubernetes 1.16: use apps/v1")},
		{name: "1.16: apps/v1 Deployment", props: `{kubernetesVersion: "1.16"}`, manifest: obj("apps/v1", "Deployment")},
		{name: "1.22: extensions/v1beta1 Ingress", props: `{kubernetesVersion: "1.22"}`, manifest: obj("extensions/v1beta1", "Ingress"),
			want: removed("extensions/v1beta1", "Ingress", "removed in Kubernetes 1.22: use networking.k8s.io/v1")},
		{name: "1.22: networking.k8s.io/v1 Ingress", props: `{kubernetesVersion: "1.22"}`, manifest: obj("networking.k8s.io/v1", "Ingress")},
		{name: "1.21: extensions/v1beta1 Ingress is still served", props: `{kubernetesVersion: "1.21"}`, manifest: obj("extensions/v1beta1", "Ingress")},
		{name: "1.25: batch/v1beta1 CronJob", props: `{kubernetesVersion: "1.25"}`, manifest: obj("batch/v1beta1", "CronJob"),
			want: removed("batch/v1beta1", "CronJob", "removed in Kubernetes 1.25: use batch/v1")},
		{name: "1.25: policy/v1beta1 PodSecurityPolicy has no replacement", props: `{kubernetesVersion: "1.25"}`, manifest: obj("policy/v1beta1", "PodSecurityPolicy"),
			want: removed("policy/v1beta1", "PodSecurityPolicy", "removed in Kubernetes 1.25 with no replacement")},
		{name: "1.26: autoscaling/v2beta2 HorizontalPodAutoscaler", props: `{kubernetesVersion: "1.26"}`, manifest: obj("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
			want: removed("autoscaling/v2beta2", "HorizontalPodAutoscaler", "removed in Kubernetes 1.26: use autoscaling/v2")},
		{name: "1.27: storage.k8s.io/v1beta1 CSIStorageCapacity", props: `{kubernetesVersion: "1.27"}`, manifest: obj("storage.k8s.io/v1beta1", "CSIStorageCapacity"),
			want: removed("storage.k8s.io/v1beta1", "CSIStorageCapacity", "removed in Kubernetes 1.27: use storage.k8s.io/v1")},
		{name: "1.29: flowcontrol v1beta2", props: `{kubernetesVersion: "v1.29.3"}`, manifest: obj("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema"),
			want: removed("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", "removed in Kubernetes 1.29: use flowcontrol.apiserver.k8s.io/v1")},
		{name: "1.29: flowcontrol v1beta3 is still served", props: `{kubernetesVersion: "1.29"}`, manifest: obj("flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration")},
		{name: "1.29 with includeDeprecated: flowcontrol v1beta3 is deprecated", props: `{kubernetesVersion: "1.29", includeDeprecated: true}`,
			manifest: obj("flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration"),
			want:     removed("flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration", "deprecated since Kubernetes 1.29 and removed in 1.32: use flowcontrol.apiserver.k8s.io/v1")},
		{name: "1.28 with includeDeprecated: flowcontrol v1beta3 is not deprecated yet", props: `{kubernetesVersion: "1.28", includeDeprecated: true}`,
			manifest: obj("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema")},
		{name: "the default version: flowcontrol v1beta3", manifest: obj("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"),
			want: removed("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "removed in Kubernetes 1.32: use flowcontrol.apiserver.k8s.io/v1")},
		{name: "an apiVersion of another kind", manifest: obj("policy/v1beta1", "Eviction")},
		{name: "a custom resource", manifest: obj("example.com/v1beta1", "Ingress")},
		{name: "autoscaling/v1 is still served", manifest: obj("autoscaling/v1", "HorizontalPodAutoscaler")},
	})
}

// The rule judges objects Palisade cannot decode: that is what it is for.
func TestDeprecatedAPIVersionsReadsUndecodedObjects(t *testing.T) {
	obj := seed001Object(t, `{apiVersion: extensions/v1beta1, kind: Ingress, metadata: {name: x}, spec: {backend: {serviceName: s, servicePort: 80}}}`)
	if obj.Unknown == "" {
		t.Fatal("extensions/v1beta1 Ingress: want an object Palisade does not decode")
	}
	reg, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := reg.Get("deprecatedAPIVersions"); r == nil || !r.AnyAPIVersion {
		t.Fatal("deprecatedAPIVersions must declare AnyAPIVersion")
	}
	got := seed001Check(t, "deprecatedAPIVersions", "")(seed001Input(obj, "prod"))
	want := []Finding{{Where: "object", Value: "extensions/v1beta1 Ingress", Field: "apiVersion", Detail: "removed in Kubernetes 1.22: use networking.k8s.io/v1"}}
	if diff := seed001Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// kubernetesMinor follows the k8s.io/api module of go.mod (v0.N is 1.N).
func TestKubernetesMinorMatchesGoMod(t *testing.T) {
	mod, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*k8s\.io/api v0\.(\d+)\.`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod requires no k8s.io/api")
	}
	if n, _ := strconv.Atoi(string(m[1])); n != kubernetesMinor {
		t.Errorf("go.mod has k8s.io/api v0.%d: set kubernetesMinor to %d (it is %d)", n, n, kubernetesMinor)
	}
}

func TestDeprecatedAPIVersionsProperties(t *testing.T) {
	seed001PropErrors(t, "deprecatedAPIVersions", map[string][]string{
		`{kubernetesVersion: "1"}`:    {"properties.kubernetesVersion", "1.29"},
		`{kubernetesVersion: "2.1"}`:  {"properties.kubernetesVersion"},
		`{kubernetesVersion: latest}`: {"properties.kubernetesVersion"},
		`{kubernetesVersion: ""}`:     {"properties.kubernetesVersion"},
	})
}

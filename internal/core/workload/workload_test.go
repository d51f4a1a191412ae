package workload

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const podSpec = `{"initContainers":[{"name":"init","image":"busybox"}],"containers":[{"name":"app","image":"nginx:1.25"}],"ephemeralContainers":[{"name":"debug","image":"alpine"}]}`

func TestEveryPodTemplateKindIsUnwrapped(t *testing.T) {
	tmpl := `{"metadata":{"labels":{"app":"x"}},"spec":` + podSpec + `}`
	tests := []struct {
		apiVersion, kind, body, specPath string
	}{
		{"v1", "Pod", `"spec":` + podSpec, "spec"},
		{"apps/v1", "Deployment", `"spec":{"template":` + tmpl + `}`, "spec.template.spec"},
		{"apps/v1", "ReplicaSet", `"spec":{"template":` + tmpl + `}`, "spec.template.spec"},
		{"apps/v1", "StatefulSet", `"spec":{"template":` + tmpl + `}`, "spec.template.spec"},
		{"apps/v1", "DaemonSet", `"spec":{"template":` + tmpl + `}`, "spec.template.spec"},
		{"batch/v1", "Job", `"spec":{"template":` + tmpl + `}`, "spec.template.spec"},
		{"batch/v1", "CronJob", `"spec":{"jobTemplate":{"spec":{"template":` + tmpl + `}}}`, "spec.jobTemplate.spec.template.spec"},
		{"v1", "ReplicationController", `"spec":{"template":` + tmpl + `}`, "spec.template.spec"},
		{"v1", "PodTemplate", `"template":` + tmpl, "template.spec"},
	}
	for _, tt := range tests {
		raw := `{"apiVersion":"` + tt.apiVersion + `","kind":"` + tt.kind + `","metadata":{"name":"n","namespace":"ns"},` + tt.body + `}`
		o, err := Decode([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", tt.kind, err)
		}
		if o.Pod == nil {
			t.Fatalf("%s: no pod template", tt.kind)
		}
		if o.Meta.Name != "n" || o.Namespace("default") != "ns" {
			t.Errorf("%s: metadata %q/%q", tt.kind, o.Meta.Namespace, o.Meta.Name)
		}
		var got []string
		for _, c := range o.Pod.Containers {
			got = append(got, c.Path+"="+c.C.Name+"@"+c.Image.Path)
		}
		p := tt.specPath
		want := []string{
			p + ".initContainers[0]=init@docker.io/library/busybox:latest",
			p + ".containers[0]=app@docker.io/library/nginx:1.25",
			p + ".ephemeralContainers[0]=debug@docker.io/library/alpine:latest",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s containers (-want +got):\n%s", tt.kind, diff)
		}
	}
}

func TestOtherKinds(t *testing.T) {
	for raw, check := range map[string]func(*Object) bool{
		`{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":80}]}}`: func(o *Object) bool { return o.Service != nil && o.Service.Spec.Ports[0].Port == 80 },
		`{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"i"}}`:              func(o *Object) bool { return o.Ingress != nil },
		`{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa"},"automountServiceAccountToken":false}`: func(o *Object) bool {
			return o.ServiceAccount != nil && !*o.ServiceAccount.AutomountServiceAccountToken
		},
		`{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"b"}}`: func(o *Object) bool { return o.ClusterBinding != nil },
		`{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","namespace":"x"}}`:           func(o *Object) bool { return o.Pod == nil && o.Meta.Namespace == "x" },
		`{"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"rc"},"spec":{}}`:             func(o *Object) bool { return o.Pod == nil && o.Replicas == nil },
		`{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s"},"spec":{"replicas":3}}`:       func(o *Object) bool { return *o.Replicas == 3 },
		`{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{"replicas":3}}`:              func(o *Object) bool { return o.Replicas == nil },
		`{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"c"},"spec":{"storageClassName":"fast"}}`: func(o *Object) bool {
			return o.PersistentVolumeClaim != nil && *o.PersistentVolumeClaim.Spec.StorageClassName == "fast" && o.Meta.Name == "c"
		},
		`{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"h"},"spec":{"minReplicas":2,"maxReplicas":5}}`: func(o *Object) bool {
			return o.HorizontalPodAutoscaler != nil && *o.HorizontalPodAutoscaler.Spec.MinReplicas == 2 && o.HorizontalPodAutoscaler.Spec.MaxReplicas == 5
		},
		`{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s"},"spec":{"volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"storageClassName":"fast"}}]}}`: func(o *Object) bool {
			return len(o.VolumeClaimTemplates) == 1 && o.VolumeClaimTemplates[0].Name == "data" && *o.VolumeClaimTemplates[0].Spec.StorageClassName == "fast"
		},
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"volumeClaimTemplates":[{"metadata":{"name":"data"}}]}}`: func(o *Object) bool { return o.VolumeClaimTemplates == nil },
	} {
		o, err := Decode([]byte(raw))
		if err != nil || !check(o) {
			t.Errorf("Decode(%s) = %+v, %v", raw, o, err)
		}
	}
}

// An object whose apiVersion and kind Palisade does not know is decoded
// with its metadata only and says why it cannot be evaluated; custom
// resources and other groups' kinds are not reported.
func TestUnknownAPIVersionAndKind(t *testing.T) {
	tests := []struct{ apiVersion, kind, want string }{
		{"v1", "Deployment", "Palisade reads Deployment as apps/v1, not v1"},
		{"apps/v1beta1", "Deployment", "Palisade reads Deployment as apps/v1, not apps/v1beta1"},
		{"extensions/v1beta1", "Deployment", "Palisade reads Deployment as apps/v1, not extensions/v1beta1"},
		{"extensions/v1beta1", "Ingress", "Palisade reads Ingress as networking.k8s.io/v1, not extensions/v1beta1"},
		{"networking.k8s.io/v1beta1", "Ingress", "Palisade reads Ingress as networking.k8s.io/v1, not networking.k8s.io/v1beta1"},
		{"batch/v1beta1", "CronJob", "Palisade reads CronJob as batch/v1, not batch/v1beta1"},
		{"rbac.authorization.k8s.io/v1beta1", "ClusterRole", "Palisade reads ClusterRole as rbac.authorization.k8s.io/v1, not rbac.authorization.k8s.io/v1beta1"},
		{"apps/v1", "Pod", "Palisade reads Pod as v1, not apps/v1"},
		{"policy/v1beta1", "PodDisruptionBudget", "Palisade reads PodDisruptionBudget as policy/v1, not policy/v1beta1"},
		{"apps/v1", "Deploymnet", "apps/v1 has no kind Deploymnet that Palisade knows"},
		{"v1beta1", "ConfigMap", "v1beta1 has no kind ConfigMap that Palisade knows"},
		{"extensions/v1beta1", "NetworkPolicy", "extensions/v1beta1 has no kind NetworkPolicy that Palisade knows"},
		{"", "Pod", "the object has no apiVersion"},
		{"autoscaling/v1", "HorizontalPodAutoscaler", "Palisade reads HorizontalPodAutoscaler as autoscaling/v2, not autoscaling/v1"},
		{"autoscaling/v2beta2", "HorizontalPodAutoscaler", "Palisade reads HorizontalPodAutoscaler as autoscaling/v2, not autoscaling/v2beta2"},
		{"apps/v1", "PersistentVolumeClaim", "Palisade reads PersistentVolumeClaim as v1, not apps/v1"},
		// Known, or not Palisade's to judge.
		{"apps/v1", "Deployment", ""},
		{"v1", "ConfigMap", ""},
		{"apps/v1", "ControllerRevision", ""},
		{"v1", "PersistentVolumeClaim", ""},
		{"autoscaling/v2", "HorizontalPodAutoscaler", ""},
		{"policy/v1", "PodDisruptionBudget", ""},
		{"serving.knative.dev/v1", "Service", ""},
		{"gateway.networking.k8s.io/v1", "HTTPRoute", ""},
		{"example.com/v1", "Widget", ""},
	}
	for _, tt := range tests {
		head := `"kind":"` + tt.kind + `"`
		if tt.apiVersion != "" {
			head = `"apiVersion":"` + tt.apiVersion + `",` + head
		}
		raw := `{` + head + `,"metadata":{"name":"n","namespace":"ns"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x"}]}}}}`
		o, err := Decode([]byte(raw))
		if err != nil {
			t.Fatalf("%s %s: %v", tt.apiVersion, tt.kind, err)
		}
		if o.Unknown != tt.want {
			t.Errorf("%s %s: Unknown %q, want %q", tt.apiVersion, tt.kind, o.Unknown, tt.want)
		}
		if tt.want != "" && (o.Pod != nil || o.Ingress != nil || o.ClusterRole != nil || o.HorizontalPodAutoscaler != nil || o.PersistentVolumeClaim != nil || o.PodDisruptionBudget != nil || o.Meta.Name != "n") {
			t.Errorf("%s %s: want the metadata only, got %+v", tt.apiVersion, tt.kind, o)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, raw := range []string{
		`{"apiVersion":"v1","metadata":{}}`,
		`{"apiVersion":"v1","kind":"Pod","spec":{"hostPID":"yes"}}`,
		`[1]`,
	} {
		if _, err := Decode([]byte(raw)); err == nil {
			t.Errorf("Decode(%s): want an error", raw)
		}
	}
}

func TestList(t *testing.T) {
	raw := []byte(`{"apiVersion":"v1","kind":"List","items":[{"kind":"Pod"},{"kind":"Service"}]}`)
	_, kind, _ := Head(raw)
	items, err := ListItems(raw)
	if !IsList(kind) || err != nil || len(items) != 2 {
		t.Fatalf("kind=%s items=%d err=%v", kind, len(items), err)
	}
}

// Field names are matched case-sensitively, as the API server matches them:
// a look-alike key cannot override the real one.
func TestDecodeIsCaseSensitive(t *testing.T) {
	raw := `{"apiVersion":"v1","kind":"Pod","Kind":"ConfigMap","metadata":{"name":"p"},"spec":{"hostPID":true,"HostPID":false,` +
		`"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true,"Privileged":false}}]}}`
	o, err := Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if o.Kind != "Pod" || !o.Pod.Spec.HostPID || !*o.Pod.Containers[0].C.SecurityContext.Privileged {
		t.Errorf("case-insensitive decoding: kind %s hostPID %v privileged %v", o.Kind, o.Pod.Spec.HostPID, *o.Pod.Containers[0].C.SecurityContext.Privileged)
	}
}

// FuzzDecode: any JSON an input can hold decodes or fails cleanly, and a
// decoded pod's containers all carry paths and parsed images.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}`))
	f.Add([]byte(`{"apiVersion":"batch/v1","kind":"CronJob","spec":{"jobTemplate":{"spec":{"template":{"spec":{"initContainers":[{"image":"<x>"}]}}}}}}`))
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"kind":"Service"}]}`))
	f.Add([]byte(`{"kind":"ReplicationController","spec":{"template":null}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := Decode(raw)
		if err != nil {
			return
		}
		if o.Pod != nil {
			for _, c := range o.Pod.Containers {
				if c.Path == "" || c.C == nil || c.Image.Path == "" && c.C.Image != "" {
					t.Fatalf("container %+v", c)
				}
			}
		}
		if IsList(o.Kind) {
			_, _ = ListItems(raw)
		}
		_ = o.Unstructured()
	})
}

func TestDecodePodDisruptionBudget(t *testing.T) {
	o, err := Decode([]byte(`{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"web","namespace":"shop"},
		"spec":{"maxUnavailable":"0%","selector":{"matchLabels":{"app":"web"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	pdb := o.PodDisruptionBudget
	if pdb == nil || o.Meta.Name != "web" || o.Meta.Namespace != "shop" {
		t.Fatalf("want a PodDisruptionBudget shop/web, got %+v", o)
	}
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.String() != "0%" || pdb.Spec.Selector.MatchLabels["app"] != "web" {
		t.Errorf("spec decoded as %+v", pdb.Spec)
	}
}

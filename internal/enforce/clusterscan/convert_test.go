package clusterscan

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func privileged() *corev1.SecurityContext {
	t := true
	return &corev1.SecurityContext{Privileged: &t}
}

// List items come without apiVersion and kind, and with managedFields:
// Convert sets the one and drops the other, and the engine reads the
// result as it reads a manifest.
func TestConvert(t *testing.T) {
	podSpec := corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "init", Image: "busybox"}},
		Containers:     []corev1.Container{{Name: "app", Image: "nginx", SecurityContext: privileged()}},
	}
	meta := metav1.ObjectMeta{
		Name: "web", Namespace: "prod", UID: "u1",
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}},
	}
	tests := []struct {
		name     string
		obj      runtime.Object
		gvk      schema.GroupVersionKind
		wantHead map[string]string
		// containers and specPath describe the pod the object runs.
		containers []string
		specPath   string
	}{{
		name:       "pod",
		obj:        &corev1.Pod{ObjectMeta: meta, Spec: podSpec},
		gvk:        gvk("", "Pod"),
		wantHead:   map[string]string{"apiVersion": "v1", "kind": "Pod"},
		containers: []string{"init", "app"},
		specPath:   "spec",
	}, {
		name: "cronjob",
		obj: &batchv1.CronJob{ObjectMeta: meta, Spec: batchv1.CronJobSpec{
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: podSpec}}},
		}},
		gvk:        gvk("batch", "CronJob"),
		wantHead:   map[string]string{"apiVersion": "batch/v1", "kind": "CronJob"},
		containers: []string{"init", "app"},
		specPath:   "spec.jobTemplate.spec.template.spec",
	}, {
		name:     "clusterrole",
		obj:      &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "admin"}, Rules: []rbacv1.PolicyRule{{Verbs: []string{"*"}}}},
		gvk:      gvk("rbac.authorization.k8s.io", "ClusterRole"),
		wantHead: map[string]string{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Convert(tc.obj, tc.gvk)
			if err != nil {
				t.Fatal(err)
			}
			var head struct {
				APIVersion string          `json:"apiVersion"`
				Kind       string          `json:"kind"`
				Metadata   json.RawMessage `json:"metadata"`
			}
			if err := json.Unmarshal(o.Raw, &head); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantHead, map[string]string{"apiVersion": head.APIVersion, "kind": head.Kind}); diff != "" {
				t.Errorf("raw head (-want +got):\n%s", diff)
			}
			var md map[string]any
			if err := json.Unmarshal(head.Metadata, &md); err != nil {
				t.Fatal(err)
			}
			if _, ok := md["managedFields"]; ok {
				t.Errorf("managedFields kept: %s", head.Metadata)
			}
			if o.APIVersion != tc.wantHead["apiVersion"] || o.Kind != tc.wantHead["kind"] {
				t.Errorf("object is %s %s", o.APIVersion, o.Kind)
			}
			if tc.containers == nil {
				if o.Pod != nil {
					t.Errorf("%s has a pod", o.Kind)
				}
				if tc.gvk.Kind == "ClusterRole" && (o.ClusterRole == nil || len(o.ClusterRole.Rules) != 1) {
					t.Errorf("ClusterRole not decoded: %+v", o.ClusterRole)
				}
				return
			}
			var names []string
			for _, c := range o.Pod.Containers {
				names = append(names, c.C.Name)
			}
			if diff := cmp.Diff(tc.containers, names); diff != "" || o.Pod.SpecPath != tc.specPath {
				t.Errorf("pod %s, containers (-want +got):\n%s", o.Pod.SpecPath, diff)
			}
			if o.Meta.Name != "web" || o.Meta.Namespace != "prod" || o.Meta.UID != "u1" {
				t.Errorf("meta %+v", o.Meta)
			}
		})
	}
}

package workload

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestFromPodMatchesDecode(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init", Image: "busybox:1.36"}},
			Containers:     []corev1.Container{{Name: "app", Image: "registry.example.com/web@sha256:" + sha}},
		},
	}
	raw, err := json.Marshal(struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		*corev1.Pod
	}{"v1", "Pod", pod})
	if err != nil {
		t.Fatal(err)
	}
	want, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	got := FromPod(pod)
	if got.Kind != want.Kind || got.APIVersion != want.APIVersion || got.Namespace("") != "shop" {
		t.Errorf("head %s/%s %s", got.APIVersion, got.Kind, got.Namespace(""))
	}
	if diff := cmp.Diff(want.Pod.Containers, got.Pod.Containers); diff != "" {
		t.Errorf("containers (-Decode +FromPod):\n%s", diff)
	}
	if diff := cmp.Diff(want.Unstructured(), got.Unstructured()); diff != "" {
		t.Errorf("unstructured (-Decode +FromPod):\n%s", diff)
	}
}

const sha = "4b1ba0d6a4e2a0c9f5d6b1b6c7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6"

package continuous

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// A pod a runtime rule isolated stays isolated when the continuous checks
// find nothing to isolate it for; one they isolated themselves is released.
func TestReleaseLeavesRuntimeIsolation(t *testing.T) {
	isolated := func(name, by string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name,
			Labels:      map[string]string{IsolationLabel: "true"},
			Annotations: map[string]string{IsolationAnnotation: `{"at":"2026-11-23T10:00:00Z","by":"` + by + `","rule":"r"}`}}}
	}
	runtimePod, continuousPod := isolated("incident", IsolatedByRuntime), isolated("drifted", IsolatedByContinuous)
	client := fake.NewClientset(runtimePod, continuousPod)
	c, err := NewContainment(ContainmentOptions{Client: client})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pod      *corev1.Pod
		released bool
	}{{runtimePod, false}, {continuousPod, true}} {
		msg, err := c.Release(t.Context(), tc.pod)
		if err != nil {
			t.Fatal(err)
		}
		got, err := client.CoreV1().Pods("shop").Get(t.Context(), tc.pod.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if released := got.Labels[IsolationLabel] == ""; released != tc.released || (msg != "") != tc.released {
			t.Errorf("%s: released %v (message %q), want %v", tc.pod.Name, released, msg, tc.released)
		}
	}
}

package containment

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/palisade-dev/palisade/internal/platform/kubeevent"
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
	c, err := New(Options{Client: client})
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

// Isolating, releasing and terminating a pod each leave a Kubernetes
// Event on it, whose note is Palisade's own event message.
func TestContainmentRecordsKubernetesEvents(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: "u-web"}}
	client := fake.NewClientset(pod)
	rec, err := kubeevent.New(kubeevent.Options{Client: client})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer rec.Shutdown()
	c, err := New(Options{Client: client, Events: rec})
	if err != nil {
		t.Fatal(err)
	}
	const why = `containerSecurityContext violates rule privileged "true" in container(s) "app" (isolate).`
	isolated, err := c.Isolate(t.Context(), pod, IsolatedByContinuous, "privileged", why)
	if err != nil || isolated == "" {
		t.Fatalf("isolate: %q, %v", isolated, err)
	}
	got, err := client.CoreV1().Pods("shop").Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	released, err := c.Release(t.Context(), got)
	if err != nil || released == "" {
		t.Fatalf("release: %q, %v", released, err)
	}
	terminated, _, err := c.Terminate(t.Context(), pod, why)
	if err != nil || terminated != "(pod deleted)" {
		t.Fatalf("terminate: %q, %v", terminated, err)
	}
	want := map[string]struct{ typ, action, note string }{
		ReasonIsolated:          {"Warning", "Isolate", why + " " + isolated},
		ReasonIsolationReleased: {"Normal", "Release", released},
		ReasonTerminated:        {"Warning", "Terminate", why + " (pod deleted)"},
	}
	var evs []eventsv1.Event
	for deadline := time.Now().Add(5 * time.Second); len(evs) < len(want) && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		list, err := client.EventsV1().Events("shop").List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		evs = list.Items
	}
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(evs), len(want), evs)
	}
	for _, ev := range evs {
		w, ok := want[ev.Reason]
		if !ok || ev.Type != w.typ || ev.Action != w.action || ev.Note != w.note ||
			ev.Regarding.Kind != "Pod" || ev.Regarding.Name != "web" || ev.Regarding.UID != "u-web" ||
			ev.ReportingController != kubeevent.ReportingController {
			t.Errorf("event %s: type %s, action %s, note %q, regarding %+v; want %+v", ev.Reason, ev.Type, ev.Action, ev.Note, ev.Regarding, w)
		}
		if ev.Reason == ReasonIsolated && (ev.Related == nil || ev.Related.Kind != "NetworkPolicy" || ev.Related.Name != NetworkPolicyName) {
			t.Errorf("isolation event related to %+v, want the NetworkPolicy", ev.Related)
		}
	}
}

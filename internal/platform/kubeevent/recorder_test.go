package kubeevent

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
)

// WaitEvents polls ns until want events exist (the broadcaster is
// asynchronous) and returns them.
func waitEvents(t *testing.T, client kubernetes.Interface, ns string, want int) []eventsv1.Event {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		list, err := client.EventsV1().Events(ns).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) >= want || time.Now().After(deadline) {
			return list.Items
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEventReachesTheAPI(t *testing.T) {
	client := fake.NewClientset()
	r, err := New(Options{Client: client})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown()
	pod := &corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "web", UID: "u1"}
	np := &corev1.ObjectReference{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: "shop", Name: "palisade-isolate"}
	r.Event(pod, np, TypeWarning, "Isolated", "Isolate", "100% privileged "+strings.Repeat("x", 2000))
	evs := waitEvents(t, client, "shop", 1)
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	ev := evs[0]
	if ev.Reason != "Isolated" || ev.Type != "Warning" || ev.Action != "Isolate" || ev.ReportingController != ReportingController ||
		!strings.HasPrefix(ev.ReportingInstance, ReportingController+"-") || ev.Regarding != *pod || ev.Related == nil || *ev.Related != *np {
		t.Errorf("event %+v", ev)
	}
	if len(ev.Note) > NoteMax || !strings.HasPrefix(ev.Note, "100% privileged xx") || !strings.HasSuffix(ev.Note, "...") {
		t.Errorf("note %q (%d bytes): not sent verbatim and cut to %d bytes", ev.Note[:40], len(ev.Note), NoteMax)
	}
}

// One object cannot use more than its bucket, and the agent-wide bucket
// bounds many objects together; what they hold back is counted.
func TestLimits(t *testing.T) {
	client := fake.NewClientset()
	r, err := New(Options{Client: client, Rate: 0.001, Burst: 40})
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "web"}
	for range 30 {
		r.Event(pod, nil, TypeWarning, "AdmissionDenied", "Deny", "denied")
	}
	if got := testutil.ToFloat64(r.dropped.WithLabelValues("object")); got != 30-objectBurst {
		t.Errorf("dropped by the object's bucket: %v, want %d", got, 30-objectBurst)
	}
	for i := range 30 {
		r.Event(&corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "p" + string(rune('a'+i))}, nil, TypeWarning, "AdmissionDenied", "Deny", "denied")
	}
	if got := testutil.ToFloat64(r.dropped.WithLabelValues("agent")); got != 25+30-40 {
		t.Errorf("dropped by the agent's bucket: %v, want %d", got, 25+30-40)
	}
	if got := testutil.ToFloat64(r.recorded.WithLabelValues("AdmissionDenied")); got != 40 {
		t.Errorf("recorded %v, want 40", got)
	}
	var nilRec *Recorder
	nilRec.Event(pod, nil, TypeNormal, "X", "Y", "z") // a nil recorder records nothing, without panicking
}

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"abcdefghij", 10, "abcdefghij"},
		{"abcdefghijk", 10, "abcdefg..."},
		{"ab\u00e9\u00e9\u00e9\u00e9", 8, "ab\u00e9..."}, // never half a character
	} {
		if got := Truncate(tc.in, tc.max); got != tc.want || len(got) > tc.max {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

package segmentation

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/platform/kubeevent"
)

// Creating and removing a namespace's segmentation NetworkPolicy each
// leave a Kubernetes Event on the Namespace (cluster-scoped, so in
// "default"), whose note is Palisade's own event message.
func TestChangesRecordKubernetesEvents(t *testing.T) {
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	compile := func(spec string) *engine.Compiled {
		c, err := engine.Compile(testPolicy(t, spec), reg)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var current atomic.Pointer[engine.Compiled]
	current.Store(compile("  clusterWide:\n    segmentation: {enabled: true}\n"))
	client := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", UID: "u-shop"}})
	rec, err := kubeevent.New(kubeevent.Options{Client: client})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait(); rec.Shutdown() }()
	if err := rec.Start(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{Client: client, Policy: current.Load, Events: rec})
	if err != nil {
		t.Fatal(err)
	}
	wg.Add(1)
	go func() { defer wg.Done(); _ = c.Run(ctx) }()

	wait := func(reason string) eventsv1.Event {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			list, err := client.EventsV1().Events("default").List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range list.Items {
				if ev.Reason == reason {
					return ev
				}
			}
		}
		t.Fatalf("no %s event", reason)
		return eventsv1.Event{}
	}
	ev := wait(ReasonApplied)
	if ev.Type != "Normal" || ev.Action != "Create" || ev.Regarding.Kind != "Namespace" || ev.Regarding.Name != "shop" ||
		ev.Regarding.UID != "u-shop" || ev.Related == nil || ev.Related.Kind != "NetworkPolicy" ||
		ev.Note != "NetworkPolicy palisade-segmentation created: ingress to every pod only from the same namespace" {
		t.Errorf("applied: %+v", ev)
	}
	current.Store(compile("  clusterWide: {}\n"))
	c.Resync()
	ev = wait(ReasonRemoved)
	if ev.Type != "Normal" || ev.Action != "Delete" || ev.Regarding.Name != "shop" ||
		ev.Note != "NetworkPolicy palisade-segmentation removed: the policy no longer segments this namespace" {
		t.Errorf("removed: %+v", ev)
	}
}

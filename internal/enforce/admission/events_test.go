package admission

import (
	"encoding/json"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/platform/kubeevent"
)

// A denied request leaves an AdmissionDenied event on the object it was
// about, in the request's namespace; an allowed one, a log-only finding
// and a dry run leave none.
func TestDenialRecordsKubernetesEvent(t *testing.T) {
	client := fake.NewClientset()
	rec, err := kubeevent.New(kubeevent.Options{Client: client})
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer rec.Shutdown()
	block, log := compile(t, "block", testPolicies["block"]), compile(t, "log", testPolicies["log"])
	var current *engine.Compiled
	r := New(Options{Policy: func() *engine.Compiled { return current }, Events: rec})
	busybox := toJSON(t, "@busybox.yaml")
	dry := true

	current = log
	r.Review(t.Context(), request(admissionv1.Create, podKind, "pods", "", "default", "busyboxpod", busybox, nil))
	current = block
	dryRun := request(admissionv1.Create, podKind, "pods", "", "default", "busyboxpod", busybox, nil)
	dryRun.DryRun = &dry
	r.Review(t.Context(), dryRun)
	if out := r.Review(t.Context(), request(admissionv1.Create, podKind, "pods", "", "default", "busyboxpod", busybox, nil)); out.Response.Allowed {
		t.Fatal("the busybox pod was allowed under block")
	}

	var items []corev1.ObjectReference
	var notes []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		list, err := client.EventsV1().Events("default").List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) > 0 {
			time.Sleep(100 * time.Millisecond) // any unwanted event would be there by now too
			list, _ = client.EventsV1().Events("default").List(t.Context(), metav1.ListOptions{})
			for _, ev := range list.Items {
				if ev.Reason != ReasonDenied || ev.Type != "Warning" || ev.Action != "Deny" || ev.ReportingController != kubeevent.ReportingController {
					t.Errorf("event %+v", ev)
				}
				items, notes = append(items, ev.Regarding), append(notes, ev.Note)
			}
			break
		}
	}
	want := corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: "default", Name: "busyboxpod"}
	if len(items) != 1 || items[0] != want || notes[0] != "CREATE denied by policy block:"+seedDenial {
		t.Errorf("events on %+v with notes %q; want one on %+v", items, notes, want)
	}
}

// The reference names what the request would create; the UID only when
// the object exists.
func TestDeniedRef(t *testing.T) {
	deploy := toJSON(t, privilegedDeployment)
	existing := withUID(t, deploy)
	for _, tc := range []struct {
		req  *admissionv1.AdmissionRequest
		want corev1.ObjectReference
	}{
		{request(admissionv1.Create, deploymentKind, "deployments", "", "shop", "", deploy, nil),
			corev1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}},
		{request(admissionv1.Update, deploymentKind, "deployments", "", "shop", "web", existing, existing),
			corev1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web", UID: "u-web", ResourceVersion: "7"}},
		{request(admissionv1.Create, podKind, "pods", "", "shop", "", toJSON(t, "{apiVersion: v1, kind: Pod, metadata: {generateName: web-}}"), nil),
			corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "web-"}},
		{request(admissionv1.Connect, metav1.GroupVersionKind{Version: "v1", Kind: "PodExecOptions"}, "pods", "exec", "shop", "web-1", nil, nil),
			corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "web-1"}},
	} {
		obj, _, err := decodeRequest(tc.req)
		if err != nil {
			t.Fatal(err)
		}
		if got := deniedRef(tc.req, obj); *got != tc.want {
			t.Errorf("%s %s: %+v, want %+v", tc.req.Operation, tc.req.Kind.Kind, *got, tc.want)
		}
	}
}

func withUID(t *testing.T, obj []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatal(err)
	}
	meta := m["metadata"].(map[string]any)
	meta["uid"], meta["resourceVersion"] = "u-web", "7"
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

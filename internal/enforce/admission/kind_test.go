package admission

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/palisade-dev/palisade/internal/core/engine"
)

// The object is judged as what it says it is; a review whose request.kind
// contradicts the object is refused and records nothing.
func TestReviewJudgesTheObjectAsWhatItIs(t *testing.T) {
	c := compile(t, "block", testPolicies["block"])
	privilegedPod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},` +
		`"spec":{"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]}}`
	untyped := `{"metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]}}`
	configMapKind := metav1.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	for _, tc := range []struct {
		name    string
		kind    metav1.GroupVersionKind
		object  string
		allowed bool
		code    int32
		message string
	}{
		{"kinds agree", podKind, privilegedPod, false, http.StatusForbidden, `violates rule privileged "true"`},
		{"a Pod sent as a ConfigMap", configMapKind, privilegedPod, false, http.StatusBadRequest,
			"palisade refuses this request: the review's request.kind is v1 ConfigMap but its object is v1 Pod"},
		{"a Pod sent as another version", metav1.GroupVersionKind{Version: "v2", Kind: "Pod"}, privilegedPod, false, http.StatusBadRequest,
			"request.kind is v2 Pod but its object is v1 Pod"},
		{"a Deployment sent as a Pod", podKind, string(toJSON(t, privilegedDeployment)), false, http.StatusBadRequest,
			"request.kind is v1 Pod but its object is apps/v1 Deployment"},
		{"no kind in the review", metav1.GroupVersionKind{}, privilegedPod, false, http.StatusForbidden, `violates rule privileged "true"`},
		{"no kind in the object", podKind, untyped, false, http.StatusForbidden, `violates rule privileged "true"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &recordingSink{}
			r := New(Options{Policy: func() *engine.Compiled { return c }, Sink: sink, Now: func() time.Time { return testNow }})
			resp := r.Review(context.Background(), request(admissionv1.Create, tc.kind, "pods", "", "default", "p", []byte(tc.object), nil)).Response
			if resp.Allowed != tc.allowed || resp.Result == nil || resp.Result.Code != tc.code || !strings.Contains(resp.Result.Message, tc.message) {
				t.Fatalf("allowed %v, result %+v; want allowed %v, code %d, message with %q", resp.Allowed, resp.Result, tc.allowed, tc.code, tc.message)
			}
			if tc.code == http.StatusBadRequest && sink.calls != 0 {
				t.Errorf("a refused review recorded %d events", len(sink.events))
			}
		})
	}
}

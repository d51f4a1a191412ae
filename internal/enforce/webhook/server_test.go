package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/enforce/admission"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

const seedDenial = "\n- containerSecurityContext violates rule privileged \"true\" in container(s) \"busybox-container\" (block)."

func compilePolicy(t testing.TB, src string) *engine.Compiled {
	t.Helper()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	b, err := policy.Load("p.yaml", []byte(src), reg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := engine.Compile(b.Policies[0], reg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const blockPrivileged = `
apiVersion: palisade.dev/v1
kind: Policy
metadata: {name: block-privileged}
spec:
  clusterWide:
    deployment: {rules: [{rule: privileged, action: block}]}
`

// example returns a file of examples/ as JSON.
func example(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(fixture.Repo(t, "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// reviewBody is an AdmissionReview of a CREATE of obj, as the API server
// sends it.
func reviewBody(t testing.TB, uid string, kind metav1.GroupVersionKind, resource, ns string, obj []byte) []byte {
	t.Helper()
	ar := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: types.UID(uid), Kind: kind, Namespace: ns, Operation: admissionv1.Create,
			Resource: metav1.GroupVersionResource{Group: kind.Group, Version: kind.Version, Resource: resource},
			Object:   runtime.RawExtension{Raw: obj},
		},
	}
	body, err := json.Marshal(&ar)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

type testHandler struct {
	*Handler
	panicking atomic.Bool
	sink      *ctxSink
}

// newTestHandler serves the block-privileged policy. Setting panicking
// makes the policy lookup panic.
func newTestHandler(t testing.TB, ready func() error) *testHandler {
	t.Helper()
	c := compilePolicy(t, blockPrivileged)
	th := &testHandler{sink: &ctxSink{}}
	reviewer := admission.New(admission.Options{Sink: th.sink, Policy: func() *engine.Compiled {
		if th.panicking.Load() {
			panic("policy lookup exploded")
		}
		return c
	}})
	th.Handler = NewHandler(Options{Reviewer: reviewer, Metrics: NewMetrics(), Ready: ready})
	return th
}

// ctxSink remembers the deadline of the last context it was given.
type ctxSink struct {
	deadline atomic.Pointer[time.Time]
}

func (s *ctxSink) Record(ctx context.Context, _ []event.Event) error {
	if d, ok := ctx.Deadline(); ok {
		s.deadline.Store(&d)
	}
	return nil
}

func serve(h http.Handler, method, target, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestValidateRefusesBadRequests(t *testing.T) {
	h := newTestHandler(t, nil)
	good := reviewBody(t, "u1", metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, "pods", "default", example(t, "busybox.yaml"))
	tooLarge := append([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"`),
		bytes.Repeat([]byte("x"), MaxBodyBytes)...)
	tests := []struct {
		name        string
		method      string
		contentType string
		body        []byte
		wantCode    int
	}{
		{"GET", http.MethodGet, "", nil, http.StatusMethodNotAllowed},
		{"PUT", http.MethodPut, "application/json", good, http.StatusMethodNotAllowed},
		{"no content type", http.MethodPost, "", good, http.StatusUnsupportedMediaType},
		{"YAML", http.MethodPost, "application/yaml", good, http.StatusUnsupportedMediaType},
		{"protobuf", http.MethodPost, "application/vnd.kubernetes.protobuf", good, http.StatusUnsupportedMediaType},
		{"over MaxBodyBytes", http.MethodPost, "application/json", tooLarge, http.StatusRequestEntityTooLarge},
		{"not JSON", http.MethodPost, "application/json", []byte("{not json"), http.StatusBadRequest},
		{"empty body", http.MethodPost, "application/json", nil, http.StatusBadRequest},
		{"v1beta1", http.MethodPost, "application/json", bytes.Replace(good, []byte("admission.k8s.io/v1"), []byte("admission.k8s.io/v1beta1"), 1), http.StatusBadRequest},
		{"wrong kind", http.MethodPost, "application/json", bytes.Replace(good, []byte(`"AdmissionReview"`), []byte(`"TokenReview"`), 1), http.StatusBadRequest},
		{"no request", http.MethodPost, "application/json", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), http.StatusBadRequest},
		{"JSON with charset", http.MethodPost, "application/json; charset=utf-8", good, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(h, tt.method, "/validate", tt.contentType, tt.body)
			if rec.Code != tt.wantCode {
				t.Errorf("status = %d; want %d (body %q)", rec.Code, tt.wantCode, rec.Body.String())
			}
		})
	}
}

func TestValidateAnswers(t *testing.T) {
	h := newTestHandler(t, nil)
	pod := metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
	rec := serve(h, http.MethodPost, "/validate?timeout=5s", "application/json",
		reviewBody(t, "705ab4f5-6393-11e8-b7cc-42010a800002", pod, "pods", "default", example(t, "busybox.yaml")))
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d; want 200 (body %q)", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	var got admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Response: &admissionv1.AdmissionResponse{
			UID:              "705ab4f5-6393-11e8-b7cc-42010a800002",
			Allowed:          false,
			Result:           &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusForbidden, Message: seedDenial},
			AuditAnnotations: map[string]string{"policy": "block-privileged", "violations": "privileged:block", "decision": "denied"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AdmissionReview (-want +got):\n%s", diff)
	}
	if strings.Contains(rec.Body.String(), `"request"`) {
		t.Error("the response echoes the request")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	var notReady atomic.Bool
	h := newTestHandler(t, func() error {
		if notReady.Load() {
			return errors.New("no policy loaded")
		}
		return nil
	})
	if rec := serve(h, http.MethodGet, "/healthz", "", nil); rec.Code != http.StatusOK {
		t.Errorf("/healthz = %d; want 200", rec.Code)
	}
	if rec := serve(h, http.MethodGet, "/readyz", "", nil); rec.Code != http.StatusOK {
		t.Errorf("/readyz = %d; want 200", rec.Code)
	}
	notReady.Store(true)
	rec := serve(h, http.MethodGet, "/readyz", "", nil)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "no policy loaded") {
		t.Errorf("/readyz = %d %q; want 503 with the reason", rec.Code, rec.Body.String())
	}
	if rec := serve(h, http.MethodGet, "/healthz", "", nil); rec.Code != http.StatusOK {
		t.Errorf("/healthz when not ready = %d; want 200 (liveness must not follow readiness)", rec.Code)
	}
}

func TestMetrics(t *testing.T) {
	h := newTestHandler(t, nil)
	pod := metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
	if rec := serve(h, http.MethodPost, "/validate", "application/json", reviewBody(t, "u1", pod, "pods", "default", example(t, "busybox.yaml"))); rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	serve(h, http.MethodGet, "/validate", "", nil) // refused at the edge
	rec := serve(h, http.MethodGet, "/metrics", "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics = %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`palisade_webhook_requests_total{allowed="false",operation="CREATE"} 1`,
		`palisade_webhook_request_duration_seconds_count{operation="CREATE"} 1`,
		`palisade_admission_findings_total{action="block",rule="privileged"} 1`,
		`palisade_webhook_errors_total{reason="method"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestMetricsOperationLabelIsBounded: an operation the API server never
// sends does not become a new time series.
func TestMetricsOperationLabelIsBounded(t *testing.T) {
	h := newTestHandler(t, nil)
	for _, op := range []string{"CREATE", "BOGUS-1", "BOGUS-2"} {
		body := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"` + op + `"}}`)
		if rec := serve(h, http.MethodPost, "/validate", "application/json", body); rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", op, rec.Code)
		}
	}
	body := serve(h, http.MethodGet, "/metrics", "", nil).Body.String()
	if strings.Contains(body, "BOGUS") {
		t.Error("/metrics has a series for a made-up operation")
	}
	for _, want := range []string{
		`palisade_webhook_requests_total{allowed="true",operation="other"} 2`,
		`palisade_webhook_requests_total{allowed="true",operation="CREATE"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestPanicRecovery: a panic while reviewing answers 500 (the API server
// then applies failurePolicy) and the server keeps serving.
func TestPanicRecovery(t *testing.T) {
	h := newTestHandler(t, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := reviewBody(t, "u1", metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, "pods", "default", example(t, "busybox.yaml"))
	post := func() (int, []byte) {
		t.Helper()
		resp, err := srv.Client().Post(srv.URL+"/validate", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatalf("POST /validate: %v", err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	h.panicking.Store(true)
	if code, b := post(); code != http.StatusInternalServerError {
		t.Errorf("status while panicking = %d %q; want 500", code, b)
	}
	h.panicking.Store(false)
	code, b := post()
	if code != http.StatusOK {
		t.Fatalf("status after the panic = %d %q; want 200", code, b)
	}
	var got admissionv1.AdmissionReview
	if err := json.Unmarshal(b, &got); err != nil || got.Response == nil || got.Response.UID != "u1" || got.Response.Allowed {
		t.Errorf("answer after the panic = %s (%v); want the seed denial for u1", b, err)
	}
	rec := serve(h, http.MethodGet, "/metrics", "", nil)
	if !strings.Contains(rec.Body.String(), `palisade_webhook_errors_total{reason="panic"} 1`) {
		t.Error("the panic was not counted")
	}
}

func TestRequestTimeout(t *testing.T) {
	tests := []struct {
		query string
		want  time.Duration
	}{
		{"", DefaultTimeout},
		{"timeout=10s", 9900 * time.Millisecond},
		{"timeout=30s", 29900 * time.Millisecond},
		{"timeout=1s", 900 * time.Millisecond},
		{"timeout=150ms", 150 * time.Millisecond},
		{"timeout=0s", DefaultTimeout},
		{"timeout=-5s", DefaultTimeout},
		{"timeout=soon", DefaultTimeout},
		{"timeout=10", DefaultTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/validate?"+tt.query, nil)
			if got := requestTimeout(r); got != tt.want {
				t.Errorf("requestTimeout(%q) = %v; want %v", tt.query, got, tt.want)
			}
		})
	}
}

// TestTimeoutReachesTheReview: the context the review (and its event sink)
// runs under ends no later than the API server's timeout.
func TestTimeoutReachesTheReview(t *testing.T) {
	h := newTestHandler(t, nil)
	body := reviewBody(t, "u1", metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, "pods", "default", example(t, "busybox.yaml"))
	before := time.Now()
	if rec := serve(h, http.MethodPost, "/validate?timeout=3s", "application/json", body); rec.Code != http.StatusOK {
		t.Fatalf("status = %d", rec.Code)
	}
	d := h.sink.deadline.Load()
	if d == nil {
		t.Fatal("the event sink got a context without a deadline")
	}
	if d.After(before.Add(3 * time.Second)) {
		t.Errorf("deadline %v is later than the API server's timeout (3s after %v)", *d, before)
	}
}

// FuzzValidate: whatever the body, /validate answers 200 with the
// request's uid, or refuses it with 400 or 413; it never fails (500).
func FuzzValidate(f *testing.F) {
	pod := metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
	f.Add(reviewBody(f, "u1", pod, "pods", "default", example(f, "busybox.yaml")))
	f.Add(benchReview("Deployment", false))
	f.Add(benchReview("Pod", true))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"c","operation":"CONNECT",` +
		`"resource":{"version":"v1","resource":"pods"},"subResource":"exec","name":"p","namespace":"ns",` +
		`"object":{"kind":"PodExecOptions","apiVersion":"v1","container":"c","command":["sh"]}}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","operation":"UPDATE",` +
		`"object":{"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"spec":{"containers":[{"name":"a","securityContext":{"privileged":true}}]}}}},` +
		`"oldObject":{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":1}}}}`))
	h := newTestHandler(f, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := serve(h, http.MethodPost, "/validate", "application/json", body)
		switch rec.Code {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			return
		case http.StatusOK:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var in, out admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &in); err != nil || in.Request == nil {
			t.Fatalf("answered 200 to a body that does not decode (%v)", err)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Response == nil {
			t.Fatalf("answer does not decode (%v): %s", err, rec.Body)
		}
		if out.Response.UID != in.Request.UID || out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" {
			t.Fatalf("answer %s %s uid %q to request uid %q", out.APIVersion, out.Kind, out.Response.UID, in.Request.UID)
		}
	})
}

// A name given twice anywhere in a review, the object included, is
// refused: the API server never writes one, and the object could read
// differently to Palisade (the last value) and to another reader.
func TestValidateRefusesDuplicateNames(t *testing.T) {
	h := newTestHandler(t, nil)
	good := reviewBody(t, "u1", metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, "pods", "default", example(t, "busybox.yaml"))
	for _, tc := range []struct{ name, old, new, field string }{
		{"in the review", `"kind":"AdmissionReview"`, `"kind":"AdmissionReview","kind":"AdmissionReview"`, "kind"},
		{"in the request", `"namespace":"default"`, `"namespace":"kube-system","namespace":"default"`, "request.namespace"},
		{"in the object", `"privileged":true`, `"privileged":true,"privileged":false`, "request.object.spec.containers[0].securityContext.privileged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := bytes.Replace(good, []byte(tc.old), []byte(tc.new), 1)
			if bytes.Equal(body, good) {
				t.Fatalf("%s not in the review", tc.old)
			}
			rec := serve(h, http.MethodPost, "/validate", "application/json", body)
			want := "decode AdmissionReview: " + tc.field + ": field given twice"
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), want) {
				t.Errorf("status %d, body %q; want 400 saying %q", rec.Code, rec.Body.String(), want)
			}
		})
	}
}

package webhook

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/enforce/admission"
	"github.com/palisade-dev/palisade/internal/platform/benchdata"
)

// The objects are those of hack/bench/webhookload; keep them in step.

// benchPolicy holds every deployment rule of the recommended and
// restricted presets (17 log rules and podSecurityStandard restricted,
// block) in one cluster-wide definition.
func benchPolicy(b testing.TB) *engine.Compiled {
	b.Helper()
	reg, err := rules.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	p, err := policy.Preset("recommended", reg)
	if err != nil {
		b.Fatal(err)
	}
	restricted, err := policy.Preset("restricted", reg)
	if err != nil {
		b.Fatal(err)
	}
	p.Metadata.Name = "recommended-restricted"
	dep := *p.Spec.ClusterWide.Deployment
	dep.Rules = append(append([]policy.Rule(nil), dep.Rules...), restricted.Spec.ClusterWide.Deployment.Rules...)
	p.Spec.ClusterWide.Deployment = &dep
	if errs := policy.Validate(p, reg); len(errs) > 0 {
		b.Fatal(errs.ToAggregate())
	}
	c, err := engine.Compile(p, reg)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// benchReview is an AdmissionReview of a CREATE of the object, as the API
// server sends it.
func benchReview(kind string, compliant bool) []byte {
	const uid = "3c1c5a0e-6f0b-4d6a-9d51-7a2b8c9d0e1f"
	// A Pod a ReplicaSet creates has only a generateName when the request
	// is built: the request carries no name.
	group, resource, name := "", "pods", ""
	if kind == "Deployment" {
		group, resource, name = "apps", "deployments", "checkout"
	}
	gvk := `{"group":"` + group + `","version":"v1","kind":"` + kind + `"}`
	gvr := `{"group":"` + group + `","version":"v1","resource":"` + resource + `"}`
	return []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"` + uid + `",` +
		`"kind":` + gvk + `,"resource":` + gvr + `,"requestKind":` + gvk + `,"requestResource":` + gvr + `,` +
		`"name":"` + name + `","namespace":"shop","operation":"CREATE","userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller",` +
		`"uid":"6e2f0d3c-1b4a-4e5f-9c8d-7a6b5c4d3e2f","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]},` +
		`"object":` + benchdata.Object(kind, compliant) + `,"oldObject":null,"dryRun":false,` +
		`"options":{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}}}`)
}

// discardWriter is a reusable ResponseWriter: status and body, no copies.
type discardWriter struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(p []byte) (int, error) { return w.body.Write(p) }

// BenchmarkValidate measures /validate in process (decode, review under
// recommended + restricted, encode, metrics), without TLS or sockets.
func BenchmarkValidate(b *testing.B) {
	c := benchPolicy(b)
	h := NewHandler(Options{
		Reviewer: admission.New(admission.Options{Policy: func() *engine.Compiled { return c }, Sink: event.Discard{}}),
		Metrics:  NewMetrics(),
	})
	for _, kind := range []string{"Pod", "Deployment"} {
		for _, compliant := range []bool{true, false} {
			name := kind + "/violating"
			if compliant {
				name = kind + "/compliant"
			}
			body := benchReview(kind, compliant)
			b.Run(name, func(b *testing.B) {
				checkBenchAnswer(b, h, body, compliant)
				req := httptest.NewRequest(http.MethodPost, "/validate?timeout=10s", nil)
				req.Header.Set("Content-Type", "application/json")
				w := &discardWriter{h: http.Header{}}
				rd := bytes.NewReader(body)
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					rd.Reset(body)
					req.Body = io.NopCloser(rd)
					clear(w.h)
					w.code = 0
					w.body.Reset()
					h.ServeHTTP(w, req)
				}
				if w.code != 0 && w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			})
		}
	}
}

// checkBenchAnswer makes sure the benchmark measures what it says: the
// compliant object admitted, the violating one denied.
func checkBenchAnswer(b *testing.B, h http.Handler, body []byte, compliant bool) {
	b.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	var ar admissionv1.AdmissionReview
	if err := json.Unmarshal(rec.Body.Bytes(), &ar); rec.Code != http.StatusOK || err != nil || ar.Response == nil {
		b.Fatalf("status %d, %v: %s", rec.Code, err, rec.Body)
	}
	if ar.Response.Allowed != compliant {
		b.Fatalf("allowed = %v; want %v (%s)", ar.Response.Allowed, compliant, rec.Body)
	}
}

// TestBenchReviews keeps the benchmark's (and hack/bench/webhookload's)
// objects honest: the compliant ones pass Pod Security restricted and only
// log; the violating ones are denied by it.
func TestBenchReviews(t *testing.T) {
	c := benchPolicy(t)
	h := NewHandler(Options{Reviewer: admission.New(admission.Options{Policy: func() *engine.Compiled { return c }})})
	for _, kind := range []string{"Pod", "Deployment"} {
		for _, compliant := range []bool{true, false} {
			rec := serve(h, http.MethodPost, "/validate", "application/json", benchReview(kind, compliant))
			var ar admissionv1.AdmissionReview
			if err := json.Unmarshal(rec.Body.Bytes(), &ar); err != nil || ar.Response == nil {
				t.Fatalf("%s compliant=%v: status %d, %v", kind, compliant, rec.Code, err)
			}
			r := ar.Response
			if r.Allowed != compliant {
				t.Errorf("%s compliant=%v: allowed = %v (%+v)", kind, compliant, r.Allowed, r.Result)
			}
		}
	}
}

// BenchmarkValidateScanResults is BenchmarkValidate on the compliant Pod
// (three containers) with and without the seven scan-result rules (block)
// and 100,000 images in the index: the difference is what the scan-result
// rules add to a review.
func BenchmarkValidateScanResults(b *testing.B) {
	reg, err := rules.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	p, err := policy.Preset("recommended", reg)
	if err != nil {
		b.Fatal(err)
	}
	dep := *p.Spec.ClusterWide.Deployment
	dep.Rules = append([]policy.Rule(nil), dep.Rules...)
	for _, id := range []string{"imagesNotScanned", "imagesWithMalware", "imagesWithSecrets", "imagesWithVulnerabilities",
		"imagesWithCVSSAttackVector", "imagesWithCVSSAttackComplexity", "imagesWithCVSSAvailabilityImpact"} {
		dep.Rules = append(dep.Rules, policy.Rule{Rule: id, Action: policy.ActionBlock})
	}
	p.Spec.ClusterWide.Deployment = &dep
	withScans, err := engine.Compile(p, reg)
	if err != nil {
		b.Fatal(err)
	}
	recommended, err := policy.Preset("recommended", reg)
	if err != nil {
		b.Fatal(err)
	}
	without, err := engine.Compile(recommended, reg)
	if err != nil {
		b.Fatal(err)
	}
	index, err := benchdata.ScanIndex(100_000, 0)
	if err != nil {
		b.Fatal(err)
	}
	body := benchReview("Pod", true)
	for _, bc := range []struct {
		name     string
		compiled *engine.Compiled
	}{{"without-scan-rules", without}, {"scan-rules-100k-images", withScans}} {
		h := NewHandler(Options{
			Reviewer: admission.New(admission.Options{Policy: func() *engine.Compiled { return bc.compiled }, Sink: event.Discard{}, ScanResults: index}),
			Metrics:  NewMetrics(),
		})
		b.Run(bc.name, func(b *testing.B) {
			checkBenchAnswer(b, h, body, true)
			req := httptest.NewRequest(http.MethodPost, "/validate?timeout=10s", nil)
			req.Header.Set("Content-Type", "application/json")
			w := &discardWriter{h: http.Header{}}
			rd := bytes.NewReader(body)
			b.ReportAllocs()
			for b.Loop() {
				rd.Reset(body)
				req.Body = io.NopCloser(rd)
				clear(w.h)
				w.code = 0
				w.body.Reset()
				h.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkValidateOverTLS sends compliant Pod reviews to the handler
// through a real HTTPS server on loopback, over HTTP/2 as the API server
// does, 8 at a time: the cost of TLS, HTTP/2 and the server on top of
// BenchmarkValidate (client and server share the process).
//
//	go test ./internal/enforce/webhook -run x -bench OverTLS -benchtime 20000x -cpuprofile cpu.out
func BenchmarkValidateOverTLS(b *testing.B) {
	c := benchPolicy(b)
	h := NewHandler(Options{
		Reviewer: admission.New(admission.Options{Policy: func() *engine.Compiled { return c }, Sink: event.Discard{}}),
		Metrics:  NewMetrics(),
	})
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	client := srv.Client()
	body := benchReview("Pod", true)
	b.SetParallelism(4) // 8 goroutines on 2 cores
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(srv.URL+"/validate?timeout=10s", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
				b.Errorf("status %d over %s", resp.StatusCode, resp.Proto)
				return
			}
		}
	})
}

// BenchmarkValidateLogAll is BenchmarkValidate under the log-all preset
// (every rule without a required property, at log): every violation
// becomes a warning and an audit annotation, nothing is denied.
func BenchmarkValidateLogAll(b *testing.B) {
	reg, err := rules.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	p, err := policy.Preset("log-all", reg)
	if err != nil {
		b.Fatal(err)
	}
	c, err := engine.Compile(p, reg)
	if err != nil {
		b.Fatal(err)
	}
	h := NewHandler(Options{
		Reviewer: admission.New(admission.Options{Policy: func() *engine.Compiled { return c }, Sink: event.Discard{}}),
		Metrics:  NewMetrics(),
	})
	for _, compliant := range []bool{true, false} {
		name := "Pod/violating"
		if compliant {
			name = "Pod/compliant"
		}
		body := benchReview("Pod", compliant)
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodPost, "/validate?timeout=10s", nil)
			req.Header.Set("Content-Type", "application/json")
			w := &discardWriter{h: http.Header{}}
			rd := bytes.NewReader(body)
			b.ReportAllocs()
			for b.Loop() {
				rd.Reset(body)
				req.Body = io.NopCloser(rd)
				clear(w.h)
				w.code = 0
				w.body.Reset()
				h.ServeHTTP(w, req)
			}
			if w.code != 0 && w.code != http.StatusOK {
				b.Fatalf("status %d", w.code)
			}
		})
	}
}

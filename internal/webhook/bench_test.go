package webhook

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/palisade-dev/palisade/internal/admission"
	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/event"
	"github.com/palisade-dev/palisade/internal/policy"
	"github.com/palisade-dev/palisade/internal/rules"
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

// benchPodSpec is a pod spec as the API server holds it (defaults filled in):
// an init container, the application and a metrics sidecar. The compliant
// one meets Pod Security "restricted"; the violating one runs the
// application privileged, as root, with host namespaces and a hostPath.
func benchPodSpec(compliant bool) string {
	hardened := `"securityContext":{"runAsNonRoot":true,"runAsUser":10001,"readOnlyRootFilesystem":true,"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}`
	appSC, hostPort, hostMount, hostParts, hostVolume := hardened, "", "", "", ""
	if !compliant {
		appSC = `"securityContext":{"privileged":true,"runAsUser":0,"allowPrivilegeEscalation":true,"capabilities":{"add":["NET_ADMIN","SYS_ADMIN"]}}`
		hostPort = `"hostPort":8080,`
		hostMount = `,{"name":"host","mountPath":"/host"}`
		hostParts = `"hostNetwork":true,"hostPID":true,`
		hostVolume = `,{"name":"host","hostPath":{"path":"/var/run","type":""}}`
	}
	app := `{"name":"checkout","image":"acme.azurecr.io/shop/checkout:1.14.2","ports":[{"name":"http","containerPort":8080,` + hostPort + `"protocol":"TCP"}],` +
		`"env":[{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"checkout-db","key":"password"}}},{"name":"LOG_LEVEL","value":"info"}],` +
		`"resources":{"limits":{"cpu":"500m","memory":"256Mi"},"requests":{"cpu":"100m","memory":"128Mi"}},` +
		`"volumeMounts":[{"name":"tmp","mountPath":"/tmp"}` + hostMount + `],` +
		`"livenessProbe":{"httpGet":{"path":"/healthz","port":8080,"scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},` +
		`"readinessProbe":{"httpGet":{"path":"/readyz","port":8080,"scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":5,"successThreshold":1,"failureThreshold":3},` +
		`"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent",` + appSC + `}`
	limits := `"resources":{"limits":{"cpu":"100m","memory":"64Mi"},"requests":{"cpu":"10m","memory":"16Mi"}}`
	initC := `{"name":"migrate","image":"acme.azurecr.io/shop/checkout-migrate:1.14.2","command":["/migrate","up"],` + limits + `,` +
		`"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent",` + hardened + `}`
	sidecar := `{"name":"metrics","image":"acme.azurecr.io/observability/exporter:v0.15.0","args":["--port=9121"],"ports":[{"name":"metrics","containerPort":9121,"protocol":"TCP"}],` +
		limits + `,"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent",` + hardened + `}`
	return `{` + hostParts + `"initContainers":[` + initC + `],"containers":[` + app + `,` + sidecar + `],` +
		`"volumes":[{"name":"tmp","emptyDir":{"sizeLimit":"64Mi"}}` + hostVolume + `],` +
		`"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"checkout","serviceAccount":"checkout",` +
		`"automountServiceAccountToken":false,"schedulerName":"default-scheduler","enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority","priority":0,` +
		`"securityContext":{"runAsNonRoot":true,"fsGroup":10001,"seccompProfile":{"type":"RuntimeDefault"},"appArmorProfile":{"type":"RuntimeDefault"}},` +
		`"tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},` +
		`{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]}`
}

// benchObject is a Pod (as a ReplicaSet creates it) or a Deployment, as
// JSON.
func benchObject(kind string, compliant bool) string {
	managed := func(apiVersion string) string {
		return `"managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"` + apiVersion + `","time":"2026-03-01T12:00:00Z","fieldsType":"FieldsV1",` +
			`"fieldsV1":{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}},"f:labels":{".":{},"f:app":{}}},` +
			`"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{}}}}}}]`
	}
	if kind == "Pod" {
		return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"checkout-7d9c6b8f5d-x2x7q","generateName":"checkout-7d9c6b8f5d-","namespace":"shop",` +
			`"uid":"0b7e9a52-3f2e-4d3c-9a55-2f1c8d0e6a11","creationTimestamp":"2026-03-01T12:00:00Z",` +
			`"labels":{"app":"checkout","pod-template-hash":"7d9c6b8f5d"},` +
			`"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"checkout-7d9c6b8f5d","uid":"5c1d7e0a-8f61-4a4e-b7a9-3d2f1e0c9b88","controller":true,"blockOwnerDeletion":true}],` +
			managed("v1") + `},"spec":` + benchPodSpec(compliant) + `,"status":{"phase":"Pending","qosClass":"Burstable"}}`
	}
	return `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"checkout","namespace":"shop","uid":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",` +
		`"generation":1,"creationTimestamp":"2026-03-01T12:00:00Z","labels":{"app":"checkout"},` +
		`"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\"}"},` + managed("apps/v1") + `},` +
		`"spec":{"replicas":3,"selector":{"matchLabels":{"app":"checkout"}},"template":{"metadata":{"labels":{"app":"checkout"}},"spec":` + benchPodSpec(compliant) + `},` +
		`"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}},"revisionHistoryLimit":10,"progressDeadlineSeconds":600},"status":{}}`
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
		`"object":` + benchObject(kind, compliant) + `,"oldObject":null,"dryRun":false,` +
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

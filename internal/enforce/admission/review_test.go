package admission

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

// The seed's denial and warning for the busybox pod (SPEC §3).
const (
	seedDenial  = "\n- containerSecurityContext violates rule privileged \"true\" in container(s) \"busybox-container\" (block)."
	seedWarning = `containerSecurityContext violates rule privileged "true" in container(s) "busybox-container" (log).`
)

// Policies the cases run under, by name (the policy's metadata.name).
var testPolicies = map[string]string{
	"block": `
  clusterWide:
    deployment:
      rules:
        - {rule: privileged, action: block}
        - {rule: podExec, action: block}
        - {rule: podPortForward, action: block}
`,
	"log": `
  clusterWide:
    deployment:
      rules:
        - {rule: privileged, action: log}
`,
	// kube-system is enforced because a namespace definition lists it.
	"system": `
  clusterWide:
    deployment: {rules: [{rule: privileged, action: block}]}
  namespaced:
    - name: system
      namespaces: [kube-system]
      deployment: {rules: [{rule: privileged, action: block}]}
`,
	// dev only logs: its definition replaces clusterWide there.
	"per-namespace": `
  clusterWide:
    deployment: {rules: [{rule: privileged, action: block}]}
  namespaced:
    - name: dev
      namespaces: [dev]
      deployment: {rules: [{rule: privileged, action: log}]}
`,
}

// compile builds a policy named name from the body of its spec.
func compile(t testing.TB, name, spec string) *engine.Compiled {
	t.Helper()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	src := "apiVersion: palisade.dev/v1\nkind: Policy\nmetadata: {name: " + name + "}\nspec:" + spec
	b, err := policy.Load(name+".yaml", []byte(src), reg)
	if err != nil {
		t.Fatalf("load policy %s: %v", name, err)
	}
	c, err := engine.Compile(b.Policies[0], reg)
	if err != nil {
		t.Fatalf("compile policy %s: %v", name, err)
	}
	return c
}

// toJSON converts a YAML object (or a file under examples/ when yamlOrFile
// starts with "@") to the JSON the API server sends.
func toJSON(t testing.TB, yamlOrFile string) []byte {
	t.Helper()
	data := []byte(yamlOrFile)
	if name, ok := strings.CutPrefix(yamlOrFile, "@"); ok {
		var err error
		if data, err = os.ReadFile(fixture.Repo(t, "examples", name)); err != nil {
			t.Fatal(err)
		}
	}
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// withNamespace returns obj (JSON) with metadata.namespace set.
func withNamespace(t testing.TB, obj []byte, ns string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatal(err)
	}
	m["metadata"].(map[string]any)["namespace"] = ns
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// recordingSink is the tiny fake event sink.
type recordingSink struct {
	mu     sync.Mutex
	events []event.Event
	calls  int
}

func (s *recordingSink) Record(_ context.Context, evs []event.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.events = append(s.events, evs...)
	return nil
}

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const testUser = "alice@example.com"

// request builds an AdmissionRequest as the API server sends it.
func request(op admissionv1.Operation, kind metav1.GroupVersionKind, resource, sub, ns, name string, obj, old []byte) *admissionv1.AdmissionRequest {
	return &admissionv1.AdmissionRequest{
		UID:         "7f0c5e4e-0000-4000-8000-000000000001",
		Kind:        kind,
		Resource:    metav1.GroupVersionResource{Group: kind.Group, Version: kind.Version, Resource: resource},
		SubResource: sub,
		Name:        name,
		Namespace:   ns,
		Operation:   op,
		UserInfo:    authenticationv1.UserInfo{Username: testUser, Groups: []string{"system:authenticated"}},
		Object:      runtime.RawExtension{Raw: obj},
		OldObject:   runtime.RawExtension{Raw: old},
	}
}

var (
	podKind        = metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}
	deploymentKind = metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
)

const privilegedDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          securityContext: {privileged: true}
`

// deny is the response to a request a block rule refuses.
func deny(message string, annotations map[string]string) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{
		UID:     "7f0c5e4e-0000-4000-8000-000000000001",
		Allowed: false,
		// No Reason, so that kubectl prints the message as the seed does.
		Result:           &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusForbidden, Message: message},
		AuditAnnotations: annotations,
	}
}

// allow is the response to an admitted request.
func allow(warnings []string, annotations map[string]string) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{
		UID: "7f0c5e4e-0000-4000-8000-000000000001", Allowed: true,
		Warnings: warnings, AuditAnnotations: annotations,
	}
}

func annotations(policyName, violations, decision string) map[string]string {
	return map[string]string{"policy": policyName, "violations": violations, "decision": decision}
}

// ev is the expected event with the fields every case shares filled in.
func ev(ns, kind, name, container, rule, action, policyName, op, message string) event.Event {
	return event.Event{
		Time: testNow, Cluster: "test", Namespace: ns, Kind: kind, Name: name, Container: container,
		Tab: "deployment", Rule: rule, Action: action, Policy: policyName, User: testUser,
		Message: message, Operation: op,
	}
}

func TestReview(t *testing.T) {
	busybox := toJSON(t, "@busybox.yaml")
	busyboxLabelled := toJSON(t, strings.Replace(string(busybox), `"app":"busyboxpod"`, `"app":"busyboxpod","tier":"debug"`, 1))
	deployment := toJSON(t, privilegedDeployment)
	scaled := toJSON(t, strings.Replace(privilegedDeployment, "replicas: 2", "replicas: 5", 1))
	reimaged := toJSON(t, strings.Replace(privilegedDeployment, "nginx:1.27", "nginx:1.28", 1))
	hardened := toJSON(t, strings.Replace(privilegedDeployment, "privileged: true", "privileged: false", 1))

	execOpts := []byte(`{"kind":"PodExecOptions","apiVersion":"v1","stdin":true,"tty":true,"container":"c","command":["sh","-c","id"]}`)
	attachOpts := []byte(`{"kind":"PodAttachOptions","apiVersion":"v1","stdin":true,"container":"c"}`)
	forwardOpts := []byte(`{"kind":"PodPortForwardOptions","apiVersion":"v1","ports":[8080]}`)
	execKind := metav1.GroupVersionKind{Version: "v1", Kind: "PodExecOptions"}
	attachKind := metav1.GroupVersionKind{Version: "v1", Kind: "PodAttachOptions"}
	forwardKind := metav1.GroupVersionKind{Version: "v1", Kind: "PodPortForwardOptions"}
	proxyKind := metav1.GroupVersionKind{Version: "v1", Kind: "ServiceProxyOptions"}

	seedBlockMsg := strings.TrimPrefix(seedDenial, "\n- ")
	webBlockMsg := `containerSecurityContext violates rule privileged "true" in container(s) "web" (block).`

	tests := []struct {
		name   string
		policy string
		req    *admissionv1.AdmissionRequest
		want   *admissionv1.AdmissionResponse
		events []event.Event
	}{
		{
			name:   "seed busybox CREATE under block is denied with the seed's message",
			policy: "block",
			req:    request(admissionv1.Create, podKind, "pods", "", "default", "busyboxpod", busybox, nil),
			want:   deny(seedDenial, annotations("block", "privileged:block", "denied")),
			events: []event.Event{ev("default", "Pod", "busyboxpod", "busybox-container", "privileged", "block", "block", "CREATE", seedBlockMsg)},
		},
		{
			name:   "seed busybox CREATE under log is allowed with the warning",
			policy: "log",
			req:    request(admissionv1.Create, podKind, "pods", "", "default", "busyboxpod", busybox, nil),
			want:   allow([]string{seedWarning}, annotations("log", "privileged:log", "allowed")),
			events: []event.Event{ev("default", "Pod", "busyboxpod", "busybox-container", "privileged", "log", "log", "CREATE", seedWarning)},
		},
		{
			name:   "Deployment with a privileged template is denied",
			policy: "block",
			req:    request(admissionv1.Create, deploymentKind, "deployments", "", "shop", "web", deployment, nil),
			want:   deny("\n- "+webBlockMsg, annotations("block", "privileged:block", "denied")),
			events: []event.Event{ev("shop", "Deployment", "web", "web", "privileged", "block", "block", "CREATE", webBlockMsg)},
		},
		{
			name:   "compliant Deployment is allowed without a word",
			policy: "block",
			req:    request(admissionv1.Create, deploymentKind, "deployments", "", "shop", "web", hardened, nil),
			want:   allow(nil, nil),
		},
		{
			name:   "UPDATE that only scales a privileged Deployment is allowed with a warning",
			policy: "block",
			req:    request(admissionv1.Update, deploymentKind, "deployments", "", "shop", "web", scaled, deployment),
			want:   allow([]string{webBlockMsg + notEnforced}, annotations("block", "privileged:block", "allowed")),
			events: []event.Event{ev("shop", "Deployment", "web", "web", "privileged", "log", "block", "UPDATE", webBlockMsg+notEnforced)},
		},
		{
			name:   "UPDATE that runs another image in a privileged container is judged: the violation is the new image's",
			policy: "block",
			req:    request(admissionv1.Update, deploymentKind, "deployments", "", "shop", "web", reimaged, deployment),
			want:   deny("\n- "+webBlockMsg, annotations("block", "privileged:block", "denied")),
			events: []event.Event{ev("shop", "Deployment", "web", "web", "privileged", "block", "block", "UPDATE", webBlockMsg)},
		},
		{
			name:   "UPDATE that brings a violation the old object did not have is denied",
			policy: "block",
			req:    request(admissionv1.Update, deploymentKind, "deployments", "", "shop", "web", deployment, hardened),
			want:   deny("\n- "+webBlockMsg, annotations("block", "privileged:block", "denied")),
			events: []event.Event{ev("shop", "Deployment", "web", "web", "privileged", "block", "block", "UPDATE", webBlockMsg)},
		},
		{
			name:   "UPDATE that fixes the template is allowed",
			policy: "block",
			req:    request(admissionv1.Update, deploymentKind, "deployments", "", "shop", "web", hardened, deployment),
			want:   allow(nil, nil),
		},
		{
			name:   "Pod UPDATE adding a label is allowed",
			policy: "block",
			req:    request(admissionv1.Update, podKind, "pods", "", "default", "busyboxpod", busyboxLabelled, busybox),
			want:   allow([]string{seedBlockMsg + notEnforced}, annotations("block", "privileged:block", "allowed")),
			events: []event.Event{ev("default", "Pod", "busyboxpod", "busybox-container", "privileged", "log", "block", "UPDATE", seedBlockMsg+notEnforced)},
		},
		{
			name:   "CONNECT pods/exec is denied by podExec",
			policy: "block",
			req:    request(admissionv1.Connect, execKind, "pods", "exec", "shop", "web-0", execOpts, nil),
			want:   deny("\n- pod violates rule podExec \"exec\" in container(s) \"c\" (block).", annotations("block", "podExec:block", "denied")),
			events: []event.Event{ev("shop", "Pod", "web-0", "c", "podExec", "block", "block", "CONNECT", `pod violates rule podExec "exec" in container(s) "c" (block).`)},
		},
		{
			name:   "CONNECT pods/attach is denied by podExec",
			policy: "block",
			req:    request(admissionv1.Connect, attachKind, "pods", "attach", "shop", "web-0", attachOpts, nil),
			want:   deny("\n- pod violates rule podExec \"attach\" in container(s) \"c\" (block).", annotations("block", "podExec:block", "denied")),
			events: []event.Event{ev("shop", "Pod", "web-0", "c", "podExec", "block", "block", "CONNECT", `pod violates rule podExec "attach" in container(s) "c" (block).`)},
		},
		{
			name:   "CONNECT pods/portforward is denied by podPortForward",
			policy: "block",
			req:    request(admissionv1.Connect, forwardKind, "pods", "portforward", "shop", "web-0", forwardOpts, nil),
			want:   deny("\n- pod violates rule podPortForward \"portforward\" (block).", annotations("block", "podPortForward:block", "denied")),
			events: []event.Event{ev("shop", "Pod", "web-0", "", "podPortForward", "block", "block", "CONNECT", `pod violates rule podPortForward "portforward" (block).`)},
		},
		{
			name:   "CONNECT pods/exec under a policy without podExec is allowed",
			policy: "log",
			req:    request(admissionv1.Connect, execKind, "pods", "exec", "shop", "web-0", execOpts, nil),
			want:   allow(nil, nil),
		},
		{
			name:   "CONNECT pods/proxy is allowed",
			policy: "block",
			req:    request(admissionv1.Connect, metav1.GroupVersionKind{Version: "v1", Kind: "PodProxyOptions"}, "pods", "proxy", "shop", "web-0", []byte(`{"kind":"PodProxyOptions","apiVersion":"v1","path":"/"}`), nil),
			want:   allow(nil, nil),
		},
		{
			name:   "CONNECT on another resource is allowed",
			policy: "block",
			req:    request(admissionv1.Connect, proxyKind, "services", "proxy", "shop", "web", []byte(`{"kind":"ServiceProxyOptions","apiVersion":"v1","path":"/"}`), nil),
			want:   allow(nil, nil),
		},
		{
			name:   "DELETE is not judged",
			policy: "block",
			req:    request(admissionv1.Delete, podKind, "pods", "", "default", "busyboxpod", nil, busybox),
			want:   allow(nil, nil),
		},
		{
			name:   "kube-system is skipped",
			policy: "block",
			req:    request(admissionv1.Create, podKind, "pods", "", "kube-system", "busyboxpod", busybox, nil),
			want:   allow(nil, nil),
		},
		{
			name:   "kube-system is enforced when a namespace definition lists it",
			policy: "system",
			req:    request(admissionv1.Create, podKind, "pods", "", "kube-system", "busyboxpod", busybox, nil),
			want:   deny(seedDenial, annotations("system", "privileged:block", "denied")),
			events: []event.Event{ev("kube-system", "Pod", "busyboxpod", "busybox-container", "privileged", "block", "system", "CREATE", seedBlockMsg)},
		},
		{
			name:   "a namespace definition replaces clusterWide",
			policy: "per-namespace",
			req:    request(admissionv1.Create, podKind, "pods", "", "dev", "busyboxpod", busybox, nil),
			want:   allow([]string{seedWarning}, annotations("per-namespace", "privileged:log", "allowed")),
			events: []event.Event{ev("dev", "Pod", "busyboxpod", "busybox-container", "privileged", "log", "per-namespace", "CREATE", seedWarning)},
		},
		{
			name:   "clusterWide governs the namespaces no definition lists",
			policy: "per-namespace",
			req:    request(admissionv1.Create, podKind, "pods", "", "prod", "busyboxpod", busybox, nil),
			want:   deny(seedDenial, annotations("per-namespace", "privileged:block", "denied")),
			events: []event.Event{ev("prod", "Pod", "busyboxpod", "busybox-container", "privileged", "block", "per-namespace", "CREATE", seedBlockMsg)},
		},
		{
			name:   "the object's own namespace governs when it has one",
			policy: "per-namespace",
			req:    request(admissionv1.Create, podKind, "pods", "", "dev", "busyboxpod", withNamespace(t, busybox, "dev"), nil),
			want:   allow([]string{seedWarning}, annotations("per-namespace", "privileged:log", "allowed")),
			events: []event.Event{ev("dev", "Pod", "busyboxpod", "busybox-container", "privileged", "log", "per-namespace", "CREATE", seedWarning)},
		},
		{
			name:   "generateName stands in for the name",
			policy: "block",
			req: request(admissionv1.Create, podKind, "pods", "", "default", "",
				toJSON(t, strings.Replace(string(busybox), `"name":"busyboxpod"`, `"generateName":"busybox-"`, 1)), nil),
			want:   deny(seedDenial, annotations("block", "privileged:block", "denied")),
			events: []event.Event{ev("default", "Pod", "busybox-*", "busybox-container", "privileged", "block", "block", "CREATE", seedBlockMsg)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compile(t, tt.policy, testPolicies[tt.policy])
			sink := &recordingSink{}
			r := New(Options{Policy: func() *engine.Compiled { return c }, Sink: sink, Cluster: "test", Now: func() time.Time { return testNow }})
			out := r.Review(context.Background(), tt.req)
			if diff := cmp.Diff(tt.want, out.Response); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.events, sink.events, cmpopts.IgnoreFields(event.Event{}, "ID"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			ids := map[string]bool{}
			for _, e := range sink.events {
				if e.ID == "" || ids[e.ID] {
					t.Errorf("event ID %q is empty or repeated", e.ID)
				}
				ids[e.ID] = true
			}
			if out.SinkErr != nil {
				t.Errorf("SinkErr = %v", out.SinkErr)
			}
		})
	}
}

// TestReviewDryRun: a dry-run request gets the same answer and leaves no
// event behind.
func TestReviewDryRun(t *testing.T) {
	busybox := toJSON(t, "@busybox.yaml")
	deployment := toJSON(t, privilegedDeployment)
	scaled := toJSON(t, strings.Replace(privilegedDeployment, "replicas: 2", "replicas: 5", 1))
	tests := []struct {
		name   string
		policy string
		req    *admissionv1.AdmissionRequest
	}{
		{"block", "block", request(admissionv1.Create, podKind, "pods", "", "default", "busyboxpod", busybox, nil)},
		{"log", "log", request(admissionv1.Create, podKind, "pods", "", "default", "busyboxpod", busybox, nil)},
		{"unenforced update", "block", request(admissionv1.Update, deploymentKind, "deployments", "", "shop", "web", scaled, deployment)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := compile(t, tt.policy, testPolicies[tt.policy])
			sink := &recordingSink{}
			r := New(Options{Policy: func() *engine.Compiled { return c }, Sink: sink, Now: func() time.Time { return testNow }})
			wet := r.Review(context.Background(), tt.req)
			if len(sink.events) == 0 {
				t.Fatal("the request without dryRun recorded no event")
			}
			sink.events, sink.calls = nil, 0

			dry := *tt.req
			dry.DryRun = new(true)
			out := r.Review(context.Background(), &dry)
			if diff := cmp.Diff(wet.Response, out.Response); diff != "" {
				t.Errorf("dry-run response differs (-wet +dry):\n%s", diff)
			}
			if sink.calls != 0 || len(sink.events) != 0 {
				t.Errorf("dry run recorded %d events in %d calls; want none", len(sink.events), sink.calls)
			}
		})
	}
}

func TestReviewAllowsWhatItCannotJudge(t *testing.T) {
	busybox := toJSON(t, "@busybox.yaml")
	block := compile(t, "block", testPolicies["block"])
	tests := []struct {
		name          string
		policy        *engine.Compiled
		req           *admissionv1.AdmissionRequest
		warningPrefix string
	}{
		{
			name:   "no policy loaded",
			policy: nil,
			req:    request(admissionv1.Create, podKind, "pods", "", "default", "busyboxpod", busybox, nil),
		},
		{
			name:          "undecodable object",
			policy:        block,
			req:           request(admissionv1.Create, podKind, "pods", "", "default", "bad", []byte(`{"apiVersion":"v1","kind":"Pod","spec":{"containers":"nope"}}`), nil),
			warningPrefix: "palisade could not evaluate this request: ",
		},
		{
			name:          "not JSON",
			policy:        block,
			req:           request(admissionv1.Create, podKind, "pods", "", "default", "bad", []byte(`\x00garbage`), nil),
			warningPrefix: "palisade could not evaluate this request: ",
		},
		{
			name:          "no object",
			policy:        block,
			req:           request(admissionv1.Create, podKind, "pods", "", "default", "bad", nil, nil),
			warningPrefix: "palisade could not evaluate this request: ",
		},
		{
			name:          "undecodable exec options",
			policy:        block,
			req:           request(admissionv1.Connect, metav1.GroupVersionKind{Version: "v1", Kind: "PodExecOptions"}, "pods", "exec", "shop", "web-0", []byte(`{"container":1}`), nil),
			warningPrefix: "palisade could not evaluate this request: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &recordingSink{}
			r := New(Options{Policy: func() *engine.Compiled { return tt.policy }, Sink: sink})
			out := r.Review(context.Background(), tt.req)
			resp := out.Response
			if !resp.Allowed || resp.Result != nil || resp.UID != tt.req.UID {
				t.Errorf("response = %+v; want allowed, no result, uid %s", resp, tt.req.UID)
			}
			switch {
			case tt.warningPrefix == "" && len(resp.Warnings) != 0:
				t.Errorf("warnings = %q; want none", resp.Warnings)
			case tt.warningPrefix != "" && (len(resp.Warnings) != 1 || !strings.HasPrefix(resp.Warnings[0], tt.warningPrefix)):
				t.Errorf("warnings = %q; want one starting %q", resp.Warnings, tt.warningPrefix)
			}
			if len(sink.events) != 0 {
				t.Errorf("recorded %d events; want none", len(sink.events))
			}
		})
	}
}

// TestReviewSinkErrorDoesNotChangeTheDecision: a failing event trail is
// reported, never turned into a denial or an allowance.
func TestReviewSinkErrorDoesNotChangeTheDecision(t *testing.T) {
	c := compile(t, "block", testPolicies["block"])
	r := New(Options{Policy: func() *engine.Compiled { return c }, Sink: failingSink{}})
	out := r.Review(context.Background(), request(admissionv1.Create, podKind, "pods", "", "default", "busyboxpod", toJSON(t, "@busybox.yaml"), nil))
	if out.SinkErr == nil {
		t.Error("SinkErr = nil; want the sink's error")
	}
	if out.Response.Allowed || out.Response.Result.Message != seedDenial {
		t.Errorf("response = %+v; want the seed denial", out.Response)
	}
}

type failingSink struct{}

func (failingSink) Record(context.Context, []event.Event) error { return os.ErrClosed }

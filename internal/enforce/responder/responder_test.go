package responder

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/core/ruleset"
)

// recorder keeps the events recorded.
type recorder struct {
	mu  sync.Mutex
	evs []event.Event
}

func (r *recorder) Record(_ context.Context, evs []event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, evs...)
	return nil
}

// pods is a fixed set of pods by namespace/name.
type pods map[string]*corev1.Pod

func (p pods) GetPod(_ context.Context, ns, name string) (*corev1.Pod, error) {
	if pod, ok := p[ns+"/"+name]; ok {
		return pod, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "pods"}, name)
}

const testPolicy = `apiVersion: palisade.dev/v1
kind: Policy
metadata: {name: runtime-test}
spec:
  clusterWide:
    runtime:
      rulesets:
        - {ruleset: pod-exec, selector: {matchLabels: {app: web}}, action: isolate}
        - {ruleset: pod-exec, action: log}
        - {ruleset: terminal-shell, selector: {matchLabels: {app: web}}, action: terminate}
        - {ruleset: privileged-pod, action: log}
  namespaced:
    - name: quiet
      namespaces: [quiet]
      runtime: {rulesets: [{ruleset: privileged-pod, action: log}]}
`

func newTestResponder(t *testing.T, known pods) (*Responder, *recorder) {
	t.Helper()
	return newTestResponderWith(t, known, testPolicy)
}

// newTestResponderWith is newTestResponder with another policy.
func newTestResponderWith(t *testing.T, known pods, policyText string) (*Responder, *recorder) {
	t.Helper()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	b, err := policy.Load("test", []byte(policyText), reg)
	if err != nil {
		t.Fatal(err)
	}
	compiled, err := engine.Compile(b.Policies[0], reg)
	if err != nil {
		t.Fatal(err)
	}
	builtin, err := ruleset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	set := ruleset.NewSet(builtin...)
	rec := &recorder{}
	r, err := New(Options{Policy: func() *engine.Compiled { return compiled }, Rulesets: func() *ruleset.Set { return set },
		Pods: known, Sink: rec, Cluster: "test", Now: func() time.Time { return time.Unix(1700000000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	return r, rec
}

// execEvent is a kubectl exec as the audit webhook reports it.
func execEvent(ns, pod, stage string, code int, command string, tty bool) string {
	t := "false"
	if tty {
		t = "true"
	}
	return `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a-` + pod + stage + `","stage":"` + stage + `",
"requestURI":"/api/v1/namespaces/` + ns + `/pods/` + pod + `/exec?command=` + command + `&container=app&stdin=true&stdout=true&tty=` + t + `",
"verb":"create","user":{"username":"mallory","groups":["system:authenticated"]},"sourceIPs":["127.0.0.1"],
"objectRef":{"resource":"pods","namespace":"` + ns + `","name":"` + pod + `","apiVersion":"v1","subresource":"exec"},
"responseStatus":{"metadata":{},"code":` + strconv.Itoa(code) + `},
"requestReceivedTimestamp":"2026-11-23T10:00:00.000000Z","stageTimestamp":"2026-11-23T10:00:00.100000Z",
"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}`
}

func eventList(items ...string) string {
	return `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + strings.Join(items, ",") + `]}`
}

func pod(ns, name string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}}
}

type got struct{ Rule, Action, Name, User, Message string }

func summarizeEvents(evs []event.Event) []got {
	var out []got
	for _, e := range evs {
		out = append(out, got{e.Rule, e.Action, e.Namespace + "/" + e.Name, e.User, e.Message})
	}
	return out
}

func TestAuditBindingsAndSelectors(t *testing.T) {
	r, rec := newTestResponder(t, pods{
		"shop/web-1": pod("shop", "web-1", map[string]string{"app": "web"}),
		"shop/db-1":  pod("shop", "db-1", map[string]string{"app": "db"}),
	})
	body := eventList(
		// A shell with a terminal into a web pod: pod-exec says isolate,
		// terminal-shell says terminate; no cluster access here, so both
		// are recorded, not carried out.
		execEvent("shop", "web-1", "ResponseStarted", 101, "sh", true),
		// The same session ending: not a new attempt.
		execEvent("shop", "web-1", "ResponseComplete", 101, "sh", true),
		// A command (no terminal) in a db pod: the selector-less binding logs.
		execEvent("shop", "db-1", "ResponseComplete", 400, "ls", false),
		// A namespace whose definition binds only privileged-pod.
		execEvent("quiet", "x", "ResponseStarted", 101, "sh", true),
	)
	st, err := r.Audit(t.Context(), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != 4 || st.Matches != 3 {
		t.Errorf("stats %+v, want 4 events and 3 matches", st)
	}
	r.Drain(t.Context())
	want := []got{
		{"Exec or attach into pod", "isolate", "shop/web-1", "mallory",
			"exec into pod shop/web-1 by mallory (container=app command=sh tty=true) (not isolated: the agent has no access to the cluster)"},
		{"Terminal shell in pod", "terminate", "shop/web-1", "mallory",
			"Terminal shell opened in a container (user=mallory pod=shop/web-1 container=app command=sh) (not terminated: the agent has no access to the cluster)"},
		{"Exec or attach into pod", "log", "shop/db-1", "mallory", "exec into pod shop/db-1 by mallory (container=app command=ls tty=false)"},
	}
	if diff := cmp.Diff(want, summarizeEvents(rec.evs)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	for _, e := range rec.evs {
		if e.Tab != "runtime" || e.Cluster != "test" || e.Policy != "runtime-test" || e.Kind != "Pod" || e.ID == "" {
			t.Errorf("event %+v: want tab runtime, cluster, policy, kind and id", e)
		}
		if !e.Time.Equal(time.Date(2026, 11, 23, 10, 0, 0, 100000000, time.UTC)) {
			t.Errorf("event time %v, want the audit event's stageTimestamp", e.Time)
		}
	}
}

func TestFalcoAlerts(t *testing.T) {
	r, rec := newTestResponder(t, pods{"shop/web-1": pod("shop", "web-1", map[string]string{"app": "web"})})
	alert := `{"rule":"Terminal shell in container","priority":"Notice","output":"A shell was spawned (pod=web-1)","time":"2026-11-23T10:00:00Z",
"output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"web-1"}}`
	other := `{"rule":"Read sensitive file untrusted","priority":"Warning","output":"o","output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"web-1"}}`
	srv := httptest.NewServer(r.Handler(Auth{Token: "s3cret"}))
	defer srv.Close()
	post := func(path, token, ctype, body string) int {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name, path, token, ctype, body string
		want                           int
	}{
		{"no token", "/falco", "", "application/json", alert, http.StatusUnauthorized},
		{"wrong token", "/falco", "nope", "application/json", alert, http.StatusUnauthorized},
		{"wrong type", "/falco", "s3cret", "application/xml", alert, http.StatusUnsupportedMediaType},
		{"not an alert", "/falco", "s3cret", "application/json", `{"x":1}`, http.StatusBadRequest},
		{"not audit", "/audit", "s3cret", "application/json", `{"kind":"Pod"}`, http.StatusBadRequest},
		{"alerts", "/falco", "s3cret", "application/json", "[" + alert + "," + other + "]", http.StatusOK},
	} {
		if code := post(tc.path, tc.token, tc.ctype, tc.body); code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, code, tc.want)
		}
	}
	r.Drain(t.Context())
	want := []got{{"Terminal shell in container", "terminate", "shop/web-1", "",
		"A shell was spawned (pod=web-1) (not terminated: the agent has no access to the cluster)"}}
	if diff := cmp.Diff(want, summarizeEvents(rec.evs)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestAuditSkipsUnreadableEvents: an event the intake cannot read is
// skipped and the rest of the batch evaluated, as Falco's k8saudit plugin
// does; a body with nothing readable is refused.
func TestAuditSkipsUnreadableEvents(t *testing.T) {
	r, _ := newTestResponder(t, pods{"shop/web-1": pod("shop", "web-1", map[string]string{"app": "web"})})
	noTime := `{"auditID":"late-1","verb":"get"}`
	body := eventList(noTime, execEvent("shop", "web-1", "ResponseStarted", 101, "sh", true), `"x"`)
	st, err := r.Audit(t.Context(), []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != 1 || st.Matches != 2 || st.Skipped != 2 {
		t.Errorf("stats %+v, want 1 event, 2 matches, 2 skipped", st)
	}
	want := "items[0] (auditID late-1): not a kube-apiserver audit event: no stageTimestamp"
	if st.FirstSkipped == nil || st.FirstSkipped.Error() != want {
		t.Errorf("first skipped %v, want %q", st.FirstSkipped, want)
	}
	srv := httptest.NewServer(r.Handler(Auth{Token: "s3cret"}))
	defer srv.Close()
	for _, tc := range []struct {
		name, body, want string
		code             int
	}{
		{"some readable", body, `{"events":1,"matches":2,"skipped":2}`, http.StatusOK},
		{"none readable", eventList(noTime), "bad audit events (the first 0 were evaluated): " + want, http.StatusBadRequest},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/audit", strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer s3cret")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || strings.TrimSpace(string(got)) != tc.want {
			t.Errorf("%s: %d %q, want %d %q", tc.name, resp.StatusCode, got, tc.code, tc.want)
		}
	}
	r.Drain(t.Context())
}

func TestIntakeOffWithoutAuth(t *testing.T) {
	r, _ := newTestResponder(t, nil)
	srv := httptest.NewServer(r.Handler(Auth{}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/audit", "application/json", strings.NewReader(eventList()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status %d, want 403 while no authentication is configured", resp.StatusCode)
	}
}

func TestQueueFullDropsAndCounts(t *testing.T) {
	r, _ := newTestResponder(t, nil)
	r.work = make(chan match, 1)
	body := eventList(execEvent("shop", "a", "ResponseStarted", 101, "ls", false), execEvent("shop", "b", "ResponseStarted", 101, "ls", false))
	if _, err := r.Audit(t.Context(), []byte(body)); err != nil {
		t.Fatal(err)
	}
	if r.Dropped() != 1 {
		t.Errorf("dropped %d, want 1", r.Dropped())
	}
}

func TestUnknownRulesets(t *testing.T) {
	r, _ := newTestResponder(t, nil)
	if got := r.UnknownRulesets(); len(got) != 0 {
		t.Errorf("unknown %v, want none: the test policy binds built-in rulesets", got)
	}
	r.opts.Rulesets = func() *ruleset.Set { return ruleset.NewSet() }
	if diff := cmp.Diff([]string{"pod-exec", "terminal-shell", "privileged-pod"}, r.UnknownRulesets()); diff != "" {
		t.Errorf("unknown rulesets (-want +got):\n%s", diff)
	}
}

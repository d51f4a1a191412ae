package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/consoletest"
	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

const admin, viewer = "admin-token-for-tests", "viewer-token-for-tests"

func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	svc, _, _ := consoletest.New(t)
	srv := httptest.NewServer(New(Options{Service: svc, AdminToken: admin, ViewerToken: viewer}))
	t.Cleanup(srv.Close)
	return srv
}

type call struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func do(t *testing.T, srv *httptest.Server, method, path, token, contentType, body string, hdr ...string) call {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	c := call{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &c.body)
	return c
}

var blockPolicy = fixture.PolicyYAML("prod", "block")

func TestPoliciesAndRoles(t *testing.T) {
	srv := newServer(t)
	if c := do(t, srv, "GET", "/api/v1/policies", "", "", ""); c.status != 401 {
		t.Errorf("no token: %d", c.status)
	}
	if c := do(t, srv, "POST", "/api/v1/policies", viewer, "application/yaml", blockPolicy); c.status != 403 {
		t.Errorf("viewer create: %d", c.status)
	}
	c := do(t, srv, "POST", "/api/v1/policies", admin, "application/yaml", blockPolicy)
	if c.status != 201 || c.header.Get("ETag") != `"1"` {
		t.Fatalf("create: %d %s", c.status, c.raw)
	}
	if c := do(t, srv, "POST", "/api/v1/policies", admin, "application/yaml", blockPolicy); c.status != 409 {
		t.Errorf("duplicate: %d", c.status)
	}
	bad := strings.Replace(blockPolicy, "action: block", "action: kill", 1) + "        - {rule: nope, action: log}\n"
	c = do(t, srv, "PUT", "/api/v1/policies/prod", admin, "application/yaml", bad)
	if c.status != 422 {
		t.Fatalf("invalid: %d %s", c.status, c.raw)
	}
	details, _ := c.body["details"].([]any)
	if len(details) != 2 {
		t.Fatalf("want every field error, got %s", c.raw)
	}
	first := details[0].(map[string]any)
	if first["field"] != "spec.clusterWide.deployment.rules[0].action" || first["type"] != "Unsupported value" || first["line"].(float64) != 8 {
		t.Errorf("first detail %v", first)
	}
	// Conditional update with a stale version.
	if c := do(t, srv, "PUT", "/api/v1/policies/prod", admin, "application/yaml", blockPolicy, "If-Match", `"7"`); c.status != 409 {
		t.Errorf("stale If-Match: %d %s", c.status, c.raw)
	}
	c = do(t, srv, "GET", "/api/v1/policies/prod", viewer, "", "")
	meta, _ := c.body["metadata"].(map[string]any)
	if c.status != 200 || meta["name"] != "prod" || meta["resourceVersion"] != "1" {
		t.Errorf("get: %d %s", c.status, c.raw)
	}
	if c := do(t, srv, "GET", "/api/v1/openapi.yaml", "", "", ""); c.status != 200 || !strings.Contains(c.raw, "openapi: 3") {
		t.Errorf("openapi: %d", c.status)
	}
}

func TestClustersAgentsAndEvents(t *testing.T) {
	srv := newServer(t)
	do(t, srv, "POST", "/api/v1/policies", admin, "application/yaml", blockPolicy)
	c := do(t, srv, "POST", "/api/v1/clusters", admin, "application/json", `{"name":"east"}`)
	token, _ := c.body["token"].(string)
	if c.status != 201 || len(token) < 40 {
		t.Fatalf("register: %d %s", c.status, c.raw)
	}
	if got := c.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("the answer carrying the agent token has Cache-Control %q, want no-store", got)
	}
	if c := do(t, srv, "GET", "/api/v1/clusters/east", admin, "", ""); strings.Contains(c.raw, token) {
		t.Error("the token is shown only once")
	}
	other := do(t, srv, "POST", "/api/v1/clusters", admin, "application/json", `{"name":"west"}`).body["token"].(string)

	// An agent token reaches only the agent endpoints.
	if c := do(t, srv, "GET", "/api/v1/policies", token, "", ""); c.status != 403 {
		t.Errorf("agent on admin API: %d", c.status)
	}
	ap := do(t, srv, "GET", "/api/v1/agent/policy?wait=0s", token, "", "")
	etag := ap.header.Get("ETag")
	if ap.status != 200 || ap.body["policy"] != nil || etag == "" {
		t.Fatalf("no policy yet: %d %s", ap.status, ap.raw)
	}
	// A long poll is woken by the assignment.
	got := make(chan call, 1)
	start := time.Now()
	go func() {
		got <- do(t, srv, "GET", "/api/v1/agent/policy?wait=20s", token, "", "", "If-None-Match", etag)
	}()
	time.Sleep(100 * time.Millisecond)
	if c := do(t, srv, "PATCH", "/api/v1/clusters/east", admin, "application/json", `{"policy":"prod"}`); c.status != 200 || c.body["policy"] != "prod" {
		t.Fatalf("assign: %d %s", c.status, c.raw)
	}
	c = <-got
	policy, _ := c.body["policy"].(map[string]any)
	if c.status != 200 || policy["kind"] != "Policy" {
		t.Fatalf("long poll: %d %s", c.status, c.raw)
	}
	t.Logf("policy propagated to the long poll in %v (including the 100 ms head start)", time.Since(start))
	if c := do(t, srv, "GET", "/api/v1/agent/policy?wait=0s", token, "", "", "If-None-Match", c.header.Get("ETag")); c.status != 304 {
		t.Errorf("unchanged: %d", c.status)
	}

	// Events: idempotent by id, and stamped with the token's cluster.
	batch := `{"events":[{"id":"e1","time":"2026-11-23T10:00:00Z","cluster":"west","namespace":"default","kind":"Pod","name":"p","tab":"deployment","rule":"privileged","action":"block","message":"m"},` +
		`{"id":"e2","time":"2026-11-23T10:00:01Z","namespace":"shop","kind":"Pod","name":"q","tab":"deployment","rule":"hostPID","action":"log","message":"m"}]}`
	if c := do(t, srv, "POST", "/api/v1/agent/events", token, "application/json", batch); c.status != 200 || c.body["stored"].(float64) != 2 {
		t.Fatalf("push: %d %s", c.status, c.raw)
	}
	if c := do(t, srv, "POST", "/api/v1/agent/events", token, "application/json", batch); c.body["stored"].(float64) != 0 {
		t.Errorf("retry stored again: %s", c.raw)
	}
	do(t, srv, "POST", "/api/v1/agent/events", other, "application/json", `{"events":[{"id":"w1","time":"2026-11-23T11:00:00Z","kind":"Pod","name":"r","tab":"deployment","rule":"privileged","action":"log","message":"m"}]}`)
	c = do(t, srv, "GET", "/api/v1/events?cluster=east", viewer, "", "")
	items, _ := c.body["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["id"] != "e2" || items[1].(map[string]any)["cluster"] != "east" {
		t.Errorf("events of east, newest first, all stamped east: %s", c.raw)
	}
	c = do(t, srv, "GET", "/api/v1/events?limit=1", viewer, "", "")
	next, _ := c.body["next"].(string)
	if next == "" {
		t.Fatalf("paging: %s", c.raw)
	}
	c2 := do(t, srv, "GET", "/api/v1/events?limit=1&cursor="+next, viewer, "", "")
	if items, _ := c2.body["items"].([]any); len(items) != 1 || bytes.Equal([]byte(c.raw), []byte(c2.raw)) {
		t.Errorf("page 2: %s", c2.raw)
	}
	if c := do(t, srv, "GET", "/api/v1/events?cursor=garbage", viewer, "", ""); c.status != 400 {
		t.Errorf("bad cursor: %d %s", c.status, c.raw)
	}
	cl := do(t, srv, "GET", "/api/v1/clusters/east", viewer, "", "")
	if cl.body["lastSeen"] == nil || cl.body["agentPolicy"] == "" {
		t.Errorf("last seen and agent policy version: %s", cl.raw)
	}
	if c := do(t, srv, "DELETE", "/api/v1/policies/prod", admin, "", ""); c.status != 409 {
		t.Errorf("deleting an assigned policy: %d", c.status)
	}
}

// A store that cannot answer is not a bad token: agents get 503, not 401.
func TestTokenCheckFailureIs503(t *testing.T) {
	svc, st, _ := consoletest.New(t)
	_, token, err := svc.RegisterCluster(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Service: svc, AdminToken: admin}))
	defer srv.Close()
	st.Close()
	c := do(t, srv, "GET", "/api/v1/agent/policy?wait=0s", token, "", "")
	if c.status != http.StatusServiceUnavailable || c.header.Get("Retry-After") == "" {
		t.Errorf("agent call with the store down: %d %s, want 503 with Retry-After", c.status, c.raw)
	}
}

// busyStore refuses every push as a store with too much waiting does.
type busyStore struct{ store.Store }

func (busyStore) AppendEvents(context.Context, []event.Event) (int, error) {
	return 0, fmt.Errorf("append events: 50000 events wait to be written: %w", store.ErrBusy)
}

// slowStore's reads of policies time out, as on a pool that is busy.
type slowStore struct{ store.Store }

func (slowStore) GetPolicy(context.Context, string) (store.Document, error) {
	return store.Document{}, fmt.Errorf("get policy: %w", context.DeadlineExceeded)
}

// A database that does not answer in time is answered 503 with
// Retry-After, not 500: a retry later may succeed.
func TestStoreTimeoutIs503(t *testing.T) {
	svc, st, _ := consoletest.NewWith(t, func(o *service.Options) { o.Store = slowStore{o.Store} })
	_, token, err := svc.RegisterCluster(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreatePolicy(context.Background(), "p", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AssignPolicy(context.Background(), "prod", "p"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Service: svc, AdminToken: admin}))
	defer srv.Close()
	c := do(t, srv, "GET", "/api/v1/agent/policy?wait=0s", token, "", "")
	if c.status != http.StatusServiceUnavailable || c.header.Get("Retry-After") == "" {
		t.Errorf("a poll whose policy read timed out: %d %s, want 503 with Retry-After", c.status, c.raw)
	}
}

// A store with more waiting than it takes answers pushes 503 with
// Retry-After at once: the agent keeps its events and backs off.
func TestBusyStoreIs503(t *testing.T) {
	svc, _, _ := consoletest.NewWith(t, func(o *service.Options) { o.Store = busyStore{o.Store} })
	_, token, err := svc.RegisterCluster(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Service: svc, AdminToken: admin}))
	defer srv.Close()
	c := do(t, srv, "POST", "/api/v1/agent/events", token, "application/json",
		`{"events":[{"id":"e1","time":"2026-12-07T10:00:00Z","rule":"privileged","action":"block"}]}`)
	if c.status != http.StatusServiceUnavailable || c.header.Get("Retry-After") == "" {
		t.Errorf("a push to a busy store: %d %s, want 503 with Retry-After", c.status, c.raw)
	}
}

// Rulesets: the Falco items are checked (422 naming the item), and an
// agent receives the stored rulesets its policy binds; changing one
// changes the agent's ETag.
func TestRulesetsReachAgents(t *testing.T) {
	srv := newServer(t)
	bad := `apiVersion: palisade.dev/v1
kind: RuntimeRuleset
metadata: {name: guard}
spec:
  falcoRules:
    - rule: Exec
      desc: d
      condition: ka.verb=create and nope
      output: o
      priority: WARNING
      source: k8s_audit
`
	c := do(t, srv, "POST", "/api/v1/rulesets", admin, "application/yaml", bad)
	if c.status != 422 || !strings.Contains(c.raw, "rule 'Exec'") || !strings.Contains(c.raw, "undefined macro 'nope'") {
		t.Fatalf("bad ruleset: %d %s", c.status, c.raw)
	}
	good := strings.Replace(bad, " and nope", "", 1)
	if c := do(t, srv, "POST", "/api/v1/rulesets", admin, "application/yaml", good); c.status != 201 {
		t.Fatalf("create ruleset: %d %s", c.status, c.raw)
	}
	pol := `apiVersion: palisade.dev/v1
kind: Policy
metadata: {name: rt}
spec:
  clusterWide:
    runtime:
      rulesets:
        - {ruleset: guard, action: isolate}
        - {ruleset: pod-exec, action: log}
`
	if c := do(t, srv, "POST", "/api/v1/policies", admin, "application/yaml", pol); c.status != 201 {
		t.Fatalf("create policy: %d %s", c.status, c.raw)
	}
	token := do(t, srv, "POST", "/api/v1/clusters", admin, "application/json", `{"name":"east"}`).body["token"].(string)
	do(t, srv, "PATCH", "/api/v1/clusters/east", admin, "application/json", `{"policy":"rt"}`)
	ap := do(t, srv, "GET", "/api/v1/agent/policy?wait=0s", token, "", "")
	rulesets, _ := ap.body["rulesets"].([]any)
	name := ""
	if len(rulesets) == 1 {
		name, _ = rulesets[0].(map[string]any)["metadata"].(map[string]any)["name"].(string)
	}
	if ap.status != 200 || name != "guard" {
		t.Fatalf("agent policy: want the stored ruleset guard only (pod-exec is built into agents): %d %s", ap.status, ap.raw)
	}
	etag := ap.header.Get("ETag")
	edited := strings.Replace(good, "priority: WARNING", "priority: ERROR", 1)
	if c := do(t, srv, "PUT", "/api/v1/rulesets/guard", admin, "application/yaml", edited); c.status != 200 {
		t.Fatalf("update ruleset: %d %s", c.status, c.raw)
	}
	if c := do(t, srv, "GET", "/api/v1/agent/policy?wait=0s", token, "", "", "If-None-Match", etag); c.status != 200 || c.header.Get("ETag") == etag {
		t.Errorf("after the ruleset changed: %d, ETag %s (was %s)", c.status, c.header.Get("ETag"), etag)
	}
}

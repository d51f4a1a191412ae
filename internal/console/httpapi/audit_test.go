package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/console/consoletest"
	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/platform/edge"
)

// trail reads the audit log through the API, a step at a time.
type trail struct {
	t    *testing.T
	srv  *httptest.Server
	seen int
}

// next returns the entries written since the last call, oldest first, as
// "action target actor remote".
func (tr *trail) next() []string {
	tr.t.Helper()
	c := do(tr.t, tr.srv, "GET", "/api/v1/audit?limit=1000", admin, "", "")
	items, _ := c.body["items"].([]any)
	if c.status != 200 || c.body["next"] != "" {
		tr.t.Fatalf("GET /api/v1/audit: %d %s", c.status, c.raw)
	}
	var out []string
	for _, it := range items[:len(items)-tr.seen] {
		e := it.(map[string]any)
		out = append(out, strings.Join([]string{e["action"].(string), str(e["target"]), e["actor"].(string), e["remote"].(string)}, " "))
	}
	slices.Reverse(out)
	tr.seen = len(items)
	return out
}

func str(v any) string { s, _ := v.(string); return s }

const scanReport = `apiVersion: palisade.dev/v1
kind: ScanResult
image: {reference: "registry.example.com/shop/api:1.4.2"}
scans:
  - {type: secret, time: "2026-06-01T00:00:00Z"}
`

// Each change made through the API writes exactly its audit entries, with
// the admin token as actor and the client's address; a refused request
// writes none.
func TestEachChangeIsAudited(t *testing.T) {
	srv := newServer(t)
	tr := &trail{t: t, srv: srv}
	ruleset := "apiVersion: palisade.dev/v1\nkind: RuntimeRuleset\nmetadata: {name: guard}\nspec:\n  falcoAlerts: [Terminal shell in container]\n"
	by := " token:admin 127.0.0.1"
	for _, step := range []struct {
		method, path, token, body string
		status                    int
		want                      []string
	}{
		{"POST", "/api/v1/policies", admin, blockPolicy, 201, []string{"policy.create prod" + by}},
		{"POST", "/api/v1/policies", admin, blockPolicy, 409, nil},
		{"POST", "/api/v1/policies", viewer, blockPolicy, 403, nil},
		{"PUT", "/api/v1/policies/prod", admin, strings.Replace(blockPolicy, "block", "log", 1), 200, []string{"policy.update prod" + by}},
		{"PUT", "/api/v1/policies/prod", admin, strings.Replace(blockPolicy, "block", "kill", 1), 422, nil},
		{"POST", "/api/v1/rulesets", admin, ruleset, 201, []string{"ruleset.create guard" + by}},
		{"PUT", "/api/v1/rulesets/guard", admin, strings.Replace(ruleset, "Terminal", "A", 1), 200, []string{"ruleset.update guard" + by}},
		{"DELETE", "/api/v1/rulesets/guard", admin, "", 204, []string{"ruleset.delete guard" + by}},
		{"POST", "/api/v1/clusters", admin, `{"name":"east","policy":"prod"}`, 201,
			[]string{"cluster.create east" + by, "token.issue east" + by, "cluster.assign east" + by}},
		{"POST", "/api/v1/clusters", admin, `{"name":"East!"}`, 422, nil},
		{"PATCH", "/api/v1/clusters/east", admin, `{"policy":""}`, 200, []string{"cluster.assign east" + by}},
		{"PATCH", "/api/v1/clusters/east", admin, `{"policy":"nope"}`, 404, nil},
		{"POST", "/api/v1/clusters/east/token", admin, "", 200, []string{"token.rotate east" + by}},
		{"POST", "/api/v1/clusters/west/token", admin, "", 404, nil},
		{"POST", "/api/v1/scan-results?name=scan.yaml", admin, scanReport, 200, []string{"scan-results.import scan.yaml" + by}},
		{"DELETE", "/api/v1/clusters/east", admin, "", 204, []string{"cluster.delete east" + by}},
		{"DELETE", "/api/v1/policies/prod", admin, "", 204, []string{"policy.delete prod" + by}},
		{"DELETE", "/api/v1/policies/prod", admin, "", 404, nil},
	} {
		ct := "application/json"
		if strings.HasPrefix(step.body, "apiVersion") {
			ct = "application/yaml"
		}
		c := do(t, srv, step.method, step.path, step.token, ct, step.body)
		if c.status != step.status {
			t.Fatalf("%s %s: %d %s, want %d", step.method, step.path, c.status, c.raw, step.status)
		}
		if diff := cmp.Diff(step.want, tr.next()); diff != "" {
			t.Errorf("%s %s (%d): audit entries (-want +got):\n%s", step.method, step.path, c.status, diff)
		}
	}
	// The update's entry carries the diff, and no entry a token.
	c := do(t, srv, "GET", "/api/v1/audit?action=policy.update&target=prod", admin, "", "")
	items, _ := c.body["items"].([]any)
	if len(items) != 1 || !strings.Contains(str(items[0].(map[string]any)["detail"]), "-      - action: block\n+      - action: log\n") {
		t.Errorf("the policy update's entry: %s", c.raw)
	}
}

// Only the admin token reads the audit log; it is paged like the event
// trail.
func TestAuditAccessAndPaging(t *testing.T) {
	srv := newServer(t)
	for _, n := range []string{"a", "b", "c"} {
		do(t, srv, "POST", "/api/v1/clusters", admin, "application/json", `{"name":"`+n+`"}`)
	}
	token := do(t, srv, "POST", "/api/v1/clusters", admin, "application/json", `{"name":"d"}`).body["token"].(string)
	for tok, want := range map[string]int{"": 401, viewer: 403, token: 403, "wrong": 401} {
		if c := do(t, srv, "GET", "/api/v1/audit", tok, "", ""); c.status != want {
			t.Errorf("GET /api/v1/audit with %q: %d, want %d", tok, c.status, want)
		}
	}
	var targets []string
	path := "/api/v1/audit?action=cluster.create&limit=3"
	for range 3 {
		c := do(t, srv, "GET", path, admin, "", "")
		items, _ := c.body["items"].([]any)
		for _, it := range items {
			targets = append(targets, it.(map[string]any)["target"].(string))
		}
		next := str(c.body["next"])
		if next == "" {
			break
		}
		path = "/api/v1/audit?action=cluster.create&limit=3&cursor=" + next
	}
	if diff := cmp.Diff([]string{"d", "c", "b", "a"}, targets); diff != "" {
		t.Errorf("cluster.create entries, newest first, by pages of 3 (-want +got):\n%s", diff)
	}
	if c := do(t, srv, "GET", "/api/v1/audit?target=b", admin, "", ""); len(c.body["items"].([]any)) != 2 {
		t.Errorf("entries of target b (cluster.create, token.issue): %s", c.raw)
	}
	for _, q := range []string{"cursor=garbage", "limit=0", "limit=x"} {
		if c := do(t, srv, "GET", "/api/v1/audit?"+q, admin, "", ""); c.status != 400 {
			t.Errorf("GET /api/v1/audit?%s: %d, want 400", q, c.status)
		}
	}
}

// Behind a trusted proxy the address recorded is the client it forwards;
// from any other peer X-Forwarded-For is ignored.
func TestAuditRemoteBehindProxy(t *testing.T) {
	for _, tc := range []struct {
		name    string
		proxies edge.Proxies
		want    string
	}{
		{"trusted", edge.Proxies{netip.MustParsePrefix("127.0.0.0/8")}, "203.0.113.9"},
		{"untrusted", edge.Proxies{netip.MustParsePrefix("10.0.0.0/8")}, "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, _, _ := consoletest.New(t)
			srv := httptest.NewServer(New(Options{Service: svc, AdminToken: admin, Proxies: tc.proxies}))
			defer srv.Close()
			do(t, srv, "POST", "/api/v1/clusters", admin, "application/json", `{"name":"east"}`, "X-Forwarded-For", "203.0.113.9")
			tr := &trail{t: t, srv: srv}
			if got := tr.next(); len(got) != 2 || got[0] != "cluster.create east token:admin "+tc.want {
				t.Errorf("entries %q, want the address %s", got, tc.want)
			}
		})
	}
}

// clock is a settable clock, safe to read from the server's goroutines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// An agent keeps its console through a rotation: the old token works
// until the overlap window ends and is refused (401) from then on; the new
// one works at once. With "overlap": "0s" the old token stops at once.
func TestRotateTokenKeepsTheAgentConnected(t *testing.T) {
	clk := &clock{t: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)}
	svc, _, _ := consoletest.NewWith(t, func(o *service.Options) { o.Now = clk.now; o.TokenOverlap = 2 * time.Hour })
	srv := httptest.NewServer(New(Options{Service: svc, AdminToken: admin, ViewerToken: viewer}))
	defer srv.Close()
	old := do(t, srv, "POST", "/api/v1/clusters", admin, "application/json", `{"name":"east"}`).body["token"].(string)
	poll := func(token string) int {
		return do(t, srv, "GET", "/api/v1/agent/policy?wait=0s", token, "", "").status
	}

	if c := do(t, srv, "POST", "/api/v1/clusters/east/token", viewer, "", ""); c.status != 403 {
		t.Errorf("viewer rotates: %d", c.status)
	}
	c := do(t, srv, "POST", "/api/v1/clusters/east/token", admin, "", "")
	fresh := str(c.body["token"])
	if c.status != 200 || len(fresh) != 43 || fresh == old || c.header.Get("Cache-Control") != "no-store" ||
		c.body["previousTokenExpires"] != "2026-07-01T14:00:00Z" {
		t.Fatalf("rotate: %d %s", c.status, c.raw)
	}
	if got := do(t, srv, "GET", "/api/v1/clusters/east", admin, "", ""); strings.Contains(got.raw, fresh) ||
		got.body["previousTokenExpires"] != "2026-07-01T14:00:00Z" {
		t.Errorf("the cluster after rotation shows the token, or not the window's end: %s", got.raw)
	}
	if got := poll(fresh); got != 200 {
		t.Errorf("the new token at once: %d", got)
	}
	if got := poll(old); got != 200 {
		t.Errorf("the old token inside its window: %d", got)
	}
	clk.add(2*time.Hour - time.Second)
	if got := poll(old); got != 200 {
		t.Errorf("the old token a second before its window ends: %d", got)
	}
	clk.add(time.Second)
	if got := poll(old); got != 401 {
		t.Errorf("the old token once its window ended: %d, want 401", got)
	}
	if got := poll(fresh); got != 200 {
		t.Errorf("the new token after the old one's window: %d", got)
	}

	// A leaked token: rotated away with no overlap.
	c = do(t, srv, "POST", "/api/v1/clusters/east/token", admin, "application/json", `{"overlap":"0s"}`)
	if c.status != 200 || c.body["previousTokenExpires"] != nil {
		t.Fatalf("rotate with no overlap: %d %s", c.status, c.raw)
	}
	if got := poll(fresh); got != 401 {
		t.Errorf("the token rotated away with no overlap: %d, want 401", got)
	}
	if got := poll(str(c.body["token"])); got != 200 {
		t.Errorf("the newest token: %d", got)
	}
	for body, want := range map[string]int{`{"overlap":"soon"}`: 400, `[1]`: 400, `{"overlap":"-1h"}`: 422, `{"overlap":"721h"}`: 422} {
		if c := do(t, srv, "POST", "/api/v1/clusters/east/token", admin, "application/json", body); c.status != want {
			t.Errorf("rotate with %s: %d %s, want %d", body, c.status, c.raw, want)
		}
	}
}

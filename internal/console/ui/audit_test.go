package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

// auditSince returns the entries written after the first n, oldest first,
// as "action target actor remote", and the new count.
func (s *consoleServer) auditSince(t *testing.T, n int) ([]string, int) {
	t.Helper()
	p, err := s.svc.Store().ListAudit(context.Background(), store.AuditFilter{Limit: store.MaxPageSize})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(p.Entries) - 1 - n; i >= 0; i-- {
		e := p.Entries[i]
		out = append(out, strings.Join([]string{e.Action, e.Target, e.Actor, e.Remote}, " "))
	}
	return out, len(p.Entries)
}

var uiPolicy = fixture.PolicyYAML("prod", "block")

// Each change made in the web UI writes exactly its audit entries, by the
// session's role ("ui:admin") from the browser's address; a refused one
// writes none.
func TestUIChangesAreAudited(t *testing.T) {
	s := newConsole(t)
	b := s.browser(t)
	seen := 0
	b.login(adminToken)
	got, seen := s.auditSince(t, seen)
	if diff := cmp.Diff([]string{"login admin ui:admin 127.0.0.1"}, got); diff != "" {
		t.Fatalf("login (-want +got):\n%s", diff)
	}
	csrf := b.csrf()
	by := " ui:admin 127.0.0.1"
	for _, step := range []struct {
		path   string
		form   url.Values
		status int
		want   []string
	}{
		{"/policies/new/yaml", url.Values{"yaml": {uiPolicy}}, 303, []string{"policy.create prod" + by}},
		{"/policies/new/yaml", url.Values{"yaml": {uiPolicy}}, 409, nil},
		{"/policies/prod/yaml", url.Values{"yaml": {strings.Replace(uiPolicy, "block", "log", 1)}, "version": {"1"}}, 303,
			[]string{"policy.update prod" + by}},
		{"/policies/prod/yaml", url.Values{"yaml": {uiPolicy}, "version": {"1"}}, 409, nil},
		{"/clusters/new", url.Values{"name": {"east"}, "policy": {"prod"}}, 201,
			[]string{"cluster.create east" + by, "token.issue east" + by, "cluster.assign east" + by}},
		{"/policies/prod/delete", url.Values{}, 409, nil},
		{"/clusters/east", url.Values{"policy": {""}}, 303, []string{"cluster.assign east" + by}},
		{"/clusters/east/token", url.Values{}, 200, []string{"token.rotate east" + by}},
		{"/clusters/east/token", url.Values{"now": {"1"}}, 200, []string{"token.rotate east" + by}},
		{"/clusters/west/token", url.Values{}, 404, nil},
		{"/clusters/east/delete", url.Values{}, 303, []string{"cluster.delete east" + by}},
		{"/policies/prod/delete", url.Values{}, 303, []string{"policy.delete prod" + by}},
	} {
		step.form.Set("csrf", csrf)
		a := b.post(step.path, step.form)
		if a.status != step.status {
			t.Fatalf("POST %s: %d, want %d", step.path, a.status, step.status)
		}
		got, seen = s.auditSince(t, seen)
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("POST %s (%d): audit entries (-want +got):\n%s", step.path, a.status, diff)
		}
	}
}

// Rotating a token in the UI shows the new token once, says until when the
// old one works, and the cluster's page says it too; the old token works
// for the agent API until then.
func TestUIRotateToken(t *testing.T) {
	s := newConsole(t)
	_, old, err := s.svc.RegisterCluster(context.Background(), "east")
	if err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.login(adminToken)
	page := b.get("/clusters/east")
	if !strings.Contains(page.body, `id="rotate-form"`) || !strings.Contains(page.body, "keeps working for 24h after") {
		t.Fatalf("cluster page lacks the rotation form, or its window:\n%s", page.body)
	}
	form := formValues(t, page.body, "rotate-form")
	a := b.post("/clusters/east/token", form)
	m := regexpToken.FindStringSubmatch(a.body)
	if a.status != http.StatusOK || m == nil || m[1] == old || a.header.Get("Cache-Control") != "no-store" ||
		!strings.Contains(a.body, "The previous token keeps working until") {
		t.Fatalf("rotate: %d\n%s", a.status, a.body)
	}
	fresh := htmlUnescape(m[1])
	if page := b.get("/clusters/east"); !strings.Contains(page.body, `id="previous-token">works until`) || strings.Contains(page.body, fresh) {
		t.Errorf("cluster page after rotation: want the previous token's end, never the token")
	}
	for _, tok := range []string{old, fresh} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v1/agent/policy?wait=0s", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		if a := b.do(req); a.status != http.StatusOK {
			t.Errorf("agent call right after rotation: %d", a.status)
		}
	}
	form.Set("now", "1")
	a = b.post("/clusters/east/token", form)
	if a.status != http.StatusOK || !strings.Contains(a.body, "The previous token stopped working at once.") {
		t.Errorf("rotate at once: %d", a.status)
	}
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v1/agent/policy?wait=0s", nil)
	req.Header.Set("Authorization", "Bearer "+fresh)
	if a := b.do(req); a.status != http.StatusUnauthorized {
		t.Errorf("a token rotated away at once: %d, want 401", a.status)
	}
}

// A failed login is recorded as anonymous from the client's address, and
// nothing typed is kept; a login refused by the throttle is not recorded.
func TestFailedLoginAudited(t *testing.T) {
	s := newConsole(t)
	_, agentToken, err := s.svc.RegisterCluster(context.Background(), "east")
	if err != nil {
		t.Fatal(err)
	}
	_, seen := s.auditSince(t, 0)
	b := s.browser(t)
	typed := []string{"correct-horse-battery-staple-guess", "", agentToken, adminToken + "x", " " + viewerToken[:10]}
	for _, tok := range typed {
		if a := b.post("/login", url.Values{"token": {tok}}); a.status != http.StatusUnauthorized {
			t.Fatalf("login with %q: %d", tok, a.status)
		}
	}
	if a := b.post("/login", url.Values{"token": {"one too many"}}); a.status != http.StatusTooManyRequests {
		t.Fatalf("sixth failed login in a minute: %d, want 429", a.status)
	}
	got, _ := s.auditSince(t, seen)
	want := strings.Split(strings.Repeat("login.failed  anonymous 127.0.0.1,", len(typed)), ",")[:len(typed)]
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failed logins (-want +got):\n%s", diff)
	}
	p, err := s.svc.Store().ListAudit(context.Background(), store.AuditFilter{Action: service.AuditLoginFailed})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p.Entries {
		for _, tok := range append(typed, "one too many") {
			if tok == "" {
				continue
			}
			for _, field := range []string{e.Actor, e.Remote, e.Target, e.Detail} {
				if strings.Contains(field, strings.TrimSpace(tok)) {
					t.Errorf("audit entry %+v holds what was typed at login", e)
				}
			}
		}
	}
}

// The audit page: admins only (not in a viewer's menu), newest first,
// filtered, paged; a diff is shown in a <pre>, lines classed.
func TestAuditPage(t *testing.T) {
	s := newConsole(t)
	ctx := service.WithActor(context.Background(), service.Actor{Name: "token:admin", Remote: "192.0.2.7"})
	if _, err := s.svc.CreatePolicy(ctx, []byte(uiPolicy)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.UpdatePolicy(ctx, "prod", []byte(strings.Replace(uiPolicy, "block", "log", 1)), 1); err != nil {
		t.Fatal(err)
	}
	st := s.svc.Store()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range auditPageSize + 5 {
		if _, err := st.AppendAudit(context.Background(), store.AuditEntry{Time: base.Add(time.Duration(i) * time.Second),
			Actor: "ui:admin", Remote: "192.0.2.8", Action: service.AuditClusterAssign, Target: fmt.Sprintf("c%02d", i),
			Detail: `policy "p" assigned`}); err != nil {
			t.Fatal(err)
		}
	}

	viewer := s.browser(t)
	viewer.login(viewerToken)
	if a := viewer.get("/audit"); a.status != http.StatusForbidden || !strings.Contains(a.body, "The audit log is for admins") {
		t.Errorf("viewer GET /audit: %d", a.status)
	}
	if a := viewer.get("/policies"); strings.Contains(a.body, `id="nav-audit"`) {
		t.Error("the viewer's menu links the audit log")
	}

	b := s.browser(t)
	b.login(adminToken)
	a := b.get("/audit?action=policy.update")
	if a.status != http.StatusOK || !strings.Contains(a.body, `id="nav-audit" aria-current="page"`) {
		t.Fatalf("admin GET /audit: %d", a.status)
	}
	rows := regexp.MustCompile(`<tr class="audit-entry"`).FindAllString(a.body, -1)
	if len(rows) != 1 || !strings.Contains(a.body, `<td class="actor">token:admin</td>`) || !strings.Contains(a.body, "<code>192.0.2.7</code>") {
		t.Errorf("filtered by policy.update: %d rows\n%s", len(rows), a.body)
	}
	for _, part := range []string{`<pre class="diff">`, `<span class="diff-file">--- prod (version 1)</span>`,
		`<span class="diff-del">-      - action: block</span>`, `<span class="diff-add">+      - action: log</span>`} {
		if !strings.Contains(htmlUnescape(a.body), part) {
			t.Errorf("the update's diff lacks %s:\n%s", part, a.body)
		}
	}

	// Newest first, 50 a page: the 55 assignments, the newest dated last.
	a = b.get("/audit?action=cluster.assign")
	targets := regexp.MustCompile(`<td class="target">(c\d\d)</td>`).FindAllStringSubmatch(a.body, -1)
	next := regexpNext.FindStringSubmatch(a.body)
	if len(targets) != auditPageSize || targets[0][1] != "c54" || next == nil {
		t.Fatalf("first page: %d rows, next %v", len(targets), next)
	}
	a = b.get(htmlUnescape(next[1]))
	targets = regexp.MustCompile(`<td class="target">(c\d\d)</td>`).FindAllStringSubmatch(a.body, -1)
	if len(targets) != 5 || targets[4][1] != "c00" || regexpNext.MatchString(a.body) || !strings.Contains(a.body, `href="/audit?action=cluster.assign" id="first-page"`) {
		t.Errorf("second page: %d rows", len(targets))
	}
	if a := b.get("/audit?cursor=garbage"); a.status != http.StatusOK || !strings.Contains(a.body, "not valid any more") {
		t.Errorf("a bad cursor: %d", a.status)
	}
	if a := b.get("/audit?target=nothing"); !strings.Contains(a.body, `id="no-audit">No audit entries match these filters.`) {
		t.Errorf("no match: %d", a.status)
	}
}

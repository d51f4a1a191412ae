package ui

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/consoletest"
	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/core/event"
)

func TestLoginAndLogout(t *testing.T) {
	s := newConsole(t)
	b := s.browser(t)
	if a := b.get("/events?cluster=east"); a.status != http.StatusSeeOther || a.header.Get("Location") != "/login?next="+url.QueryEscape("/events?cluster=east") {
		t.Fatalf("without a session: %d to %q", a.status, a.header.Get("Location"))
	}
	_, agentToken, err := s.svc.RegisterCluster(context.Background(), "east")
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"", "wrong", agentToken} {
		a := b.post("/login", url.Values{"token": {tok}})
		if a.status != http.StatusUnauthorized || a.header.Get("Set-Cookie") != "" || !strings.Contains(a.body, "not the console&#39;s admin or viewer token") {
			t.Errorf("login with %q: %d, cookie %q", tok, a.status, a.header.Get("Set-Cookie"))
		}
		if tok != "" && strings.Contains(a.body, tok) {
			t.Errorf("the refused token is echoed back")
		}
	}

	a := b.post("/login", url.Values{"token": {adminToken}, "next": {"/events?cluster=east"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/events?cluster=east" {
		t.Fatalf("login: %d to %q", a.status, a.header.Get("Location"))
	}
	cookie := a.header.Get("Set-Cookie")
	for _, attr := range []string{CookieName + "=", "Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=43200"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("session cookie %q lacks %s", cookie, attr)
		}
	}
	if strings.Contains(cookie, "Secure") || strings.Contains(cookie, adminToken) {
		t.Errorf("session cookie over plain HTTP: %q", cookie)
	}
	if a := b.get("/policies"); a.status != http.StatusOK || !strings.Contains(a.body, `<span id="role" class="role role-admin">admin</span>`) {
		t.Fatalf("after login: %d", a.status)
	}
	if a := b.get("/login"); a.status != http.StatusSeeOther {
		t.Errorf("login page when logged in: %d", a.status)
	}

	if a := b.post("/logout", url.Values{}); a.status != http.StatusForbidden {
		t.Errorf("logout without the CSRF token: %d", a.status)
	}
	a = b.post("/logout", url.Values{"csrf": {b.csrf()}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/login?msg=logged-out" {
		t.Fatalf("logout: %d to %q", a.status, a.header.Get("Location"))
	}
	if a := b.get("/policies"); a.status != http.StatusSeeOther {
		t.Errorf("after logout: %d", a.status)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "/",
		"/events?rule=x":        "/events?rule=x",
		"//evil.example/":       "/",
		`/\evil.example`:        "/",
		"https://evil.example/": "/",
		"events":                "/",
		"/login?next=/x":        "/",
		"/clusters/east":        "/clusters/east",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSessionsExpire(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	svc, _, _ := consoletest.New(t)
	s := &sessions{svc: svc, now: func() time.Time { return now }}
	ctx := t.Context()
	get := func(id string) *session {
		t.Helper()
		sess, err := s.get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return sess
	}
	id, sess, err := s.create(ctx, RoleViewer, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 43 || len(sess.csrf) != 43 || id == sess.csrf {
		t.Fatalf("session ID %q and CSRF token %q must be distinct 256-bit values", id, sess.csrf)
	}
	if got := get(id); got == nil || *got != *sess {
		t.Fatalf("a new session is read back as %+v, want %+v", got, sess)
	}
	if get(id+"x") != nil || get("") != nil {
		t.Error("a wrong ID finds a session")
	}
	now = now.Add(SessionTTL - time.Second)
	if get(id) == nil {
		t.Error("session expired early")
	}
	now = now.Add(time.Second)
	if get(id) != nil {
		t.Error("session outlived its 12 hours")
	}
	if !sess.validCSRF(sess.csrf) || sess.validCSRF("") || sess.validCSRF(sess.csrf[1:]) {
		t.Error("CSRF comparison")
	}
}

// A browser logged in at one console process is logged in at every other
// on the same store (replicas behind one Service), and logging out at one
// logs it out everywhere.
func TestSessionsAreSharedByConsolesOnOneStore(t *testing.T) {
	svc, st, reg := consoletest.New(t)
	one := newConsoleOn(t, svc, nil)
	two := newConsoleOn(t, service.New(service.Options{Store: st, Registry: reg}), nil)
	b := one.browser(t)
	b.login(adminToken)
	b.srv = two // the same cookie, sent to the other replica
	if a := b.get("/policies"); a.status != http.StatusOK {
		t.Fatalf("the other console answers the logged-in browser %d", a.status)
	}
	if a := b.post("/logout", url.Values{"csrf": {b.csrf()}}); a.status != http.StatusSeeOther {
		t.Fatalf("logout at the other console: %d", a.status)
	}
	b.srv = one
	if a := b.get("/policies"); a.status != http.StatusSeeOther {
		t.Fatalf("after logging out at the other console, this one answers %d, want a redirect to log in", a.status)
	}
}

func TestCSRFIsChecked(t *testing.T) {
	s := newConsole(t)
	b := s.browser(t)
	b.login(adminToken)
	for _, tok := range []string{"", "forged"} {
		a := b.post("/clusters/new", url.Values{"name": {"east"}, "csrf": {tok}})
		if a.status != http.StatusForbidden || !strings.Contains(a.body, "did not come from this console") {
			t.Errorf("CSRF token %q: %d", tok, a.status)
		}
	}
	if cs, _ := s.svc.Store().ListClusters(context.Background()); len(cs) != 0 {
		t.Fatalf("a forged form registered %d clusters", len(cs))
	}
	// Another session's token does not do either.
	other := s.browser(t)
	other.login(adminToken)
	if a := b.post("/clusters/new", url.Values{"name": {"east"}, "csrf": {other.csrf()}}); a.status != http.StatusForbidden {
		t.Errorf("another session's CSRF token: %d", a.status)
	}
	if a := b.post("/clusters/new", url.Values{"name": {"east"}, "csrf": {b.csrf()}}); a.status != http.StatusCreated {
		t.Errorf("with the session's CSRF token: %d", a.status)
	}
	// A cross-site form post is refused before the handler.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/clusters/new", strings.NewReader(url.Values{"name": {"west"}, "csrf": {b.csrf()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if a := b.do(req); a.status != http.StatusForbidden {
		t.Errorf("cross-site post: %d", a.status)
	}
}

func TestViewerCanLookButNotChange(t *testing.T) {
	s := newConsole(t)
	if _, _, err := s.svc.RegisterCluster(context.Background(), "east"); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.login(viewerToken)
	for _, path := range []string{"/policies", "/policies/new", "/clusters", "/clusters/east", "/events"} {
		a := b.get(path)
		if a.status != http.StatusOK || !strings.Contains(a.body, `role-viewer">viewer</span>`) {
			t.Errorf("viewer GET %s: %d", path, a.status)
		}
		if strings.Contains(a.body, `id="register-form"`) || strings.Contains(a.body, `id="assign-form"`) || strings.Contains(a.body, `id="save"`) ||
			strings.Contains(a.body, `id="rotate-form"`) {
			t.Errorf("viewer page %s offers a change", path)
		}
	}
	csrf := b.csrf()
	for path, form := range map[string]url.Values{
		"/policies/new":         {"name": {"p"}, "op": {"save"}},
		"/policies/new/yaml":    {"yaml": {"kind: Policy"}},
		"/clusters/new":         {"name": {"west"}},
		"/clusters/east":        {"policy": {""}},
		"/clusters/east/delete": {},
		"/clusters/east/token":  {},
		"/policies/prod/delete": {},
		"/policies/prod":        {"op": {"add-ns"}},
		"/policies/prod/yaml":   {"yaml": {""}},
	} {
		form.Set("csrf", csrf)
		a := b.post(path, form)
		if a.status != http.StatusForbidden || !strings.Contains(a.body, "You are logged in as a viewer") {
			t.Errorf("viewer POST %s: %d", path, a.status)
		}
	}
	if cs, _ := s.svc.Store().ListClusters(context.Background()); len(cs) != 1 {
		t.Errorf("viewer changed the clusters: %d", len(cs))
	}
	if a := b.post("/logout", url.Values{"csrf": {csrf}}); a.status != http.StatusSeeOther {
		t.Errorf("viewer logout: %d", a.status)
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := newConsole(t)
	b := s.browser(t)
	check := func(path string, a answer) {
		t.Helper()
		for h, want := range map[string]string{
			"X-Frame-Options":        "DENY",
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
		} {
			if got := a.header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
		csp := a.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
	}
	check("/login", b.get("/login"))
	b.login(adminToken)
	a := b.get("/policies")
	check("/policies", a)
	if a.header.Get("Cache-Control") != "no-store" {
		t.Errorf("pages must not be cached: %q", a.header.Get("Cache-Control"))
	}
	if strings.Contains(a.body, "<script>") || strings.Contains(a.body, " style=") || strings.Contains(a.body, " onclick=") {
		t.Error("a page has inline script or style, which the CSP forbids")
	}
	js := b.get("/static/app.js")
	check("/static/app.js", js)
	if js.status != http.StatusOK || !strings.Contains(js.header.Get("Content-Type"), "javascript") {
		t.Errorf("app.js: %d %q", js.status, js.header.Get("Content-Type"))
	}
	if a := b.get("/nowhere"); a.status != http.StatusNotFound {
		t.Errorf("unknown page: %d", a.status)
	}
	if a := b.get("/"); a.status != http.StatusOK || !strings.Contains(a.body, `id="nav-overview" aria-current="page"`) {
		t.Errorf("root: %d, want the overview", a.status)
	}
}

func TestClusterTokenShownOnce(t *testing.T) {
	s := newConsole(t)
	b := s.browser(t)
	b.login(adminToken)
	csrf := b.csrf()
	a := b.post("/clusters/new", url.Values{"name": {"Not A Name"}, "csrf": {csrf}})
	if a.status != http.StatusUnprocessableEntity || !strings.Contains(fieldError(a.body, "cluster-name"), "RFC 1123") {
		t.Errorf("invalid name: %d, error %q", a.status, fieldError(a.body, "cluster-name"))
	}
	a = b.post("/clusters/new", url.Values{"name": {"east"}, "policy": {"missing"}, "csrf": {csrf}})
	m := regexpToken.FindStringSubmatch(a.body)
	if a.status != http.StatusCreated || m == nil {
		t.Fatalf("register: %d", a.status)
	}
	token := m[1]
	if a.header.Get("Cache-Control") != "no-store" || !strings.Contains(a.body, "shown only this once") ||
		!strings.Contains(a.body, "palisade agent --console "+s.URL+" --token "+token) {
		t.Error("the token page lacks its warning, the command line or no-store")
	}
	if !strings.Contains(a.body, `id="assign-error"`) {
		t.Error("a policy that could not be assigned at registration is not reported")
	}
	if _, err := s.svc.ClusterForToken(context.Background(), token); err != nil {
		t.Errorf("the shown token does not authenticate the agent: %v", err)
	}
	for _, path := range []string{"/clusters", "/clusters/east", "/events"} {
		if strings.Contains(b.get(path).body, token) {
			t.Errorf("%s shows the token again", path)
		}
	}
	if a := b.post("/clusters/new", url.Values{"name": {"east"}, "csrf": {csrf}}); a.status != http.StatusUnprocessableEntity ||
		fieldError(a.body, "cluster-name") != "a cluster with this name is already registered" {
		t.Errorf("duplicate: %d %q", a.status, fieldError(a.body, "cluster-name"))
	}
	if a := b.post("/clusters/east", url.Values{"policy": {"missing"}, "csrf": {csrf}}); a.status != http.StatusNotFound ||
		!strings.Contains(fieldError(a.body, "policy"), "no policy") {
		t.Errorf("assigning a missing policy: %d %q", a.status, fieldError(a.body, "policy"))
	}
	if a := b.post("/clusters/east/delete", url.Values{"csrf": {csrf}}); a.status != http.StatusSeeOther {
		t.Errorf("delete: %d", a.status)
	}
	if _, err := s.svc.ClusterForToken(context.Background(), token); err == nil {
		t.Error("the token of a deleted cluster still works")
	}
}

func TestEventsPagingAndDetail(t *testing.T) {
	s := newConsole(t)
	ctx := context.Background()
	// Recent, inside the console's event time window, so each keeps its time.
	base := time.Now().UTC().Truncate(time.Second).Add(-2 * time.Hour)
	var evs []event.Event
	for i := range eventPageSize + 10 {
		rule, action := "privileged", "block"
		if i%2 == 1 {
			rule, action = "hostPID", "log"
		}
		evs = append(evs, event.Event{ID: event.NewID(), Time: base.Add(time.Duration(i) * time.Second), Namespace: "shop",
			Kind: "Pod", Name: "p", Tab: "deployment", Rule: rule, Action: action, Message: strings.Repeat("m", 150)})
	}
	evs = append(evs, event.Event{ID: "agent-made-id", Time: base.Add(-time.Hour), Kind: "Pod", Name: "old", Tab: "runtime", Rule: "Terminal shell", Action: "isolate", Message: "<script>x</script>"})
	if _, _, err := s.svc.RegisterCluster(ctx, "east"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.IngestEvents(ctx, "east", evs); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.login(viewerToken)

	// Every event on its own row (repeats are grouped otherwise).
	a := b.get("/events?each=1")
	if n := strings.Count(a.body, `<tr class="event"`); n != eventPageSize {
		t.Fatalf("first page: %d rows", n)
	}
	if !strings.Contains(a.body, `data-id="`+evs[eventPageSize+9].ID+`"`) || strings.Contains(a.body, strings.Repeat("m", 150)+"</td>") {
		t.Error("the first page starts with the newest event and truncates messages")
	}
	next := regexpNext.FindStringSubmatch(a.body)
	if next == nil {
		t.Fatal("no next page link")
	}
	a = b.get(htmlUnescape(next[1]))
	if n := strings.Count(a.body, `<tr class="event"`); n != 11 || strings.Contains(a.body, `id="next-page"`) || !strings.Contains(a.body, `id="first-page"`) {
		t.Errorf("second page: %d rows", n)
	}
	if strings.Contains(a.body, "<script>x</script>") {
		t.Error("an event message is not escaped")
	}

	// Grouped (the default): the page's 50 events are two objects' repeats.
	a = b.get("/events")
	if n, grouped := strings.Count(a.body, `<tr class="event`), strings.Count(a.body, `<tr class="event grouped"`); n != 2 || grouped != 2 ||
		!strings.Contains(a.body, `data-count="25"`) || !strings.Contains(a.body, `>×25</span>`) ||
		!strings.Contains(a.body, `<a href="/events?each=1" id="group-toggle">Show every event</a>`) {
		t.Errorf("grouped first page: %d rows, %d grouped", n, grouped)
	}
	a = b.get(htmlUnescape(regexpNext.FindStringSubmatch(a.body)[1]))
	if n := strings.Count(a.body, `<tr class="event`); n != 3 {
		t.Errorf("grouped second page: %d rows, want 3 (the groups go on, and the old event)", n)
	}

	a = b.get("/events?rule=hostPID&action=log&cluster=east&each=1")
	if n := strings.Count(a.body, `<tr class="event"`); n != 30 {
		t.Errorf("filtered: %d rows, want 30", n)
	}
	if a := b.get("/events?since=yesterday"); a.status != http.StatusBadRequest || fieldError(a.body, "since") == "" {
		t.Errorf("bad since: %d", a.status)
	}
	if a := b.get("/events?cursor=garbage"); a.status != http.StatusOK || !strings.Contains(a.body, `id="page-error"`) {
		t.Errorf("bad cursor: %d", a.status)
	}

	// Detail: by the list's link, by an ID alone (time-ordered or not).
	links := regexpDetail.FindAllStringSubmatch(b.get("/events?each=1").body, -1)
	if len(links) == 0 {
		t.Fatal("no detail links")
	}
	a = b.get(htmlUnescape(links[0][1]))
	if a.status != http.StatusOK || !strings.Contains(a.body, evs[eventPageSize+9].ID) || !strings.Contains(a.body, `<dd id="event-rule">hostPID</dd>`) {
		t.Errorf("detail by link: %d", a.status)
	}
	for _, id := range []string{evs[3].ID, "agent-made-id"} {
		if a := b.get("/events/" + id); a.status != http.StatusOK || !strings.Contains(a.body, id) {
			t.Errorf("detail of %s without its time: %d", id, a.status)
		}
	}
	// An event dated outside the console's window shows the agent's time
	// apart; one inside does not.
	far := event.Event{ID: "far-future", Time: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), Kind: "Pod", Name: "p",
		Tab: "deployment", Rule: "privileged", Action: "log", Message: "dated by a wrong clock"}
	if _, err := s.svc.IngestEvents(ctx, "east", []event.Event{far}); err != nil {
		t.Fatal(err)
	}
	if a := b.get("/events/far-future"); a.status != http.StatusOK ||
		!strings.Contains(a.body, `<dd id="event-agent-time"><time datetime="9999-12-31T23:59:59Z">`) {
		t.Errorf("detail of an event dated 9999: %d, want the agent's time shown", a.status)
	}
	if a := b.get("/events/agent-made-id"); strings.Contains(a.body, `id="event-agent-time"`) {
		t.Error("an event inside the window shows an agent's time")
	}
	if a := b.get("/events/nope?t=12"); a.status != http.StatusNotFound {
		t.Errorf("unknown event: %d", a.status)
	}
}

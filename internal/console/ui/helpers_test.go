package ui

import (
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/palisade-dev/palisade/internal/console/consoletest"
	"github.com/palisade-dev/palisade/internal/console/httpapi"
	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

const adminToken, viewerToken = "admin-token-for-ui-tests", "viewer-token-for-ui-tests"

// consoleServer is the real console (UI and REST API on one mux, as
// `palisade console` serves them) on a SQLite store in a temporary folder.
type consoleServer struct {
	*httptest.Server
	svc *service.Service
	reg *rules.Registry
}

func newConsole(t testing.TB) *consoleServer {
	t.Helper()
	return newConsoleWith(t, nil)
}

// newConsoleWith is newConsole with the UI's options changed by set first
// (when not nil).
func newConsoleWith(t testing.TB, set func(*Options)) *consoleServer {
	t.Helper()
	svc, _, _ := consoletest.New(t)
	return newConsoleOn(t, svc, set)
}

// newConsoleOn serves the UI and the REST API of svc (a console process),
// with the built-in catalog.
func newConsoleOn(t testing.TB, svc *service.Service, set func(*Options)) *consoleServer {
	t.Helper()
	return newConsoleAt(t, svc, func(o *Options, _ string) {
		if set != nil {
			set(o)
		}
	})
}

// newConsoleAt is newConsoleOn for options that need the console's URL
// (set is given it).
func newConsoleAt(t testing.TB, svc *service.Service, set func(o *Options, url string)) *consoleServer {
	t.Helper()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	opts := Options{Service: svc, Registry: reg, AdminToken: adminToken, ViewerToken: viewerToken,
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil))}
	set(&opts, "http://"+srv.Listener.Addr().String())
	web, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/api/", httpapi.New(httpapi.Options{Service: svc, AdminToken: adminToken, ViewerToken: viewerToken}))
	mux.Handle("/", web)
	srv.Start()
	t.Cleanup(srv.Close)
	return &consoleServer{Server: srv, svc: svc, reg: reg}
}

// browser is a cookie-keeping client that does not follow redirects, so
// tests see each answer.
type browser struct {
	t    testing.TB
	srv  *consoleServer
	http *http.Client
}

func (s *consoleServer) browser(t testing.TB) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, srv: s, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// answer is a response with its body read.
type answer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) answer {
	b.t.Helper()
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *browser) get(path string) answer {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.srv.URL+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) answer {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// login logs in with token and checks it worked.
func (b *browser) login(token string) {
	b.t.Helper()
	a := b.post("/login", url.Values{"token": {token}})
	if a.status != http.StatusSeeOther {
		b.t.Fatalf("login: %d %s", a.status, a.body)
	}
}

var (
	csrfInput    = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	regexpToken  = regexp.MustCompile(`id="agent-token" value="([^"]+)"`)
	regexpNext   = regexp.MustCompile(`<a href="([^"]+)" id="next-page">`)
	regexpDetail = regexp.MustCompile(`<a href="([^"]+)" class="detail-link">`)
	htmlUnescape = html.UnescapeString
)

// csrf reads the session's CSRF token from a page.
func (b *browser) csrf() string {
	b.t.Helper()
	m := csrfInput.FindStringSubmatch(b.get("/policies").body)
	if m == nil {
		b.t.Fatal("no CSRF token on /policies")
	}
	return html.UnescapeString(m[1])
}

// fieldError returns the text of the error shown next to the input with
// the given ID, "" when there is none.
func fieldError(page, id string) string {
	re := regexp.MustCompile(`<span class="field-error" id="` + regexp.QuoteMeta(id) + `-error" role="alert">([^<]*)</span>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// formValues reads every named input, select and textarea of the first
// form with the given id the way a browser would submit it (checked boxes
// only, selected options).
func formValues(t *testing.T, page, formID string) url.Values {
	t.Helper()
	start := strings.Index(page, `<form method="post" action="`)
	if i := strings.Index(page, `id="`+formID+`"`); i >= 0 {
		start = strings.LastIndex(page[:i], "<form")
	}
	if start < 0 {
		t.Fatalf("no form %s", formID)
	}
	end := strings.Index(page[start:], "</form>")
	f := page[start : start+end]
	v := url.Values{}
	attr := func(tag, name string) (string, bool) {
		m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			return "", strings.Contains(tag, " "+name+">") || strings.Contains(tag, " "+name+" ")
		}
		return html.UnescapeString(m[1]), true
	}
	for _, tag := range regexp.MustCompile(`<input[^>]*>`).FindAllString(f, -1) {
		name, ok := attr(tag, "name")
		if !ok {
			continue
		}
		typ, _ := attr(tag, "type")
		if typ == "checkbox" {
			if _, checked := attr(tag, "checked"); !checked {
				continue
			}
		}
		val, _ := attr(tag, "value")
		v.Add(name, val)
	}
	for _, m := range regexp.MustCompile(`(?s)<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>`).FindAllStringSubmatch(f, -1) {
		v.Add(html.UnescapeString(m[1]), html.UnescapeString(strings.TrimPrefix(m[2], "\n")))
	}
	for _, m := range regexp.MustCompile(`(?s)<select name="([^"]+)"[^>]*>(.*?)</select>`).FindAllStringSubmatch(f, -1) {
		sel := regexp.MustCompile(`<option value="([^"]*)" selected>`).FindStringSubmatch(m[2])
		if sel == nil {
			sel = regexp.MustCompile(`<option value="([^"]*)"`).FindStringSubmatch(m[2])
		}
		if sel != nil {
			v.Add(html.UnescapeString(m[1]), html.UnescapeString(sel[1]))
		}
	}
	return v
}

package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/sso"
	"github.com/palisade-dev/palisade/internal/core/policy"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/platform/edge"
)

//go:embed templates/*.html static/*
var files embed.FS

// Options configure the UI.
type Options struct {
	Service *service.Service
	// Registry is the rule catalog the policy editor lists (rules.Builtin
	// when nil); it should be the one the service validates with.
	Registry *rules.Registry
	// AdminToken and ViewerToken are the console's tokens, the same the
	// REST API takes; ViewerToken is optional.
	AdminToken  string
	ViewerToken string
	Logger      *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Proxies are the peers trusted to say that the browser reached them
	// over HTTPS (session cookies are then Secure) and from which address
	// (failed logins are throttled per client address).
	Proxies edge.Proxies
	// LoginThrottled, when not nil, is called for each login answered 429.
	LoginThrottled func()
	// SSO, when not nil, adds single sign-on with an OpenID Connect
	// provider next to the token login (oidc.go).
	SSO *sso.Client
}

// UI serves the web UI. Mount it at the root of the console's mux, next to
// the REST API under /api/.
type UI struct {
	opts     Options
	reg      *rules.Registry
	pages    map[string]*template.Template
	sessions *sessions
	logins   *loginThrottle
	mux      *http.ServeMux
	handler  http.Handler
}

// New returns the UI handler.
func New(opts Options) (*UI, error) {
	if opts.Service == nil {
		return nil, fmt.Errorf("ui: a console service is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	reg := opts.Registry
	if reg == nil {
		var err error
		if reg, err = rules.Builtin(); err != nil {
			return nil, fmt.Errorf("ui: rule catalog: %w", err)
		}
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	u := &UI{opts: opts, reg: reg, pages: pages, sessions: &sessions{svc: opts.Service, now: opts.Now},
		logins: &loginThrottle{svc: opts.Service, now: opts.Now}, mux: http.NewServeMux()}
	u.routes()
	// Cross-origin form posts are refused before they reach a handler;
	// the CSRF token is the second line of defence.
	u.handler = http.NewCrossOriginProtection().Handler(u.mux)
	return u, nil
}

// parsePages parses every page template together with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("ui: templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "editor" {
			continue
		}
		t, err := template.New("layout").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/editor.html", n)
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

var funcs = template.FuncMap{
	// id turns an input name into its element ID (dots become dashes, so
	// CSS selectors need no escaping).
	"id": func(key string) string { return strings.ReplaceAll(key, ".", "-") },
	"truncate": func(n int, s string) string {
		r := []rune(s)
		if len(r) <= n {
			return s
		}
		return string(r[:n-1]) + "…"
	},
	// tabNames are the three tabs, in the order they are shown.
	"tabNames": func() []string {
		return []string{string(policy.TabDeployment), string(policy.TabContinuous), string(policy.TabRuntime)}
	},
	"title": func(s string) string {
		if s == "" {
			return s
		}
		return strings.ToUpper(s[:1]) + s[1:]
	},
	"opts": options,
	// The overview's: counts with thousands separators, an action's
	// colour class, SVG coordinates, a duration in seconds.
	"count": formatCount,
	"class": actionClass,
	"num":   svgNum,
	"add":   func(a, b float64) float64 { return a + b },
	"duration": func(seconds int64) string {
		if seconds%60 == 0 {
			return strconv.FormatInt(seconds/60, 10) + " minutes"
		}
		return strconv.FormatInt(seconds, 10) + " seconds"
	},
	"utc": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
}

// option is one entry of a dropdown.
type option struct {
	Value    string
	Selected bool
}

// options lists choices for a dropdown with cur selected; a current value
// that is not a choice (a ruleset deleted since) is kept as an option so
// the form shows what is stored.
func options(choices []string, cur string) []option {
	out := make([]option, 0, len(choices)+1)
	found := cur == ""
	for _, c := range choices {
		out = append(out, option{Value: c, Selected: c == cur})
		found = found || c == cur
	}
	if !found {
		out = append(out, option{Value: cur, Selected: true})
	}
	return out
}

// ServeHTTP implements http.Handler: security headers on every answer, and
// a panic becomes a 500 page instead of a dropped connection.
func (u *UI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	defer func() {
		if p := recover(); p != nil {
			u.opts.Logger.Error("panic in UI handler", "path", r.URL.Path, "panic", p)
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	u.handler.ServeHTTP(w, r)
}

// page is what every template receives.
type page struct {
	Title string
	// Nav is the highlighted menu entry.
	Nav  string
	Role Role
	// User is who logged in through single sign-on ("" for a token).
	User  string
	CSRF  string
	Flash string
	// Error is a message for the top of the page.
	Error string
	Data  any
}

// Admin reports whether the page is shown to an admin (forms that change
// things are shown only then).
func (p *page) Admin() bool { return p.Role == RoleAdmin }

type handlerFunc func(w http.ResponseWriter, r *http.Request, p *page)

// get serves a page to any logged-in user; others are sent to /login.
func (u *UI) get(pattern string, h handlerFunc) {
	u.mux.HandleFunc("GET "+pattern, func(w http.ResponseWriter, r *http.Request) {
		sess := u.sessionFrom(r)
		if sess == nil {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		p := &page{Role: sess.role, User: sess.user, CSRF: sess.csrf, Flash: flashes[r.URL.Query().Get("msg")]}
		h(w, u.withActor(r, sess.role), p)
	})
}

// post serves a form submission: it needs a session, the admin role and
// the session's CSRF token. Viewers get a 403 page.
func (u *UI) post(pattern string, h handlerFunc) {
	u.mux.HandleFunc("POST "+pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		sess := u.sessionFrom(r)
		if sess == nil {
			edge.RefuseUnread(w, r)
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		p := &page{Role: sess.role, User: sess.user, CSRF: sess.csrf}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			u.fail(w, r, p, http.StatusBadRequest, "The form could not be read: "+err.Error())
			return
		}
		if !sess.validCSRF(r.PostForm.Get(csrfField)) {
			u.fail(w, r, p, http.StatusForbidden, "This form has expired or did not come from this console. Go back, reload the page and try again.")
			return
		}
		if sess.role != RoleAdmin {
			u.fail(w, r, p, http.StatusForbidden, "You are logged in as a viewer: you can look at everything but change nothing. Log in with the admin token (or as a member of an admin group) to make changes.")
			return
		}
		h(w, u.withActor(r, sess.role), p)
	})
}

// withActor returns r carrying who asks (the session's role, "ui:admin")
// and from where, for the audit log of the changes the service makes.
func (u *UI) withActor(r *http.Request, role Role) *http.Request {
	return r.WithContext(service.WithActor(r.Context(), service.Actor{Name: "ui:" + role.String(), Remote: u.client(r)}))
}

// client is the request's client address: the peer, or the client a
// trusted proxy forwards.
func (u *UI) client(r *http.Request) string {
	if c := u.opts.Proxies.Client(r); c.IsValid() {
		return c.String()
	}
	return r.RemoteAddr
}

// maxFormBytes bounds a form submission.
const maxFormBytes = 4 << 20

// flashes are the messages a redirect may ask for with ?msg=.
var flashes = map[string]string{
	"saved":           "Policy saved.",
	"deleted":         "Policy deleted.",
	"assigned":        "Policy assignment saved.",
	"cluster-deleted": "Cluster deleted.",
	"logged-out":      "You are logged out.",
}

// render executes a page template into a buffer first, so a template error
// never sends half a page.
func (u *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := u.pages[name]
	if !ok {
		u.opts.Logger.Error("unknown UI page", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		u.opts.Logger.Error("render UI page", "page", name, "path", r.URL.Path, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail renders the error page.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, p *page, status int, msg string) {
	p.Title = http.StatusText(status)
	p.Error = msg
	u.render(w, r, status, "error", p)
}

// internal logs err and renders a 500 page that does not repeat it.
func (u *UI) internal(w http.ResponseWriter, r *http.Request, p *page, err error) {
	u.opts.Logger.Error("console UI request failed", "path", r.URL.Path, "error", err)
	u.fail(w, r, p, http.StatusInternalServerError, "Something went wrong on the console; the details are in its log.")
}

func (u *UI) routes() {
	static, _ := fs.Sub(files, "static")
	u.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	u.mux.HandleFunc("GET /login", u.loginPage)
	u.mux.HandleFunc("POST /login", u.login)
	u.mux.HandleFunc("POST /logout", u.logout)
	if u.opts.SSO != nil {
		u.mux.HandleFunc("GET /login/oidc", u.startOIDC)
		u.mux.HandleFunc("GET "+sso.CallbackPath, u.oidcCallback)
	}
	u.get("/logout", func(w http.ResponseWriter, r *http.Request, p *page) {
		p.Title = "Log out"
		u.render(w, r, http.StatusOK, "logout", p)
	})
	u.get("/{$}", u.overview)
	u.policyRoutes()
	u.clusterRoutes()
	u.eventRoutes()
	u.auditRoutes()
	u.get("/", func(w http.ResponseWriter, r *http.Request, p *page) {
		u.fail(w, r, p, http.StatusNotFound, "There is no page at "+r.URL.Path+".")
	})
}

// loginPage shows the login form (or sends a logged-in user on).
func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	next := safeNext(r.URL.Query().Get("next"))
	if u.sessionFrom(r) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	u.render(w, r, http.StatusOK, "login", &page{Title: "Log in", Flash: flashes[r.URL.Query().Get("msg")], Data: u.loginData(next)})
}

// loginData is what the login page shows: the token form, and the single
// sign-on link when there is a provider.
type loginData struct {
	Next string
	// SSOName and SSOPath name the provider and start a login with it
	// ("" without single sign-on).
	SSOName string
	SSOPath string
}

func (u *UI) loginData(next string) loginData {
	d := loginData{Next: next}
	if u.opts.SSO != nil {
		d.SSOName, d.SSOPath = u.opts.SSO.Name(), ssoPath(next)
	}
	return d
}

// login checks the token and starts a session. The token is never logged
// and never put in a URL.
func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	client := u.opts.Proxies.Client(r)
	wait, err := u.logins.begin(r.Context(), client)
	if err != nil {
		u.internal(w, r, &page{Title: "Log in"}, err)
		return
	}
	if wait > 0 {
		if u.opts.LoginThrottled != nil {
			u.opts.LoginThrottled()
		}
		edge.RefuseUnread(w, r)
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		u.render(w, r, http.StatusTooManyRequests, "login", &page{Title: "Log in",
			Error: "Too many failed logins from your address: wait a minute and try again.", Data: u.loginData(safeNext(""))})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		u.render(w, r, http.StatusBadRequest, "login", &page{Title: "Log in", Error: "The form could not be read.", Data: u.loginData(safeNext(""))})
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	role := u.roleFor(strings.TrimSpace(r.PostForm.Get("token")))
	if role == RoleNone {
		u.opts.Logger.Info("UI login refused", "remote", r.RemoteAddr, "client", client.String())
		// Recorded without anything typed: not the token, not its length.
		u.opts.Service.RecordFailedLogin(service.WithActor(r.Context(), service.Actor{Name: service.ActorAnonymous, Remote: u.client(r)}))
		u.render(w, r, http.StatusUnauthorized, "login", &page{Title: "Log in",
			Error: "That token is not the console's admin or viewer token.", Data: u.loginData(next)})
		return
	}
	if err := u.logins.succeeded(r.Context(), client); err != nil {
		u.internal(w, r, &page{Title: "Log in"}, err)
		return
	}
	id, _, err := u.sessions.create(r.Context(), role, "", "")
	if err != nil {
		u.internal(w, r, &page{}, err)
		return
	}
	u.opts.Logger.Info("UI login", "role", role.String(), "method", "token", "remote", r.RemoteAddr)
	u.opts.Service.RecordLogin(u.withActor(r, role).Context(), role.String())
	http.SetCookie(w, u.sessionCookie(r, id, int(SessionTTL/time.Second)))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session; viewers may log out too.
func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c, err := r.Cookie(CookieName)
	sess := u.sessionFrom(r)
	if err != nil || sess == nil {
		edge.RefuseUnread(w, r)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || !sess.validCSRF(r.PostForm.Get(csrfField)) {
		u.fail(w, r, &page{Role: sess.role, CSRF: sess.csrf}, http.StatusForbidden,
			"This form has expired or did not come from this console. Go back, reload the page and try again.")
		return
	}
	if err := u.sessions.delete(r.Context(), c.Value); err != nil {
		u.internal(w, r, &page{Role: sess.role, CSRF: sess.csrf}, err)
		return
	}
	http.SetCookie(w, u.sessionCookie(r, "", -1))
	http.Redirect(w, r, "/login?msg=logged-out", http.StatusSeeOther)
}

// safeNext keeps a post-login redirect on this site: a path, never a
// scheme-relative or absolute URL.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) ||
		strings.ContainsAny(next, "\r\n\\") || strings.HasPrefix(next, "/login") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

package ui

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/palisade-dev/palisade/internal/console/consoletest"
	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/sso"
)

// ssoClientID is the console's client at the test provider.
const ssoClientID = "palisade"

// newSSOConsole serves svc's UI with single sign-on at p, as the client
// ssoClientID registered there with the callback at external (the
// console's own URL when ""). set, when not nil, changes the options and
// the single sign-on configuration first.
func newSSOConsole(t *testing.T, svc *service.Service, p *testProvider, external string, set func(*Options, *sso.Config)) *consoleServer {
	t.Helper()
	return newConsoleAt(t, svc, func(o *Options, self string) {
		if external == "" {
			external = self
		}
		cfg := sso.Config{Name: "Example IdP", IssuerURL: p.issuer, ClientID: ssoClientID,
			ClientSecret: p.client(ssoClientID, external+sso.CallbackPath), RedirectURL: external + sso.CallbackPath,
			Scopes: []string{"openid", "profile", "email"}, GroupsClaim: "groups",
			AdminGroups: []string{"palisade-admins"}, ViewerGroups: []string{"palisade-viewers", "auditors"}}
		if set != nil {
			set(o, &cfg)
		}
		c, err := sso.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		o.SSO = c
	})
}

// startSSO clicks "Log in with" and returns the provider's authorization
// URL the console sends the browser to.
func (b *browser) startSSO(next string, p *testProvider) string {
	b.t.Helper()
	a := b.get("/login/oidc?next=" + url.QueryEscape(next))
	loc := a.header.Get("Location")
	if a.status != http.StatusSeeOther || !strings.HasPrefix(loc, p.issuer+"/") {
		b.t.Fatalf("/login/oidc: %d to %q, want a redirect to the provider: %s", a.status, loc, a.body)
	}
	return loc
}

// ssoLogin logs in at the provider as user and returns the console's
// answer to the callback.
func (b *browser) ssoLogin(user, next string, p *testProvider) answer {
	b.t.Helper()
	return b.getURL(b.atProvider(b.startSSO(next, p), user))
}

// setsSession reports whether an answer opens a session.
func setsSession(a answer) bool {
	for _, c := range a.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, CookieName+"=") && !strings.HasPrefix(c, CookieName+"=;") {
			return true
		}
	}
	return false
}

// logBuffer collects a console's log for a test to read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), l), nil))
}

func TestSSOLoginPage(t *testing.T) {
	p := newProvider(t)
	svc, _, _ := consoletest.New(t)
	s := newSSOConsole(t, svc, p, "", nil)
	a := s.browser(t).get("/login?next=" + url.QueryEscape("/events?cluster=east"))
	if a.status != http.StatusOK || !strings.Contains(a.body, `<a class="button" href="/login/oidc?next=%2Fevents%3Fcluster%3Deast" id="login-sso">Log in with Example IdP</a>`) {
		t.Errorf("login page: %d, want the single sign-on link:\n%s", a.status, a.body)
	}
	if !strings.Contains(a.body, `id="token"`) {
		t.Error("the token form is gone from the login page")
	}
	if a := newConsole(t).browser(t).get("/login"); strings.Contains(a.body, "login-sso") {
		t.Error("a console without single sign-on links to it")
	}
}

// Users log in at the provider and get the role their groups map to;
// a user in none of the console's groups gets no session.
func TestSSORoles(t *testing.T) {
	p := newProvider(t)
	svc, _, _ := consoletest.New(t)
	var log logBuffer
	s := newSSOConsole(t, svc, p, "", func(o *Options, _ *sso.Config) { o.Logger = log.logger(t) })
	for _, tc := range []struct {
		user, role string
	}{
		{"alice", "admin"}, // in the admin and the viewer group: admin wins
		{"bob", "viewer"},
		{"dave", "viewer"}, // groups sent at the userinfo endpoint only
	} {
		t.Run(tc.user, func(t *testing.T) {
			b := s.browser(t)
			auth := b.startSSO("/clusters", p)
			q := mustParse(t, auth).Query()
			if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
				t.Fatalf("authorization URL %s lacks PKCE (S256), a nonce or a state", auth)
			}
			a := b.getURL(b.atProvider(auth, tc.user))
			if a.status != http.StatusOK || !setsSession(a) || !strings.Contains(a.body, `<meta http-equiv="refresh" content="0;url=/clusters">`) {
				t.Fatalf("callback: %d, want a session and a page moving on to /clusters: %v\n%s", a.status, a.header.Values("Set-Cookie"), a.body)
			}
			for _, c := range a.header.Values("Set-Cookie") {
				if strings.HasPrefix(c, CookieName+"=") && (!strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict")) {
					t.Errorf("session cookie %q", c)
				}
			}
			// The code was exchanged with the verifier of the challenge.
			if v := p.lastTokenForm().Get("code_verifier"); v == "" || oauth2.S256ChallengeFromVerifier(v) != q.Get("code_challenge") {
				t.Errorf("the token request's code_verifier %q does not match the challenge", v)
			}
			page := b.get("/clusters")
			if page.status != http.StatusOK || !strings.Contains(page.body, `<span id="role" class="role role-`+tc.role+`">`) ||
				!strings.Contains(page.body, `<span id="user" class="user">`+tc.user+`@example.com</span>`) {
				t.Fatalf("/clusters after login: %d, want role %s and the user:\n%s", page.status, tc.role, page.body)
			}
			a = b.post("/clusters/new", url.Values{"name": {"east-" + tc.user}, "csrf": {b.csrf()}})
			if want := map[string]int{"admin": http.StatusCreated, "viewer": http.StatusForbidden}[tc.role]; a.status != want {
				t.Errorf("registering a cluster as %s: %d, want %d", tc.role, a.status, want)
			}
		})
	}

	t.Run("carol", func(t *testing.T) {
		b := s.browser(t)
		a := b.ssoLogin("carol", "/policies", p)
		if a.status != http.StatusForbidden || setsSession(a) {
			t.Fatalf("a user in no console group: %d, cookies %v; want 403 and no session", a.status, a.header.Values("Set-Cookie"))
		}
		for _, want := range []string{"carol@example.com", "&#34;groups&#34; claim", "it listed staff"} {
			if !strings.Contains(a.body, want) {
				t.Errorf("the refusal does not say %q:\n%s", want, a.body)
			}
		}
		if a := b.get("/policies"); a.status != http.StatusSeeOther {
			t.Errorf("after the refusal, /policies answers %d", a.status)
		}
	})

	if strings.Contains(log.String(), "secret-of-") {
		t.Error("the client secret is in the log")
	}
	if !strings.Contains(log.String(), `msg="UI login" role=admin user=alice@example.com subject=id-alice method=oidc`) {
		t.Errorf("the log does not record alice's login:\n%s", log.String())
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// A callback is honoured once, in the browser that started its login.
func TestSSOStateIsCheckedAndUsedOnce(t *testing.T) {
	p := newProvider(t)
	svc, _, _ := consoletest.New(t)
	s := newSSOConsole(t, svc, p, "", nil)

	t.Run("tampered", func(t *testing.T) {
		b := s.browser(t)
		cb := mustParse(t, b.atProvider(b.startSSO("/policies", p), "alice"))
		q := cb.Query()
		q.Set("state", q.Get("state")+"x")
		cb.RawQuery = q.Encode()
		if a := b.getURL(cb.String()); a.status != http.StatusBadRequest || setsSession(a) ||
			!strings.Contains(a.body, "did not start in this browser") {
			t.Fatalf("a tampered state: %d, %v", a.status, a.header.Values("Set-Cookie"))
		}
	})

	t.Run("another browser's", func(t *testing.T) {
		// A login forced on a victim: the attacker's own callback URL,
		// opened in the victim's browser.
		attacker, victim := s.browser(t), s.browser(t)
		cb := attacker.atProvider(attacker.startSSO("/policies", p), "alice")
		victim.startSSO("/policies", p) // the victim has a login of its own under way
		if a := victim.getURL(cb); a.status != http.StatusBadRequest || setsSession(a) {
			t.Fatalf("another browser's callback: %d, %v", a.status, a.header.Values("Set-Cookie"))
		}
	})

	t.Run("replayed", func(t *testing.T) {
		b := s.browser(t)
		cb := b.atProvider(b.startSSO("/policies", p), "bob")
		state := mustParse(t, cb).Query().Get("state")
		if a := b.getURL(cb); a.status != http.StatusOK || !setsSession(a) {
			t.Fatalf("login: %d", a.status)
		}
		if a := b.getURL(cb); a.status != http.StatusBadRequest || setsSession(a) {
			t.Errorf("the callback again: %d, %v", a.status, a.header.Values("Set-Cookie"))
		}
		// Even with the state cookie put back (someone who saw both).
		other := s.browser(t)
		other.http.Jar.SetCookies(mustParse(t, s.URL+"/login/oidc"), []*http.Cookie{{Name: stateCookie, Value: state, Path: "/login/oidc"}})
		if a := other.getURL(cb); a.status != http.StatusBadRequest || setsSession(a) || !strings.Contains(a.body, "finished already") {
			t.Errorf("the callback replayed with its state cookie: %d, %v\n%s", a.status, a.header.Values("Set-Cookie"), a.body)
		}
	})

	t.Run("refused by the provider", func(t *testing.T) {
		b := s.browser(t)
		state := mustParse(t, b.startSSO("/policies", p)).Query().Get("state")
		a := b.get(sso.CallbackPath + "?" + url.Values{"state": {state}, "error": {"access_denied"}, "error_description": {"the user said no"}}.Encode())
		if a.status != http.StatusUnauthorized || setsSession(a) || !strings.Contains(a.body, "access_denied (the user said no)") {
			t.Errorf("an error from the provider: %d\n%s", a.status, a.body)
		}
	})
}

// The console verifies the ID token it is given: one issued to another
// client, for another login or expired is refused, however validly signed.
func TestSSORefusesIDTokensNotForThisLogin(t *testing.T) {
	p := newProvider(t)
	svc, _, _ := consoletest.New(t)
	var log logBuffer
	s := newSSOConsole(t, svc, p, "", func(o *Options, _ *sso.Config) { o.Logger = log.logger(t) })
	late := newSSOConsole(t, svc, p, "", func(o *Options, c *sso.Config) {
		c.Now = func() time.Time { return time.Now().Add(2 * time.Hour) } // past the ID token's hour
	})
	const otherCallback = "http://127.0.0.1:9/other/callback"
	p.client("other", otherCallback)

	// tokenFor logs user in at the provider as the client "other" with
	// the given nonce and returns the ID token it gets.
	tokenFor := func(user, nonce string) string {
		b := s.browser(t)
		cfg := oauth2.Config{ClientID: "other", ClientSecret: "secret-of-other", RedirectURL: otherCallback, Scopes: []string{"openid"},
			Endpoint: oauth2.Endpoint{AuthURL: p.issuer + "/auth", TokenURL: p.issuer + "/oauth/token"}}
		cb := mustParse(t, b.atProvider(cfg.AuthCodeURL("s", oauth2.SetAuthURLParam("nonce", nonce)), user))
		if _, err := cfg.Exchange(t.Context(), cb.Query().Get("code")); err != nil {
			t.Fatal(err)
		}
		return p.lastIDToken()
	}

	t.Run("another client's", func(t *testing.T) {
		b := s.browser(t)
		auth := b.startSSO("/policies", p)
		p.swapNext(tokenFor("alice", mustParse(t, auth).Query().Get("nonce")))
		if a := b.getURL(b.atProvider(auth, "alice")); a.status != http.StatusUnauthorized || setsSession(a) {
			t.Fatalf("an ID token for another client: %d, %v", a.status, a.header.Values("Set-Cookie"))
		}
		if !strings.Contains(log.String(), "expected audience") {
			t.Errorf("the log does not say the audience was wrong:\n%s", log.String())
		}
	})

	t.Run("another login's", func(t *testing.T) {
		// The same user's: nothing but the nonce tells the logins apart.
		first := s.browser(t)
		if a := first.ssoLogin("alice", "/policies", p); a.status != http.StatusOK {
			t.Fatalf("first login: %d", a.status)
		}
		b := s.browser(t)
		auth := b.startSSO("/policies", p)
		p.swapNext(p.lastIDToken())
		if a := b.getURL(b.atProvider(auth, "alice")); a.status != http.StatusUnauthorized || setsSession(a) {
			t.Fatalf("an ID token of another login: %d, %v", a.status, a.header.Values("Set-Cookie"))
		}
		if !strings.Contains(log.String(), "its nonce is not this login") {
			t.Errorf("the log does not say the nonce was wrong:\n%s", log.String())
		}
	})

	t.Run("expired", func(t *testing.T) {
		b := late.browser(t)
		if a := b.ssoLogin("alice", "/policies", p); a.status != http.StatusUnauthorized || setsSession(a) {
			t.Fatalf("an expired ID token: %d, %v", a.status, a.header.Values("Set-Cookie"))
		}
	})
}

// The provider is found at the first login, not at start: while it cannot
// be reached (or says it is another issuer) the login page says so, token
// logins work, and once it is back logins do.
func TestSSOProviderUnavailable(t *testing.T) {
	p := newProvider(t)
	svc, _, _ := consoletest.New(t)
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := newSSOConsole(t, svc, p, "", func(o *Options, c *sso.Config) { o.Now, c.Now = clock, clock })
	p.setDown(true)
	b := s.browser(t)
	a := b.get("/login/oidc?next=/events")
	if a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "cannot reach the identity provider at "+p.issuer) ||
		!strings.Contains(a.body, `href="/login/oidc?next=%2Fevents"`) {
		t.Fatalf("provider down: %d\n%s", a.status, a.body)
	}
	b.login(adminToken)
	b.post("/logout", url.Values{"csrf": {b.csrf()}})

	p.setDown(false)
	mu.Lock()
	now = now.Add(6 * time.Second) // past the failed discovery's retry delay
	mu.Unlock()
	if a := b.ssoLogin("alice", "/events", p); a.status != http.StatusOK || !setsSession(a) {
		t.Fatalf("provider back: %d\n%s", a.status, a.body)
	}

	// A provider that says it is another issuer than the one configured.
	wrong := newSSOConsole(t, svc, p, "", func(_ *Options, c *sso.Config) {
		c.IssuerURL = strings.Replace(p.issuer, "localhost", "127.0.0.1", 1)
	})
	if a := wrong.browser(t).get("/login/oidc"); a.status != http.StatusServiceUnavailable || a.header.Get("Location") != "" {
		t.Errorf("issuer mismatch: %d to %q", a.status, a.header.Get("Location"))
	}
}

// A login sent to the provider by one console replica finishes at another
// (both behind one external URL, on one store).
func TestSSOLoginFinishesAtAnotherConsole(t *testing.T) {
	p := newProvider(t)
	svc, st, reg := consoletest.New(t)
	one := newSSOConsole(t, svc, p, "", nil)
	two := newSSOConsole(t, service.New(service.Options{Store: st, Registry: reg}), p, one.URL, nil)
	b := one.browser(t)
	cb := mustParse(t, b.atProvider(b.startSSO("/events", p), "alice"))
	b.srv = two // the load balancer sends the callback to the other replica
	a := b.get(cb.RequestURI())
	if a.status != http.StatusOK || !setsSession(a) {
		t.Fatalf("callback at the other console: %d\n%s", a.status, a.body)
	}
	if a := b.get("/events"); a.status != http.StatusOK || !strings.Contains(a.body, "alice@example.com") {
		t.Fatalf("/events at the other console: %d", a.status)
	}
	b.srv = one
	if a := b.get("/events"); a.status != http.StatusOK {
		t.Fatalf("/events at the first console: %d", a.status)
	}
}

// Logins sent to the provider and never finished count as failed logins:
// a client cannot fill the store with them.
func TestSSOUnfinishedLoginsAreThrottled(t *testing.T) {
	p := newProvider(t)
	svc, _, _ := consoletest.New(t)
	s := newSSOConsole(t, svc, p, "", nil)
	b := s.browser(t)
	for range loginFailures {
		b.startSSO("/policies", p)
	}
	if a := b.get("/login/oidc"); a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
		t.Fatalf("login %d: %d, want 429", loginFailures+1, a.status)
	}
}

// TestBrowserSSO logs in through the provider in headless chromium: the
// provider is another site (localhost) than the console (127.0.0.1), so
// the browser applies its cross-site cookie rules as it would in
// production: the state cookie (SameSite=Lax) must reach the callback,
// and the session cookie (SameSite=Strict) the page after it.
func TestBrowserSSO(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := newProvider(t)
	svc, _, _ := consoletest.New(t)
	s := newSSOConsole(t, svc, p, "", nil)
	b := &tab{t: t, ctx: newBrowser(t, ctx)}
	b.do("log in with the provider",
		chromedp.Navigate(s.URL+"/events"),
		clickLoads("#login-sso"),
		visible("#username"),
		typeInto("#username", "alice"),
		typeInto("#password", providerPassword),
		click("button[type=submit]"),
		visible("#nav-events"),
	)
	if user, role := b.text("#user"), b.text("#role"); user != "alice@example.com" || role != "admin" {
		t.Errorf("header: user %q, role %q; want alice@example.com, admin", user, role)
	}
	if loc := b.read("location", chromedp.Location()); loc != s.URL+"/events" {
		t.Errorf("after login the browser is at %s, want %s/events", loc, s.URL)
	}
}

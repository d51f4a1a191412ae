package ui

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/palisade-dev/palisade/internal/console/sso"
	"github.com/palisade-dev/palisade/internal/console/store"
)

// Single sign-on: GET /login/oidc sends the browser to the identity
// provider (authorization code with PKCE); the provider sends it back to
// GET /login/oidc/callback, which opens the same kind of session a token
// login does, with the role the user's groups map to.
//
// The login under way (PKCE verifier, nonce, where to go next) is kept in
// the store under the SHA-256 of its state, so that a login started at one
// console replica can finish at another, and it is taken (deleted) at the
// callback, so that a callback is honoured once. The state itself is in a
// short-lived cookie of the browser that started the login: a callback
// whose state is not the browser's own (a login forced on it by another
// site) is refused before anything is looked up.
const (
	// stateCookie holds the state of the browser's login under way.
	stateCookie = "palisade_oidc_state"
	// oidcLoginTTL is how long a login may take at the provider.
	oidcLoginTTL = 10 * time.Minute
	// maxGroupsShown bounds the groups a refusal page lists.
	maxGroupsShown = 20
)

// startOIDC sends the browser to the identity provider. A start counts as
// a failed login of the client until its callback opens a session, so a
// client cannot fill the store with logins it never finishes.
func (u *UI) startOIDC(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	next := safeNext(r.URL.Query().Get("next"))
	if u.sessionFrom(r) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	state, err := randomString()
	if err != nil {
		u.internal(w, r, &page{Title: "Log in"}, err)
		return
	}
	nonce, err := randomString()
	if err != nil {
		u.internal(w, r, &page{Title: "Log in"}, err)
		return
	}
	verifier := oauth2.GenerateVerifier()
	to, err := u.opts.SSO.AuthCodeURL(r.Context(), state, nonce, verifier)
	if err != nil {
		u.ssoFailed(w, r, next, err)
		return
	}
	// Counted once the provider is known to be there: a client is not
	// throttled for clicking while it is down.
	wait, err := u.logins.begin(r.Context(), u.opts.Proxies.Client(r))
	if err != nil {
		u.internal(w, r, &page{Title: "Log in"}, err)
		return
	}
	if wait > 0 {
		if u.opts.LoginThrottled != nil {
			u.opts.LoginThrottled()
		}
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		u.loginError(w, r, http.StatusTooManyRequests, next, "Too many failed or unfinished logins from your address: wait a minute and try again.")
		return
	}
	now := u.opts.Now()
	l := store.OIDCLogin{StateHash: idHash(state), Verifier: verifier, Nonce: nonce, Next: next, Expires: now.Add(oidcLoginTTL)}
	if err := u.opts.Service.StartOIDCLogin(r.Context(), l, now); err != nil {
		u.internal(w, r, &page{Title: "Log in"}, err)
		return
	}
	http.SetCookie(w, u.stateCookie(r, state, int(oidcLoginTTL/time.Second)))
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// oidcCallback finishes a login the provider sends back.
func (u *UI) oidcCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	// The state cookie serves one callback, whatever becomes of it.
	http.SetCookie(w, u.stateCookie(r, "", -1))
	q := r.URL.Query()
	state := q.Get("state")
	c, err := r.Cookie(stateCookie)
	if state == "" || err != nil || subtle.ConstantTimeCompare([]byte(state), []byte(c.Value)) != 1 {
		u.opts.Logger.Info("UI single sign-on refused: the state is not this browser's", "remote", r.RemoteAddr)
		u.loginError(w, r, http.StatusBadRequest, "", "This login did not start in this browser (or its cookie expired): log in again.")
		return
	}
	l, err := u.opts.Service.TakeOIDCLogin(r.Context(), idHash(state), u.opts.Now())
	if errors.Is(err, store.ErrNotFound) {
		u.opts.Logger.Info("UI single sign-on refused: the login was used already or expired", "remote", r.RemoteAddr)
		u.loginError(w, r, http.StatusBadRequest, "", "This login was finished already or took too long: log in again.")
		return
	}
	if err != nil {
		u.internal(w, r, &page{Title: "Log in"}, err)
		return
	}
	if e := q.Get("error"); e != "" {
		msg := "The identity provider did not log you in: " + e
		if d := q.Get("error_description"); d != "" {
			msg += " (" + d + ")"
		}
		u.opts.Logger.Info("UI single sign-on refused by the identity provider", "error", e, "remote", r.RemoteAddr)
		u.loginError(w, r, http.StatusUnauthorized, l.Next, msg+".")
		return
	}
	user, err := u.opts.SSO.Exchange(r.Context(), q.Get("code"), l.Verifier, l.Nonce)
	if err != nil {
		u.ssoFailed(w, r, l.Next, err)
		return
	}
	role := roleNamed(u.opts.SSO.Role(user))
	if role == RoleNone {
		u.opts.Logger.Info("UI single sign-on refused: no admin or viewer group", "user", user.Name, "subject", user.Subject,
			"groupsClaim", u.opts.SSO.GroupsClaim(), "groups", user.Groups)
		u.fail(w, r, &page{}, http.StatusForbidden, noRoleMessage(user, u.opts.SSO.GroupsClaim()))
		return
	}
	if err := u.logins.succeeded(r.Context(), u.opts.Proxies.Client(r)); err != nil {
		u.internal(w, r, &page{Title: "Log in"}, err)
		return
	}
	id, _, err := u.sessions.create(r.Context(), role, user.Subject, user.Name)
	if err != nil {
		u.internal(w, r, &page{}, err)
		return
	}
	u.opts.Logger.Info("UI login", "role", role.String(), "user", user.Name, "subject", user.Subject, "method", "oidc", "remote", r.RemoteAddr)
	u.opts.Service.RecordLogin(u.withActor(r, role).Context(), role.String()+" (single sign-on: "+user.Name+")")
	http.SetCookie(w, u.sessionCookie(r, id, int(SessionTTL/time.Second)))
	// The session cookie is SameSite=Strict, and this answer ends a chain
	// of redirects that began at the provider's site: a browser would not
	// send the cookie with a redirect from here. A page of this site that
	// moves on by itself starts a same-site navigation, which does.
	u.render(w, r, http.StatusOK, "continue", &page{Title: "Logged in", Data: continueData{Next: safeNext(l.Next), Role: role, User: user.Name}})
}

// continueData is what the page after a single sign-on login shows.
type continueData struct {
	Next string
	Role Role
	User string
}

// ssoFailed answers a login the provider or its answer failed.
func (u *UI) ssoFailed(w http.ResponseWriter, r *http.Request, next string, err error) {
	u.opts.Logger.Warn("UI single sign-on failed", "issuer", u.opts.SSO.IssuerURL(), "remote", r.RemoteAddr, "err", err)
	switch {
	case errors.Is(err, sso.ErrDiscovery):
		u.loginError(w, r, http.StatusServiceUnavailable, next, "Single sign-on is unavailable: the console cannot reach the identity provider at "+
			u.opts.SSO.IssuerURL()+". Try again in a moment, or log in with a token.")
	case errors.Is(err, sso.ErrExchange):
		u.loginError(w, r, http.StatusBadGateway, next, "The identity provider did not complete the login (the details are in the console's log): log in again.")
	default:
		u.loginError(w, r, http.StatusUnauthorized, next, "The identity provider's answer failed the console's checks (the details are in the console's log): log in again.")
	}
}

// noRoleMessage says why a user who did log in at the provider gets no
// session: which claim was read and what it held.
func noRoleMessage(user sso.User, claim string) string {
	groups := "it was missing or empty"
	if len(user.Groups) > 0 {
		shown := user.Groups
		if len(shown) > maxGroupsShown {
			shown = shown[:maxGroupsShown]
		}
		groups = "it listed " + strings.Join(shown, ", ")
		if len(user.Groups) > maxGroupsShown {
			groups += " and " + strconv.Itoa(len(user.Groups)-maxGroupsShown) + " more"
		}
	}
	return "You are logged in at the identity provider as " + user.Name + ", but none of your groups gives access to this console. " +
		"The console reads your groups from the ID token's \"" + claim + "\" claim, and " + groups + ". " +
		"Ask an administrator to add you to one of the console's admin or viewer groups (or, when the claim is missing, " +
		"to have the provider send it: some providers need a scope for it, e.g. Dex's groups)."
}

// loginError shows the login page with an error at the top.
func (u *UI) loginError(w http.ResponseWriter, r *http.Request, status int, next, msg string) {
	u.render(w, r, status, "login", &page{Title: "Log in", Error: msg, Data: u.loginData(safeNext(next))})
}

// stateCookie carries a login's state to its callback: SameSite=Lax,
// because the callback is a navigation from the provider's site, and only
// sent to the single sign-on paths.
func (u *UI) stateCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: stateCookie, Value: value, Path: "/login/oidc", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: u.opts.Proxies.HTTPS(r),
	}
}

// ssoPath is the link that starts a single sign-on login, going to next.
func ssoPath(next string) string {
	return "/login/oidc?next=" + url.QueryEscape(next)
}

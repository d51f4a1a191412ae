package ui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/store"
)

// Role is what a session may do.
type Role int

// Roles, least to most privileged.
const (
	RoleNone Role = iota
	RoleViewer
	RoleAdmin
)

func (r Role) String() string {
	switch r {
	case RoleAdmin:
		return "admin"
	case RoleViewer:
		return "viewer"
	}
	return "none"
}

// Session settings.
const (
	// CookieName is the session cookie.
	CookieName = "palisade_session"
	// SessionTTL is how long a session lasts from login.
	SessionTTL = 12 * time.Hour
	// csrfField is the hidden input every POST form carries.
	csrfField = "csrf"
)

// session is one logged-in browser. Sessions are kept in the console's
// store, so every console process on it knows them and a restart logs
// nobody out.
type session struct {
	role    Role
	csrf    string
	expires time.Time
	// user is who logged in through single sign-on ("" for a token).
	user string
}

// sessions reads and writes sessions through the service, by the SHA-256
// of their ID: the ID (the cookie) is never stored.
type sessions struct {
	svc *service.Service
	now func() time.Time
}

// randomString returns 256 random bits, URL-safe.
func randomString() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func idHash(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// create starts a session for role and returns its ID (the cookie value);
// subject and user say who logged in through single sign-on ("" for a
// token login).
func (s *sessions) create(ctx context.Context, role Role, subject, user string) (string, *session, error) {
	id, err := randomString()
	if err != nil {
		return "", nil, err
	}
	csrf, err := randomString()
	if err != nil {
		return "", nil, err
	}
	now := s.now()
	sess := &session{role: role, csrf: csrf, expires: now.Add(SessionTTL), user: user}
	st := store.Session{IDHash: idHash(id), Role: role.String(), CSRF: csrf, Expires: sess.expires, Subject: subject, User: user}
	if err := s.svc.CreateSession(ctx, st, now); err != nil {
		return "", nil, err
	}
	return id, sess, nil
}

// get returns the live session with the given ID, or nil when there is
// none (or it expired).
func (s *sessions) get(ctx context.Context, id string) (*session, error) {
	if id == "" {
		return nil, nil
	}
	st, err := s.svc.Session(ctx, idHash(id), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	role := roleNamed(st.Role)
	if role == RoleNone {
		return nil, nil
	}
	return &session{role: role, csrf: st.CSRF, expires: st.Expires, user: st.User}, nil
}

// roleNamed is the role a session stores as name (RoleNone for any other).
func roleNamed(name string) Role {
	switch name {
	case RoleAdmin.String():
		return RoleAdmin
	case RoleViewer.String():
		return RoleViewer
	}
	return RoleNone
}

func (s *sessions) delete(ctx context.Context, id string) error {
	return s.svc.EndSession(ctx, idHash(id))
}

// validCSRF compares a submitted CSRF token with the session's in constant
// time.
func (sess *session) validCSRF(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) == 1
}

// sessionFrom returns the request's session, or nil. A store that cannot
// be read is logged and taken as no session: the browser is sent to log in,
// where the failure is shown.
func (u *UI) sessionFrom(r *http.Request) *session {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil
	}
	sess, err := u.sessions.get(r.Context(), c.Value)
	if err != nil {
		u.opts.Logger.Error("UI session could not be read", "err", err)
		return nil
	}
	return sess
}

// roleFor resolves a login token: only the admin and viewer tokens log in
// (agent tokens do not). Comparisons run in constant time.
func (u *UI) roleFor(token string) Role {
	if token == "" {
		return RoleNone
	}
	if u.opts.AdminToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(u.opts.AdminToken)) == 1 {
		return RoleAdmin
	}
	if u.opts.ViewerToken != "" && subtle.ConstantTimeCompare([]byte(token), []byte(u.opts.ViewerToken)) == 1 {
		return RoleViewer
	}
	return RoleNone
}

// sessionCookie is Secure when the browser reached the console over HTTPS:
// directly, or through a trusted proxy that says so (X-Forwarded-Proto).
func (u *UI) sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: CookieName, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: u.opts.Proxies.HTTPS(r),
	}
}

package ui

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"time"
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

// session is one logged-in browser. Sessions live in memory only, so a
// console restart logs everybody out.
type session struct {
	role    Role
	csrf    string
	expires time.Time
}

// sessions holds the live sessions keyed by the SHA-256 of their ID, so
// the map lookup does not compare the secret itself.
type sessions struct {
	mu  sync.Mutex
	m   map[[sha256.Size]byte]*session
	now func() time.Time
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{m: map[[sha256.Size]byte]*session{}, now: now}
}

// randomString returns 256 random bits, URL-safe.
func randomString() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// create starts a session for role and returns its ID (the cookie value).
func (s *sessions) create(role Role) (string, *session, error) {
	id, err := randomString()
	if err != nil {
		return "", nil, err
	}
	csrf, err := randomString()
	if err != nil {
		return "", nil, err
	}
	now := s.now()
	sess := &session{role: role, csrf: csrf, expires: now.Add(SessionTTL)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.m { // logins are rare: sweep expired sessions here
		if !now.Before(v.expires) {
			delete(s.m, k)
		}
	}
	s.m[sha256.Sum256([]byte(id))] = sess
	return id, sess, nil
}

// get returns the live session with the given ID, or nil.
func (s *sessions) get(id string) *session {
	if id == "" {
		return nil
	}
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[k]
	if !ok {
		return nil
	}
	if !s.now().Before(sess.expires) {
		delete(s.m, k)
		return nil
	}
	return sess
}

func (s *sessions) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sha256.Sum256([]byte(id)))
}

// validCSRF compares a submitted CSRF token with the session's in constant
// time.
func (sess *session) validCSRF(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.csrf)) == 1
}

// sessionFrom returns the request's session, or nil.
func (u *UI) sessionFrom(r *http.Request) *session {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil
	}
	return u.sessions.get(c.Value)
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

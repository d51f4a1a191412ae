package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// The identity provider's users, all with password providerPassword, and
// the groups the provider says they are in.
const providerPassword = "verysecure"

var providerUsers = []struct {
	name   string
	groups []string
	// userinfoOnly: the groups are sent at the userinfo endpoint, not in
	// the ID token (as some providers do when there are many).
	userinfoOnly bool
}{
	{name: "alice", groups: []string{"staff", "palisade-admins", "palisade-viewers"}},
	{name: "bob", groups: []string{"palisade-viewers"}},
	{name: "carol", groups: []string{"staff"}},
	{name: "dave", groups: []string{"palisade-viewers"}, userinfoOnly: true},
}

// testProvider is a real OpenID Connect provider on loopback: zitadel/oidc's
// example OP (its protocol handlers, in-memory storage and login form),
// with the users above, a groups claim, clients registered by the tests,
// and a hook on its token endpoint that can swap the ID token it answers
// with (a provider that mixes up its clients or logins).
type testProvider struct {
	t      *testing.T
	issuer string
	store  *providerStorage

	mu sync.Mutex
	// issued are the ID tokens the token endpoint answered with, in order;
	// tokenForms the token requests' forms.
	issued     []string
	tokenForms []url.Values
	// swap, when not "", replaces the ID token of the next token answer.
	swap string
	// down makes every request fail with 503.
	down bool
}

// newProvider serves a provider at http://localhost:<port> (another site
// than the consoles at 127.0.0.1, as a real provider is).
func newProvider(t *testing.T) *testProvider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p := &testProvider{t: t, issuer: "http://localhost:" + port}
	users := providerUserStore{}
	p.store = &providerStorage{clients: map[string]*storage.Client{}, groups: map[string][]string{}, userinfoOnly: map[string]bool{}}
	for _, u := range providerUsers {
		users[u.name] = &storage.User{ID: "id-" + u.name, Username: u.name, Password: providerPassword,
			FirstName: strings.ToUpper(u.name[:1]) + u.name[1:], LastName: "Example", Email: u.name + "@example.com",
			EmailVerified: true, PreferredLanguage: language.English}
		p.store.groups["id-"+u.name] = u.groups
		p.store.userinfoOnly["id-"+u.name] = u.userinfoOnly
	}
	p.store.Storage = storage.NewStorageWithClients(users, map[string]*storage.Client{})
	router := exampleop.SetupServer(p.issuer, p.store, nil, false)
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: p.hook(router)}}
	srv.Start()
	t.Cleanup(srv.Close)
	return p
}

// client registers an OAuth client (a confidential web client) with the
// provider, or adds redirect URIs to it, and returns its secret.
func (p *testProvider) client(id string, redirectURIs ...string) string {
	secret := "secret-of-" + id
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	if c, ok := p.store.clients[id]; ok {
		redirectURIs = append(c.RedirectURIs(), redirectURIs...)
	}
	p.store.clients[id] = storage.WebClient(id, secret, redirectURIs...)
	return secret
}

// hook records the token endpoint's requests and answers and swaps the ID
// token when asked to.
func (p *testProvider) hook(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path != "/oauth/token" {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		out := rec.Body.Bytes()
		var answer map[string]any
		p.mu.Lock()
		p.tokenForms = append(p.tokenForms, form)
		if json.Unmarshal(out, &answer) == nil && answer["id_token"] != nil {
			p.issued = append(p.issued, answer["id_token"].(string))
			if p.swap != "" {
				answer["id_token"], p.swap = p.swap, ""
				out, _ = json.Marshal(answer)
			}
		}
		p.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(out)
	})
}

// lastIDToken is the ID token the provider issued last.
func (p *testProvider) lastIDToken() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.issued) == 0 {
		p.t.Fatal("the provider issued no ID token")
	}
	return p.issued[len(p.issued)-1]
}

// swapNext makes the next token answer carry idToken as its ID token.
func (p *testProvider) swapNext(idToken string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.swap = idToken
}

func (p *testProvider) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

func (p *testProvider) lastTokenForm() url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.tokenForms) == 0 {
		p.t.Fatal("no token request reached the provider")
	}
	return p.tokenForms[len(p.tokenForms)-1]
}

// providerStorage is the example storage with clients the tests register
// while it serves, and a groups claim: in the ID token, or for the
// userinfoOnly users at the userinfo endpoint only.
type providerStorage struct {
	*storage.Storage

	mu           sync.Mutex
	clients      map[string]*storage.Client
	groups       map[string][]string
	userinfoOnly map[string]bool
}

func (s *providerStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	if !ok {
		return nil, fmt.Errorf("client %q not found", id)
	}
	return c, nil
}

func (s *providerStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[id]; !ok || "secret-of-"+c.GetID() != secret {
		return fmt.Errorf("client %q: wrong secret", id)
	}
	return nil
}

func (s *providerStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	if g, ok := s.groups[req.GetSubject()]; ok && !s.userinfoOnly[req.GetSubject()] {
		info.AppendClaims("groups", g)
	}
	return nil
}

func (s *providerStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	if g, ok := s.groups[subject]; ok {
		info.AppendClaims("groups", g)
	}
	return nil
}

// providerUserStore is the provider's users, by username.
type providerUserStore map[string]*storage.User

func (u providerUserStore) GetUserByID(id string) *storage.User {
	for _, user := range u {
		if user.ID == id {
			return user
		}
	}
	return nil
}

func (u providerUserStore) GetUserByUsername(name string) *storage.User { return u[name] }
func (u providerUserStore) ExampleClientID() string                     { return storage.ServiceUserID }

// The provider's login form.
var providerLoginID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// getURL fetches an absolute URL (the provider's, or a console's).
func (b *browser) getURL(raw string) answer {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, raw, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// atProvider takes the browser from the provider's authorization URL
// through its login form as user, and returns where the provider sends it
// back to (the console's callback, with the code and state).
func (b *browser) atProvider(authURL, user string) string {
	b.t.Helper()
	at, err := url.Parse(authURL)
	if err != nil {
		b.t.Fatal(err)
	}
	a := b.getURL(authURL)
	for a.status == http.StatusFound || a.status == http.StatusSeeOther {
		at = b.resolve(at, a.header.Get("Location"))
		a = b.getURL(at.String())
	}
	m := providerLoginID.FindStringSubmatch(a.body)
	if a.status != http.StatusOK || m == nil {
		b.t.Fatalf("the provider's login form: %d %s", a.status, a.body)
	}
	form := url.Values{"id": {htmlUnescape(m[1])}, "username": {user}, "password": {providerPassword}}
	req, err := http.NewRequest(http.MethodPost, at.ResolveReference(&url.URL{Path: "/login/username"}).String(), strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	a = b.do(req)
	for a.status == http.StatusFound || a.status == http.StatusSeeOther {
		next := b.resolve(at, a.header.Get("Location"))
		if next.Host != at.Host {
			return next.String()
		}
		at = next
		a = b.getURL(at.String())
	}
	b.t.Fatalf("the provider did not send the browser back: %d %s", a.status, a.body)
	return ""
}

func (b *browser) resolve(base *url.URL, loc string) *url.URL {
	b.t.Helper()
	u, err := base.Parse(loc)
	if err != nil {
		b.t.Fatal(err)
	}
	return u
}

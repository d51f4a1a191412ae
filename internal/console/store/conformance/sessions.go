package conformance

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
)

func hashOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func testSessions(t *testing.T, s store.Store) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	a := store.Session{IDHash: hashOf("a"), Role: "admin", CSRF: "csrf-a", Expires: now.Add(time.Hour),
		Subject: "248289761001", User: "jane@example.com"}
	b := store.Session{IDHash: hashOf("b"), Role: "viewer", CSRF: "csrf-b", Expires: now.Add(2 * time.Hour)}
	must(t, "create a", s.CreateSession(ctx(t), a, now))
	must(t, "create b", s.CreateSession(ctx(t), b, now))

	got, err := s.GetSession(ctx(t), hashOf("a"), now)
	must(t, "get a", err)
	if !bytes.Equal(got.IDHash, a.IDHash) || got.Role != "admin" || got.CSRF != "csrf-a" ||
		got.Subject != a.Subject || got.User != a.User {
		t.Errorf("session a read back as %+v", got)
	}
	sameInstant(t, "a expires", got.Expires, a.Expires)
	if got, err := s.GetSession(ctx(t), hashOf("b"), now); err != nil || got.Subject != "" || got.User != "" {
		t.Errorf("session b (a token login) read back as %+v, %v", got, err)
	}

	_, err = s.GetSession(ctx(t), hashOf("unknown"), now)
	wantErr(t, "an unknown session", err, store.ErrNotFound)
	_, err = s.GetSession(ctx(t), hashOf("a"), a.Expires)
	wantErr(t, "a session at its expiry", err, store.ErrNotFound)
	if _, err := s.GetSession(ctx(t), hashOf("b"), a.Expires); err != nil {
		t.Errorf("b, an hour before its expiry: %v", err)
	}

	// A later login sweeps a away; b lives on.
	c := store.Session{IDHash: hashOf("c"), Role: "viewer", CSRF: "csrf-c", Expires: a.Expires.Add(3 * time.Hour)}
	must(t, "create c", s.CreateSession(ctx(t), c, a.Expires))
	_, err = s.GetSession(ctx(t), hashOf("a"), now) // asked with an old clock
	wantErr(t, "an expired session after a sweep", err, store.ErrNotFound)

	must(t, "delete b", s.DeleteSession(ctx(t), hashOf("b")))
	_, err = s.GetSession(ctx(t), hashOf("b"), now)
	wantErr(t, "a deleted session", err, store.ErrNotFound)
	must(t, "delete b again", s.DeleteSession(ctx(t), hashOf("b")))
	if _, err := s.GetSession(ctx(t), hashOf("c"), a.Expires); err != nil {
		t.Errorf("c: %v", err)
	}
}

func testOIDCLogins(t *testing.T, s store.Store) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	a := store.OIDCLogin{StateHash: hashOf("a"), Verifier: "verifier-a", Nonce: "nonce-a", Next: "/events?rule=x", Expires: now.Add(10 * time.Minute)}
	b := store.OIDCLogin{StateHash: hashOf("b"), Verifier: "verifier-b", Nonce: "nonce-b", Next: "/policies", Expires: now.Add(20 * time.Minute)}
	must(t, "create a", s.CreateOIDCLogin(ctx(t), a, now))
	must(t, "create b", s.CreateOIDCLogin(ctx(t), b, now))

	got, err := s.TakeOIDCLogin(ctx(t), hashOf("a"), now)
	must(t, "take a", err)
	if !bytes.Equal(got.StateHash, a.StateHash) || got.Verifier != a.Verifier || got.Nonce != a.Nonce || got.Next != a.Next {
		t.Errorf("login a read back as %+v", got)
	}
	sameInstant(t, "a expires", got.Expires, a.Expires)
	_, err = s.TakeOIDCLogin(ctx(t), hashOf("a"), now)
	wantErr(t, "a login taken twice", err, store.ErrNotFound)
	_, err = s.TakeOIDCLogin(ctx(t), hashOf("unknown"), now)
	wantErr(t, "an unknown login", err, store.ErrNotFound)
	_, err = s.TakeOIDCLogin(ctx(t), hashOf("b"), b.Expires)
	wantErr(t, "a login at its expiry", err, store.ErrNotFound)

	// A later login sweeps expired ones away.
	c := store.OIDCLogin{StateHash: hashOf("c"), Verifier: "v", Nonce: "n", Next: "/", Expires: now.Add(time.Hour)}
	d := store.OIDCLogin{StateHash: hashOf("d"), Verifier: "v", Nonce: "n", Next: "/", Expires: now.Add(time.Hour)}
	must(t, "create c", s.CreateOIDCLogin(ctx(t), c, now))
	must(t, "create d", s.CreateOIDCLogin(ctx(t), d, c.Expires))
	_, err = s.TakeOIDCLogin(ctx(t), hashOf("c"), now) // asked with an old clock
	wantErr(t, "an expired login after a sweep", err, store.ErrNotFound)

	// Callbacks at once with one state: one takes the login.
	e := store.OIDCLogin{StateHash: hashOf("e"), Verifier: "v", Nonce: "n", Next: "/", Expires: now.Add(time.Hour)}
	must(t, "create e", s.CreateOIDCLogin(ctx(t), e, now))
	var wg sync.WaitGroup
	var mu sync.Mutex
	taken := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.TakeOIDCLogin(ctx(t), hashOf("e"), now)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Error(err)
				return
			}
			if err == nil {
				mu.Lock()
				taken++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if taken != 1 {
		t.Errorf("a login taken %d times at once, want once", taken)
	}
}

func testLoginThrottle(t *testing.T, s store.Store) {
	const limit, window = 3, time.Minute
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	begin := func(client string, at time.Time) time.Duration {
		t.Helper()
		wait, err := s.BeginLogin(ctx(t), client, at, window, limit)
		must(t, "begin login", err)
		return wait
	}
	for i := range limit {
		if w := begin("10.0.0.1", now.Add(time.Duration(i)*time.Second)); w != 0 {
			t.Fatalf("attempt %d refused (%v)", i+1, w)
		}
	}
	at := now.Add(10 * time.Second)
	if w := begin("10.0.0.1", at); w != window-10*time.Second {
		t.Fatalf("attempt %d: wait %v, want %v (the rest of the window from the first failure)", limit+1, w, window-10*time.Second)
	}
	if w := begin("10.0.0.2", at); w != 0 {
		t.Fatalf("another client refused (%v)", w)
	}
	// The window ends: counting starts again.
	if w := begin("10.0.0.1", now.Add(window)); w != 0 {
		t.Fatalf("after the window: refused (%v)", w)
	}

	// A success takes back its own attempt, not earlier failures.
	later := now.Add(time.Hour)
	for range limit - 1 {
		begin("10.0.0.3", later)
	}
	begin("10.0.0.3", later)
	must(t, "end login", s.EndLogin(ctx(t), "10.0.0.3"))
	if w := begin("10.0.0.3", later); w != 0 {
		t.Fatalf("the attempt after a success refused (%v)", w)
	}
	if w := begin("10.0.0.3", later); w == 0 {
		t.Fatal("a success forgot the earlier failures")
	}
	must(t, "end login of a client never seen", s.EndLogin(ctx(t), "10.9.9.9"))

	// Attempts at once are counted one by one.
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	at = now.Add(2 * time.Hour)
	for range 4 * limit {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wait, err := s.BeginLogin(ctx(t), "10.0.0.4", at, window, limit)
			if err != nil {
				t.Error(err)
				return
			}
			if wait == 0 {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if admitted != limit {
		t.Errorf("%d concurrent attempts admitted, want %d", admitted, limit)
	}
}

package conformance

import (
	"bytes"
	"crypto/sha256"
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
	a := store.Session{IDHash: hashOf("a"), Role: "admin", CSRF: "csrf-a", Expires: now.Add(time.Hour)}
	b := store.Session{IDHash: hashOf("b"), Role: "viewer", CSRF: "csrf-b", Expires: now.Add(2 * time.Hour)}
	must(t, "create a", s.CreateSession(ctx(t), a, now))
	must(t, "create b", s.CreateSession(ctx(t), b, now))

	got, err := s.GetSession(ctx(t), hashOf("a"), now)
	must(t, "get a", err)
	if !bytes.Equal(got.IDHash, a.IDHash) || got.Role != "admin" || got.CSRF != "csrf-a" {
		t.Errorf("session a read back as %+v", got)
	}
	sameInstant(t, "a expires", got.Expires, a.Expires)

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

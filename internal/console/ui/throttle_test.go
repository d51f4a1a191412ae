package ui

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/consoletest"
	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/platform/edge"
)

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// After loginFailures wrong tokens, an address is answered 429 with
// Retry-After, even with the right token, until the window ends; each
// throttled login is counted.
func TestFailedLoginsAreThrottled(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	throttled := 0
	s := newConsoleWith(t, func(o *Options) {
		o.Now = clock.now
		o.LoginThrottled = func() { throttled++ }
	})
	b := s.browser(t)
	for i := range loginFailures {
		if a := b.post("/login", url.Values{"token": {"wrong-token-guess"}}); a.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, a.status)
		}
	}
	a := b.post("/login", url.Values{"token": {adminToken}})
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") != "60" || a.header.Get("Set-Cookie") != "" ||
		!strings.Contains(a.body, "Too many failed logins") {
		t.Fatalf("after %d failures: %d, Retry-After %q", loginFailures, a.status, a.header.Get("Retry-After"))
	}
	if throttled != 1 {
		t.Errorf("throttled logins counted %d, want 1", throttled)
	}
	clock.add(loginWindow)
	b.login(adminToken)
}

// Logins checked at the same time cannot all pass the throttle, and a
// successful login with one token does not forget the guesses at another.
func TestThrottleCountsBeforeTheCheck(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	svc, _, _ := consoletest.New(t)
	th := &loginThrottle{svc: svc, now: clock.now}
	ctx := t.Context()
	begin := func(a netip.Addr) time.Duration {
		wait, err := th.begin(ctx, a)
		if err != nil {
			t.Error(err)
		}
		return wait
	}
	a := netipFrom(1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for range 3 * loginFailures {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if begin(a) == 0 {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if admitted != loginFailures {
		t.Errorf("%d concurrent logins checked, want %d", admitted, loginFailures)
	}

	b := netipFrom(2)
	for range loginFailures - 1 {
		begin(b) // wrong guesses
	}
	begin(b)
	if err := th.succeeded(ctx, b); err != nil { // the viewer's token
		t.Fatal(err)
	}
	if begin(b) != 0 {
		t.Fatal("the fifth guess was refused")
	}
	if begin(b) == 0 {
		t.Error("a viewer login reset the count: a sixth guess was checked")
	}
}

// Two console processes on one store count a client's failures together:
// guesses spread over replicas are throttled as if sent to one.
func TestThrottleIsSharedByConsolesOnOneStore(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	svc, st, reg := consoletest.New(t)
	other := service.New(service.Options{Store: st, Registry: reg})
	one := newConsoleOn(t, svc, func(o *Options) { o.Now = clock.now })
	two := newConsoleOn(t, other, func(o *Options) { o.Now = clock.now })
	for i := range loginFailures {
		s := []*consoleServer{one, two}[i%2]
		if a := s.browser(t).post("/login", url.Values{"token": {"wrong-token-guess"}}); a.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, a.status)
		}
	}
	for _, s := range []*consoleServer{one, two} {
		if a := s.browser(t).post("/login", url.Values{"token": {adminToken}}); a.status != http.StatusTooManyRequests {
			t.Fatalf("after %d failures spread over two consoles: %d, want 429", loginFailures, a.status)
		}
	}
	clock.add(loginWindow)
	one.browser(t).login(adminToken)
}

// Behind a trusted proxy that says the browser came over HTTPS the session
// cookie is Secure; the same header from any other peer changes nothing.
func TestSecureCookieBehindTrustedProxy(t *testing.T) {
	proxies, err := edge.ParseProxies([]string{"127.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		proxies edge.Proxies
		secure  bool
	}{
		{"trusted proxy", proxies, true},
		{"no trusted proxies", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newConsoleWith(t, func(o *Options) { o.Proxies = tc.proxies })
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/login", strings.NewReader(url.Values{"token": {adminToken}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-Proto", "https")
			a := s.browser(t).do(req)
			if a.status != http.StatusSeeOther {
				t.Fatalf("login: %d", a.status)
			}
			if got := strings.Contains(a.header.Get("Set-Cookie"), "Secure"); got != tc.secure {
				t.Fatalf("cookie %q: Secure %v, want %v", a.header.Get("Set-Cookie"), got, tc.secure)
			}
		})
	}
}

func netipFrom(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

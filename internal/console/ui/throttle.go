package ui

import (
	"net/netip"
	"sync"
	"time"

	"github.com/palisade-dev/palisade/internal/platform/edge"
)

// How failed logins are throttled: a client address (an IPv6 /64) that
// fails loginFailures times within loginWindow is answered 429 until the
// window ends. At most maxThrottled addresses are remembered; past that the
// oldest window is forgotten first, so memory stays bounded whoever asks.
const (
	loginFailures = 5
	loginWindow   = time.Minute
	maxThrottled  = 10000
)

// failures is one address's failed logins since start.
type failures struct {
	n     int
	start time.Time
}

// loginThrottle counts failed logins per client address, in memory.
type loginThrottle struct {
	mu  sync.Mutex
	m   map[netip.Addr]*failures
	now func() time.Time
}

func newLoginThrottle(now func() time.Time) *loginThrottle {
	return &loginThrottle{m: map[netip.Addr]*failures{}, now: now}
}

// wait is how long a client must wait before its next login is checked,
// or 0 when it may try now.
func (t *loginThrottle) wait(client netip.Addr) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.m[edge.Key(client)]
	if !ok || f.n < loginFailures {
		return 0
	}
	left := f.start.Add(loginWindow).Sub(t.now())
	if left <= 0 {
		delete(t.m, edge.Key(client))
		return 0
	}
	return left
}

// failed records a failed login.
func (t *loginThrottle) failed(client netip.Addr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now, key := t.now(), edge.Key(client)
	f, ok := t.m[key]
	if ok && now.Sub(f.start) < loginWindow {
		f.n++
		return
	}
	if !ok && len(t.m) >= maxThrottled {
		t.forgetOldest(now)
	}
	t.m[key] = &failures{n: 1, start: now}
}

// succeeded forgets the client's failures.
func (t *loginThrottle) succeeded(client netip.Addr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, edge.Key(client))
}

// forgetOldest drops the windows that ended, or else the oldest one.
func (t *loginThrottle) forgetOldest(now time.Time) {
	var oldest netip.Addr
	var at time.Time
	for k, f := range t.m {
		if now.Sub(f.start) >= loginWindow {
			delete(t.m, k)
			continue
		}
		if at.IsZero() || f.start.Before(at) {
			oldest, at = k, f.start
		}
	}
	if len(t.m) >= maxThrottled {
		delete(t.m, oldest)
	}
}

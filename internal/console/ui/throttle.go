package ui

import (
	"net/netip"
	"sync"
	"time"

	"github.com/palisade-dev/palisade/internal/platform/edge"
)

// How failed logins are throttled: a client address (an IPv6 /64) that
// fails loginFailures times within loginWindow is answered 429 until the
// window ends; a login being checked counts as failed until it succeeds. At most maxThrottled addresses are remembered; past that the
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

// begin is called before a login's token is checked. It returns how long
// the client must wait, or 0 and counts the attempt as a failure until
// succeeded says otherwise: checking and counting in one step, so that
// logins sent at once cannot all pass a check made before any of them
// failed.
func (t *loginThrottle) begin(client netip.Addr) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now, key := t.now(), edge.Key(client)
	f, ok := t.m[key]
	if ok && now.Sub(f.start) >= loginWindow {
		delete(t.m, key)
		ok = false
	}
	switch {
	case ok && f.n >= loginFailures:
		return f.start.Add(loginWindow).Sub(now)
	case ok:
		f.n++
		return 0
	}
	if len(t.m) >= maxThrottled {
		t.forgetOldest(now)
	}
	t.m[key] = &failures{n: 1, start: now}
	return 0
}

// succeeded takes back the attempt begin counted. It does not forget the
// client's earlier failures: a login with one token (the viewer's) must
// not reset the count of guesses at another.
func (t *loginThrottle) succeeded(client netip.Addr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	key := edge.Key(client)
	if f, ok := t.m[key]; ok {
		if f.n--; f.n <= 0 {
			delete(t.m, key)
		}
	}
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

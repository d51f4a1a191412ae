// Package backoff paces retry loops that talk to something that may be
// away for a while (the console, seen from an agent): exponential waits
// with jitter, and a log that reports the first failure and then every
// tenth rather than every one.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is the state of one retry loop. The zero value is not usable:
// set Min and Max.
type Backoff struct {
	Min, Max time.Duration
	next     time.Duration
	failures int
}

// Failed records a failure. It returns the wait before the next attempt
// (before jitter, for logging), the number of failures in a row, and
// whether this one is worth a log line (the first, then every tenth).
func (b *Backoff) Failed() (wait time.Duration, failures int, log bool) {
	if b.next < b.Min {
		b.next = b.Min
	}
	wait = b.next
	b.next = min(b.next*2, b.Max)
	b.failures++
	return wait, b.failures, b.failures == 1 || b.failures%10 == 0
}

// Succeeded resets the backoff and returns how many failures came before.
func (b *Backoff) Succeeded() int {
	n := b.failures
	b.failures, b.next = 0, b.Min
	return n
}

// Jitter spreads d over [d/2, d], so that many agents retrying after the
// same outage do not arrive together.
func Jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// Sleep waits d or until ctx ends; it reports whether the wait completed.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

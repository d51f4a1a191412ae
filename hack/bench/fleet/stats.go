package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/palisade-dev/palisade/internal/console/agentclient"
)

// summary is what a set of latencies is reported as.
type summary struct {
	N             int
	P50, P99, Max time.Duration
}

// summarize returns the nearest-rank p50 and p99 and the maximum of d
// (left unchanged).
func summarize(d []time.Duration) summary {
	if len(d) == 0 {
		return summary{}
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return summary{N: len(s), P50: percentile(s, 50), P99: percentile(s, 99), Max: s[len(s)-1]}
}

// percentile is the nearest-rank p-th percentile of sorted (not empty):
// the smallest value with at least p% of the values at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(float64(len(sorted)) * p / 100))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func (s summary) String() string {
	if s.N == 0 {
		return "no samples"
	}
	return fmt.Sprintf("n=%d p50=%s p99=%s max=%s", s.N, round(s.P50), round(s.P99), round(s.Max))
}

// round shortens a duration for the report: 3 significant figures or so.
func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	default:
		return d.Round(10 * time.Microsecond)
	}
}

// latencies collects durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) summary() summary {
	l.mu.Lock()
	defer l.mu.Unlock()
	return summarize(l.d)
}

// calls counts one kind of agent call (a policy poll, a batch's delivery,
// a scan-result sync) as the agents retry them: attempts that failed, and
// calls by how many failed attempts they took before one succeeded. A call
// is one request the agent wants answered, however many attempts it takes.
type calls struct {
	attempts atomic.Int64
	failures atomic.Int64
	// firstTry, oneRetry and moreRetries count calls answered after 0, 1
	// and 2 or more failed attempts.
	firstTry, oneRetry, moreRetries atomic.Int64
	errors                          tally
}

// streak follows one agent loop's calls of a kind: the failed attempts
// since its last success. The loop that owns it is its only user.
type streak struct {
	c *calls
	n int
}

// failed records an attempt that failed with err.
func (s *streak) failed(err error) {
	s.c.attempts.Add(1)
	s.c.failures.Add(1)
	s.c.errors.add(errorKind(err))
	s.n++
}

// succeeded records an attempt that was answered: the call it retried, if
// any, is done.
func (s *streak) succeeded() {
	s.c.attempts.Add(1)
	s.end()
}

// end closes the call under way without an attempt, for a loop stopped by
// the end of the run while an attempt was in flight: that attempt had not
// failed.
func (s *streak) end() {
	switch {
	case s.n == 0:
		s.c.firstTry.Add(1)
	case s.n == 1:
		s.c.oneRetry.Add(1)
	default:
		s.c.moreRetries.Add(1)
	}
	s.n = 0
}

// open reports whether the loop's last attempt failed and no retry was
// answered yet.
func (s *streak) open() bool { return s.n > 0 }

func (c *calls) String() string {
	return fmt.Sprintf("attempts=%d failed=%d; calls answered first time=%d, after 1 retry=%d, after 2+ retries=%d%s",
		c.attempts.Load(), c.failures.Load(), c.firstTry.Load(), c.oneRetry.Load(), c.moreRetries.Load(), c.errors.String())
}

// tally counts strings (kinds of errors).
type tally struct {
	mu sync.Mutex
	m  map[string]int
}

func (t *tally) add(k string) {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[string]int{}
	}
	t.m[k]++
	t.mu.Unlock()
}

// String lists the kinds, most frequent first ("" when none).
func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) == 0 {
		return ""
	}
	kinds := make([]string, 0, len(t.m))
	for k := range t.m {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if t.m[kinds[i]] != t.m[kinds[j]] {
			return t.m[kinds[i]] > t.m[kinds[j]]
		}
		return kinds[i] < kinds[j]
	})
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s ×%d", k, t.m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// addrPort matches the addresses and ports in error messages.
var addrPort = regexp.MustCompile(`\d+\.\d+\.\d+\.\d+:\d+`)

// errorKind names what went wrong without the addresses and ports that
// make every error message different.
func errorKind(err error) string {
	var se *agentclient.StatusError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		msg := addrPort.ReplaceAllString(se.Msg, "ADDR")
		if len(msg) > 60 {
			msg = msg[:60] + "..."
		}
		return fmt.Sprintf("HTTP %d %q", se.Code, msg)
	case errors.Is(err, errNoEndpoints):
		return "no ready replica"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, net.ErrClosed):
		return "connection closed while writing"
	case strings.Contains(err.Error(), "server closed idle connection"):
		// net/http's errServerClosedIdle, not exported.
		return "server closed idle connection"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed (EOF)"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no local port left (EADDRNOTAVAIL)"
	case errors.Is(err, syscall.EMFILE):
		return "too many open files"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return err.Error()
}

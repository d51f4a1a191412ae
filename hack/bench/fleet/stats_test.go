package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/agentclient"
)

func TestPercentileIsNearestRank(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name     string
		sorted   []time.Duration
		p        float64
		expected time.Duration
	}{
		{"one value is every percentile", ms(7), 99, 7 * time.Millisecond},
		{"p50 of two is the lower", ms(1, 2), 50, time.Millisecond},
		{"p50 of three is the middle", ms(1, 2, 3), 50, 2 * time.Millisecond},
		{"p99 of 1..100 is 99", ms(hundred...), 99, 99 * time.Millisecond},
		{"p50 of 1..100 is 50", ms(hundred...), 50, 50 * time.Millisecond},
		{"p99 of ten is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"p100 is the largest", ms(1, 2, 3), 100, 3 * time.Millisecond},
		{"p0 is the smallest", ms(1, 2, 3), 0, time.Millisecond},
	} {
		if got := percentile(tc.sorted, tc.p); got != tc.expected {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.expected)
		}
	}
}

func TestSummarizeSortsACopy(t *testing.T) {
	d := []time.Duration{3 * time.Second, time.Second, 2 * time.Second}
	s := summarize(d)
	if s.N != 3 || s.P50 != 2*time.Second || s.P99 != 3*time.Second || s.Max != 3*time.Second {
		t.Errorf("summary %+v", s)
	}
	if d[0] != 3*time.Second {
		t.Error("summarize reordered its input")
	}
	if s := summarize(nil); s.N != 0 || s.String() != "no samples" {
		t.Errorf("empty: %+v %q", s, s.String())
	}
}

func TestStreakCountsCallsByTheRetriesTheyTook(t *testing.T) {
	var c calls
	s := streak{c: &c}
	refused := fmt.Errorf("dial: %w", syscall.ECONNREFUSED)
	s.succeeded() // answered first time
	s.failed(refused)
	s.succeeded() // after one retry
	s.failed(refused)
	s.failed(io.EOF)
	s.failed(refused)
	s.succeeded() // after three
	s.failed(refused)
	if !s.open() {
		t.Fatal("a failed attempt without a retry answered should leave the call open")
	}
	s.end() // the run ended during the retry: it had not failed
	if got := [...]int64{c.attempts.Load(), c.failures.Load(), c.firstTry.Load(), c.oneRetry.Load(), c.moreRetries.Load()}; got != [...]int64{8, 5, 1, 2, 1} {
		t.Errorf("attempts, failures, first try, one retry, more: %v, want [8 5 1 2 1]", got)
	}
	if got, want := c.errors.String(), " (connection refused ×4, connection closed (EOF) ×1)"; got != want {
		t.Errorf("errors %q, want %q", got, want)
	}
}

func TestErrorKindDropsAddresses(t *testing.T) {
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 41234},
			Err: &os.SyscallError{Syscall: "connect", Err: err}}
	}
	for _, tc := range []struct {
		err      error
		expected string
	}{
		{opErr(syscall.ECONNREFUSED), "connection refused"},
		{opErr(syscall.ECONNRESET), "connection reset"},
		{opErr(syscall.EADDRNOTAVAIL), "no local port left (EADDRNOTAVAIL)"},
		{fmt.Errorf("Post x: %w", io.EOF), "connection closed (EOF)"},
		{&agentclient.StatusError{Code: 503, Msg: "database unavailable"}, `HTTP 503 "database unavailable"`},
		{&agentclient.StatusError{Code: 400, Msg: "read body: read tcp 127.0.0.1:18081->127.0.0.5:48783: i/o timeout"}, `HTTP 400 "read body: read tcp ADDR->ADDR: i/o timeout"`},
		{fmt.Errorf("Post x: write tcp 127.0.0.1:3->127.0.0.1:4: %w", &net.OpError{Op: "write", Err: net.ErrClosed}), "connection closed while writing"},
		{opErr(syscall.EPIPE), "broken pipe"},
		{errors.New(`Get "http://x/": http: server closed idle connection`), "server closed idle connection"},
		{errors.New("something else"), "something else"},
	} {
		if got := errorKind(tc.err); got != tc.expected {
			t.Errorf("errorKind(%v) = %q, want %q", tc.err, got, tc.expected)
		}
	}
}

func TestPerSecondSummaryLeavesOutThePartialSeconds(t *testing.T) {
	if got, want := perSecondSummary([]int64{5, 100, 300, 200, 7}), "median 200, min 100, max 300 (3 seconds)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := perSecondSummary(nil); got != "" {
		t.Errorf("no seconds: %q", got)
	}
}

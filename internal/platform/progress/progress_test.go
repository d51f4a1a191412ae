package progress

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

// fakeClock is a clock the test moves.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestLine(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var out bytes.Buffer
	n := 0
	l := New(&out, func() string { return fmt.Sprintf("scanning: %d objects judged", n) }, Options{Now: clock.now})

	n = 500
	clock.advance(900 * time.Millisecond)
	l.Tick()
	if out.Len() != 0 {
		t.Fatalf("quick work printed %q", out.String())
	}
	clock.advance(300 * time.Millisecond)
	l.Tick()
	if got, want := out.String(), "\rscanning: 500 objects judged … 1s"; got != want {
		t.Fatalf("first draw %q, want %q", got, want)
	}
	out.Reset()
	n = 12000
	clock.advance(79 * time.Second)
	l.Tick()
	if got, want := out.String(), "\rscanning: 12000 objects judged … 1m20s"; got != want {
		t.Errorf("redraw %q, want %q", got, want)
	}

	// A shorter status pads over the longer one.
	out.Reset()
	l.status = func() string { return "done" }
	l.Tick()
	if got, want := out.String(), "\rdone … 1m20s"+strings.Repeat(" ", 26); got != want {
		t.Errorf("shorter redraw %q, want %q", got, want)
	}

	// Output above the line erases it first.
	out.Reset()
	var above bytes.Buffer
	fmt.Fprint(l.Above(&above), "controlplane: building\n")
	if got, want := out.String(), "\r"+strings.Repeat(" ", 12)+"\r"; got != want || above.String() != "controlplane: building\n" {
		t.Errorf("above: line %q (want %q), above %q", got, want, above.String())
	}
	out.Reset()
	fmt.Fprint(l.Above(&above), "again\n")
	if out.Len() != 0 {
		t.Errorf("an erased line was erased again: %q", out.String())
	}

	// Stop erases what is shown, and nothing is drawn after.
	l.Tick()
	out.Reset()
	l.Stop()
	if got, want := out.String(), "\r"+strings.Repeat(" ", 12)+"\r"; got != want {
		t.Errorf("stop %q, want %q", got, want)
	}
	out.Reset()
	l.Tick()
	l.Stop()
	if out.Len() != 0 {
		t.Errorf("drawn after Stop: %q", out.String())
	}
}

func TestStartRedraws(t *testing.T) {
	var out fixture.Buffer
	l := New(&out, func() string { return "waiting" }, Options{Delay: time.Nanosecond, Interval: time.Millisecond})
	l.Start()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "waiting … 0s") && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	l.Stop()
	if s := out.String(); !strings.Contains(s, "\rwaiting … 0s") || !strings.HasSuffix(s, "\r") {
		t.Errorf("output %q", s)
	}
}

func TestDisabled(t *testing.T) {
	var l *Line = New(nil, func() string { return "x" }, Options{})
	l.Start()
	l.Tick()
	var b bytes.Buffer
	fmt.Fprint(l.Above(&b), "kept")
	l.Stop()
	if b.String() != "kept" {
		t.Errorf("a nil line's Above lost output: %q", b.String())
	}
	env := func(v string) func(string) string { return func(string) string { return v } }
	if Enabled(&b, env("")) {
		t.Error("a buffer is not a terminal")
	}
	if Enabled(&b, env("true")) {
		t.Error("enabled in CI")
	}
}

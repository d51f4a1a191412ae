package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// recorder is a Write that holds its first write until gate is closed,
// counts every event as new except those of a poisoned ID, and records
// the groups.
type recorder struct {
	gate    chan struct{}
	entered chan struct{}
	once    sync.Once

	mu     sync.Mutex
	groups [][]int // the calls' sizes, per write
}

func (r *recorder) write(_ context.Context, calls []*Call) error {
	r.once.Do(func() { close(r.entered); <-r.gate })
	sizes := make([]int, len(calls))
	for i, c := range calls {
		sizes[i] = len(c.Events)
	}
	r.mu.Lock()
	r.groups = append(r.groups, sizes)
	r.mu.Unlock()
	for _, c := range calls {
		for _, e := range c.Events {
			if e.ID == "poison" {
				return errors.New("poisoned")
			}
		}
	}
	for _, c := range calls {
		c.N = len(c.Events)
	}
	return nil
}

func events(prefix string, n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{ID: fmt.Sprintf("%s-%d", prefix, i)}
	}
	return evs
}

// Calls that arrive during a write go in the next, split at MaxEvents,
// and a poisoned call fails alone.
func TestGroups(t *testing.T) {
	r := &recorder{gate: make(chan struct{}), entered: make(chan struct{})}
	w := &Writer{Write: r.write, MaxEvents: 10}
	ctx := context.Background()
	type result struct {
		name string
		n    int
		err  error
	}
	results := make(chan result, 5)
	run := func(name string, evs []event.Event) {
		go func() {
			n, err := w.Append(ctx, evs)
			results <- result{name, n, err}
		}()
	}
	run("first", events("first", 3))
	<-r.entered
	for i, size := range []int{4, 4, 4} {
		run(fmt.Sprintf("q%d", i), events(fmt.Sprintf("q%d", i), size))
		waitQueued(t, w, i+1)
	}
	run("poisoned", append(events("p", 1), event.Event{ID: "poison"}))
	waitQueued(t, w, 4)
	close(r.gate)
	want := map[string]int{"first": 3, "q0": 4, "q1": 4, "q2": 4, "poisoned": 0}
	for range 5 {
		res := <-results
		if res.n != want[res.name] || (res.name == "poisoned") != (res.err != nil) {
			t.Errorf("%s: %d, %v; want %d and an error only for the poisoned call", res.name, res.n, res.err, want[res.name])
		}
	}
	r.mu.Lock()
	got := fmt.Sprint(r.groups)
	r.mu.Unlock()
	// The first alone; q0 and q1 (8 events; q2 would pass 10); then q2
	// with the poisoned call, which fails, so each is written alone.
	if want := "[[3] [4 4] [4 2] [4] [2]]"; got != want {
		t.Errorf("writes %s, want %s", got, want)
	}
	if !w.Idle() || w.Groups() != 3 {
		t.Errorf("idle %v after %d groups, want idle after 3", w.Idle(), w.Groups())
	}
}

// Past MaxQueued events waiting, a call is refused at once with
// store.ErrBusy; once the queue is written, calls are taken again.
func TestBusy(t *testing.T) {
	r := &recorder{gate: make(chan struct{}), entered: make(chan struct{})}
	w := &Writer{Write: r.write, MaxEvents: 100, MaxQueued: 10}
	ctx := context.Background()
	done := make(chan error, 3)
	go func() { _, err := w.Append(ctx, events("first", 50)); done <- err }()
	<-r.entered
	go func() { _, err := w.Append(ctx, events("a", 6)); done <- err }()
	waitQueued(t, w, 1)
	go func() { _, err := w.Append(ctx, events("b", 4)); done <- err }()
	waitQueued(t, w, 2)
	if n, err := w.Append(ctx, events("c", 1)); n != 0 || !errors.Is(err, store.ErrBusy) {
		t.Fatalf("an append past 10 waiting events: %d, %v; want store.ErrBusy", n, err)
	}
	close(r.gate)
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n, err := w.Append(ctx, events("c", 1)); n != 1 || err != nil {
		t.Errorf("an append once the queue was written: %d, %v", n, err)
	}
}

// While the oldest call waiting has waited past MaxWait, calls are
// refused with store.ErrBusy.
func TestBusyByWait(t *testing.T) {
	r := &recorder{gate: make(chan struct{}), entered: make(chan struct{})}
	w := &Writer{Write: r.write, MaxEvents: 100, MaxWait: 20 * time.Millisecond}
	ctx := context.Background()
	done := make(chan error, 2)
	go func() { _, err := w.Append(ctx, events("first", 5)); done <- err }()
	<-r.entered
	go func() { _, err := w.Append(ctx, events("a", 1)); done <- err }()
	waitQueued(t, w, 1)
	time.Sleep(50 * time.Millisecond) // past MaxWait, whatever the machine
	if _, err := w.Append(ctx, events("b", 1)); !errors.Is(err, store.ErrBusy) {
		t.Fatalf("an append behind a call waiting past MaxWait: %v; want store.ErrBusy", err)
	}
	close(r.gate)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestCancelledBeforeQueueing(t *testing.T) {
	w := &Writer{Write: func(context.Context, []*Call) error { t.Error("wrote a cancelled call"); return nil }, MaxEvents: 10}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.Append(ctx, events("x", 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("append with a cancelled context: %v", err)
	}
	if n, err := w.Append(context.Background(), nil); n != 0 || err != nil {
		t.Errorf("append of nothing: %d, %v", n, err)
	}
}

func waitQueued(t *testing.T, w *Writer, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for w.Queued() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued, want %d", w.Queued(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

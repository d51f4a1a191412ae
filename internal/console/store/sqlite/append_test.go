package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/groupcommit"
	"github.com/palisade-dev/palisade/internal/core/event"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "palisade.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func batch(prefix string, n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{ID: fmt.Sprintf("%s-%d", prefix, i), Time: time.Unix(int64(i), 0), Rule: "r", Action: "log"}
	}
	return evs
}

// waitQueued waits until n calls wait behind the one being written.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		q := s.app.Queued()
		if q >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued, want %d", q, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func groups(s *Store) int { return s.app.Groups() }

// TestAppendGroupCommit holds the writer, lets calls pile up, and checks
// that they are written together, each told its own count.
func TestAppendGroupCommit(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	// A call that finds the writer busy: it leads, and blocks on the
	// connection the test holds.
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		name string
		n    int
		err  error
	}
	results := make(chan result, 6)
	appendAsync := func(name string, evs []event.Event) {
		go func() {
			n, err := s.AppendEvents(ctx, evs)
			results <- result{name, n, err}
		}()
	}
	appendAsync("first", batch("first", 10))
	for groups(s) == 0 {
		time.Sleep(time.Millisecond)
	}
	// Five more queue behind it, one at a time so their order is known;
	// two overlap the first and each other.
	for i := range 3 {
		appendAsync(fmt.Sprintf("b%d", i), batch(fmt.Sprintf("b%d", i), 20))
		waitQueued(t, s, i+1)
	}
	appendAsync("dup-of-b0", batch("b0", 5))
	waitQueued(t, s, 4)
	appendAsync("dup-of-first", batch("first", 10))
	waitQueued(t, s, 5)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"first": 10, "b0": 20, "b1": 20, "b2": 20, "dup-of-b0": 0, "dup-of-first": 0}
	for range 6 {
		r := <-results
		if r.err != nil || r.n != want[r.name] {
			t.Errorf("%s: %d, %v; want %d", r.name, r.n, r.err, want[r.name])
		}
	}
	if g := groups(s); g != 2 {
		t.Errorf("%d group commits, want 2 (one, then the five queued behind it)", g)
	}
}

// TestAppendGroupFailureIsolated: a group whose transaction fails is
// written call by call, so only the failing call fails.
func TestAppendGroupFailureIsolated(t *testing.T) {
	s := openTest(t)
	ctx := t.Context()
	if _, err := s.w.ExecContext(ctx, `CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.id = 'poison'
		BEGIN SELECT RAISE(ABORT, 'poisoned event'); END`); err != nil {
		t.Fatal(err)
	}
	bad := append(batch("bad", 3), event.Event{ID: "poison", Time: time.Unix(9, 0)})
	group := []*groupcommit.Call{groupcommit.NewCall(batch("a", 4)), groupcommit.NewCall(bad), groupcommit.NewCall(batch("c", 2))}
	s.app.WriteGroup(ctx, group)
	for i, want := range []int{4, 0, 2} {
		n, err := group[i].Result()
		if n != want || (i == 1) != (err != nil) {
			t.Errorf("call %d: %d, %v; want %d and an error only for the poisoned call", i, n, err, want)
		}
	}
	p, err := s.ListEvents(ctx, store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 6 {
		t.Errorf("stored %d events, want 6 (the poisoned batch not at all)", len(p.Events))
	}
}

func TestAppendCancelledBeforeQueueing(t *testing.T) {
	s := openTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.AppendEvents(ctx, batch("x", 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("append with a cancelled context: %v", err)
	}
}

// TestAppendManyWriters: the queue hands the lead on until it is empty.
func TestAppendManyWriters(t *testing.T) {
	s := openTest(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range 8 {
				n, err := s.AppendEvents(t.Context(), batch(fmt.Sprintf("w%d-%d", w, b), 25))
				if err == nil && n != 25 {
					err = fmt.Errorf("writer %d batch %d: %d new", w, b, n)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if !s.app.Idle() {
		t.Errorf("group commit left busy: %d queued", s.app.Queued())
	}
	t.Logf("%d calls in %d group commits", 16*8, groups(s))
}

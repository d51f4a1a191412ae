// Package groupcommit merges concurrent appends of events into one write
// (group commit), for the console's stores.
//
// Every agent pushes its events on its own, and a commit costs about the
// same for ten events as for a thousand: the pages of the indexes it
// changes, a WAL flush, and the overview's hourly counts, which every
// append updates (the same few rows, so concurrent appends wait on each
// other's row locks until they commit). So appends that arrive while a
// write is under way wait in a queue, and the next write takes all of
// them. The first call in the queue leads: it writes a group taken from
// the front of the queue, hands the lead to the next call waiting, if any,
// and returns.
package groupcommit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// The stores' bounds: MaxQueued bounds the memory pushes waiting hold (a
// few seconds of writing for a store of 10,000 events a second or more);
// MaxWait keeps a push's answer well within an agent's 30 s timeout on a
// slower one.
const (
	DefaultMaxQueued = 50_000
	DefaultMaxWait   = 5 * time.Second
)

// Call is one append in a group.
type Call struct {
	Events []event.Event
	// N is how many of Events the write stored (the others were stored
	// already, or earlier in the group); Write sets it.
	N     int
	err   error
	since time.Time     // when it was queued
	done  chan struct{} // closed once N and err are set
	lead  chan struct{} // closed to make this call write the next group
}

// NewCall returns a call of events, for WriteGroup.
func NewCall(events []event.Event) *Call {
	return &Call{Events: events, done: make(chan struct{}), lead: make(chan struct{})}
}

// Result waits for the call's write and returns its count and error.
func (c *Call) Result() (int, error) {
	<-c.done
	return c.N, c.err
}

// Writer merges concurrent Appends. Its zero value is not usable: set
// Write.
type Writer struct {
	// Write stores the calls' events in one transaction, in order, and
	// sets each call's N; an ID given twice is stored once.
	Write func(ctx context.Context, calls []*Call) error
	// MaxEvents bounds the events of one group (a group has at least one
	// call, whatever its size).
	MaxEvents int
	// MaxQueued bounds the events waiting behind the group being written
	// (0: no bound). A call that would pass it is refused at once with
	// store.ErrBusy: under more load than the store takes, a push waits
	// no longer than the bound takes to write, and its agent backs off
	// and retries instead of timing out and sending it all again.
	MaxQueued int
	// MaxWait refuses calls the same way while the oldest call waiting
	// behind the group being written has waited longer (0: no bound), so
	// that a push is answered, stored or refused, well within the agent's
	// timeout whatever the store's pace.
	MaxWait time.Duration

	mu      sync.Mutex
	queue   []*Call
	queued  int  // events in queue
	writing bool // a leader is writing a group
	groups  int  // groups written so far
}

// Append stores events with those of the calls that wait with it, and
// returns how many were new. Once queued, a call waits for its write
// whatever ctx says: other calls' events may be in the same transaction.
func (w *Writer) Append(ctx context.Context, events []event.Event) (int, error) {
	if len(events) == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("append events: %w", err)
	}
	c := NewCall(events)
	w.mu.Lock()
	if err := w.busy(len(events)); err != nil {
		w.mu.Unlock()
		return 0, err
	}
	c.since = time.Now()
	w.queue = append(w.queue, c)
	w.queued += len(events)
	if !w.writing {
		w.writing = true
		close(c.lead)
	}
	w.mu.Unlock()

	select {
	case <-c.done:
	case <-c.lead:
		w.leadGroup(context.WithoutCancel(ctx))
	}
	return c.N, c.err
}

// busy returns store.ErrBusy, wrapped, when n more events would pass
// MaxQueued or the oldest call waiting has waited past MaxWait; w.mu is
// held.
func (w *Writer) busy(n int) error {
	if !w.writing || len(w.queue) == 0 {
		return nil
	}
	if w.MaxQueued > 0 && w.queued+n > w.MaxQueued {
		return fmt.Errorf("append events: %d events wait to be written: %w", w.queued, store.ErrBusy)
	}
	if waited := time.Since(w.queue[0].since); w.MaxWait > 0 && waited > w.MaxWait {
		return fmt.Errorf("append events: writes wait %v: %w", waited.Round(time.Millisecond), store.ErrBusy)
	}
	return nil
}

// leadGroup writes the group at the front of the queue (the leader's call
// first) and hands the lead on.
func (w *Writer) leadGroup(ctx context.Context) {
	w.mu.Lock()
	size, k := 0, 0
	for k < len(w.queue) && (k == 0 || size+len(w.queue[k].Events) <= w.MaxEvents) {
		size += len(w.queue[k].Events)
		k++
	}
	group := w.queue[:k:k]
	w.queue = w.queue[k:]
	w.queued -= size
	w.groups++
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		if len(w.queue) > 0 {
			close(w.queue[0].lead)
		} else {
			w.writing = false
		}
		w.mu.Unlock()
	}()
	w.WriteGroup(ctx, group)
}

// WriteGroup stores the calls' events in one write or, if that fails,
// each call's in its own, so that one call's failure is its own; then
// it wakes the calls.
func (w *Writer) WriteGroup(ctx context.Context, group []*Call) {
	defer func() {
		for _, c := range group {
			close(c.done)
		}
	}()
	err := w.Write(ctx, group)
	if err != nil && len(group) > 1 {
		for _, c := range group {
			c.err = w.Write(ctx, []*Call{c})
		}
	} else {
		for _, c := range group {
			c.err = err
		}
	}
	for _, c := range group {
		if c.err != nil {
			c.N, c.err = 0, fmt.Errorf("append events: %w", c.err)
		}
	}
}

// Queued is how many calls wait behind the group being written.
func (w *Writer) Queued() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

// Groups is how many groups were written so far.
func (w *Writer) Groups() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.groups
}

// Idle reports whether no call is queued or being written.
func (w *Writer) Idle() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.writing && len(w.queue) == 0
}

package service

import (
	"context"
	"sync"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// seenWriter records agent calls (last seen, the version enforced) in
// batches: every poll of every agent reports one, and a policy change
// shared by a fleet brings them all at once. The first caller writes the
// calls pending; the calls that arrive while it writes wait and go in
// the next write (group commit). A call returns once its word is stored,
// so the console's own pages read what its agents just reported.
type seenWriter struct {
	store store.Store

	mu      sync.Mutex
	pending []store.AgentSeen
	// done is closed when the write carrying pending ends; err is its
	// error.
	done *seenBatch
	// writing is set while a caller writes.
	writing bool
}

type seenBatch struct {
	done chan struct{}
	err  error
}

// seenWriteTimeout bounds one batched write, made for many callers at
// once: the caller that makes it may go away, the others may not wait
// for ever.
const seenWriteTimeout = 10 * time.Second

func newSeenWriter(st store.Store) *seenWriter {
	return &seenWriter{store: st, done: &seenBatch{done: make(chan struct{})}}
}

// see records the call and returns when it is stored (or ctx ends).
func (w *seenWriter) see(ctx context.Context, a store.AgentSeen) error {
	w.mu.Lock()
	w.pending = append(w.pending, a)
	b := w.done
	lead := !w.writing
	w.writing = true
	w.mu.Unlock()
	if lead {
		w.writeAll(ctx)
	}
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeAll writes the calls pending. Calls that came meanwhile are
// written next, by a goroutine of their own: the caller's request is not
// held by the calls of others.
func (w *seenWriter) writeAll(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	w.mu.Lock()
	batch, b := w.pending, w.done
	w.pending, w.done = nil, &seenBatch{done: make(chan struct{})}
	w.mu.Unlock()

	wctx, cancel := context.WithTimeout(ctx, seenWriteTimeout)
	b.err = w.store.SeeAgents(wctx, batch)
	cancel()
	close(b.done)

	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 {
		w.writing = false
		return
	}
	go w.writeAll(ctx)
}

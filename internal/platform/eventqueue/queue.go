// Package eventqueue is the managed agent's durable outbox: events are
// appended to segment files on disk as JSON lines and delivered from there
// in order, in batches, with retries, so that an event survives console
// outages and agent restarts. Delivery is at least once; the console makes
// it exactly once by ignoring event IDs it already stored.
package eventqueue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/platform/atomicfile"
	"github.com/palisade-dev/palisade/internal/platform/backoff"
)

// Options configure a Queue; zero fields take the defaults.
type Options struct {
	// MaxBytes bounds what waits on disk; Record refuses events beyond it
	// (256 MiB: about half a million events).
	MaxBytes int64
	// SegmentBytes is the size at which a new segment file starts (8 MiB).
	SegmentBytes int64
	// SyncInterval is how often written events are fsynced (1 s). A
	// process crash loses nothing either way; this bounds what a machine
	// crash can lose.
	SyncInterval time.Duration
	// BatchEvents and BatchBytes bound one delivery (500 events, 4 MiB).
	BatchEvents int
	BatchBytes  int
	// MinBackoff and MaxBackoff bound the wait between failed deliveries
	// (1 s doubling up to 30 s, with jitter).
	MinBackoff time.Duration
	MaxBackoff time.Duration
	Logger     *slog.Logger
}

func (o *Options) defaults() {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 256 << 20
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 8 << 20
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = time.Second
	}
	if o.BatchEvents <= 0 {
		o.BatchEvents = 500
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 4 << 20
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// ErrFull is returned by Record when the queue holds MaxBytes already.
var ErrFull = errors.New("event queue is full")

// RejectedError is what a send function returns for a batch the receiver
// will never accept as it is (a 4xx answer other than auth, 408, 413 or
// 429). The queue halves a refused batch until the event refused is alone,
// then writes that event to rejected.jsonl, logs it and moves on, rather
// than blocking every later event behind it or setting good ones aside
// with it.
type RejectedError struct{ Err error }

func (e *RejectedError) Error() string { return "batch rejected: " + e.Err.Error() }
func (e *RejectedError) Unwrap() error { return e.Err }

// ErrTooLarge is what a send function returns when the receiver refused a
// batch for its size; the queue retries with smaller batches.
var ErrTooLarge = errors.New("batch too large")

// position is where delivery stands: a segment and a byte offset in it.
type position struct {
	Seq uint64
	Off int64
}

// Queue is a durable FIFO of events. Record may be called concurrently;
// Run delivers from one goroutine.
type Queue struct {
	dir  string
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	w       *os.File // the segment being written
	wSeq    uint64
	wSize   int64
	dirty   bool
	size    int64 // bytes on disk not yet delivered
	closed  bool
	wake    chan struct{}
	pos     position // delivery position (owned by Run, read under mu)
	running atomic.Bool

	delivered atomic.Int64
	rejected  atomic.Int64
	corrupt   atomic.Int64
	oversized atomic.Int64
	refused   atomic.Int64
}

const (
	segPrefix = "seg-"
	segSuffix = ".jsonl"
	ackFile   = "ack"
)

func segName(seq uint64) string { return fmt.Sprintf("%s%016d%s", segPrefix, seq, segSuffix) }

// Open opens (creating it if needed) the queue in dir. Delivery resumes
// where the last run acknowledged; a new segment is started so that a
// segment cut short by a crash is never appended to.
func Open(dir string, opts Options) (*Queue, error) {
	opts.defaults()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("event queue: %w", err)
	}
	q := &Queue{dir: dir, opts: opts, log: opts.Logger, wake: make(chan struct{}, 1)}
	seqs, err := q.segments()
	if err != nil {
		return nil, err
	}
	pos, err := q.readAck()
	if err != nil {
		return nil, err
	}
	if len(seqs) > 0 && pos.Seq < seqs[0] {
		pos = position{Seq: seqs[0]}
	}
	var last uint64
	for _, s := range seqs {
		path := filepath.Join(dir, segName(s))
		if s < pos.Seq {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("event queue: %w", err)
			}
			continue
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("event queue: %w", err)
		}
		q.size += fi.Size()
		last = s
	}
	if pos.Seq != 0 && pos.Seq <= last {
		q.size -= min(pos.Off, q.size)
	} else {
		// The acknowledged segment is gone (or never was): start it afresh.
		pos.Off = 0
	}
	q.wSeq = max(last+1, pos.Seq, 1)
	if pos.Seq == 0 {
		pos.Seq = q.wSeq
	}
	q.pos = pos
	f, err := os.OpenFile(filepath.Join(dir, segName(q.wSeq)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("event queue: %w", err)
	}
	q.w = f
	return q, nil
}

// segments lists the segment numbers present, ascending.
func (q *Queue) segments() ([]uint64, error) {
	entries, err := os.ReadDir(q.dir)
	if err != nil {
		return nil, fmt.Errorf("event queue: %w", err)
	}
	var seqs []uint64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, segPrefix) || !strings.HasSuffix(name, segSuffix) {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, segPrefix), segSuffix), 10, 64)
		if err != nil {
			continue
		}
		seqs = append(seqs, n)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	return seqs, nil
}

func (q *Queue) readAck() (position, error) {
	b, err := os.ReadFile(filepath.Join(q.dir, ackFile))
	if errors.Is(err, os.ErrNotExist) {
		return position{}, nil
	}
	if err != nil {
		return position{}, fmt.Errorf("event queue: %w", err)
	}
	var p position
	if _, err := fmt.Sscanf(string(b), "%d %d", &p.Seq, &p.Off); err != nil || p.Off < 0 {
		// A torn write after a power loss, say. Delivering again from the
		// oldest segment is safe: the console ignores IDs it has.
		q.log.Error("event queue: unreadable delivery position; delivering again from the oldest segment (the console drops duplicates)",
			"file", filepath.Join(q.dir, ackFile), "content", strings.TrimSpace(string(b)))
		return position{}, nil
	}
	return p, nil
}

// Record implements event.Sink: the events are on disk when it returns.
// Each is bounded (event.Bound) on the way, so that none outgrows a batch.
func (q *Queue) Record(_ context.Context, evs []event.Event) error {
	if len(evs) == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range evs {
		if evs[i].ID == "" {
			evs[i].ID = event.NewID()
		}
		evs[i].Bound()
		if err := enc.Encode(&evs[i]); err != nil {
			return fmt.Errorf("event queue: %w", err)
		}
	}
	return q.append(buf.Bytes(), len(evs))
}

// append writes lines, the JSON lines of n events, to the segment being
// written.
func (q *Queue) append(lines []byte, n int) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return errors.New("event queue is closed")
	}
	size := int64(len(lines))
	if q.size+size > q.opts.MaxBytes {
		q.refused.Add(int64(n))
		return fmt.Errorf("%w (%d bytes waiting for delivery): %d event(s) not recorded", ErrFull, q.size, n)
	}
	if q.wSize > 0 && q.wSize+size > q.opts.SegmentBytes {
		if err := q.rotate(); err != nil {
			return err
		}
	}
	written, err := q.w.Write(lines)
	q.wSize += int64(written)
	q.size += int64(written)
	if err != nil {
		// A partial write (a full disk, say) leaves a torn line: seal the
		// segment so that the next record starts on a fresh one. The reader
		// sets a sealed segment's unterminated tail aside (logged, counted);
		// complete lines before it may still be delivered.
		if written > 0 {
			if rerr := q.rotate(); rerr != nil {
				q.log.Error("event queue: could not start a new segment after a failed write", "error", rerr)
			}
		}
		return fmt.Errorf("event queue: %d event(s) not recorded: %w", n, err)
	}
	q.dirty = true
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// rotate seals the current segment and starts the next. Called with mu.
// The next segment is opened before the current one is let go, so a
// failure leaves the queue writing where it was.
func (q *Queue) rotate() error {
	f, err := os.OpenFile(filepath.Join(q.dir, segName(q.wSeq+1)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("event queue: %w", err)
	}
	old := q.w
	q.w, q.wSeq, q.wSize, q.dirty = f, q.wSeq+1, 0, false
	if err := old.Sync(); err != nil {
		q.log.Error("event queue: sync of a sealed segment failed", "error", err)
	}
	if err := old.Close(); err != nil {
		q.log.Error("event queue: close of a sealed segment failed", "error", err)
	}
	return nil
}

// sync flushes the segment being written to the disk. The fsync runs
// outside the lock: Record sits on the admission path and must not wait
// for it.
func (q *Queue) sync() {
	q.mu.Lock()
	if !q.dirty || q.closed {
		q.mu.Unlock()
		return
	}
	f := q.w
	q.dirty = false
	q.mu.Unlock()
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
		// A rotation may have closed f meanwhile, after syncing it itself.
		q.log.Error("event queue: sync failed", "error", err)
		q.mu.Lock()
		q.dirty = true
		q.mu.Unlock()
	}
}

// Close syncs and closes the segment being written. Run must have
// returned (or never been started).
func (q *Queue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil
	}
	q.closed = true
	err := q.w.Sync()
	return errors.Join(err, q.w.Close())
}

// Stats are the queue's counters.
type Stats struct {
	// PendingBytes is what waits on disk for delivery.
	PendingBytes int64
	// Delivered, Rejected, Corrupt and Oversized count events since Open:
	// delivered to the receiver; refused by it; records on disk that could
	// not be read back; and records longer than a batch, which could never
	// be delivered. All but the delivered are kept in rejected.jsonl and
	// logged (the records with file and offset).
	Delivered, Rejected, Corrupt, Oversized int64
	// Refused counts events Record turned away because the queue was full.
	Refused int64
}

// Stats returns the counters.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	pending := q.size
	q.mu.Unlock()
	return Stats{PendingBytes: pending, Delivered: q.delivered.Load(), Rejected: q.rejected.Load(),
		Corrupt: q.corrupt.Load(), Oversized: q.oversized.Load(), Refused: q.refused.Load()}
}

// SendFunc delivers one batch. It returns nil when the receiver stored
// it, a *RejectedError when it never will, ErrTooLarge for a batch too
// big, and any other error for a failure worth retrying.
type SendFunc func(ctx context.Context, batch []event.Event) error

// Run delivers events in order until ctx ends. Only one Run may be active.
func (q *Queue) Run(ctx context.Context, send SendFunc) error {
	if !q.running.CompareAndSwap(false, true) {
		return errors.New("event queue: Run is already active")
	}
	defer q.running.Store(false)
	go func() {
		t := time.NewTicker(q.opts.SyncInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				q.sync()
			}
		}
	}()
	r := reader{q: q, buf: make([]byte, q.opts.BatchBytes)}
	defer r.close()
	batchEvents := q.opts.BatchEvents
	retry := backoff.Backoff{Min: q.opts.MinBackoff, Max: q.opts.MaxBackoff}
	for {
		if ctx.Err() != nil {
			return nil
		}
		batch, next, err := r.next(batchEvents)
		if err != nil {
			q.log.Error("event queue: read failed", "error", err)
			if !backoff.Sleep(ctx, q.opts.MinBackoff) {
				return nil
			}
			continue
		}
		if len(batch) == 0 {
			if next != q.pos {
				q.ack(next)
				continue
			}
			select {
			case <-ctx.Done():
				return nil
			case <-q.wake:
			case <-time.After(q.opts.SyncInterval):
			}
			continue
		}
		err = send(ctx, batch)
		var rej *RejectedError
		switch {
		case err == nil:
			q.delivered.Add(int64(len(batch)))
			q.ack(next)
			if failures := retry.Succeeded(); failures > 0 {
				q.log.Info("event delivery resumed", "after_failures", failures)
			}
			batchEvents = q.opts.BatchEvents
		case errors.As(err, &rej) && len(batch) > 1:
			// The receiver refuses something in the batch: halve it until
			// the event it refuses is alone, so that the others are
			// delivered rather than set aside with it.
			batchEvents = max(1, len(batch)/2)
			q.log.Warn("event batch refused; retrying smaller to find the event refused", "events", batchEvents, "error", err)
		case errors.As(err, &rej):
			q.reject(batch, rej)
			q.ack(next)
		case errors.Is(err, ErrTooLarge) && len(batch) > 1:
			batchEvents = max(1, len(batch)/2)
			q.log.Warn("event batch too large; retrying smaller", "events", batchEvents)
		case errors.Is(err, ErrTooLarge):
			// One event alone is too large for the receiver (or a proxy in
			// front of it): set it aside rather than block the queue.
			q.reject(batch, &RejectedError{Err: err})
			q.ack(next)
		default:
			if ctx.Err() != nil {
				return nil
			}
			// The first failure and then every tenth are logged, so that a
			// long outage does not flood the log.
			wait, failures, log := retry.Failed()
			if log {
				q.log.Warn("event delivery failed; will retry", "error", err, "failures", failures, "retry_in", wait.String())
			}
			if !backoff.Sleep(ctx, backoff.Jitter(wait)) {
				return nil
			}
		}
	}
}

// ack records that everything before p was delivered, and removes the
// segments wholly behind it.
func (q *Queue) ack(p position) {
	err := atomicfile.Write(filepath.Join(q.dir, ackFile), fmt.Appendf(nil, "%d %d\n", p.Seq, p.Off))
	if err != nil {
		// Delivery stays correct: on restart the events since the last
		// recorded position are sent again and the console drops them.
		q.log.Error("event queue: could not record the delivery position", "error", err)
	}
	q.mu.Lock()
	old := q.pos
	if p.Seq == old.Seq {
		q.size -= p.Off - old.Off
	} else {
		q.size -= q.segTail(old)
		for s := old.Seq + 1; s < p.Seq; s++ {
			if fi, err := os.Stat(filepath.Join(q.dir, segName(s))); err == nil {
				q.size -= fi.Size()
			}
		}
		q.size -= p.Off
	}
	q.size = max(q.size, 0)
	q.pos = p
	q.mu.Unlock()
	for s := old.Seq; s < p.Seq; s++ {
		if err := os.Remove(filepath.Join(q.dir, segName(s))); err != nil && !errors.Is(err, os.ErrNotExist) {
			q.log.Error("event queue: could not remove a delivered segment", "error", err)
		}
	}
}

// segTail is the size of segment p.Seq beyond p.Off.
func (q *Queue) segTail(p position) int64 {
	fi, err := os.Stat(filepath.Join(q.dir, segName(p.Seq)))
	if err != nil {
		return 0
	}
	return max(fi.Size()-p.Off, 0)
}

package eventqueue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/core/event"
)

// receiver records what was delivered and can be told to fail.
type receiver struct {
	mu    sync.Mutex
	got   []string // IDs in delivery order
	fail  int      // fail this many sends first
	calls int
	sizes []int
	err   error // error returned while failing
	// refuse, when set, makes a batch holding an event it matches fail
	// with a *RejectedError.
	refuse func(event.Event) bool
	done   chan struct{}
	want   int
}

func newReceiver(want int) *receiver { return &receiver{done: make(chan struct{}), want: want} }

func (r *receiver) send(_ context.Context, batch []event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.sizes = append(r.sizes, len(batch))
	if r.fail > 0 {
		r.fail--
		if r.err != nil {
			return r.err
		}
		return errors.New("console unreachable")
	}
	for _, e := range batch {
		if r.refuse != nil && r.refuse(e) {
			return &RejectedError{Err: fmt.Errorf("422 events: %s refused", e.ID)}
		}
	}
	for _, e := range batch {
		r.got = append(r.got, e.ID)
	}
	if len(r.got) >= r.want {
		select {
		case <-r.done:
		default:
			close(r.done)
		}
	}
	return nil
}

func (r *receiver) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

func testOptions() Options {
	return Options{SyncInterval: 10 * time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
}

func events(prefix string, n int) []event.Event {
	out := make([]event.Event, n)
	for i := range out {
		out[i] = event.Event{ID: fmt.Sprintf("%s-%04d", prefix, i), Kind: "Pod", Name: "p", Tab: "deployment",
			Rule: "privileged", Action: "block", Message: "m"}
	}
	return out
}

func idsOf(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// deliver runs the queue until rcv has want events, then stops it.
func deliver(t *testing.T, q *Queue, rcv *receiver) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx, rcv.send) }()
	select {
	case <-rcv.done:
	case <-time.After(20 * time.Second):
		t.Errorf("delivered %d of %d events", len(rcv.ids()), rcv.want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func mustOpen(t *testing.T, dir string, opts Options) *Queue {
	t.Helper()
	q, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func record(t *testing.T, q *Queue, evs []event.Event) {
	t.Helper()
	if err := q.Record(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
}

func TestDeliversInOrderOnce(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOptions())
	evs := events("a", 1200)
	record(t, q, evs[:700])
	record(t, q, evs[700:])
	rcv := newReceiver(len(evs))
	deliver(t, q, rcv)
	if diff := cmp.Diff(idsOf(evs), rcv.ids()); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	if st := q.Stats(); st.PendingBytes != 0 || st.Delivered != 1200 {
		t.Errorf("stats = %+v, want nothing pending and 1200 delivered", st)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened, the queue has nothing left to deliver.
	q = mustOpen(t, dir, testOptions())
	defer q.Close()
	more := events("b", 3)
	record(t, q, more)
	rcv = newReceiver(3)
	deliver(t, q, rcv)
	if diff := cmp.Diff(idsOf(more), rcv.ids()); diff != "" {
		t.Errorf("after reopening (-want +got):\n%s", diff)
	}
}

func TestSurvivesRestartBeforeDelivery(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOptions())
	first := events("before", 10)
	record(t, q, first)
	if err := q.Close(); err != nil { // the agent stops before the console is reached
		t.Fatal(err)
	}
	q = mustOpen(t, dir, testOptions())
	defer q.Close()
	if st := q.Stats(); st.PendingBytes == 0 {
		t.Fatalf("stats after reopening = %+v, want pending bytes", st)
	}
	second := events("after", 5)
	record(t, q, second)
	rcv := newReceiver(15)
	deliver(t, q, rcv)
	want := append(idsOf(first), idsOf(second)...)
	if diff := cmp.Diff(want, rcv.ids()); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
}

func TestRetriesUntilDelivered(t *testing.T) {
	q := mustOpen(t, t.TempDir(), testOptions())
	defer q.Close()
	evs := events("r", 20)
	record(t, q, evs)
	rcv := newReceiver(20)
	rcv.fail = 4
	deliver(t, q, rcv)
	if diff := cmp.Diff(idsOf(evs), rcv.ids()); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	if rcv.calls != 5 {
		t.Errorf("send called %d times, want 4 failures then 1 success", rcv.calls)
	}
}

func TestRotatesAndRemovesDeliveredSegments(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions()
	opts.SegmentBytes = 1024
	q := mustOpen(t, dir, opts)
	defer q.Close()
	evs := events("s", 200)
	for i := range evs {
		record(t, q, evs[i:i+1])
	}
	seqs, err := q.segments()
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) < 10 {
		t.Fatalf("%d segments for 200 events of ~150 bytes in 1 KiB segments, want many", len(seqs))
	}
	rcv := newReceiver(200)
	deliver(t, q, rcv)
	if diff := cmp.Diff(idsOf(evs), rcv.ids()); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	seqs, err = q.segments()
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 1 {
		t.Errorf("segments left after delivery = %v, want only the one being written", seqs)
	}
}

func TestSkipsCorruptRecordsLoudly(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOptions())
	evs := events("c", 3)
	record(t, q, evs[:2])
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	// A garbled line in the middle and a write cut short at the end.
	path := filepath.Join(dir, segName(1))
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("{not json\n{\"id\":\"c-trunc"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	q = mustOpen(t, dir, testOptions())
	defer q.Close()
	record(t, q, evs[2:])
	rcv := newReceiver(3)
	deliver(t, q, rcv)
	if diff := cmp.Diff(idsOf(evs), rcv.ids()); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	if got := q.Stats().Corrupt; got != 2 {
		t.Errorf("corrupt records = %d, want 2", got)
	}
	kept, err := os.ReadFile(filepath.Join(dir, rejectedFile))
	if want := "{not json\n{\"id\":\"c-trunc\n"; err != nil || string(kept) != want {
		t.Errorf("rejected.jsonl = %q, %v; want the unreadable records %q", kept, err, want)
	}
}

// A batch read again after a failed delivery does not set its unreadable
// record aside again: rejected.jsonl holds it once, counted once.
func TestCorruptRecordSetAsideOnceAcrossRetries(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOptions())
	evs := events("r", 3)
	record(t, q, evs[:2])
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, segName(1)), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("{not json\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	q = mustOpen(t, dir, testOptions())
	defer q.Close()
	record(t, q, evs[2:])
	rcv := newReceiver(3)
	rcv.fail = 4 // the console is unreachable four times
	deliver(t, q, rcv)
	if diff := cmp.Diff(idsOf(evs), rcv.ids()); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	if got := q.Stats().Corrupt; got != 1 {
		t.Errorf("corrupt records = %d, want 1", got)
	}
	kept, err := os.ReadFile(filepath.Join(dir, rejectedFile))
	if want := "{not json\n"; err != nil || string(kept) != want {
		t.Errorf("rejected.jsonl = %q, %v; want the unreadable record once", kept, err)
	}
}

func TestFullQueueRefusesNewEvents(t *testing.T) {
	opts := testOptions()
	opts.MaxBytes = 1000
	q := mustOpen(t, t.TempDir(), opts)
	defer q.Close()
	record(t, q, events("f", 5))
	err := q.Record(context.Background(), events("g", 5))
	if !errors.Is(err, ErrFull) {
		t.Fatalf("Record on a full queue = %v, want ErrFull", err)
	}
	if got := q.Stats().Refused; got != 5 {
		t.Errorf("refused = %d, want 5", got)
	}
}

// A batch the receiver refuses is halved until the event it refuses is
// alone: that event goes to rejected.jsonl, every other one is delivered,
// in order, and later events are not held up.
func TestRejectedEventIsKeptAndSkipped(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOptions())
	defer q.Close()
	evs := append(events("good-a", 5), event.Event{ID: "bad-1", Kind: "Pod", Name: "p", Tab: "deployment", Rule: "r", Action: "log"})
	evs = append(evs, events("good-b", 4)...)
	evs = append(evs, event.Event{ID: "bad-2", Kind: "Pod", Name: "p", Tab: "deployment", Rule: "r", Action: "log"})
	record(t, q, evs)
	var good []event.Event
	for _, e := range evs {
		if !strings.HasPrefix(e.ID, "bad") {
			good = append(good, e)
		}
	}
	rcv := newReceiver(len(good) + 2)
	rcv.refuse = func(e event.Event) bool { return strings.HasPrefix(e.ID, "bad") }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx, rcv.send) }()
	defer func() { cancel(); <-done }()
	later := events("later", 2)
	for q.Stats().Rejected < 2 {
		time.Sleep(time.Millisecond)
	}
	record(t, q, later)
	select {
	case <-rcv.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("delivered %v; later events were not delivered after the refused ones", rcv.ids())
	}
	if diff := cmp.Diff(idsOf(append(good, later...)), rcv.ids()); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(filepath.Join(dir, "rejected.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 2 || !strings.Contains(string(b), `"bad-1"`) || !strings.Contains(string(b), `"bad-2"`) {
		t.Errorf("rejected.jsonl = %q, want the two refused events alone", b)
	}
	if got := q.Stats().Rejected; got != 2 {
		t.Errorf("rejected = %d, want 2", got)
	}
}

func TestTooLargeHalvesTheBatch(t *testing.T) {
	q := mustOpen(t, t.TempDir(), testOptions())
	defer q.Close()
	evs := events("l", 100)
	record(t, q, evs)
	rcv := newReceiver(100)
	rcv.fail = 2
	rcv.err = ErrTooLarge
	deliver(t, q, rcv)
	if diff := cmp.Diff(idsOf(evs), rcv.ids()); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{100, 50, 25, 75}, rcv.sizes); diff != "" {
		t.Errorf("batch sizes (-want +got), want halved twice, then the rest at full size:\n%s", diff)
	}
}

func TestConcurrentRecordWhileDelivering(t *testing.T) {
	opts := testOptions()
	opts.SegmentBytes = 4096
	q := mustOpen(t, t.TempDir(), opts)
	defer q.Close()
	const writers, each = 8, 100
	rcv := newReceiver(writers * each)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx, rcv.send) }()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, e := range events(fmt.Sprintf("w%d", w), each) {
				if err := q.Record(context.Background(), []event.Event{e}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-rcv.done:
	case <-time.After(20 * time.Second):
		t.Errorf("delivered %d of %d", len(rcv.ids()), writers*each)
	}
	cancel()
	<-done
	seen := map[string]int{}
	for _, id := range rcv.ids() {
		seen[id]++
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct events delivered, want %d", len(seen), writers*each)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
}

// A position file torn by a power loss does not stop the agent: delivery
// starts again from the oldest segment (the console drops duplicates).
func TestUnreadablePositionRestartsFromTheOldest(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOptions())
	evs := events("p", 3)
	record(t, q, evs)
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ackFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	q = mustOpen(t, dir, testOptions())
	defer q.Close()
	rcv := newReceiver(3)
	deliver(t, q, rcv)
	if diff := cmp.Diff(idsOf(evs), rcv.ids()); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
}

// One event too large for the receiver on its own is set aside, not
// retried forever.
func TestSingleEventTooLargeIsRejected(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOptions())
	defer q.Close()
	record(t, q, events("big", 1))
	rcv := newReceiver(1)
	rcv.fail = 2 // both events together, then the big one alone
	rcv.err = ErrTooLarge
	record(t, q, events("next", 1))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx, rcv.send) }()
	defer func() { cancel(); <-done }()
	select {
	case <-rcv.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the queue is stuck behind an event too large")
	}
	if st := q.Stats(); st.Rejected != 1 || rcv.ids()[0] != "next-0000" {
		t.Errorf("stats %+v, delivered %v: want the large event rejected and the next delivered", st, rcv.ids())
	}
}

// FuzzSegment feeds arbitrary segment content (a disk the agent did not
// write cleanly) to the reader: it must skip what it cannot read, never
// panic and never loop.
func FuzzSegment(f *testing.F) {
	f.Add([]byte(`{"id":"a","kind":"Pod","name":"p","tab":"deployment","rule":"r","action":"log","message":"m"}` + "\n"))
	f.Add([]byte("{not json\n{\"id\":\"x\"}\n{\"id\":\"trunc"))
	f.Add([]byte("\n\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segName(1)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		opts := testOptions()
		opts.BatchBytes = 64
		q, err := Open(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		r := reader{q: q, buf: make([]byte, opts.BatchBytes)}
		defer r.close()
		for range len(data) + 3 {
			_, next, err := r.next(10)
			if err != nil {
				t.Fatal(err)
			}
			if next == q.pos {
				return
			}
			q.ack(next)
		}
		t.Fatalf("reader did not reach the end of %d bytes", len(data))
	})
}

// bigLine is the JSON line of one event of about 5 MiB, more than a whole
// batch (4 MiB), as an agent without creation bounds wrote it.
func bigLine(id string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"kind":"Pod","name":"p","tab":"runtime","rule":"r","action":"log","message":"%s"}`+"\n",
		id, strings.Repeat("x", 5<<20))
}

// An event larger than a batch, in the segment being written or in a
// sealed one (after a restart), is set aside in rejected.jsonl, counted,
// and the events after it are delivered.
func TestOversizedRecordIsSetAside(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			dir := t.TempDir()
			opts := testOptions()
			opts.BatchBytes = 0 // the default, 4 MiB
			q := mustOpen(t, dir, opts)
			before, after := events("before", 3), events("after", 3)
			record(t, q, before)
			big := bigLine("big")
			if err := q.append(big, 1); err != nil {
				t.Fatal(err)
			}
			record(t, q, after)
			if restart {
				if err := q.Close(); err != nil {
					t.Fatal(err)
				}
				q = mustOpen(t, dir, opts)
			}
			defer q.Close()
			rcv := newReceiver(6)
			deliver(t, q, rcv)
			if diff := cmp.Diff(append(idsOf(before), idsOf(after)...), rcv.ids()); diff != "" {
				t.Errorf("delivered (-want +got):\n%s", diff)
			}
			kept, err := os.ReadFile(filepath.Join(dir, rejectedFile))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(kept, big) {
				t.Errorf("rejected.jsonl holds %d bytes, want the %d of the oversized record", len(kept), len(big))
			}
			if st := q.Stats(); st.Oversized != 1 || st.Corrupt != 0 || st.Delivered != 6 {
				t.Errorf("stats %+v, want 1 oversized, 6 delivered", st)
			}
		})
	}
}

// A record larger than a batch whose end is not written yet is waited
// for, not set aside.
func TestOversizedRecordBeingWrittenIsWaitedFor(t *testing.T) {
	dir := t.TempDir()
	q := mustOpen(t, dir, testOptions())
	defer q.Close()
	r := reader{q: q, buf: make([]byte, 64)}
	defer r.close()
	big := bigLine("big")[:200] // no newline yet
	if err := q.append(big, 1); err != nil {
		t.Fatal(err)
	}
	evs, next, err := r.next(10)
	if err != nil || len(evs) != 0 || next != q.pos {
		t.Fatalf("next = %v, %v, %v: want to wait at %v", evs, next, err, q.pos)
	}
	if st := q.Stats(); st.Oversized != 0 || st.Corrupt != 0 {
		t.Errorf("stats %+v: nothing should be set aside yet", st)
	}
}

package conformance

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/event"
)

var (
	clusterNames = []string{"prod", "staging", "dev"}
	namespaces   = []string{"default", "payments", "kube-system", "web"}
	ruleIDs      = []string{"privileged", "host-network", "latest-tag", "run-as-root", "shell-in-container"}
	actions      = []string{"log", "block", "isolate", "terminate"}
	tabs         = []string{"deployment", "continuous", "runtime"}
)

var base = time.Date(2030, 3, 4, 5, 6, 7, 0, time.UTC)

// genEvents makes n varied events whose times, spread over spread
// seconds at whole seconds, often tie.
func genEvents(r *rand.Rand, prefix string, n, spread int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = event.Event{
			ID:        fmt.Sprintf("%s-%05d", prefix, i),
			Time:      base.Add(time.Duration(r.IntN(spread)) * time.Second),
			Cluster:   clusterNames[r.IntN(len(clusterNames))],
			Namespace: namespaces[r.IntN(len(namespaces))],
			Kind:      "Pod",
			Name:      fmt.Sprintf("web-%d", r.IntN(50)),
			Container: "app",
			Tab:       tabs[r.IntN(len(tabs))],
			Rule:      ruleIDs[r.IntN(len(ruleIDs))],
			Action:    actions[r.IntN(len(actions))],
			Policy:    "baseline",
			User:      "system:serviceaccount:kube-system:deployer",
			Message:   fmt.Sprintf("event %d", i),
			Operation: "CREATE",
		}
	}
	return evs
}

// model is what a store should hold: events in arrival order.
type model []event.Event

// list is the reference ListEvents without paging.
func (m model) list(f store.EventFilter) []string {
	type hit struct {
		e       event.Event
		arrival int
	}
	var hits []hit
	for i, e := range m {
		if (f.Cluster == "" || e.Cluster == f.Cluster) && (f.Namespace == "" || e.Namespace == f.Namespace) &&
			(f.Rule == "" || e.Rule == f.Rule) && (f.Action == "" || e.Action == f.Action) &&
			(f.Since.IsZero() || !e.Time.Before(f.Since)) {
			hits = append(hits, hit{e, i})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if c := b.e.Time.Compare(a.e.Time); c != 0 {
			return c
		}
		return b.arrival - a.arrival
	})
	ids := make([]string, 0, len(hits))
	for _, h := range hits {
		ids = append(ids, h.e.ID)
	}
	return ids
}

func appendAll(t *testing.T, s store.Store, evs []event.Event, batch int) {
	t.Helper()
	for i := 0; i < len(evs); i += batch {
		b := evs[i:min(i+batch, len(evs))]
		n, err := s.AppendEvents(ctx(t), b)
		must(t, "append events", err)
		if n != len(b) {
			t.Fatalf("append of %d new events returned %d", len(b), n)
		}
	}
}

// pageAll follows cursors from the first page to the last, checking each
// page, and returns the IDs in order.
func pageAll(t *testing.T, s store.Store, f store.EventFilter, total int) []string {
	t.Helper()
	var ids []string
	want := f.Limit
	if want == 0 {
		want = store.DefaultPageSize
	}
	for pages := 0; ; pages++ {
		if pages > total/want+2 {
			t.Fatalf("%+v: more pages than %d events need", f, total)
		}
		p, err := s.ListEvents(ctx(t), f)
		must(t, fmt.Sprintf("list events %+v", f), err)
		if len(p.Events) > want {
			t.Fatalf("%+v: page of %d events, more than the limit", f, len(p.Events))
		}
		if p.Next != "" && len(p.Events) != want {
			t.Fatalf("%+v: a page of %d events with a next cursor, want full pages of %d", f, len(p.Events), want)
		}
		for _, e := range p.Events {
			ids = append(ids, e.ID)
		}
		if p.Next == "" {
			return ids
		}
		f.Cursor = p.Next
	}
}

func testAppendIdempotent(t *testing.T, s store.Store) {
	c := ctx(t)
	if n, err := s.AppendEvents(c, nil); err != nil || n != 0 {
		t.Fatalf("append no events = %d, %v", n, err)
	}
	evs := genEvents(rand.New(rand.NewPCG(1, 2)), "idem", 10, 100)
	n, err := s.AppendEvents(c, evs)
	if err != nil || n != 10 {
		t.Fatalf("append 10 new = %d, %v; want 10", n, err)
	}
	n, err = s.AppendEvents(c, evs)
	if err != nil || n != 0 {
		t.Fatalf("append the same batch again = %d, %v; want 0", n, err)
	}
	// Three new events, two already stored (changed: the stored copy
	// stays), and the first new one twice in the batch (at another time:
	// the first copy is stored, once).
	fresh := genEvents(rand.New(rand.NewPCG(3, 4)), "fresh", 3, 100)
	resent := evs[2]
	resent.Message = "changed on retry"
	dup := fresh[0]
	dup.Message = "second copy in the batch"
	dup.Time = dup.Time.Add(72 * time.Hour)
	n, err = s.AppendEvents(c, []event.Event{fresh[0], resent, fresh[1], evs[5], dup, fresh[2]})
	if err != nil || n != 3 {
		t.Fatalf("append 3 new among repeats = %d, %v; want 3", n, err)
	}
	all := pageAll(t, s, store.EventFilter{Limit: store.MaxPageSize}, 13)
	if len(all) != 13 {
		t.Fatalf("stored %d events, want 13", len(all))
	}
	p, err := s.ListEvents(c, store.EventFilter{Limit: store.MaxPageSize})
	must(t, "list", err)
	for _, e := range p.Events {
		switch e.ID {
		case resent.ID:
			if e.Message != evs[2].Message {
				t.Errorf("a retried event replaced the stored one: %q", e.Message)
			}
		case dup.ID:
			if e.Message != fresh[0].Message {
				t.Errorf("the second copy in a batch won: %q", e.Message)
			}
		}
	}
}

func testAppendMissingID(t *testing.T, s store.Store) {
	c := ctx(t)
	evs := genEvents(rand.New(rand.NewPCG(5, 6)), "ok", 2, 10)
	evs[1].ID = ""
	_, err := s.AppendEvents(c, evs)
	wantErr(t, "append an event without an ID", err, store.ErrInvalid)
	p, err := s.ListEvents(c, store.EventFilter{})
	must(t, "list", err)
	if len(p.Events) != 0 {
		t.Errorf("a refused batch stored %d events", len(p.Events))
	}
}

func testEventRoundTrip(t *testing.T, s store.Store) {
	c := ctx(t)
	want := event.Event{
		ID: "round-trip", Time: time.Date(2030, 1, 2, 3, 4, 5, 678901234, time.FixedZone("CET", 3600)),
		Cluster: "prod", Namespace: "payments", Kind: "Deployment", Name: "api", Container: "sidecar",
		Tab: "runtime", Rule: "shell-in-container", Action: "terminate", Policy: "strict",
		User: "alice@example.com", Message: "a shell ran in payments/api: \"sh -c 'id'\" ✓", Operation: "CONNECT",
		Caller: event.CallerAuthenticated,
		// The console's receive time stands in Time; the agent's far-off
		// time is kept, to the microsecond, at the edge of what JSON
		// times reach.
		AgentTime: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("X", 2*3600)),
	}
	sparse := event.Event{ID: "sparse", Time: want.Time.Add(-time.Hour), Kind: "Pod", Name: "x", Tab: "deployment", Rule: "r", Action: "log"}
	_, err := s.AppendEvents(c, []event.Event{want, sparse})
	must(t, "append", err)
	p, err := s.ListEvents(c, store.EventFilter{})
	must(t, "list", err)
	if len(p.Events) != 2 || p.Next != "" {
		t.Fatalf("list = %d events, next %q; want 2 and no next", len(p.Events), p.Next)
	}
	for i, w := range []event.Event{want, sparse} {
		got := p.Events[i]
		sameInstant(t, w.ID+" time", got.Time, w.Time)
		if w.AgentTime.IsZero() {
			if !got.AgentTime.IsZero() {
				t.Errorf("%s agent time = %v, want none", w.ID, got.AgentTime)
			}
		} else {
			sameInstant(t, w.ID+" agent time", got.AgentTime, w.AgentTime)
		}
		got.Time, w.Time = time.Time{}, time.Time{}
		got.AgentTime, w.AgentTime = time.Time{}, time.Time{}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("event %s (-want +got):\n%s", w.ID, diff)
		}
	}
}

func testEventTimePrecision(t *testing.T, s store.Store) {
	c := ctx(t)
	t0 := time.Date(2030, 6, 1, 12, 0, 0, 999, time.FixedZone("X", -7*3600))
	var evs []event.Event
	for i := range 5 {
		evs = append(evs, event.Event{ID: fmt.Sprintf("us-%d", i), Time: t0.Add(time.Duration(i) * time.Microsecond), Rule: "r", Action: "log"})
	}
	// Arrival order is not time order.
	slices.Reverse(evs[1:])
	_, err := s.AppendEvents(c, evs)
	must(t, "append", err)
	p, err := s.ListEvents(c, store.EventFilter{})
	must(t, "list", err)
	if len(p.Events) != 5 {
		t.Fatalf("listed %d events, want 5", len(p.Events))
	}
	for i, e := range p.Events {
		want := t0.Add(time.Duration(4-i) * time.Microsecond)
		if e.ID != fmt.Sprintf("us-%d", 4-i) {
			t.Errorf("event %d is %s, want newest first by microsecond", i, e.ID)
		}
		sameInstant(t, e.ID, e.Time, want)
	}
	// Since is inclusive, at microsecond precision.
	p, err = s.ListEvents(c, store.EventFilter{Since: storedTime(t0.Add(3 * time.Microsecond))})
	must(t, "list since", err)
	if len(p.Events) != 2 {
		t.Errorf("since the 4th microsecond: %d events, want 2", len(p.Events))
	}
}

func testListFilters(t *testing.T, s store.Store) {
	evs := genEvents(rand.New(rand.NewPCG(7, 8)), "f", 400, 120)
	appendAll(t, s, evs, 64)
	m := model(evs)
	since := base.Add(60 * time.Second)
	filters := []store.EventFilter{
		{},
		{Cluster: "prod"},
		{Namespace: "payments"},
		{Rule: "privileged"},
		{Action: "block"},
		{Since: since},
		{Cluster: "prod", Namespace: "payments"},
		{Rule: "run-as-root", Action: "isolate"},
		{Cluster: "staging", Since: since},
		{Cluster: "dev", Namespace: "web", Rule: "latest-tag", Action: "log"},
		{Cluster: "prod", Namespace: "default", Rule: "privileged", Action: "terminate", Since: since},
		{Cluster: "nowhere"},
		{Since: base.Add(time.Hour)},
		{Cluster: "PROD"},
	}
	for _, f := range filters {
		want := m.list(f)
		for _, limit := range []int{store.MaxPageSize, 7} {
			f.Limit = limit
			got := pageAll(t, s, f, len(want))
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ListEvents(%+v) (-want +got):\n%s", f, diff)
			}
		}
	}
	// One event per page, through a narrow filter.
	f := store.EventFilter{Cluster: "prod", Namespace: "web", Limit: 1}
	if diff := cmp.Diff(m.list(f), pageAll(t, s, f, len(evs))); diff != "" {
		t.Errorf("ListEvents(%+v) one by one (-want +got):\n%s", f, diff)
	}
}

func testPagingTies(t *testing.T, s store.Store) {
	r := rand.New(rand.NewPCG(9, 10))
	var evs []event.Event
	early := genEvents(r, "early", 20, 60)
	tied := genEvents(r, "tied", 250, 1)
	late := genEvents(r, "late", 20, 60)
	for i := range late {
		late[i].Time = late[i].Time.Add(10 * time.Minute)
	}
	for i := range early {
		early[i].Time = early[i].Time.Add(-10 * time.Minute)
	}
	// Interleave arrivals so that arrival order differs from time order.
	evs = append(evs, late[:10]...)
	evs = append(evs, tied[:120]...)
	evs = append(evs, early...)
	evs = append(evs, tied[120:]...)
	evs = append(evs, late[10:]...)
	appendAll(t, s, evs, 50)
	m := model(evs)
	for _, f := range []store.EventFilter{{Limit: 7}, {Limit: 50}, {Cluster: "prod", Limit: 3}, {Since: base, Limit: 11}} {
		want := m.list(f)
		got := pageAll(t, s, f, len(want))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("paging %+v across 250 events at one instant (-want +got):\n%s", f, diff)
		}
	}
}

func testLimits(t *testing.T, s store.Store) {
	c := ctx(t)
	n := store.MaxPageSize + 5
	evs := genEvents(rand.New(rand.NewPCG(11, 12)), "lim", n, 3600)
	for i := range evs {
		evs[i].Cluster = "big"
	}
	for i := range 5 {
		evs[i].Cluster = "small"
	}
	appendAll(t, s, evs, 500)

	checkPageLimits(t, n, func(limit int, cur string) (int, string, error) {
		p, err := s.ListEvents(c, store.EventFilter{Limit: limit, Cursor: cur})
		return len(p.Events), p.Next, err
	})

	p, err := s.ListEvents(c, store.EventFilter{Cluster: "small", Limit: 5})
	must(t, "exactly a page", err)
	if len(p.Events) != 5 || p.Next != "" {
		t.Errorf("exactly a page: %d events, next %q; want 5 and no next", len(p.Events), p.Next)
	}
	p, err = s.ListEvents(c, store.EventFilter{Cluster: "small", Limit: 4})
	must(t, "one short", err)
	if len(p.Events) != 4 || p.Next == "" {
		t.Fatalf("one short of a page: %d events, next %q; want 4 and a next cursor", len(p.Events), p.Next)
	}
	p, err = s.ListEvents(c, store.EventFilter{Cluster: "small", Limit: 4, Cursor: p.Next})
	must(t, "last", err)
	if len(p.Events) != 1 || p.Next != "" {
		t.Errorf("last page: %d events, next %q; want 1 and no next", len(p.Events), p.Next)
	}
	p, err = s.ListEvents(c, store.EventFilter{Cluster: "none"})
	must(t, "no match", err)
	if len(p.Events) != 0 || p.Next != "" {
		t.Errorf("no match: %d events, next %q", len(p.Events), p.Next)
	}
}

func testInvalidCursor(t *testing.T, s store.Store) {
	c := ctx(t)
	appendAll(t, s, genEvents(rand.New(rand.NewPCG(13, 14)), "cur", 3, 10), 3)
	for _, cur := range []string{"not a cursor", "%%%", "AAAA", "eyJ0IjoxfQ", strings.Repeat("A", 64)} {
		_, err := s.ListEvents(c, store.EventFilter{Cursor: cur})
		wantErr(t, fmt.Sprintf("cursor %q", cur), err, store.ErrInvalid)
		if !strings.Contains(err.Error(), "cursor") {
			t.Errorf("cursor %q: error %q does not say it is the cursor", cur, err)
		}
	}
}

// sharedEvent is the k-th event every writer of testConcurrentAppends
// sends in its batch b: the same ID and time, as a retry has.
func sharedEvent(b, k int) event.Event {
	e := genEvents(rand.New(rand.NewPCG(uint64(b), uint64(k))), "", 1, 30)[0]
	e.ID = fmt.Sprintf("shared-b%d-%d", b, k)
	return e
}

func testConcurrentAppends(t *testing.T, s store.Store) {
	const writers, batches, perBatch, shared = 6, 8, 50, 10
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		added int
		errs  []error
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 15))
			for b := range batches {
				evs := genEvents(r, fmt.Sprintf("w%d-b%d", w, b), perBatch, 30)
				// Every writer also sends the same few events, as agents
				// retrying through several console replicas would.
				for k := range shared {
					evs[k] = sharedEvent(b, k)
				}
				n, err := s.AppendEvents(ctx(t), evs)
				mu.Lock()
				added += n
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Errorf("concurrent append: %v", err)
	}
	unique := writers*batches*(perBatch-shared) + batches*shared
	if added != unique {
		t.Errorf("concurrent appends reported %d new events, want %d", added, unique)
	}
	ids := pageAll(t, s, store.EventFilter{Limit: store.MaxPageSize}, unique)
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("event %s listed twice", id)
		}
		seen[id] = true
	}
	if len(ids) != unique {
		t.Errorf("listed %d events after concurrent appends, want %d", len(ids), unique)
	}
	// Each event counted once, whichever writer stored it.
	counts, err := s.CountEventsByHour(ctx(t), store.Hours{From: base.Truncate(time.Hour), To: base.Truncate(time.Hour).Add(time.Hour)})
	must(t, "count events by hour", err)
	var counted int64
	for _, c := range counts {
		counted += c.Count
	}
	if counted != int64(unique) {
		t.Errorf("counted %d events after concurrent appends, want %d", counted, unique)
	}
}

// checkPageLimits checks a list of total items (more than MaxPageSize)
// through list, which returns a page's length and next cursor: no limit
// gives DefaultPageSize, a huge one MaxPageSize, and its next page the
// rest with no cursor after it.
func checkPageLimits(t *testing.T, total int, list func(limit int, cursor string) (int, string, error)) {
	t.Helper()
	n, next, err := list(0, "")
	must(t, "list with no limit", err)
	if n != store.DefaultPageSize || next == "" {
		t.Errorf("no limit: %d items, next %q; want %d and a next cursor", n, next, store.DefaultPageSize)
	}
	n, next, err = list(store.MaxPageSize*3, "")
	must(t, "list with a huge limit", err)
	if n != store.MaxPageSize || next == "" {
		t.Fatalf("huge limit: %d items, next %q; want %d and a next cursor", n, next, store.MaxPageSize)
	}
	n, next, err = list(store.MaxPageSize*3, next)
	must(t, "second page", err)
	if n != total-store.MaxPageSize || next != "" {
		t.Errorf("second page: %d items, next %q; want %d and no next", n, next, total-store.MaxPageSize)
	}
}

package conformance

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// The overview's counts are checked against these references, computed
// from the events a store was given (the first of each ID).

func (m model) byHour(h store.Hours) []store.HourCount {
	type key struct {
		hour   time.Time
		action string
	}
	n := map[key]int64{}
	for _, e := range m.unique() {
		if !e.Time.Before(h.From) && e.Time.Before(h.To) {
			n[key{e.Time.Truncate(time.Hour).UTC(), e.Action}]++
		}
	}
	var out []store.HourCount
	for k, c := range n {
		out = append(out, store.HourCount{Hour: k.hour, Action: k.action, Count: c})
	}
	slices.SortFunc(out, func(a, b store.HourCount) int {
		if c := a.Hour.Compare(b.Hour); c != 0 {
			return c
		}
		return strings.Compare(a.Action, b.Action)
	})
	return out
}

func (m model) topRules(action string, h store.Hours, limit int) []store.RuleCount {
	n := map[string]int64{}
	for _, e := range m.unique() {
		if e.Action == action && !e.Time.Before(h.From) && e.Time.Before(h.To) {
			n[e.Rule]++
		}
	}
	var out []store.RuleCount
	for r, c := range n {
		out = append(out, store.RuleCount{Rule: r, Count: c})
	}
	slices.SortFunc(out, func(a, b store.RuleCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	return out[:min(limit, len(out))]
}

func (m model) topNamespaces(action string, h store.Hours, limit int) []store.NamespaceCount {
	type key struct{ cluster, namespace string }
	n := map[key]int64{}
	for _, e := range m.unique() {
		if e.Action == action && e.Namespace != "" && !e.Time.Before(h.From) && e.Time.Before(h.To) {
			n[key{e.Cluster, e.Namespace}]++
		}
	}
	var out []store.NamespaceCount
	for k, c := range n {
		out = append(out, store.NamespaceCount{Cluster: k.cluster, Namespace: k.namespace, Count: c})
	}
	slices.SortFunc(out, func(a, b store.NamespaceCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		if c := strings.Compare(a.Cluster, b.Cluster); c != 0 {
			return c
		}
		return strings.Compare(a.Namespace, b.Namespace)
	})
	return out[:min(limit, len(out))]
}

// unique is the events a store keeps: the first of each ID.
func (m model) unique() []event.Event {
	seen := map[string]bool{}
	var out []event.Event
	for _, e := range m {
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	return out
}

// checkCounts compares every count over h with the model's.
func checkCounts(t *testing.T, s store.Store, m model, h store.Hours, what string) {
	t.Helper()
	got, err := s.CountEventsByHour(ctx(t), h)
	must(t, what+": count events by hour", err)
	if diff := cmp.Diff(m.byHour(h), got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s: CountEventsByHour(%v to %v) (-want +got):\n%s", what, h.From, h.To, diff)
	}
	for _, c := range got {
		if c.Hour.Location() != time.UTC {
			t.Errorf("%s: hour %v is not in UTC", what, c.Hour)
		}
	}
	for _, action := range actions {
		for _, limit := range []int{1, 3, 100} {
			rules, err := s.TopRules(ctx(t), action, h, limit)
			must(t, what+": top rules", err)
			if diff := cmp.Diff(m.topRules(action, h, limit), rules, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s: TopRules(%s, %d) (-want +got):\n%s", what, action, limit, diff)
			}
			nss, err := s.TopNamespaces(ctx(t), action, h, limit)
			must(t, what+": top namespaces", err)
			if diff := cmp.Diff(m.topNamespaces(action, h, limit), nss, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s: TopNamespaces(%s, %d) (-want +got):\n%s", what, action, limit, diff)
			}
		}
	}
}

// testCounts: hourly counts by action, and the top rules and namespaces
// by action, match the events stored, at the hours' edges too.
func testCounts(t *testing.T, s store.Store) {
	r := rand.New(rand.NewPCG(21, 22))
	// Ten hours of events, every few minutes; some on an hour's first
	// and last microsecond; some in another time zone; some without a
	// namespace.
	evs := genEvents(r, "h", 600, 10*3600)
	start := base.Truncate(time.Hour)
	for i := range 10 {
		evs[i].Time = start.Add(time.Duration(i+1) * time.Hour)
		evs[10+i].Time = start.Add(time.Duration(i+1)*time.Hour - time.Microsecond)
	}
	for i := 20; i < 40; i++ {
		evs[i].Time = evs[i].Time.In(time.FixedZone("IST", 5*3600+1800))
	}
	for i := 40; i < 60; i++ {
		evs[i].Namespace = ""
	}
	appendAll(t, s, evs, 97)
	m := model(evs)
	for _, h := range []store.Hours{
		{From: start, To: start.Add(12 * time.Hour)},
		{From: start.Add(2 * time.Hour), To: start.Add(3 * time.Hour)},
		{From: start.Add(3 * time.Hour), To: start.Add(7 * time.Hour)},
		{From: start.Add(-24 * time.Hour), To: start},
		{From: start.Add(100 * time.Hour), To: start.Add(101 * time.Hour)},
	} {
		checkCounts(t, s, m, h, fmt.Sprintf("hours %v to %v", h.From.Format(time.TimeOnly), h.To.Format(time.TimeOnly)))
	}
	// An hour's edges: its first microsecond is in, the next hour's is
	// not.
	h := store.Hours{From: start.Add(time.Hour), To: start.Add(2 * time.Hour)}
	got, err := s.CountEventsByHour(ctx(t), h)
	must(t, "count one hour", err)
	var n int64
	for _, c := range got {
		if !c.Hour.Equal(h.From) {
			t.Errorf("one hour's count has the hour %v, want %v", c.Hour, h.From)
		}
		n += c.Count
	}
	if want := int64(len(m.in(h))); n != want {
		t.Errorf("one hour: %d events counted, want %d", n, want)
	}
}

// in lists the events dated in h.
func (m model) in(h store.Hours) []event.Event {
	var out []event.Event
	for _, e := range m.unique() {
		if !e.Time.Before(h.From) && e.Time.Before(h.To) {
			out = append(out, e)
		}
	}
	return out
}

// testCountsDays: ranges over several days (which a store may count
// from daily counts and the hours around them) match the events, with
// events on the first and last microsecond of a day.
func testCountsDays(t *testing.T, s store.Store) {
	r := rand.New(rand.NewPCG(25, 26))
	evs := genEvents(r, "days", 800, 4*24*3600)
	midnight := base.Truncate(24 * time.Hour).Add(24 * time.Hour)
	for i := range 4 {
		evs[i].Time = midnight.Add(time.Duration(i) * 24 * time.Hour)
		evs[4+i].Time = midnight.Add(time.Duration(i)*24*time.Hour - time.Microsecond)
	}
	appendAll(t, s, evs, 128)
	m := model(evs)
	for _, h := range []store.Hours{
		{From: base.Truncate(time.Hour), To: base.Truncate(time.Hour).Add(4 * 24 * time.Hour)},
		{From: midnight, To: midnight.Add(2 * 24 * time.Hour)},
		{From: midnight.Add(-time.Hour), To: midnight.Add(24*time.Hour + time.Hour)},
		{From: midnight.Add(-3 * time.Hour), To: midnight.Add(5 * time.Hour)},
		{From: midnight.Add(time.Hour), To: midnight.Add(3*24*time.Hour - time.Hour)},
	} {
		checkCounts(t, s, m, h, fmt.Sprintf("hours %v to %v", h.From.Format(time.DateTime), h.To.Format(time.DateTime)))
	}
}

// testCountsTies: equal counts are ordered by name (byte order, as Go
// compares strings), and block counts only count blocks.
func testCountsTies(t *testing.T, s store.Store) {
	at := base.Truncate(time.Hour)
	var evs []event.Event
	add := func(n int, cluster, ns, rule, action string) {
		for range n {
			evs = append(evs, event.Event{ID: fmt.Sprintf("tie-%d", len(evs)), Time: at.Add(time.Duration(len(evs)) * time.Second),
				Cluster: cluster, Namespace: ns, Kind: "Pod", Name: "p", Tab: "deployment", Rule: rule, Action: action})
		}
	}
	add(3, "prod", "web", "Zeta", "block")
	add(3, "prod", "Web", "alpha", "block")
	add(3, "dev", "web", "beta", "block")
	add(2, "prod", "api", "_under", "block")
	add(9, "prod", "api", "loud", "log")
	add(1, "prod", "", "cluster-scoped", "block")
	appendAll(t, s, evs, len(evs))
	h := store.Hours{From: at, To: at.Add(time.Hour)}
	rules, err := s.TopRules(ctx(t), "block", h, 10)
	must(t, "top rules", err)
	rc := func(rule string, n int64) store.RuleCount { return store.RuleCount{Rule: rule, Count: n} }
	wantRules := []store.RuleCount{rc("Zeta", 3), rc("alpha", 3), rc("beta", 3), rc("_under", 2), rc("cluster-scoped", 1)}
	if diff := cmp.Diff(wantRules, rules); diff != "" {
		t.Errorf("TopRules(block) (-want +got):\n%s", diff)
	}
	nss, err := s.TopNamespaces(ctx(t), "block", h, 3)
	must(t, "top namespaces", err)
	nc := func(cluster, ns string, n int64) store.NamespaceCount {
		return store.NamespaceCount{Cluster: cluster, Namespace: ns, Count: n}
	}
	wantNS := []store.NamespaceCount{nc("dev", "web", 3), nc("prod", "Web", 3), nc("prod", "web", 3)}
	if diff := cmp.Diff(wantNS, nss); diff != "" {
		t.Errorf("TopNamespaces(block, 3) (-want +got):\n%s", diff)
	}
	none, err := s.TopRules(ctx(t), "terminate", h, 10)
	must(t, "top rules of an action without events", err)
	if len(none) != 0 {
		t.Errorf("TopRules(terminate) = %v, want none", none)
	}
}

// testCountsDedupe: an event appended again, alone, in a batch with new
// ones or twice in one batch, counts once.
func testCountsDedupe(t *testing.T, s store.Store) {
	c := ctx(t)
	r := rand.New(rand.NewPCG(23, 24))
	evs := genEvents(r, "d", 200, 3*3600)
	appendAll(t, s, evs, 50)
	m := model(evs)
	h := store.Hours{From: base.Truncate(time.Hour), To: base.Truncate(time.Hour).Add(4 * time.Hour)}
	checkCounts(t, s, m, h, "first append")

	n, err := s.AppendEvents(c, evs[:120])
	if err != nil || n != 0 {
		t.Fatalf("append stored events again = %d, %v; want 0", n, err)
	}
	checkCounts(t, s, m, h, "stored events appended again")

	// A retry that changed the event (another action, rule, namespace) is
	// still the stored one. A retry carries its event's time: the trail is
	// unique by ID and time (PostgreSQL partitions it by day; see
	// testAppendRewrittenRetry for events whose time the console rewrote).
	changed := evs[7]
	changed.Action, changed.Rule, changed.Namespace = "terminate", "other", "elsewhere"
	fresh := genEvents(r, "d-fresh", 30, 3*3600)
	batch := append([]event.Event{changed, fresh[0]}, fresh...)
	batch = append(batch, evs[3], fresh[5])
	n, err = s.AppendEvents(c, batch)
	if err != nil || n != len(fresh) {
		t.Fatalf("append %d new among repeats = %d, %v", len(fresh), n, err)
	}
	m = append(m, batch...)
	checkCounts(t, s, m, h, "new events among repeats")
}

// testCountsRange: a range that is not whole hours, or an empty one, and
// a limit below 1 are ErrInvalid.
func testCountsRange(t *testing.T, s store.Store) {
	c := ctx(t)
	at := base.Truncate(time.Hour)
	for _, h := range []store.Hours{
		{From: at.Add(time.Minute), To: at.Add(time.Hour)},
		{From: at, To: at.Add(time.Hour + time.Microsecond)},
		{From: at, To: at},
		{From: at.Add(time.Hour), To: at},
		{},
	} {
		_, err := s.CountEventsByHour(c, h)
		wantErr(t, fmt.Sprintf("CountEventsByHour(%v, %v)", h.From, h.To), err, store.ErrInvalid)
		_, err = s.TopRules(c, "block", h, 5)
		wantErr(t, fmt.Sprintf("TopRules(%v, %v)", h.From, h.To), err, store.ErrInvalid)
		_, err = s.TopNamespaces(c, "block", h, 5)
		wantErr(t, fmt.Sprintf("TopNamespaces(%v, %v)", h.From, h.To), err, store.ErrInvalid)
	}
	h := store.Hours{From: at, To: at.Add(time.Hour)}
	_, err := s.TopRules(c, "block", h, 0)
	wantErr(t, "TopRules with limit 0", err, store.ErrInvalid)
	_, err = s.TopNamespaces(c, "block", h, -1)
	wantErr(t, "TopNamespaces with limit -1", err, store.ErrInvalid)
	// A range in another zone, on the hour, is whole hours.
	ist := time.FixedZone("IST", 5*3600+1800)
	if _, err := s.CountEventsByHour(c, store.Hours{From: at.In(ist), To: at.Add(time.Hour).In(ist)}); err != nil {
		t.Errorf("whole hours given in a +05:30 zone: %v", err)
	}
}

package conformance

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// retentionDay is a day the tests prepare: on PostgreSQL the day before
// it to two days after it have partitions, any other day goes to the
// default partition.
var retentionDay = time.Date(2030, 5, 10, 0, 0, 0, 0, time.UTC)

func dayEvent(id string, t time.Time) event.Event {
	return event.Event{ID: id, Time: t, Cluster: "prod", Namespace: "web", Kind: "Pod", Name: id, Tab: "runtime", Rule: "r", Action: "log"}
}

// listAll returns every stored event's ID, newest first.
func listAll(t *testing.T, s store.Store) []string {
	t.Helper()
	return pageAll(t, s, store.EventFilter{Limit: store.MaxPageSize}, 100_000)
}

// testDeleteEventsBefore deletes whole prepared days, part of a day, and
// events of days never prepared (before and after the prepared ones).
func testDeleteEventsBefore(t *testing.T, s store.Store) {
	c := ctx(t)
	must(t, "prepare events", s.PrepareEvents(c, retentionDay.Add(12*time.Hour)))
	d := func(days int, clock time.Duration) time.Time { return retentionDay.AddDate(0, 0, days).Add(clock) }
	evs := []event.Event{
		dayEvent("unprepared-old", d(-30, time.Hour)),
		dayEvent("day-1-first", d(-1, 0)),
		dayEvent("day-1-last", d(0, -time.Microsecond)),
		dayEvent("day0-midnight", d(0, 0)),
		dayEvent("day0-morning", d(0, 9*time.Hour)),
		dayEvent("day0-morning-next-us", d(0, 9*time.Hour+time.Microsecond)),
		dayEvent("day2-last", d(3, -time.Microsecond)),
		dayEvent("unprepared-future", d(400, 0)),
	}
	appendAll(t, s, evs, len(evs))
	m := model(evs)

	steps := []struct {
		before time.Time
		want   int64
	}{
		// Day -1 whole and the unprepared day before it.
		{d(0, 0), 3},
		// Nothing more before the same time.
		{d(0, 0), 0},
		// Part of day 0, to the microsecond.
		{d(0, 9*time.Hour+time.Microsecond), 2},
		// Everything but the far future.
		{d(3, 0), 2},
		{d(401, 0), 1},
	}
	for _, st := range steps {
		n, err := s.DeleteEventsBefore(c, st.before)
		must(t, fmt.Sprintf("delete events before %v", st.before), err)
		if n != st.want {
			t.Errorf("delete events before %v = %d, want %d", st.before, n, st.want)
		}
		var kept model
		for _, e := range m {
			if !e.Time.Before(st.before) {
				kept = append(kept, e)
			}
		}
		m = kept
		if diff := cmp.Diff(m.list(store.EventFilter{}), listAll(t, s), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("after deleting events before %v (-want +got):\n%s", st.before, diff)
		}
	}

	// An event of a deleted day, pushed again, is stored again: nothing
	// is refused for its date.
	n, err := s.AppendEvents(c, []event.Event{evs[1]})
	if err != nil || n != 1 {
		t.Errorf("append an event of a deleted day = %d, %v; want 1", n, err)
	}
	if got := listAll(t, s); len(got) != 1 || got[0] != evs[1].ID {
		t.Errorf("after storing an event of a deleted day: %v", got)
	}
}

// testDeleteManyEvents deletes more events than a batch of SQLite's
// holds, and keeps the others.
func testDeleteManyEvents(t *testing.T, s store.Store) {
	c := ctx(t)
	must(t, "prepare events", s.PrepareEvents(c, retentionDay))
	r := rand.New(rand.NewPCG(21, 22))
	evs := genEvents(r, "many", 5000, 1)
	for i := range evs {
		// Half of them on the day before, half on the day.
		evs[i].Time = retentionDay.Add(time.Duration(i-len(evs)/2) * 10 * time.Second)
	}
	appendAll(t, s, evs, 1000)
	n, err := s.DeleteEventsBefore(c, retentionDay)
	must(t, "delete events", err)
	if n != int64(len(evs)/2) {
		t.Errorf("deleted %d events, want %d", n, len(evs)/2)
	}
	want := model(evs[len(evs)/2:]).list(store.EventFilter{})
	if diff := cmp.Diff(want, listAll(t, s)); diff != "" {
		t.Errorf("events kept (-want +got):\n%s", diff)
	}
}

// testPrepareEventsKeepsEarlierEvents: events of days not yet prepared are
// stored; preparing their days later keeps them, listed and paged as
// before, and a retry of one is still recognised.
func testPrepareEventsKeepsEarlierEvents(t *testing.T, s store.Store) {
	c := ctx(t)
	must(t, "prepare events", s.PrepareEvents(c, retentionDay))
	r := rand.New(rand.NewPCG(23, 24))
	evs := genEvents(r, "ahead", 300, 1)
	for i := range evs {
		// Five days after the prepared ones, over two days.
		evs[i].Time = retentionDay.AddDate(0, 0, 5).Add(time.Duration(i) * 10 * time.Minute)
	}
	appendAll(t, s, evs, 100)
	for _, now := range []time.Time{retentionDay.AddDate(0, 0, 6), retentionDay.AddDate(0, 0, 6), retentionDay.AddDate(0, 0, 9)} {
		must(t, fmt.Sprintf("prepare events at %v", now), s.PrepareEvents(c, now))
	}
	m := model(evs)
	for _, f := range []store.EventFilter{{Limit: 7}, {Cluster: "prod", Limit: 5}, {Since: evs[150].Time, Limit: 50}} {
		if diff := cmp.Diff(m.list(f), pageAll(t, s, f, len(evs))); diff != "" {
			t.Errorf("after preparing their days, %+v (-want +got):\n%s", f, diff)
		}
	}
	n, err := s.AppendEvents(c, []event.Event{evs[0], evs[150], evs[299]})
	if err != nil || n != 0 {
		t.Errorf("retry of events stored before their days were prepared = %d, %v; want 0", n, err)
	}
}

// testAppendRewrittenRetry: an event whose time the console rewrote (its
// agent's clock is far off) arrives with a new time at each retry; it is
// still stored once.
func testAppendRewrittenRetry(t *testing.T, s store.Store) {
	c := ctx(t)
	must(t, "prepare events", s.PrepareEvents(c, retentionDay))
	e := dayEvent("far-off", retentionDay.Add(time.Hour))
	e.AgentTime = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	if n, err := s.AppendEvents(c, []event.Event{e}); err != nil || n != 1 {
		t.Fatalf("append = %d, %v; want 1", n, err)
	}
	for _, retry := range []time.Duration{time.Minute, 3 * 24 * time.Hour, 400 * 24 * time.Hour} {
		again := e
		again.Time = e.Time.Add(retry)
		if n, err := s.AppendEvents(c, []event.Event{again, dayEvent("fresh-"+retry.String(), again.Time)}); err != nil || n != 1 {
			t.Errorf("retry %v later, with a new event = %d, %v; want 1 (the new one)", retry, n, err)
		}
	}
	got := listAll(t, s)
	if len(got) != 4 || got[3] != e.ID {
		t.Errorf("stored %v; want the rewritten event once and three new ones", got)
	}
}

// testListEventsAcrossDays lists a trail of three weeks up to now, each
// day prepared as it came, with events of far-off dates beside: pages
// come in order across days, whatever the filter matches (much, little,
// nothing, only old events).
func testListEventsAcrossDays(t *testing.T, s store.Store) {
	c := ctx(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	r := rand.New(rand.NewPCG(25, 26))
	evs := genEvents(r, "days", 1500, 1)
	for i := range evs {
		// Oldest first, as they arrive; a few at the same instant.
		evs[i].Time = now.Add(-21 * 24 * time.Hour).Add(time.Duration(i/3) * time.Hour)
		if i%72 == 0 { // a day
			must(t, "prepare events", s.PrepareEvents(c, evs[i].Time))
		}
	}
	// Only old events match these.
	for i := range 20 {
		evs[i].Rule = "retired-rule"
	}
	far := []event.Event{dayEvent("far-past", time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)),
		dayEvent("far-future", now.AddDate(3, 0, 0)), dayEvent("tomorrow", now.Add(20*time.Hour))}
	evs = append(evs, far...)
	appendAll(t, s, evs, 250)
	m := model(evs)
	for _, f := range []store.EventFilter{
		{Limit: 7}, {}, {Limit: store.MaxPageSize},
		{Cluster: "prod", Limit: 50},
		{Rule: "retired-rule", Limit: 3},
		{Cluster: "prod", Namespace: "web", Limit: 1000},
		{Since: now.Add(-3 * 24 * time.Hour), Limit: 30},
		{Since: now.Add(-10 * 24 * time.Hour), Limit: 100},
		{Cluster: "nowhere"},
	} {
		want := m.list(f)
		if diff := cmp.Diff(want, pageAll(t, s, f, len(want)), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("ListEvents(%+v) over three weeks (-want +got):\n%s", f, diff)
		}
	}
}

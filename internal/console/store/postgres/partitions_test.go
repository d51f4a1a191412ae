package postgres

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/event"
)

func TestPartitionNames(t *testing.T) {
	d := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	if got := partitionName(d); got != "events_20300102" {
		t.Errorf("partitionName(%v) = %q", d, got)
	}
	if got, ok := partitionDay("events_20300102"); !ok || !got.Equal(d) {
		t.Errorf("partitionDay(events_20300102) = %v, %v", got, ok)
	}
	for _, name := range []string{"events_default", "events", "events_2030010", "events_20301301", "scan_images"} {
		if _, ok := partitionDay(name); ok {
			t.Errorf("partitionDay(%q) is a day", name)
		}
	}
	if got := day(time.Date(2030, 1, 2, 23, 30, 0, 0, time.FixedZone("X", -3*3600))); !got.Equal(d.AddDate(0, 0, 1)) {
		t.Errorf("day of 23:30 at UTC-3 = %v, want the next UTC day", got)
	}
}

// The events_partitioned migration keeps every event of a trail stored
// before it: each in the partition of its day, or the default one for a
// date far off; in the same order (time, then arrival), and still
// recognised when retried.
func TestMigratePartitionsEvents(t *testing.T) {
	u := testURL(t)
	s := atMigration(t, u, migrationNumber(t, "events_partitioned")-1)
	now := time.Now().UTC().Truncate(time.Microsecond)
	r := rand.New(rand.NewPCG(1, 2))
	var evs []event.Event
	for i := range 300 {
		e := event.Event{ID: fmt.Sprintf("old-%03d", i), Kind: "Pod", Name: "p", Tab: "runtime", Rule: "r", Action: "log",
			Cluster: []string{"a", "b"}[i%2], Time: now.Add(-time.Duration(r.Int64N(int64(4 * 24 * time.Hour))))}
		switch {
		case i%50 == 0:
			// Ties: arrival order decides.
			e.Time = now.Add(-time.Hour)
		case i == 7:
			e.Time = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
		case i == 8:
			e.Time = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		case i%37 == 0:
			e.AgentTime = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		evs = append(evs, e)
	}
	for _, e := range evs {
		if _, err := s.pool.Exec(t.Context(), `INSERT INTO events (id, ts, cluster, kind, name, tab, rule, action, agent_ts)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, e.ID, e.Time, e.Cluster, e.Kind, e.Name, e.Tab, e.Rule, e.Action, nullTime(e.AgentTime)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	s, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Newest first by time, then by arrival.
	want := slices.Clone(evs)
	slices.SortStableFunc(want, func(a, b event.Event) int { return b.Time.Compare(a.Time) })
	for i := 0; i < len(want); {
		j := i
		for j < len(want) && want[j].Time.Equal(want[i].Time) {
			j++
		}
		slices.Reverse(want[i:j])
		i = j
	}
	if diff := cmp.Diff(ids(want), listIDs(t, s, store.EventFilter{Limit: 7})); diff != "" {
		t.Errorf("events after the events_partitioned migration (-want +got):\n%s", diff)
	}

	days, err := s.dayPartitions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Time.Year() < 2000 || e.Time.Year() > 9000 {
			continue
		}
		if !slices.ContainsFunc(days, func(d time.Time) bool { return d.Equal(day(e.Time)) }) {
			t.Errorf("no partition for the day of %s (%v); partitions %v", e.ID, e.Time, days)
		}
	}
	rows, _ := s.pool.Query(t.Context(), `SELECT id FROM events_default ORDER BY id`)
	inDefault, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !slices.Equal(inDefault, []string{"old-007", "old-008"}) {
		t.Errorf("default partition holds %v, %v; want the events of 1990 and 9999", inDefault, err)
	}

	if n, err := s.AppendEvents(t.Context(), evs); err != nil || n != 0 {
		t.Errorf("retry of every migrated event = %d, %v; want 0", n, err)
	}
	tied := event.Event{ID: "new", Time: now.Add(-time.Hour), Kind: "Pod", Name: "p", Tab: "runtime", Rule: "r", Action: "log"}
	if n, err := s.AppendEvents(t.Context(), []event.Event{tied}); err != nil || n != 1 {
		t.Fatalf("append = %d, %v", n, err)
	}
	// Its seq continues the migrated ones': it is listed before the
	// events that tie with it.
	got := listIDs(t, s, store.EventFilter{Since: tied.Time})
	if i := slices.Index(got, "new"); i < 0 || len(got) < i+7 || !slices.Equal(got[i+1:i+7], []string{"old-250", "old-200", "old-150", "old-100", "old-050", "old-000"}) {
		t.Errorf("events since %v: %v; want the new one just before the six it ties with, newest arrival first", tied.Time, got)
	}
}

// PrepareEvents is idempotent and safe to run from several consoles at
// once.
func TestPrepareEventsConcurrently(t *testing.T) {
	u := testURL(t)
	s, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2031, 7, 1, 12, 0, 0, 0, time.UTC)
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- s.PrepareEvents(t.Context(), at) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent PrepareEvents: %v", err)
		}
	}
	days, err := s.dayPartitions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := -1; i <= 2; i++ {
		if d := day(at).AddDate(0, 0, i); !slices.ContainsFunc(days, d.Equal) {
			t.Errorf("no partition for %v; partitions %v", d, days)
		}
	}
}

func ids(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// listIDs pages through every event matching f.
func listIDs(t *testing.T, s *Store, f store.EventFilter) []string {
	t.Helper()
	var out []string
	for {
		p, err := s.ListEvents(t.Context(), f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ids(p.Events)...)
		if p.Next == "" {
			return out
		}
		f.Cursor = p.Next
	}
}

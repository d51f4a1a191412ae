package sqlite

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// undoOverview takes a database back to before the overview's migration (the newest).
const undoOverview = "DROP TABLE event_hours; DROP TABLE event_rule_hours; DROP TABLE event_namespace_hours; " +
	"DROP TABLE event_namespace_days; " +
	"DELETE FROM schema_migrations WHERE version >= 8"

// A trail stored before migration 0008 is counted by it: the overview
// shows the events stored before the upgrade.
func TestMigrateCountsStoredEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "palisade.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	hour := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for _, q := range []string{undoOverview,
		// Two in one hour (one on its last microsecond), one in the next
		// hour, one before 1970 (the hour rounds down), one without a
		// namespace.
		`INSERT INTO events (id, ts, cluster, namespace, kind, name, tab, rule, action) VALUES
			('a', ` + micros(hour) + `, 'prod', 'web', 'Pod', 'p', 'deployment', 'privileged', 'block'),
			('b', ` + micros(hour.Add(time.Hour-time.Microsecond)) + `, 'prod', 'web', 'Pod', 'p', 'deployment', 'privileged', 'block'),
			('c', ` + micros(hour.Add(time.Hour)) + `, 'prod', '', 'Node', 'n', 'runtime', 'shell', 'log'),
			('d', ` + micros(time.Date(1969, 12, 31, 23, 30, 0, 0, time.UTC)) + `, 'dev', 'x', 'Pod', 'p', 'runtime', 'shell', 'block')`,
	} {
		if _, err := s.w.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	applied, err := Migrate(t.Context(), path)
	if err != nil || len(applied) != 1 || applied[0] != "0008_overview" {
		t.Fatalf("Migrate applied %v, %v; want 0008_overview", applied, err)
	}
	s, err = Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.CountEventsByHour(t.Context(), store.Hours{From: time.Unix(-3600, 0), To: hour.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.HourCount{
		{Hour: time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), Action: "block", Count: 1},
		{Hour: hour, Action: "block", Count: 2},
		{Hour: hour.Add(time.Hour), Action: "log", Count: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts after the migration (-want +got):\n%s", diff)
	}
	// Over the hours, and over the day (the daily counts).
	for _, h := range []store.Hours{{From: hour, To: hour.Add(2 * time.Hour)}, {From: hour.Add(-11 * time.Hour), To: hour.Add(15 * time.Hour)}} {
		nss, err := s.TopNamespaces(t.Context(), "block", h, 10)
		if err != nil || len(nss) != 1 || nss[0] != (store.NamespaceCount{Cluster: "prod", Namespace: "web", Count: 2}) {
			t.Errorf("top namespaces from %v to %v after the migration = %v, %v", h.From, h.To, nss, err)
		}
	}
}

func micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

// TestCountPlans checks that the overview's counts read the count tables
// by their primary keys, never the events table, and scan no table.
func TestCountPlans(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []struct {
		sql      string
		args     []any
		searches int
	}{
		{countByHour, []any{1, 2}, 1},
		{topRules, []any{"block", 1, 2, 10}, 1},
		{topNamespaces, []any{"block", 1, 2, 2, 3, 3, 4, 10}, 3},
	} {
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q.sql, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		searches := 0
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
			if strings.HasPrefix(detail, "SEARCH event_") && strings.Contains(detail, "USING PRIMARY KEY (") {
				searches++
			}
		}
		rows.Close()
		if p := strings.Join(plan, "; "); searches != q.searches || strings.Contains(p, "SCAN event") {
			t.Errorf("%s\nplan %q; want %d searches of a count table's primary key and no scan", q.sql, p, q.searches)
		}
	}
}

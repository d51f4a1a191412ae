package postgres

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// undoOverview takes a database back to before the overview's migration (the newest).
const undoOverview = "DROP TABLE event_hours, event_rule_hours, event_namespace_hours, event_namespace_days; " +
	"DELETE FROM schema_migrations WHERE version >= 9"

// A trail stored before migration 0009 is counted by it: the overview
// shows the events stored before the upgrade.
func TestMigrateCountsStoredEvents(t *testing.T) {
	u := testURL(t)
	s, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	// Two in one hour (one on its last microsecond), one in the next hour,
	// one without a namespace. The migration's session is in a zone whose
	// hours start at :30 UTC.
	for _, q := range []string{undoOverview,
		`INSERT INTO events (id, ts, cluster, namespace, kind, name, tab, rule, action) VALUES
			('a', '2026-01-01T10:00:00Z', 'prod', 'web', 'Pod', 'p', 'deployment', 'privileged', 'block'),
			('b', '2026-01-01T10:59:59.999999Z', 'prod', 'web', 'Pod', 'p', 'deployment', 'privileged', 'block'),
			('c', '2026-01-01T11:00:00Z', 'prod', '', 'Node', 'n', 'runtime', 'shell', 'log')`,
	} {
		if _, err := s.pool.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	applied, err := Migrate(t.Context(), u+"&timezone=Asia/Kolkata")
	if err != nil || len(applied) != 1 || applied[0] != "0009_overview" {
		t.Fatalf("Migrate applied %v, %v; want 0009_overview", applied, err)
	}
	s, err = Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hour := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	got, err := s.CountEventsByHour(t.Context(), store.Hours{From: hour, To: hour.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.HourCount{{Hour: hour, Action: "block", Count: 2}, {Hour: hour.Add(time.Hour), Action: "log", Count: 1}}
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

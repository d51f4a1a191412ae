package sqlite

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/conformance"
	"github.com/palisade-dev/palisade/internal/core/event"
)

func TestConformance(t *testing.T) {
	conformance.Run(t, func(t *testing.T) store.Store {
		s, err := Open(t.Context(), filepath.Join(t.TempDir(), "palisade.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestOpenCreatesFileInWALMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir with space?#", "palisade.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("database file not created: %v", err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("database file mode %o, want 600", perm)
	}
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "10000", "cache_size": "-65536", "wal_autocheckpoint": "32000"} {
		var got string
		if err := s.w.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("writer PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	var mode string
	if err := s.r.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("reader journal_mode = %q, %v", mode, err)
	}
	if _, err := s.r.ExecContext(t.Context(), "DELETE FROM events"); err == nil {
		t.Error("the read pool can write")
	}
}

func TestMigrateIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "palisade.db")
	applied, err := Migrate(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 || applied[0] != "0001_init" {
		t.Fatalf("first Migrate applied %v, want 0001_init first", applied)
	}
	again, err := Migrate(t.Context(), path)
	if err != nil || len(again) != 0 {
		t.Fatalf("second Migrate applied %v, %v; want nothing", again, err)
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.r.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil || n != len(applied) {
		t.Errorf("schema_migrations has %d rows, %v; want %d", n, err, len(applied))
	}
	// A database from a newer palisade is refused.
	if _, err := s.w.ExecContext(t.Context(), "INSERT INTO schema_migrations VALUES (999, '0999_future', 0)"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(t.Context()); err == nil {
		t.Error("Migrate of a newer database: want an error")
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(t.Context(), ""); err == nil {
		t.Error("empty path: want an error")
	}
	if _, err := Open(t.Context(), filepath.Join(t.TempDir(), "missing-dir", "x.db")); err == nil {
		t.Error("missing directory: want an error")
	}
}

// A trail stored before migration 0003 keeps its events, their caller
// unknown (empty).
func TestMigrateAddsEventCaller(t *testing.T) {
	path := filepath.Join(t.TempDir(), "palisade.db")
	if _, err := Migrate(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	// Back to migration 0002 (0004 and 0005 undone too), with one event.
	for _, q := range []string{undoOverview, "ALTER TABLE events DROP COLUMN agent_ts", "ALTER TABLE events DROP COLUMN caller",
		"DELETE FROM schema_migrations WHERE version >= 3",
		"INSERT INTO events (id, ts, kind, name, tab, rule, action) VALUES ('old', 1, 'Pod', 'p', 'deployment', 'privileged', 'log')"} {
		if _, err := s.w.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	applied, err := Migrate(t.Context(), path)
	if err != nil || len(applied) != 3 || applied[0] != "0003_event_caller" || applied[1] != "0004_event_agent_time" {
		t.Fatalf("Migrate applied %v, %v; want 0003_event_caller, 0004_event_agent_time, 0005_overview", applied, err)
	}
	s, err = Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.ListEvents(t.Context(), store.EventFilter{})
	if err != nil || len(p.Events) != 1 || p.Events[0].ID != "old" || p.Events[0].Caller != "" {
		t.Fatalf("ListEvents = %+v, %v; want the old event, caller empty", p.Events, err)
	}
}

// A trail stored before migration 0004 keeps its events, none with an
// agent time; an event stored after it keeps its own.
func TestMigrateAddsEventAgentTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "palisade.db")
	if _, err := Migrate(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	// Back to migration 0003 (0005 undone too), with one event.
	for _, q := range []string{undoOverview, "ALTER TABLE events DROP COLUMN agent_ts", "DELETE FROM schema_migrations WHERE version >= 4",
		"INSERT INTO events (id, ts, kind, name, tab, rule, action, caller) VALUES ('old', 1, 'Pod', 'p', 'deployment', 'privileged', 'log', 'authenticated')"} {
		if _, err := s.w.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	applied, err := Migrate(t.Context(), path)
	if err != nil || len(applied) != 2 || applied[0] != "0004_event_agent_time" {
		t.Fatalf("Migrate applied %v, %v; want 0004_event_agent_time, 0005_overview", applied, err)
	}
	s, err = Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	agent := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	if _, err := s.AppendEvents(t.Context(), []event.Event{{ID: "new", Time: time.UnixMicro(2).UTC(), Kind: "Pod", Name: "p",
		Tab: "deployment", Rule: "privileged", Action: "log", AgentTime: agent}}); err != nil {
		t.Fatal(err)
	}
	p, err := s.ListEvents(t.Context(), store.EventFilter{})
	if err != nil || len(p.Events) != 2 {
		t.Fatalf("ListEvents = %+v, %v; want two events", p.Events, err)
	}
	if e := p.Events[1]; e.ID != "old" || e.Caller != event.CallerAuthenticated || !e.AgentTime.IsZero() {
		t.Errorf("old event = %+v; want its caller kept and no agent time", e)
	}
	if e := p.Events[0]; e.ID != "new" || !e.AgentTime.Equal(agent) {
		t.Errorf("new event = %+v; want agent time %v", e, agent)
	}
}

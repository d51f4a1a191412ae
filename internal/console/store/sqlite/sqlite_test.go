package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/conformance"
	"github.com/palisade-dev/palisade/internal/console/store/migration"
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
	s := upgradedFrom(t, 2, "INSERT INTO events (id, ts, kind, name, tab, rule, action) VALUES ('old', 1, 'Pod', 'p', 'deployment', 'privileged', 'log')")
	p, err := s.ListEvents(t.Context(), store.EventFilter{})
	if err != nil || len(p.Events) != 1 || p.Events[0].ID != "old" || p.Events[0].Caller != "" {
		t.Fatalf("ListEvents = %+v, %v; want the old event, caller empty", p.Events, err)
	}
}

// A trail stored before migration 0004 keeps its events, none with an
// agent time; an event stored after it keeps its own.
func TestMigrateAddsEventAgentTime(t *testing.T) {
	s := upgradedFrom(t, 3, "INSERT INTO events (id, ts, kind, name, tab, rule, action, caller) VALUES ('old', 1, 'Pod', 'p', 'deployment', 'privileged', 'log', 'authenticated')")
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

// A session stored before migration 0007 (a token login) keeps working,
// with no user.
func TestMigrateAddsSessionUser(t *testing.T) {
	s := upgradedFrom(t, 6, "INSERT INTO ui_sessions (id_hash, role, csrf, expires) VALUES (x'01', 'admin', 'c', 2)")
	sess, err := s.GetSession(t.Context(), []byte{1}, time.UnixMicro(1))
	if err != nil || sess.Role != "admin" || sess.Subject != "" || sess.User != "" {
		t.Fatalf("GetSession = %+v, %v; want the old admin session, no user", sess, err)
	}
}

// The first store to claim a database is alone; a second on the same file
// is told it is not, until the first closes.
func TestClaimProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "palisade.db")
	open := func() *Store {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first, second := open(), open()
	defer second.Close()
	if alone, err := first.ClaimProcess(); err != nil || !alone {
		t.Fatalf("first claim = %v, %v; want alone", alone, err)
	}
	if alone, err := second.ClaimProcess(); err != nil || alone {
		t.Fatalf("second claim while the first is open = %v, %v; want not alone", alone, err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if alone, err := second.ClaimProcess(); err != nil || !alone {
		t.Fatalf("claim after the first closed = %v, %v; want alone", alone, err)
	}
}

// A cluster registered before migration 0006 keeps its token, with no
// previous one, and can have it rotated; the audit log starts empty.
func TestMigrateAddsAuditAndTokenRotation(t *testing.T) {
	s := upgradedFrom(t, 5, "INSERT INTO clusters (name, token_hash, created_at) VALUES ('old', x'01', 1)")
	c, err := s.ClusterByTokenHash(t.Context(), []byte{1})
	if err != nil || c.Name != "old" || c.PrevTokenHash != nil || !c.PrevTokenExpires.IsZero() {
		t.Fatalf("the old cluster by its token = %+v, %v; want it, with no previous token", c, err)
	}
	until := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if c, err = s.RotateToken(t.Context(), "old", []byte{2}, until); err != nil || string(c.PrevTokenHash) != "\x01" {
		t.Fatalf("rotate the old cluster's token = %+v, %v", c, err)
	}
	if p, err := s.ListAudit(t.Context(), store.AuditFilter{}); err != nil || len(p.Entries) != 0 {
		t.Errorf("audit log after the migration = %+v, %v; want it empty", p, err)
	}
}

// upgradedFrom makes a database at migration n holding what seed
// inserts, migrates it to this binary's newest (checking that exactly the
// migrations after n run) and opens it.
func upgradedFrom(t *testing.T, n int, seed ...string) *Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "palisade.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	back, want := backTo(t, n)
	for _, q := range append(back, seed...) {
		if _, err := s.w.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	if applied, err := Migrate(t.Context(), path); err != nil || !slices.Equal(applied, want) {
		t.Fatalf("Migrate applied %v, %v; want %v", applied, err, want)
	}
	if s, err = Open(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// undo holds, for each migration from 0003 on, the statements that take a
// database back to before it. Every new migration adds its own.
var undo = map[int][]string{
	3: {"ALTER TABLE events DROP COLUMN caller"},
	4: {"ALTER TABLE events DROP COLUMN agent_ts"},
	5: {"DROP TABLE ui_sessions", "DROP TABLE login_failures"},
	6: {"DROP TABLE audit", "DROP INDEX clusters_prev_token_hash",
		"ALTER TABLE clusters DROP COLUMN prev_token_hash", "ALTER TABLE clusters DROP COLUMN prev_token_expires"},
	7: {"DROP TABLE oidc_logins", "ALTER TABLE ui_sessions DROP COLUMN user_name", "ALTER TABLE ui_sessions DROP COLUMN subject"},
	8: {"DROP TABLE event_hours", "DROP TABLE event_rule_hours", "DROP TABLE event_namespace_hours", "DROP TABLE event_namespace_days"},
}

// backTo returns the statements that take a database at this binary's
// newest migration back to migration n (newest undone first), and the
// names of the migrations Migrate then applies again.
func backTo(t *testing.T, n int) (statements, again []string) {
	t.Helper()
	ms, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	for v := len(ms); v > n; v-- {
		u, ok := undo[v]
		if !ok {
			t.Fatalf("no statements undo migration %s: add them to undo", ms[v-1].Name)
		}
		statements = append(statements, u...)
	}
	statements = append(statements, fmt.Sprintf("DELETE FROM schema_migrations WHERE version > %d", n))
	for _, m := range ms[n:] {
		again = append(again, m.Name)
	}
	return statements, again
}

package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/conformance"
	"github.com/palisade-dev/palisade/internal/console/store/migration"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// URLEnv names the server the tests use; hack/test.sh starts one with
// hack/postgres.sh and sets it.
const URLEnv = "PALISADE_TEST_POSTGRES_URL"

// testURL returns the URL of a fresh, empty schema on the test server,
// dropped when the test ends, or skips the test when there is no server.
func testURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(URLEnv)
	if base == "" {
		t.Skipf("%s is not set: no PostgreSQL to test against (hack/test.sh starts one with hack/postgres.sh)", URLEnv)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", URLEnv, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", URLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestConformance(t *testing.T) {
	testURL(t) // skip early when there is no server
	conformance.Run(t, func(t *testing.T) store.Store {
		s, err := Open(t.Context(), testURL(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestMigrateIdempotent(t *testing.T) {
	u := testURL(t)
	applied, err := Migrate(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 || applied[0] != "0001_init" {
		t.Fatalf("first Migrate applied %v, want 0001_init first", applied)
	}
	again, err := Migrate(t.Context(), u)
	if err != nil || len(again) != 0 {
		t.Fatalf("second Migrate applied %v, %v; want nothing", again, err)
	}
	s, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.pool.Exec(t.Context(), "INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future')"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(t.Context()); err == nil {
		t.Error("Migrate of a newer database: want an error")
	}
}

func TestConcurrentMigrate(t *testing.T) {
	u := testURL(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := Migrate(t.Context(), u)
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Migrate: %v", err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(t.Context(), "postgres://u:secret@[bad"); err == nil {
		t.Error("bad URL: want an error")
	} else if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows the password", err)
	}
}

// migrationNumber is the number of the migration whose name ends in
// suffix.
func migrationNumber(t *testing.T, suffix string) int {
	t.Helper()
	ms, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if strings.HasSuffix(m.Name, "_"+suffix) {
			return m.Version
		}
	}
	t.Fatalf("no migration named *_%s", suffix)
	return 0
}

// atMigration returns a store on the database at u with its first n
// migrations applied: a database of an older palisade.
func atMigration(t *testing.T, u string, n int) *Store {
	t.Helper()
	ms, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	s, err := open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.migrate(t.Context(), ms[:n]); err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s
}

// A trail stored before migration 0004 keeps its events, none with an
// agent time; an event stored after it keeps its own.
func TestMigrateAddsEventAgentTime(t *testing.T) {
	u := testURL(t)
	s := atMigration(t, u, 3)
	if _, err := s.pool.Exec(t.Context(), "INSERT INTO events (id, ts, kind, name, tab, rule, action) VALUES ('old', '2026-01-01T00:00:00Z', 'Pod', 'p', 'deployment', 'privileged', 'log')"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	applied, err := Migrate(t.Context(), u)
	if err != nil || len(applied) < 1 || applied[0] != "0004_event_agent_time" {
		t.Fatalf("Migrate applied %v, %v; want 0004_event_agent_time first", applied, err)
	}
	s, err = Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	agent := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	if _, err := s.AppendEvents(t.Context(), []event.Event{{ID: "new", Time: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Kind: "Pod",
		Name: "p", Tab: "deployment", Rule: "privileged", Action: "log", AgentTime: agent}}); err != nil {
		t.Fatal(err)
	}
	p, err := s.ListEvents(t.Context(), store.EventFilter{})
	if err != nil || len(p.Events) != 2 {
		t.Fatalf("ListEvents = %+v, %v; want two events", p.Events, err)
	}
	if e := p.Events[1]; e.ID != "old" || !e.AgentTime.IsZero() {
		t.Errorf("old event = %+v; want no agent time", e)
	}
	if e := p.Events[0]; e.ID != "new" || !e.AgentTime.Equal(agent) {
		t.Errorf("new event = %+v; want agent time %v", e, agent)
	}
}

// A cluster registered before migration 0006 keeps its token, with no
// previous one, and can have it rotated; the audit log starts empty.
func TestMigrateAddsAuditAndTokenRotation(t *testing.T) {
	u := testURL(t)
	s := atMigration(t, u, 5)
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO clusters (name, token_hash, created_at) VALUES ('old', '\x01', '2026-01-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	applied, err := Migrate(t.Context(), u)
	if err != nil || len(applied) < 1 || applied[0] != "0006_audit" {
		t.Fatalf("Migrate applied %v, %v; want 0006_audit first", applied, err)
	}
	s, err = Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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

// A session stored before migration 0008 (a token login) keeps working,
// with no user.
func TestMigrateAddsSessionUser(t *testing.T) {
	u := testURL(t)
	s := atMigration(t, u, migrationNumber(t, "oidc")-1)
	if _, err := s.pool.Exec(t.Context(), `INSERT INTO ui_sessions (id_hash, role, csrf, expires) VALUES ('\x01', 'admin', 'c', '2026-01-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if applied, err := Migrate(t.Context(), u); err != nil || len(applied) < 1 || applied[0] != "0008_oidc" {
		t.Fatalf("Migrate applied %v, %v; want 0008_oidc first", applied, err)
	}
	s, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sess, err := s.GetSession(t.Context(), []byte{1}, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || sess.Role != "admin" || sess.Subject != "" || sess.User != "" {
		t.Fatalf("GetSession = %+v, %v; want the old admin session, no user", sess, err)
	}
}

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

// A trail stored before migration 0004 keeps its events, none with an
// agent time; an event stored after it keeps its own.
func TestMigrateAddsEventAgentTime(t *testing.T) {
	u := testURL(t)
	if _, err := Migrate(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	// Back to migration 0003 (0005 undone too), with one event.
	for _, q := range []string{undoOverview, "ALTER TABLE events DROP COLUMN agent_ts", "DELETE FROM schema_migrations WHERE version >= 4",
		"INSERT INTO events (id, ts, kind, name, tab, rule, action) VALUES ('old', '2026-01-01T00:00:00Z', 'Pod', 'p', 'deployment', 'privileged', 'log')"} {
		if _, err := s.pool.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	applied, err := Migrate(t.Context(), u)
	if err != nil || len(applied) != 2 || applied[0] != "0004_event_agent_time" {
		t.Fatalf("Migrate applied %v, %v; want 0004_event_agent_time, 0005_overview", applied, err)
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

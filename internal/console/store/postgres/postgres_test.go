package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/conformance"
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

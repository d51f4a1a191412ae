// Package storetest opens the stores benchmarks and tests run on: SQLite
// always, PostgreSQL when the test script started one.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/postgres"
	"github.com/palisade-dev/palisade/internal/console/store/sqlite"
)

// Backend opens a fresh, empty store of one kind.
type Backend struct {
	Name string
	// Open returns the store and a function that measures its size on disk.
	Open func(tb testing.TB) (s store.Store, size func() int64)
}

// Backends lists SQLite (a file in a temporary folder) and, when
// PALISADE_TEST_POSTGRES_URL is set, PostgreSQL (a schema of its own,
// dropped at the end of the test).
func Backends(tb testing.TB) []Backend {
	bs := []Backend{{"sqlite", func(tb testing.TB) (store.Store, func() int64) {
		path := filepath.Join(tb.TempDir(), "palisade.db")
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			tb.Fatal(err)
		}
		return s, func() int64 {
			var n int64
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if fi, err := os.Stat(path + suffix); err == nil {
					n += fi.Size()
				}
			}
			return n
		}
	}}}
	if base := os.Getenv("PALISADE_TEST_POSTGRES_URL"); base != "" {
		bs = append(bs, Backend{"postgres", func(tb testing.TB) (store.Store, func() int64) {
			u, schema := freshSchema(tb, base)
			s, err := postgres.Open(context.Background(), u)
			if err != nil {
				tb.Fatal(err)
			}
			return s, func() int64 {
				c, err := pgx.Connect(context.Background(), base)
				if err != nil {
					return -1
				}
				defer c.Close(context.Background())
				var n int64
				_ = c.QueryRow(context.Background(), `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint
					FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
					WHERE n.nspname = $1 AND c.relkind = 'r'`, schema).Scan(&n)
				return n
			}
		}})
	}
	return bs
}

// PostgresURL returns the URL of a fresh schema on the test server
// (dropped at the end of the test), for tests that open it more than once,
// as console replicas do; it skips the test when PALISADE_TEST_POSTGRES_URL
// is not set.
func PostgresURL(tb testing.TB) string {
	base := os.Getenv("PALISADE_TEST_POSTGRES_URL")
	if base == "" {
		tb.Skip("PALISADE_TEST_POSTGRES_URL is not set: no PostgreSQL to test against (hack/test.sh starts one with hack/postgres.sh)")
	}
	u, _ := freshSchema(tb, base)
	return u
}

// freshSchema makes a schema dropped at the end of the test and returns a
// URL that uses it.
func freshSchema(tb testing.TB, base string) (string, string) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "bench_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	c, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

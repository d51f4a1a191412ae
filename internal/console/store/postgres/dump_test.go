package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/palisade-dev/palisade/internal/console/store/conformance"
)

// pgTool finds a PostgreSQL client program: on the PATH, or in the newest
// of Debian's /usr/lib/postgresql/N/bin.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.Reverse(dirs)
	for _, d := range dirs {
		if p := filepath.Join(d, name); fileExists(p) {
			return p
		}
	}
	t.Skipf("%s not found: install PostgreSQL's client programs to test the documented backup", name)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// The backup docs/operations.md documents for PostgreSQL: pg_dump -Fc of
// the database, pg_restore into an empty one. The restored database holds
// everything the original did, its day partitions included, and goes on
// working as a store.
func TestDumpRestore(t *testing.T) {
	u := testURL(t)
	dump, restore := pgTool(t, "pg_dump"), pgTool(t, "pg_restore")
	s, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conformance.Fill(t, s)
	original := conformance.Read(t, s)
	days, err := s.dayPartitions(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	// The tests' store lives in a schema of its own: dump that schema.
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	schema := parsed.Query().Get("search_path")
	base := os.Getenv(URLEnv)
	file := filepath.Join(t.TempDir(), "palisade.dump")
	run(t, dump, "-Fc", "--schema", schema, "-f", file, "-d", base)

	target := newDatabase(t, base)
	run(t, restore, "--no-owner", "--exit-on-error", "-d", target, file)
	tu, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	q := tu.Query()
	q.Set("search_path", schema)
	tu.RawQuery = q.Encode()
	restored, err := Open(t.Context(), tu.String())
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	restoredDays, err := restored.dayPartitions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(days, restoredDays, func(a, b time.Time) bool { return a.Equal(b) }) {
		t.Errorf("restored day partitions %v, want %v", restoredDays, days)
	}
	conformance.SameContents(t, original, restored)
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(name), args, err, out)
	}
}

// newDatabase creates an empty database on the server of base, dropped
// at the end of the test, and returns its URL.
func newDatabase(t *testing.T, base string) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "restore_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

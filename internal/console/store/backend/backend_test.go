package backend

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		url    string
		kind   Kind
		target string
	}{
		{"sqlite:///var/lib/palisade/palisade.db", SQLite, "/var/lib/palisade/palisade.db"},
		{"sqlite://palisade.db", SQLite, "palisade.db"},
		{"sqlite://data/palisade.db", SQLite, "data/palisade.db"},
		{"postgres://u:p@127.0.0.1:5432/palisade?sslmode=disable", Postgres, "postgres://u:p@127.0.0.1:5432/palisade?sslmode=disable"},
		{"postgresql://127.0.0.1/palisade", Postgres, "postgresql://127.0.0.1/palisade"},
	} {
		kind, target, err := Parse(tc.url)
		if err != nil || kind != tc.kind || target != tc.target {
			t.Errorf("Parse(%q) = %q, %q, %v; want %q, %q", tc.url, kind, target, err, tc.kind, tc.target)
		}
	}
	for _, bad := range []string{"", "palisade.db", "sqlite://", "sqlite:///", "mysql://u:hunter2@db/x", "file:x.db"} {
		_, _, err := Parse(bad)
		if err == nil {
			t.Errorf("Parse(%q): want an error", bad)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Parse(%q): error %q shows the password", bad, err)
		}
	}
}

func TestOpenAndMigrateSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	applied, err := Migrate(t.Context(), "sqlite://"+path)
	if err != nil || len(applied) == 0 {
		t.Fatalf("Migrate = %v, %v", applied, err)
	}
	s, err := Open(t.Context(), "sqlite://"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListPolicies(t.Context()); err != nil {
		t.Error(err)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	if again, err := Migrate(t.Context(), "sqlite://"+path); err != nil || len(again) != 0 {
		t.Errorf("second Migrate = %v, %v; want nothing to do", again, err)
	}
}

func TestOpenRelativeSQLite(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := Open(t.Context(), DefaultURL)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat("palisade.db"); err != nil {
		t.Errorf("relative database not in the working directory: %v", err)
	}
}

func TestOpenUnknown(t *testing.T) {
	if _, err := Open(t.Context(), "redis://localhost"); err == nil {
		t.Error("want an error")
	}
	if _, err := Migrate(t.Context(), "redis://localhost"); err == nil {
		t.Error("want an error")
	}
}

func TestBackup(t *testing.T) {
	dir := t.TempDir()
	db, out := filepath.Join(dir, "p.db"), filepath.Join(dir, "backup.db")
	s, err := Open(t.Context(), "sqlite://"+db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := Backup(t.Context(), "sqlite://"+db, out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("no backup: %v", err)
	}
	// PostgreSQL is refused before any connection, pointing to pg_dump.
	err = Backup(t.Context(), "postgres://u:hunter2@db.invalid/palisade", filepath.Join(dir, "pg.db"))
	if !errors.Is(err, ErrNoBackup) || !strings.Contains(err.Error(), "pg_dump -Fc") {
		t.Errorf("backup of PostgreSQL = %v; want ErrNoBackup, naming pg_dump", err)
	}
	if err := Backup(t.Context(), "redis://localhost", out); err == nil {
		t.Error("backup of an unknown URL: want an error")
	}
}

package backend

import (
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

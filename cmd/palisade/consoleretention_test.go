package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/conformance"
	"github.com/palisade-dev/palisade/internal/console/store/sqlite"
	"github.com/palisade-dev/palisade/internal/core/event"
)

func TestConsoleEventRetentionFlag(t *testing.T) {
	if got := newConsoleCmd().Flag("event-retention").DefValue; got != (30 * 24 * time.Hour).String() {
		t.Errorf("--event-retention defaults to %s, want 30 days", got)
	}
	base := consoleConfig{listen: "127.0.0.1:8080", database: "sqlite://x.db", adminTokenFile: "t"}
	for _, tc := range []struct {
		retention time.Duration
		ok        bool
	}{{0, true}, {24 * time.Hour, true}, {720 * time.Hour, true}, {time.Hour, false}, {-24 * time.Hour, false}} {
		cfg := base
		cfg.eventRetention = tc.retention
		err := cfg.validate()
		if (err == nil) != tc.ok {
			t.Errorf("--event-retention %v: %v, want ok=%v", tc.retention, err, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--event-retention") {
			t.Errorf("--event-retention %v: error %q does not name the flag", tc.retention, err)
		}
	}
}

// The console deletes expired events as it starts.
func TestConsoleDeletesExpiredEvents(t *testing.T) {
	db := filepath.Join(t.TempDir(), "palisade.db")
	s, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	if _, err := s.AppendEvents(t.Context(), []event.Event{
		{ID: "expired", Time: now.Add(-40 * 24 * time.Hour), Rule: "r", Action: "log"},
		{ID: "kept", Time: now.Add(-29 * 24 * time.Hour), Rule: "r", Action: "log"},
	}); err != nil {
		t.Fatal(err)
	}
	startConsoleWith(t, func(c *consoleConfig) {
		c.database, c.eventRetention = "sqlite://"+db, 30*24*time.Hour
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, err := s.ListEvents(t.Context(), store.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Events) == 1 && p.Events[0].ID == "kept" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("events 30 s after the console started: %+v; want only the one 29 days old", p.Events)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// `palisade console backup` copies the database of a running console;
// the copy opens with everything in it.
func TestConsoleBackup(t *testing.T) {
	dir := t.TempDir()
	db, out := filepath.Join(dir, "palisade.db"), filepath.Join(dir, "backup.db")
	s, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	conformance.Fill(t, s)
	original := conformance.Read(t, s)
	s.Close()
	startConsoleWith(t, func(c *consoleConfig) { c.database = "sqlite://" + db })

	code, stdout, stderr := palisade(t, "", "console", "backup", "--database", "sqlite://"+db, "--out", out)
	if code != exitOK || !strings.Contains(stdout, out) {
		t.Fatalf("backup: exit %d\n%s%s", code, stdout, stderr)
	}
	restored, err := sqlite.Open(t.Context(), out)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	conformance.SameContents(t, original, restored)

	// To standard output, through a file beside the database that is
	// removed.
	code, stdout, stderr = palisade(t, "", "console", "backup", "--database", "sqlite://"+db, "--out", "-")
	if code != exitOK {
		t.Fatalf("backup to stdout: exit %d\n%s", code, stderr)
	}
	piped := filepath.Join(t.TempDir(), "piped.db")
	if err := os.WriteFile(piped, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	fromPipe, err := sqlite.Open(t.Context(), piped)
	if err != nil {
		t.Fatal(err)
	}
	defer fromPipe.Close()
	conformance.SameContents(t, original, fromPipe)
	if left, _ := filepath.Glob(filepath.Join(dir, ".palisade-backup-*")); len(left) != 0 {
		t.Errorf("backup to stdout left %v", left)
	}

	code, _, stderr = palisade(t, "", "console", "backup", "--database", "sqlite://"+db, "--out", out)
	if code == exitOK || !strings.Contains(stderr, "exists") {
		t.Errorf("backup onto an existing file: exit %d, %s; want a failure saying it exists", code, stderr)
	}
	code, _, stderr = palisade(t, "", "console", "backup", "--database", "sqlite://"+db)
	if code != exitInput || !strings.Contains(stderr, "--out") {
		t.Errorf("backup without --out: exit %d, %s", code, stderr)
	}
}

func TestConsoleBackupPostgresPointsToPgDump(t *testing.T) {
	t.Setenv(databaseEnv, "postgres://u:hunter2@db.invalid/palisade")
	code, _, stderr := palisade(t, "", "console", "backup", "--out", filepath.Join(t.TempDir(), "x.db"))
	if code != exitInput || !strings.Contains(stderr, "pg_dump -Fc") || !strings.Contains(stderr, "Backup and restore") {
		t.Errorf("backup of PostgreSQL: exit %d, %s; want exit %d pointing to pg_dump", code, stderr, exitInput)
	}
	if strings.Contains(stderr, "hunter2") {
		t.Error("the error shows the password")
	}
}

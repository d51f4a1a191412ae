package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store/conformance"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// A backup taken while the store is open restores everything: opened as
// a store, it holds what the original held and goes on working.
func TestBackupRestore(t *testing.T) {
	dir := t.TempDir()
	path, out := filepath.Join(dir, "palisade.db"), filepath.Join(dir, "backup.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conformance.Fill(t, s)
	original := conformance.Read(t, s)

	if err := Backup(t.Context(), path, out); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v; want mode 600", fi, err)
	}
	restored, err := Open(t.Context(), out)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	conformance.SameContents(t, original, restored)
}

// A backup taken while events are written holds each batch whole or not
// at all, and everything written before it began.
func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "palisade.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conformance.Fill(t, s)
	before := len(conformance.Read(t, s).Events)

	const batch = 200
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for b := 0; ; b++ {
			select {
			case <-stop:
				return
			default:
			}
			evs := make([]event.Event, batch)
			for i := range evs {
				evs[i] = event.Event{ID: fmt.Sprintf("live-%d-%d", b, i), Time: time.Now(), Rule: "r", Action: "log"}
			}
			if _, err := s.AppendEvents(t.Context(), evs); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var outs []string
	for i := range 3 {
		time.Sleep(20 * time.Millisecond)
		out := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		if err := Backup(t.Context(), path, out); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
	}
	close(stop)
	wg.Wait()

	for _, out := range outs {
		r, err := Open(t.Context(), out)
		if err != nil {
			t.Fatal(err)
		}
		per := map[string]int{}
		evs := conformance.Read(t, r).Events
		r.Close()
		for _, e := range evs {
			if b, ok := strings.CutPrefix(e.ID, "live-"); ok {
				b, _, _ = strings.Cut(b, "-")
				per[b]++
			}
		}
		live := 0
		for b, n := range per {
			live += n
			if n != batch {
				t.Errorf("%s: batch %s has %d of its %d events", filepath.Base(out), b, n, batch)
			}
		}
		if len(evs)-live != before {
			t.Errorf("%s: %d events from before the backup, want %d", filepath.Base(out), len(evs)-live, before)
		}
		t.Logf("%s: %d batches written meanwhile", filepath.Base(out), len(per))
	}
}

func TestBackupErrors(t *testing.T) {
	dir := t.TempDir()
	path, out := filepath.Join(dir, "palisade.db"), filepath.Join(dir, "backup.db")
	if err := Backup(t.Context(), path, out); err == nil {
		t.Error("backup of a missing database: want an error")
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed backup left %s: %v", out, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a backup of a missing database created it: %v", err)
	}

	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	conformance.Fill(t, s)
	s.Close()
	// A closed database (no write-ahead log beside it) backs up too.
	if err := Backup(t.Context(), path, out); err != nil {
		t.Fatalf("backup of a closed database: %v", err)
	}
	// An existing file is never overwritten.
	if err := os.WriteFile(out, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Backup(t.Context(), path, out); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup onto an existing file = %v; want an error saying it exists", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "keep me" {
		t.Errorf("an existing file was overwritten")
	}
}

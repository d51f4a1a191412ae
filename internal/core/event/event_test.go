package event

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestFileSinkAppendsJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	s, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := Event{ID: NewID(), Time: time.Unix(int64(i), 0).UTC(), Kind: "Pod", Name: "p", Tab: "deployment", Rule: "privileged", Action: "block", Message: "m"}
			if err := s.Record(context.Background(), []Event{ev, ev}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, ids := 0, map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		ids[ev.ID]++
		n++
	}
	if n != 40 || len(ids) != 20 {
		t.Errorf("lines %d, distinct ids %d; want 40 and 20", n, len(ids))
	}
}

// Event IDs are UUIDv7s in canonical form, their first 48 bits the Unix
// milliseconds they were made at.
func TestNewIDIsUUIDv7(t *testing.T) {
	before := time.Now().UnixMilli()
	id := NewID()
	after := time.Now().UnixMilli()
	u, err := uuid.Parse(id)
	if err != nil || len(id) != 36 || u.Version() != 7 || u.Variant() != uuid.RFC4122 {
		t.Fatalf("NewID() = %q (parse error %v); want a canonical UUIDv7", id, err)
	}
	sec, nsec := u.Time().UnixTime()
	if ms := sec*1000 + nsec/1e6; ms < before || ms > after {
		t.Errorf("NewID() = %q holds %d ms; want between %d and %d", id, ms, before, after)
	}
	if NewID() == id {
		t.Error("NewID returned the same ID twice")
	}
}

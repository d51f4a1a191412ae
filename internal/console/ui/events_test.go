package ui

import (
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/core/event"
)

// idMillis reads the time of today's UUIDv7 IDs and of the 32-hex-digit IDs
// of the same layout that events stored before them carry; anything else
// has no time to read.
func TestIDMillis(t *testing.T) {
	now := time.Now().UnixMilli()
	if ms, ok := idMillis(event.NewID()); !ok || ms < now-1000 || ms > now+1000 {
		t.Errorf("idMillis(NewID()) = %d, %v; want about %d", ms, ok, now)
	}
	for _, tc := range []struct {
		id   string
		ms   int64
		isOK bool
	}{
		{"0192f1c48e3a4b2d9c4e1f2a3b4c5d6e", 0x0192f1c48e3a, true},
		{"0192f1c4-8e3a-7b2d-9c4e-1f2a3b4c5d6e", 0x0192f1c48e3a, true},
		{"0192f1c4-8e3a-4b2d-9c4e-1f2a3b4c5d6e", 0, false}, // a v4 UUID holds no time
		{"not-an-id", 0, false},
		{"", 0, false},
	} {
		if ms, ok := idMillis(tc.id); ms != tc.ms || ok != tc.isOK {
			t.Errorf("idMillis(%q) = %d, %v; want %d, %v", tc.id, ms, ok, tc.ms, tc.isOK)
		}
	}
}

// Repeats on a page (same cluster, namespace, object, container, rule and
// action) share one row, at the place of the newest, with their count and
// first and last time; anything that differs is a row of its own.
func TestGroupEvents(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ev := func(id string, sec int, name, rule, action string) event.Event {
		return event.Event{ID: id, Time: t0.Add(time.Duration(sec) * time.Second), Cluster: "east", Namespace: "shop",
			Kind: "Pod", Name: name, Container: "app", Rule: rule, Action: action}
	}
	other := ev("c", 8, "web", "privileged", "block")
	other.Cluster = "west"
	page := []event.Event{ // newest first, as ListEvents returns them
		ev("a", 9, "web", "privileged", "block"),
		other,
		ev("b", 7, "web", "privileged", "block"),
		ev("d", 6, "web", "privileged", "log"),
		ev("e", 5, "api", "privileged", "block"),
		ev("f", 1, "web", "privileged", "block"),
	}
	got := groupEvents(page)
	type row struct {
		id          string
		count       int
		first, last int
	}
	var rows []row
	for _, g := range got {
		rows = append(rows, row{g.Newest.ID, g.Count, int(g.First.Sub(t0) / time.Second), int(g.Last.Sub(t0) / time.Second)})
		if g.Newest.Link != eventLink(g.Newest.Event) {
			t.Errorf("row %s links to %q", g.Newest.ID, g.Newest.Link)
		}
	}
	want := []row{{"a", 3, 1, 9}, {"c", 1, 8, 8}, {"d", 1, 6, 6}, {"e", 1, 5, 5}}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v, want %+v", rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
		}
	}
	if len(groupEvents(nil)) != 0 {
		t.Error("no events, rows")
	}
}

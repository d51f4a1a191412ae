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

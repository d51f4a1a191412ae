package backoff

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBackoffDoublesUpToMaxAndLogsSparingly(t *testing.T) {
	b := Backoff{Min: time.Second, Max: 30 * time.Second}
	var waits []time.Duration
	var logged []int
	for range 12 {
		w, n, log := b.Failed()
		waits = append(waits, w)
		if log {
			logged = append(logged, n)
		}
	}
	s := time.Second
	want := []time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, 30 * s, 30 * s, 30 * s, 30 * s, 30 * s, 30 * s}
	if diff := cmp.Diff(want, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 10}, logged); diff != "" {
		t.Errorf("logged failures (-want +got):\n%s", diff)
	}
	if n := b.Succeeded(); n != 12 {
		t.Errorf("Succeeded = %d, want the 12 failures before", n)
	}
	if w, n, _ := b.Failed(); w != s || n != 1 {
		t.Errorf("after success: wait %s, failures %d; want 1s, 1", w, n)
	}
}

func TestJitterStaysInRange(t *testing.T) {
	for range 1000 {
		if j := Jitter(time.Second); j < time.Second/2 || j > time.Second {
			t.Fatalf("Jitter(1s) = %s", j)
		}
	}
}

func TestSleepEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if Sleep(ctx, time.Hour) {
		t.Error("Sleep on an ended context reported a completed wait")
	}
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("Sleep did not complete")
	}
}

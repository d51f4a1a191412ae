package retention

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestCutoff(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		now       time.Time
		retention time.Duration
		want      time.Time
	}{
		{time.Date(2030, 5, 10, 13, 0, 0, 0, time.UTC), 30 * day, time.Date(2030, 4, 10, 0, 0, 0, 0, time.UTC)},
		{time.Date(2030, 5, 10, 0, 0, 0, 0, time.UTC), day, time.Date(2030, 5, 9, 0, 0, 0, 0, time.UTC)},
		{time.Date(2030, 5, 10, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond), day, time.Date(2030, 5, 8, 0, 0, 0, 0, time.UTC)},
		// Days are UTC days, whatever the clock's zone.
		{time.Date(2030, 5, 10, 1, 0, 0, 0, time.FixedZone("UTC+3", 3*3600)), 2 * day, time.Date(2030, 5, 7, 0, 0, 0, 0, time.UTC)},
		{time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC), 36 * time.Hour, time.Date(2030, 2, 28, 0, 0, 0, 0, time.UTC)},
	} {
		got := Cutoff(tc.now, tc.retention)
		if !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("Cutoff(%v, %v) = %v, want %v", tc.now, tc.retention, got, tc.want)
		}
		// Kept at least the retention, at most a day longer.
		if age := tc.now.Sub(got); age < tc.retention || age > tc.retention+day {
			t.Errorf("Cutoff(%v, %v): events kept %v", tc.now, tc.retention, age)
		}
	}
}

// fakeStore records the calls.
type fakeStore struct {
	mu         sync.Mutex
	prepared   []time.Time
	deleted    []time.Time
	prepareErr error
	deleteErr  error
}

func (f *fakeStore) PrepareEvents(_ context.Context, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prepared = append(f.prepared, now)
	return f.prepareErr
}

func (f *fakeStore) DeleteEventsBefore(_ context.Context, t time.Time) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, t)
	return 7, f.deleteErr
}

func TestPass(t *testing.T) {
	now := time.Date(2030, 5, 10, 13, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	st := &fakeStore{}
	n, err := New(Options{Store: st, Now: clock}).Pass(t.Context())
	if err != nil || n != 0 || len(st.prepared) != 1 || !st.prepared[0].Equal(now) || len(st.deleted) != 0 {
		t.Errorf("retention off: %d, %v, prepared %v, deleted %v; want only a prepare at now", n, err, st.prepared, st.deleted)
	}

	st = &fakeStore{}
	n, err = New(Options{Store: st, Now: clock, Retention: 48 * time.Hour}).Pass(t.Context())
	if err != nil || n != 7 || len(st.deleted) != 1 || !st.deleted[0].Equal(time.Date(2030, 5, 8, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("retention 48h: %d, %v, deleted before %v; want 7 before 2030-05-08", n, err, st.deleted)
	}

	// A failure to prepare does not keep expired events.
	errPrepare, errDelete := errors.New("prepare"), errors.New("delete")
	st = &fakeStore{prepareErr: errPrepare, deleteErr: errDelete}
	_, err = New(Options{Store: st, Now: clock, Retention: 48 * time.Hour}).Pass(t.Context())
	if !errors.Is(err, errPrepare) || !errors.Is(err, errDelete) || len(st.deleted) != 1 {
		t.Errorf("both failing: %v, deleted %v; want both errors and a delete", err, st.deleted)
	}
}

func TestRunPassesAtOnceThenEveryInterval(t *testing.T) {
	for _, interval := range []time.Duration{time.Hour, 5 * time.Millisecond} {
		st := &fakeStore{deleteErr: errors.New("database down")}
		ctx, cancel := context.WithCancel(t.Context())
		passes := make(chan error, 100)
		k := New(Options{Store: st, Retention: MinRetention, Interval: interval, Passed: func(_ int64, err error) {
			passes <- err
		}})
		done := make(chan struct{})
		go func() {
			k.Run(ctx)
			close(done)
		}()
		want := 1
		if interval < time.Second {
			want = 3
		}
		for range want {
			select {
			case err := <-passes:
				if err == nil {
					t.Error("a failed pass reported no error")
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("interval %v: no pass within 5s", interval)
			}
		}
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
	}
}

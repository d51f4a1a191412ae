package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/core/event"
)

// loadDay inserts n events spread over a day into events, in time order
// (as they arrive), with random IDs and the spread of a usual trail (5
// clusters, 30 namespaces, 25 rules, 200 pod names). SQL makes them: the
// benchmark times deleting them, not storing them.
const loadDay = `INSERT INTO events (id, ts, cluster, namespace, kind, name, container, tab, rule, action, policy, user_name, message, operation)
	WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i + 1 < ?3)
	SELECT lower(hex(randomblob(16))), ?1 + i * ?2, 'cluster-' || (i * 7 % 5), 'team-' || (i * 13 % 30), 'Pod',
		'api-' || (i * 31 % 200), 'app', 'runtime', 'rule-' || (i * 17 % 25), 'log', 'baseline',
		'system:serviceaccount:team-' || (i * 13 % 30) || ':deployer',
		'Pod team-' || (i * 13 % 30) || '/api: container app violates a rule (spec.containers[0].securityContext)', 'CREATE'
	FROM g`

// TestRetentionCost loads two days of events and deletes the first, on
// copies of one database: with DeleteEventsBefore at several batch sizes,
// and in one DELETE. Meanwhile an agent appends batches of 100 events,
// and the time each append waited is reported: the write lock a delete
// holds is what agents wait for. It asserts nothing about times.
func TestRetentionCost(t *testing.T) {
	if os.Getenv("PALISADE_BENCH_RETENTION") != "1" {
		t.Skip("set PALISADE_BENCH_RETENTION=1 to measure deleting a day of events")
	}
	n := 200_000
	if v := os.Getenv("PALISADE_BENCH_RETENTION_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			t.Fatalf("PALISADE_BENCH_RETENTION_N=%q: want a number ≥ 1000", v)
		}
	}
	ctx := context.Background()
	dir := t.TempDir()
	day := time.Date(2030, 1, 10, 0, 0, 0, 0, time.UTC)
	orig := filepath.Join(dir, "orig.db")
	s, err := Open(ctx, orig)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 2 {
		if _, err := s.w.ExecContext(ctx, loadDay, day.AddDate(0, 0, i).UnixMicro(), (24*time.Hour).Microseconds()/int64(n), n); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	fi, err := os.Stat(orig)
	if err != nil {
		t.Fatal(err)
	}
	report(t, "sqlite: %d events a day, 2 days (loaded in %v); database %d MiB", n, time.Since(start).Round(time.Millisecond), fi.Size()>>20)

	cutoff := day.AddDate(0, 0, 1)
	report(t, "sqlite: deleting day 1, while an agent appends batches of 100 events:")
	for _, v := range []struct {
		name  string
		batch int // 0: one DELETE
	}{{"DeleteEventsBefore, batches of 500", 500}, {"DeleteEventsBefore, batches of 1,000", 1000},
		{"DeleteEventsBefore, batches of 2,000", 2000},
		{"DeleteEventsBefore, batches of 10,000", 10_000}, {"one DELETE ... WHERE ts < t", 0}} {
		path := filepath.Join(dir, fmt.Sprintf("copy-%d.db", v.batch))
		if err := Backup(ctx, orig, path); err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		s.deleteBatch = v.batch
		lat, stop := appendWhile(t, s, cutoff)
		st := time.Now()
		var rows int64
		if v.batch > 0 {
			rows, err = s.DeleteEventsBefore(ctx, cutoff)
		} else {
			err = s.write(ctx, func(tx *sql.Tx) error {
				res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE ts < ?`, cutoff.UnixMicro())
				if err == nil {
					rows, err = res.RowsAffected()
				}
				return err
			})
		}
		took := time.Since(st)
		appends := stop()
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		os.Remove(path)
		slices.Sort(*lat)
		l := *lat
		report(t, "  %-40s %8d rows  %9v   %4d appends meanwhile, waited p50 %7v  p99 %7v  max %7v", v.name, rows,
			took.Round(time.Millisecond), appends, l[len(l)/2].Round(time.Millisecond), l[len(l)*99/100].Round(time.Millisecond),
			l[len(l)-1].Round(time.Millisecond))
	}
}

// appendWhile appends batches of 100 events dated after the cutoff, one
// after another, until stop is called; it returns each append's latency
// and, from stop, how many there were.
func appendWhile(t *testing.T, s *Store, after time.Time) (*[]time.Duration, func() int) {
	var (
		lat  []time.Duration
		wg   sync.WaitGroup
		done = make(chan struct{})
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for b := 0; ; b++ {
			select {
			case <-done:
				return
			default:
			}
			evs := make([]event.Event, 100)
			for i := range evs {
				evs[i] = event.Event{ID: event.NewID(), Time: after.Add(time.Duration(b) * time.Second), Cluster: "c", Rule: "r", Action: "log"}
			}
			st := time.Now()
			if _, err := s.AppendEvents(context.Background(), evs); err != nil {
				t.Error(err)
				return
			}
			lat = append(lat, time.Since(st))
		}
	}()
	// Let it start.
	time.Sleep(50 * time.Millisecond)
	return &lat, func() int {
		close(done)
		wg.Wait()
		return len(lat)
	}
}

// report prints a result line to the test log and to stdout, so that it
// shows without -v too.
func report(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf(format, args...)
	fmt.Printf(format+"\n", args...)
}

package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/core/event"
)

// benchDays are the two days TestRetentionCost loads: the first expires,
// the second is kept.
var benchDay = time.Date(2030, 1, 10, 0, 0, 0, 0, time.UTC)

// benchEvents returns n events spread over the day d, each with its own
// (random) ID, in arrival order.
func benchEvents(r *rand.Rand, d time.Time, n int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		ns := fmt.Sprintf("team-%d", r.IntN(30))
		evs[i] = event.Event{ID: event.NewID(), Time: d.Add(time.Duration(float64(24*time.Hour) * float64(i) / float64(n))),
			Cluster: fmt.Sprintf("cluster-%d", r.IntN(5)), Namespace: ns, Kind: "Pod", Name: fmt.Sprintf("api-%d", r.IntN(200)),
			Container: "app", Tab: "runtime", Rule: fmt.Sprintf("rule-%d", r.IntN(25)), Action: "log", Policy: "baseline",
			User: "system:serviceaccount:" + ns + ":deployer", Operation: "CREATE",
			Message: "Pod " + ns + "/api: container app violates a rule (spec.containers[0].securityContext)"}
	}
	return evs
}

// benchN is how many events a day holds in the retention benchmarks:
// PALISADE_BENCH_RETENTION_N, 200,000 by default.
func benchN(t *testing.T) int {
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
	return n
}

// TestRetentionCost loads two days of events and deletes the first, side
// by side: DeleteEventsBefore on the partitioned trail (a partition
// dropped) and, on a copy in an unpartitioned table with the indexes the
// trail had before migration 0005, the DELETE a retention would have run
// there (and the VACUUM that must follow it). It reports time and WAL
// written, and asserts nothing about them.
func TestRetentionCost(t *testing.T) {
	n := benchN(t)
	u := testURL(t)
	s, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.PrepareEvents(ctx, benchDay); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	for _, d := range []time.Time{benchDay, benchDay.AddDate(0, 0, 1)} {
		evs := benchEvents(r, d, n)
		for i := 0; i < n; i += 5000 {
			if _, err := s.AppendEvents(ctx, evs[i:min(i+5000, n)]); err != nil {
				t.Fatal(err)
			}
		}
	}
	report(t, "postgres: loaded %d events a day over 2 days in %v", n, time.Since(start).Round(time.Millisecond))

	exec := func(q string, args ...any) int64 {
		t.Helper()
		tag, err := s.pool.Exec(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return tag.RowsAffected()
	}
	exec(`CREATE TABLE events_flat (
		id text PRIMARY KEY, seq bigint NOT NULL, ts timestamptz NOT NULL,
		cluster text NOT NULL DEFAULT '', namespace text NOT NULL DEFAULT '', kind text NOT NULL DEFAULT '',
		name text NOT NULL DEFAULT '', container text NOT NULL DEFAULT '', tab text NOT NULL DEFAULT '',
		rule text NOT NULL DEFAULT '', action text NOT NULL DEFAULT '', policy text NOT NULL DEFAULT '',
		user_name text NOT NULL DEFAULT '', message text NOT NULL DEFAULT '', operation text NOT NULL DEFAULT '',
		caller text NOT NULL DEFAULT '', agent_ts timestamptz)`)
	exec(`INSERT INTO events_flat SELECT * FROM events ORDER BY seq`)
	for _, q := range []string{
		`CREATE INDEX events_flat_ts ON events_flat (ts, seq)`,
		`CREATE INDEX events_flat_cluster_ts ON events_flat (cluster, ts, seq)`,
		`CREATE INDEX events_flat_cluster_namespace_ts ON events_flat (cluster, namespace, ts, seq)`,
		`CREATE INDEX events_flat_namespace_ts ON events_flat (namespace, ts, seq)`,
		`CREATE INDEX events_flat_rule_ts ON events_flat (rule, ts, seq)`,
		`CREATE INDEX events_flat_rule_action_ts ON events_flat (rule, action, ts, seq)`,
		`CREATE INDEX events_flat_action_ts ON events_flat (action, ts, seq)`,
		`VACUUM ANALYZE events_flat`, `VACUUM ANALYZE events`, `CHECKPOINT`,
	} {
		exec(q)
	}

	// measure runs fn and returns its time and the WAL it wrote.
	measure := func(fn func() int64) (int64, time.Duration, float64) {
		t.Helper()
		var lsn string
		if err := s.pool.QueryRow(ctx, `SELECT pg_current_wal_insert_lsn()::text`).Scan(&lsn); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		rows := fn()
		took := time.Since(start)
		var wal float64
		if err := s.pool.QueryRow(ctx, `SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)`, lsn).Scan(&wal); err != nil {
			t.Fatal(err)
		}
		return rows, took, wal / (1 << 20)
	}
	cutoff := benchDay.AddDate(0, 0, 1)
	report(t, "postgres: deleting one day of %d events (of %d):", n, 2*n)
	rows, took, wal := measure(func() int64 {
		d, err := s.DeleteEventsBefore(ctx, cutoff)
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
	report(t, "  %-44s %8d rows  %10v  WAL %7.2f MiB", "partitioned: DeleteEventsBefore (drop)", rows, took.Round(time.Millisecond), wal)
	rows, took, wal = measure(func() int64 { return exec(`DELETE FROM events_flat WHERE ts < $1`, cutoff) })
	report(t, "  %-44s %8d rows  %10v  WAL %7.2f MiB", "unpartitioned: DELETE ... WHERE ts < t", rows, took.Round(time.Millisecond), wal)
	_, took, wal = measure(func() int64 { return exec(`VACUUM events_flat`) })
	report(t, "  %-44s %8s       %10v  WAL %7.2f MiB", "unpartitioned: the VACUUM that follows", "", took.Round(time.Millisecond), wal)
}

// report prints a result line to the test log and to stdout, so that it
// shows without -v too.
func report(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf(format, args...)
	fmt.Printf(format+"\n", args...)
}

package postgres

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// benchDay is the first day TestRetentionCost loads.
var benchDay = time.Date(2030, 1, 10, 0, 0, 0, 0, time.UTC)

// loadDay inserts n events spread over the day d into the table, in time
// order (as they arrive), with random IDs and the spread of a usual trail
// (5 clusters, 30 namespaces, 25 rules, 200 pod names). SQL makes them:
// the benchmark times deleting them, not storing them.
const loadDay = `INSERT INTO %s (id, ts, cluster, namespace, kind, name, container, tab, rule, action, policy, user_name, message, operation)
	SELECT md5(random()::text || g), $1::timestamptz + g * ($2::float8 * interval '1 second'),
		'cluster-' || (random() * 4)::int, ns, 'Pod', 'api-' || (random() * 199)::int, 'app', 'runtime',
		'rule-' || (random() * 24)::int, 'log', 'baseline', 'system:serviceaccount:' || ns || ':deployer',
		'Pod ' || ns || '/api: container app violates a rule (spec.containers[0].securityContext)', 'CREATE'
	FROM generate_series(0, $3::int - 1) g, LATERAL (SELECT 'team-' || (random() * 29)::int || substr(g::text, 1, 0) AS ns) n`

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

// TestRetentionCost loads three days of events and deletes the first,
// then the second, side by side: DeleteEventsBefore on the partitioned
// trail (a partition dropped) and, on a copy in an unpartitioned table
// with the indexes the trail had before the events_partitioned migration,
// the DELETE a retention would have run there and the VACUUM that must
// follow it. It reports time and WAL written, and asserts nothing about
// them.
func TestRetentionCost(t *testing.T) {
	n := benchN(t)
	u := testURL(t)
	s, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	exec := func(q string, args ...any) int64 {
		t.Helper()
		tag, err := s.pool.Exec(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return tag.RowsAffected()
	}
	if err := s.PrepareEvents(ctx, benchDay.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	exec(`CREATE TABLE events_flat (
		id text PRIMARY KEY, seq bigserial NOT NULL, ts timestamptz NOT NULL,
		cluster text NOT NULL DEFAULT '', namespace text NOT NULL DEFAULT '', kind text NOT NULL DEFAULT '',
		name text NOT NULL DEFAULT '', container text NOT NULL DEFAULT '', tab text NOT NULL DEFAULT '',
		rule text NOT NULL DEFAULT '', action text NOT NULL DEFAULT '', policy text NOT NULL DEFAULT '',
		user_name text NOT NULL DEFAULT '', message text NOT NULL DEFAULT '', operation text NOT NULL DEFAULT '',
		caller text NOT NULL DEFAULT '', agent_ts timestamptz)`)
	for _, q := range []string{
		`CREATE INDEX events_flat_ts ON events_flat (ts, seq)`,
		`CREATE INDEX events_flat_cluster_ts ON events_flat (cluster, ts, seq)`,
		`CREATE INDEX events_flat_cluster_namespace_ts ON events_flat (cluster, namespace, ts, seq)`,
		`CREATE INDEX events_flat_namespace_ts ON events_flat (namespace, ts, seq)`,
		`CREATE INDEX events_flat_rule_ts ON events_flat (rule, ts, seq)`,
		`CREATE INDEX events_flat_rule_action_ts ON events_flat (rule, action, ts, seq)`,
		`CREATE INDEX events_flat_action_ts ON events_flat (action, ts, seq)`,
	} {
		exec(q)
	}
	const days = 3
	start := time.Now()
	for i := range days {
		for _, table := range []string{"events", "events_flat"} {
			exec(fmt.Sprintf(loadDay, table), benchDay.AddDate(0, 0, i), 86400/float64(n), n)
		}
	}
	exec(`VACUUM ANALYZE events_flat`)
	exec(`VACUUM ANALYZE events`)
	exec(`CHECKPOINT`)
	var flatSize, partSize int64
	if err := s.pool.QueryRow(ctx, `SELECT pg_total_relation_size('events_flat'), pg_total_relation_size($1)`,
		partitionName(benchDay)).Scan(&flatSize, &partSize); err != nil {
		t.Fatal(err)
	}
	report(t, "postgres: %d events a day, %d days, in both tables (loaded in %v); the unpartitioned table is %d MiB, a day's partition %d MiB",
		n, days, time.Since(start).Round(time.Millisecond), flatSize>>20, partSize>>20)

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
	line := func(what string, rows int64, took time.Duration, wal float64) {
		report(t, "  %-42s %8d rows  %9v  WAL %7.2f MiB", what, rows, took.Round(time.Millisecond), wal)
	}
	for day := range days - 1 {
		cutoff := benchDay.AddDate(0, 0, day+1)
		report(t, "postgres: deleting day %d:", day+1)
		partitioned := func() {
			rows, took, wal := measure(func() int64 {
				d, err := s.DeleteEventsBefore(ctx, cutoff)
				if err != nil {
					t.Fatal(err)
				}
				return d
			})
			line("partitioned: DeleteEventsBefore (drop)", rows, took, wal)
		}
		unpartitioned := func() {
			rows, took, wal := measure(func() int64 { return exec(`DELETE FROM events_flat WHERE ts < $1`, cutoff) })
			line("unpartitioned: DELETE ... WHERE ts < t", rows, took, wal)
			_, took, wal = measure(func() int64 { return exec(`VACUUM events_flat`) })
			line("unpartitioned: the VACUUM it needs", 0, took, wal)
		}
		// Each goes first once.
		if day%2 == 0 {
			partitioned()
			unpartitioned()
		} else {
			unpartitioned()
			partitioned()
		}
	}
}

// report prints a result line to the test log and to stdout, so that it
// shows without -v too.
func report(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf(format, args...)
	fmt.Printf(format+"\n", args...)
}

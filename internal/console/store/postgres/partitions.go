package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The events table is partitioned by day (migrations/*_events_partitioned.sql):
// events_YYYYMMDD holds the events of one UTC day, events_default every
// other one. Partitions are made ahead of the days' events by
// PrepareEvents, and expire whole: DeleteEventsBefore drops them.
const (
	partitionPrefix  = "events_"
	partitionLayout  = "20060102"
	defaultPartition = "events_default"
	// partitionLockTimeout bounds how long a partition change waits for
	// the locks it needs (queries on the trail hold them for
	// milliseconds); one that times out is tried again at the next call.
	partitionLockTimeout = 3 * time.Second
)

// day is the start of t's UTC day.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// partitionName names the partition of the UTC day starting at d.
func partitionName(d time.Time) string { return partitionPrefix + d.Format(partitionLayout) }

// partitionDay is the day a partition's name says, false for a name
// that is not a day partition's (events_default).
func partitionDay(name string) (time.Time, bool) {
	s, ok := strings.CutPrefix(name, partitionPrefix)
	if !ok || len(s) != len(partitionLayout) {
		return time.Time{}, false
	}
	d, err := time.Parse(partitionLayout, s)
	return d, err == nil
}

// timestampLiteral is t as a timestamptz literal for DDL, which takes no
// parameters.
func timestampLiteral(t time.Time) string {
	return "'" + t.UTC().Format("2006-01-02 15:04:05.999999") + "+00'"
}

// PrepareEvents implements store.Store: it creates the day partitions
// from the day before now's to two days after it (the console keeps event
// times within a day of its clock), those missing.
func (s *Store) PrepareEvents(ctx context.Context, now time.Time) error {
	today := day(now)
	for i := -1; i <= 2; i++ {
		if err := s.addPartition(ctx, today.AddDate(0, 0, i)); err != nil {
			return fmt.Errorf("prepare events: %w", err)
		}
	}
	return nil
}

// partitionExists reports whether the table name is in the schema where
// tables are created. It reads pg_class under the statement's snapshot:
// a lookup by name (to_regclass) may answer from a cache that has not yet
// seen the table another transaction created or dropped meanwhile.
func partitionExists(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, name string) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relname = $1 AND n.nspname = current_schema())`, name).Scan(&ok)
	return ok, err
}

// addPartition creates the partition of the day d unless it exists. The
// default partition may hold events of that day (stored before it was
// made): they move into it, in the same transaction. Attaching locks the
// events table only against other changes of its partitions; the default
// partition is locked whole (attaching needs it so), for the time the
// move and the attach take: milliseconds when it has nothing to move.
func (s *Store) addPartition(ctx context.Context, d time.Time) error {
	name := partitionName(d)
	if ok, err := partitionExists(ctx, s.pool, name); err != nil || ok {
		return err
	}
	return s.partitionTx(ctx, func(tx pgx.Tx) error {
		// Another console may have made it meanwhile.
		if ok, err := partitionExists(ctx, tx, name); err != nil || ok {
			return err
		}
		table := pgx.Identifier{name}.Sanitize()
		from, to := timestampLiteral(d), timestampLiteral(d.AddDate(0, 0, 1))
		for _, q := range []string{
			`CREATE TABLE ` + table + ` (LIKE events INCLUDING DEFAULTS)`,
			`LOCK TABLE ` + defaultPartition + ` IN ACCESS EXCLUSIVE MODE`,
			`WITH moved AS (DELETE FROM ` + defaultPartition + ` WHERE ts >= ` + from + ` AND ts < ` + to + ` RETURNING *)
				INSERT INTO ` + table + ` SELECT * FROM moved`,
			`ALTER TABLE events ATTACH PARTITION ` + table + ` FOR VALUES FROM (` + from + `) TO (` + to + `)`,
		} {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("partition %s: %w", name, err)
			}
		}
		return nil
	})
}

// partitionTx runs fn in a transaction that holds the migration lock (so
// that consoles sharing the database change partitions one at a time, and
// never during a migration) and waits at most partitionLockTimeout for
// any other lock.
func (s *Store) partitionTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = %d`, partitionLockTimeout.Milliseconds())); err != nil {
			return err
		}
		return fn(tx)
	})
}

// DeleteEventsBefore implements store.Store. The day partitions that end
// at or before t are dropped whole; then the events before t that remain
// (in the default partition, or in t's own day when t is not midnight)
// are deleted row by row. The console's retention passes a midnight, so
// that only the default partition's few events go the slow way.
func (s *Store) DeleteEventsBefore(ctx context.Context, t time.Time) (int64, error) {
	t = stored(t)
	days, err := s.dayPartitions(ctx)
	if err != nil {
		return 0, fmt.Errorf("delete events: %w", err)
	}
	var deleted int64
	for _, d := range days {
		if d.AddDate(0, 0, 1).After(t) {
			break
		}
		n, err := s.dropPartition(ctx, partitionName(d))
		deleted += n
		if err != nil {
			return deleted, fmt.Errorf("delete events: %w", err)
		}
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM events WHERE ts < $1`, t)
	if err != nil {
		return deleted, fmt.Errorf("delete events: %w", err)
	}
	return deleted + tag.RowsAffected(), nil
}

// dayPartitions returns the days of the events table's day partitions,
// oldest first.
func (s *Store) dayPartitions(ctx context.Context) ([]time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = to_regclass('events')`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var days []time.Time
	for _, n := range names {
		if d, ok := partitionDay(n); ok {
			days = append(days, d)
		}
	}
	slices.SortFunc(days, time.Time.Compare)
	return days, nil
}

// dropPartition drops a day partition and returns how many events it
// held, counted just before: an event stored between the count and the
// drop, which would have to be dated on an expired day, goes uncounted.
// (Counting under a lock that keeps writers out would let such a writer
// and the drop deadlock.)
func (s *Store) dropPartition(ctx context.Context, name string) (int64, error) {
	var n int64
	err := s.partitionTx(ctx, func(tx pgx.Tx) error {
		// Another console may have dropped it meanwhile.
		if ok, err := partitionExists(ctx, tx, name); err != nil || !ok {
			return err
		}
		table := pgx.Identifier{name}.Sanitize()
		// An index-only scan of the day counts it in tens of
		// milliseconds; parallel workers would take longer to start.
		if _, err := tx.Exec(ctx, `SET LOCAL max_parallel_workers_per_gather = 0`); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			return fmt.Errorf("count partition %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, `DROP TABLE `+table); err != nil {
			return fmt.Errorf("drop partition %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

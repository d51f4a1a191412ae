package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// deleteBatch is how many events one transaction of DeleteEventsBefore
// deletes. SQLite has one writer: agents' events wait while a batch is
// deleted, and are stored between two. Batches of 500 took 50 ms each on
// a busy machine, where one DELETE of a day of 200,000 events held the
// lock for 14 s; larger batches took no less time in all (docs/performance.md,
// "Console retention").
const deleteBatch = 500

// deleteEvents deletes the oldest events before a time, at most a batch
// of them, walking the events_ts index (ts, seq) from its start.
const deleteEvents = `DELETE FROM events WHERE seq IN
	(SELECT seq FROM events INDEXED BY events_ts WHERE ts < ? ORDER BY ts, seq LIMIT ?)`

// PrepareEvents implements store.Store: SQLite keeps the trail in one
// table, so there is nothing to prepare.
func (s *Store) PrepareEvents(context.Context, time.Time) error { return nil }

// DeleteEventsBefore implements store.Store: in transactions of a batch
// each, until none is left; between two, AppendEvents (which waits for the
// same connection) gets its turn. It stops early, with what it deleted so
// far, when ctx ends. The freed pages are reused by later events; the file
// does not shrink.
func (s *Store) DeleteEventsBefore(ctx context.Context, t time.Time) (int64, error) {
	us := t.UnixMicro()
	var deleted int64
	for {
		var n int64
		err := s.write(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, deleteEvents, us, s.deleteBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return deleted, fmt.Errorf("delete events: %w", err)
		}
		deleted += n
		if n < int64(s.deleteBatch) {
			return deleted, nil
		}
	}
}

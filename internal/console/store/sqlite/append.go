package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/groupcommit"
	"github.com/palisade-dev/palisade/internal/core/event"
)

const insertEvent = `INSERT INTO events
	(id, ts, cluster, namespace, kind, name, container, tab, rule, action, policy, user_name, message, operation, caller, agent_ts)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO NOTHING`

// maxGroupEvents bounds the events one group commit writes.
const maxGroupEvents = 10_000

// AppendEvents implements store.Store: events are inserted with one
// prepared statement in one transaction, with those of concurrent calls
// (groupcommit: SQLite writes one transaction at a time, and a commit
// costs about the pages it changed, so each page is written once for
// many batches); an ID already stored, or earlier in the batch, is
// skipped. Once queued, a call waits for its commit whatever ctx says:
// other calls' events may be in the same transaction.
func (s *Store) AppendEvents(ctx context.Context, events []event.Event) (int, error) {
	for i := range events {
		if events[i].ID == "" {
			return 0, fmt.Errorf("append events: events[%d] has no id: %w", i, store.ErrInvalid)
		}
	}
	return s.app.Append(ctx, events)
}

// writeEvents is the group commit's write: the calls' events in one
// transaction.
func (s *Store) writeEvents(ctx context.Context, calls []*groupcommit.Call) error {
	return s.write(ctx, func(tx *sql.Tx) error { return insertEvents(ctx, tx, calls) })
}

// insertEvents inserts the calls' events in order, sets each call's count
// of new ones and adds those to the overview's counts.
func insertEvents(ctx context.Context, tx *sql.Tx, calls []*groupcommit.Call) error {
	stmt, err := tx.PrepareContext(ctx, insertEvent)
	if err != nil {
		return err
	}
	defer stmt.Close()
	t := newTally()
	for _, c := range calls {
		c.N = 0
		for i := range c.Events {
			e := &c.Events[i]
			res, err := stmt.ExecContext(ctx, e.ID, e.Time.UnixMicro(), e.Cluster, e.Namespace, e.Kind, e.Name, e.Container,
				e.Tab, e.Rule, e.Action, e.Policy, e.User, e.Message, e.Operation, e.Caller, nullTime(e.AgentTime))
			if err != nil {
				return fmt.Errorf("event %q: %w", e.ID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 1 {
				t.add(e)
				c.N++
			}
		}
	}
	return t.write(ctx, tx)
}

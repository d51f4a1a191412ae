package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/event"
)

const insertEvent = `INSERT INTO events
	(id, ts, cluster, namespace, kind, name, container, tab, rule, action, policy, user_name, message, operation, caller, agent_ts)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO NOTHING`

// maxGroupEvents bounds the events one group commit writes.
const maxGroupEvents = 10_000

// appender is AppendEvents' group commit. SQLite writes one transaction at
// a time, and a commit costs about the pages it changed: the unique index
// on random IDs is written all over, and each (cluster, namespace) index
// range has its own last page. So batches that arrive while a commit is
// under way wait in a queue, and the next commit writes all of them: with
// many agents pushing at once, each page is written once for many batches.
// The first call in the queue leads: it writes a group (taken from the
// front of the queue), hands the lead to the next call waiting, if any, and
// returns.
type appender struct {
	mu      sync.Mutex
	queue   []*appendCall
	writing bool // a leader is writing a group
	groups  int  // group commits so far, for tests
}

type appendCall struct {
	events []event.Event
	n      int
	err    error
	done   chan struct{} // closed once n and err are set
	lead   chan struct{} // closed to make this call write the next group
}

// AppendEvents implements store.Store: events are inserted with one
// prepared statement in one transaction, with those of concurrent calls
// (see appender); an ID already stored, or earlier in the batch, is
// skipped. Once queued, a call waits for its commit whatever ctx says:
// other calls' events may be in the same transaction.
func (s *Store) AppendEvents(ctx context.Context, events []event.Event) (int, error) {
	for i := range events {
		if events[i].ID == "" {
			return 0, fmt.Errorf("append events: events[%d] has no id: %w", i, store.ErrInvalid)
		}
	}
	if len(events) == 0 {
		return 0, nil
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("append events: %w", err)
	}
	c := &appendCall{events: events, done: make(chan struct{}), lead: make(chan struct{})}
	a := &s.app
	a.mu.Lock()
	a.queue = append(a.queue, c)
	if !a.writing {
		a.writing = true
		close(c.lead)
	}
	a.mu.Unlock()

	select {
	case <-c.done:
	case <-c.lead:
		s.lead(context.WithoutCancel(ctx))
	}
	return c.n, c.err
}

// lead writes the group at the front of the queue (the leader's call
// first) and hands the lead on.
func (s *Store) lead(ctx context.Context) {
	a := &s.app
	a.mu.Lock()
	size, k := 0, 0
	for k < len(a.queue) && (k == 0 || size+len(a.queue[k].events) <= maxGroupEvents) {
		size += len(a.queue[k].events)
		k++
	}
	group := a.queue[:k:k]
	a.queue = a.queue[k:]
	a.groups++
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		if len(a.queue) > 0 {
			close(a.queue[0].lead)
		} else {
			a.writing = false
		}
		a.mu.Unlock()
	}()
	s.writeGroup(ctx, group)
}

// writeGroup stores the calls' events in one transaction, or, if that
// fails, each call's in its own, so that one call's failure is its own.
func (s *Store) writeGroup(ctx context.Context, group []*appendCall) {
	defer func() {
		for _, c := range group {
			close(c.done)
		}
	}()
	err := s.write(ctx, func(tx *sql.Tx) error { return insertEvents(ctx, tx, group) })
	if err != nil && len(group) > 1 {
		for _, c := range group {
			c.err = s.write(ctx, func(tx *sql.Tx) error { return insertEvents(ctx, tx, []*appendCall{c}) })
		}
	} else {
		for _, c := range group {
			c.err = err
		}
	}
	for _, c := range group {
		if c.err != nil {
			c.n, c.err = 0, fmt.Errorf("append events: %w", c.err)
		}
	}
}

// insertEvents inserts the calls' events in order, sets each call's count
// of new ones and adds those to the overview's counts.
func insertEvents(ctx context.Context, tx *sql.Tx, calls []*appendCall) error {
	stmt, err := tx.PrepareContext(ctx, insertEvent)
	if err != nil {
		return err
	}
	defer stmt.Close()
	t := newTally()
	for _, c := range calls {
		c.n = 0
		for i := range c.events {
			e := &c.events[i]
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
				c.n++
			}
		}
	}
	return t.write(ctx, tx)
}

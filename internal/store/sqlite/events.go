package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/palisade-dev/palisade/internal/event"
	"github.com/palisade-dev/palisade/internal/store"
	"github.com/palisade-dev/palisade/internal/store/cursor"
)

const insertEvent = `INSERT INTO events
	(id, ts, cluster, namespace, kind, name, container, tab, rule, action, policy, user_name, message, operation)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO NOTHING`

// AppendEvents implements store.Store: one transaction, one prepared
// statement; an ID already stored (or earlier in the batch) is skipped.
func (s *Store) AppendEvents(ctx context.Context, events []event.Event) (int, error) {
	for i := range events {
		if events[i].ID == "" {
			return 0, fmt.Errorf("append events: events[%d] has no id: %w", i, store.ErrInvalid)
		}
	}
	if len(events) == 0 {
		return 0, nil
	}
	var added int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, insertEvent)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := range events {
			e := &events[i]
			res, err := stmt.ExecContext(ctx, e.ID, e.Time.UnixMicro(), e.Cluster, e.Namespace, e.Kind, e.Name, e.Container,
				e.Tab, e.Rule, e.Action, e.Policy, e.User, e.Message, e.Operation)
			if err != nil {
				return fmt.Errorf("event %q: %w", e.ID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("append events: %w", err)
	}
	return int(added), nil
}

// ListEvents implements store.Store.
func (s *Store) ListEvents(ctx context.Context, f store.EventFilter) (store.EventPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = store.DefaultPageSize
	}
	limit = min(limit, store.MaxPageSize)

	var where []string
	var args []any
	for _, c := range []struct{ col, val string }{
		{"cluster", f.Cluster}, {"namespace", f.Namespace}, {"rule", f.Rule}, {"action", f.Action},
	} {
		if c.val != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.val)
		}
	}
	if !f.Since.IsZero() {
		where = append(where, "ts >= ?")
		args = append(args, f.Since.UnixMicro())
	}
	if f.Cursor != "" {
		us, seq, err := cursor.Decode(f.Cursor)
		if err != nil {
			return store.EventPage{}, fmt.Errorf("list events: %w", err)
		}
		// ts <= ? bounds the index range; the rest breaks ties by arrival.
		where = append(where, "ts <= ? AND (ts < ? OR seq < ?)")
		args = append(args, us, us, seq)
	}
	q := `SELECT seq, id, ts, cluster, namespace, kind, name, container, tab, rule, action, policy, user_name, message, operation
		FROM events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY ts DESC, seq DESC LIMIT ?"
	args = append(args, limit+1)

	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return store.EventPage{}, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	page := store.EventPage{Events: make([]event.Event, 0, min(limit, 64))}
	var lastSeq, lastTS int64
	for rows.Next() {
		if len(page.Events) == limit {
			page.Next = cursor.Encode(lastTS, lastSeq)
			break
		}
		var e event.Event
		var us int64
		if err := rows.Scan(&lastSeq, &e.ID, &us, &e.Cluster, &e.Namespace, &e.Kind, &e.Name, &e.Container,
			&e.Tab, &e.Rule, &e.Action, &e.Policy, &e.User, &e.Message, &e.Operation); err != nil {
			return store.EventPage{}, fmt.Errorf("list events: %w", err)
		}
		lastTS = us
		e.Time = fromMicros(us)
		page.Events = append(page.Events, e)
	}
	if err := rows.Err(); err != nil {
		return store.EventPage{}, fmt.Errorf("list events: %w", err)
	}
	return page, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/cursor"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// ListEvents implements store.Store.
func (s *Store) ListEvents(ctx context.Context, f store.EventFilter) (store.EventPage, error) {
	limit := store.PageLimit(f.Limit)
	q, args, err := eventQuery(f, limit+1)
	if err != nil {
		return store.EventPage{}, fmt.Errorf("list events: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return store.EventPage{}, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	evs, next, err := cursor.ReadPage(rows, limit, func() (event.Event, int64, int64, error) {
		var e event.Event
		var seq, us int64
		var agentUS sql.NullInt64
		err := rows.Scan(&seq, &e.ID, &us, &e.Cluster, &e.Namespace, &e.Kind, &e.Name, &e.Container,
			&e.Tab, &e.Rule, &e.Action, &e.Policy, &e.User, &e.Message, &e.Operation, &e.Caller, &agentUS)
		e.Time = fromMicros(us)
		if agentUS.Valid {
			e.AgentTime = fromMicros(agentUS.Int64)
		}
		return e, us, seq, err
	})
	if err != nil {
		return store.EventPage{}, fmt.Errorf("list events: %w", err)
	}
	return store.EventPage{Events: evs, Next: next}, nil
}

// eventQuery is the SELECT of ListEvents for f, returning at most limit
// rows.
func eventQuery(f store.EventFilter, limit int) (string, []any, error) {
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
			return "", nil, err
		}
		// ts <= ? bounds the index range; the rest breaks ties by arrival.
		where = append(where, "ts <= ? AND (ts < ? OR seq < ?)")
		args = append(args, us, us, seq)
	}
	q := `SELECT seq, id, ts, cluster, namespace, kind, name, container, tab, rule, action, policy, user_name, message, operation, caller, agent_ts
		FROM events INDEXED BY ` + eventIndex(f)
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY ts DESC, seq DESC LIMIT ?"
	args = append(args, limit)
	return q, args, nil
}

// eventIndex names the index ListEvents walks for f: the one whose leading
// columns narrow it most, for usual trails (many namespaces, tens of rules,
// a few clusters, four actions). Each also holds the remaining filter
// columns (see migrations/0001_init.sql). Naming it keeps plans from
// depending on statistics SQLite may not have.
func eventIndex(f store.EventFilter) string {
	switch {
	case f.Cluster != "" && f.Namespace != "":
		return "events_cluster_namespace"
	case f.Namespace != "":
		return "events_namespace"
	case f.Rule != "":
		return "events_rule"
	case f.Cluster != "":
		return "events_cluster"
	case f.Action != "":
		return "events_action"
	default:
		return "events_ts"
	}
}

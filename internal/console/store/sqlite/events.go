package sqlite

import (
	"context"
	"database/sql"
	"fmt"

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
	var p pageQuery
	p.equal("cluster", f.Cluster)
	p.equal("namespace", f.Namespace)
	p.equal("rule", f.Rule)
	p.equal("action", f.Action)
	if !f.Since.IsZero() {
		p.cond("ts >= ?", f.Since.UnixMicro())
	}
	if err := p.after(f.Cursor); err != nil {
		return "", nil, err
	}
	q, args := p.sql(`SELECT seq, id, ts, cluster, namespace, kind, name, container, tab, rule, action, policy, user_name, message, operation, caller, agent_ts
		FROM events INDEXED BY `+eventIndex(f), limit)
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

package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/cursor"
	"github.com/palisade-dev/palisade/internal/console/store/groupcommit"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// insertEvents inserts a batch as columns of arrays in one statement;
// unnest keeps the batch order, so seq follows it. The trail is
// partitioned by day, so its unique key is (id, ts): DO NOTHING skips an
// event stored before with the same ID and time, which is what an agent's
// retry is. An event whose time the console rewrote (agent_ts set) has a
// new time at each retry, so it is also skipped when its ID is stored at
// any time: looked up in every partition's key, which is cheap for the
// few such events and costs nothing for the others. The events it stored
// (RETURNING gives only those) are added to the overview's counts per hour
// (and per day for namespaces) in the same statement, so a retried event
// counts once. Each table's rows are upserted in key order, and the tables
// always in the same order, so that concurrent appends wait for each
// other's rows instead of deadlocking.
const insertEvents = `WITH stored AS (
	INSERT INTO events
		(id, ts, cluster, namespace, kind, name, container, tab, rule, action, policy, user_name, message, operation, caller, agent_ts)
		SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
			$16::timestamptz[])
			AS u(id, ts, cluster, namespace, kind, name, container, tab, rule, action, policy, user_name, message, operation, caller, agent_ts)
		WHERE u.agent_ts IS NULL OR NOT EXISTS (SELECT 1 FROM events e WHERE e.id = u.id)
		ON CONFLICT (id, ts) DO NOTHING
		RETURNING id, date_trunc('hour', ts, 'UTC') AS hour, date_trunc('day', ts, 'UTC') AS day, action, rule, cluster, namespace
), hours AS (
	INSERT INTO event_hours AS c (hour, action, n)
		SELECT hour, action, COUNT(*) FROM stored GROUP BY hour, action ORDER BY hour, action
		ON CONFLICT (hour, action) DO UPDATE SET n = c.n + excluded.n
), rules AS (
	INSERT INTO event_rule_hours AS c (action, hour, rule, n)
		SELECT action, hour, rule, COUNT(*) FROM stored GROUP BY action, hour, rule ORDER BY action, hour, rule
		ON CONFLICT (action, hour, rule) DO UPDATE SET n = c.n + excluded.n
), namespaces AS (
	INSERT INTO event_namespace_hours AS c (action, hour, cluster, namespace, n)
		SELECT action, hour, cluster, namespace, COUNT(*) FROM stored WHERE namespace <> ''
		GROUP BY action, hour, cluster, namespace ORDER BY action, hour, cluster, namespace
		ON CONFLICT (action, hour, cluster, namespace) DO UPDATE SET n = c.n + excluded.n
), namespace_days AS (
	INSERT INTO event_namespace_days AS c (action, day, cluster, namespace, n)
		SELECT action, day, cluster, namespace, COUNT(*) FROM stored WHERE namespace <> ''
		GROUP BY action, day, cluster, namespace ORDER BY action, day, cluster, namespace
		ON CONFLICT (action, day, cluster, namespace) DO UPDATE SET n = c.n + excluded.n
)
SELECT id FROM stored`

// maxGroupEvents bounds the events one group commit writes.
const maxGroupEvents = 10_000

// AppendEvents implements store.Store: the events of concurrent calls
// are inserted together in one statement (groupcommit), which also adds
// them to the overview's hourly counts. What it cannot tell apart: an
// event the console rewrote at one push (dated more than the console's
// time window from its clock) and kept at another (the clock caught up
// with it), and two pushes of one rewritten event in flight at once; each
// is stored twice. Both need an agent's clock a day off (the window's
// default) and then a retry.
func (s *Store) AppendEvents(ctx context.Context, events []event.Event) (int, error) {
	for i := range events {
		if events[i].ID == "" {
			return 0, fmt.Errorf("append events: events[%d] has no id: %w", i, store.ErrInvalid)
		}
	}
	return s.app.Append(ctx, events)
}

// writeEvents is the group commit's write: the calls' events in one
// statement, an ID given twice written from its first call. Each call is
// told how many of its events were new by the IDs the statement returns.
func (s *Store) writeEvents(ctx context.Context, calls []*groupcommit.Call) error {
	owner := map[string]int{}
	var events []event.Event
	for ci, c := range calls {
		c.N = 0
		for _, e := range c.Events {
			if _, dup := owner[e.ID]; !dup {
				owner[e.ID] = ci
				events = append(events, e)
			}
		}
	}
	n := len(events)
	ids, ts, agentTS := make([]string, n), make([]time.Time, n), make([]*time.Time, n)
	cols := make([][]string, 13)
	for c := range cols {
		cols[c] = make([]string, n)
	}
	for i := range events {
		e := &events[i]
		ids[i], ts[i], agentTS[i] = e.ID, e.Time, nullTime(e.AgentTime)
		for c, v := range [...]string{e.Cluster, e.Namespace, e.Kind, e.Name, e.Container, e.Tab, e.Rule, e.Action,
			e.Policy, e.User, e.Message, e.Operation, e.Caller} {
			cols[c][i] = v
		}
	}
	args := []any{ids, ts}
	for _, c := range cols {
		args = append(args, c)
	}
	args = append(args, agentTS)
	rows, err := s.pool.Query(ctx, insertEvents, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		calls[owner[id]].N++
	}
	return rows.Err()
}

// ListEvents implements store.Store. A query over the whole trail plans
// every day's partition and starts a scan of each (1.3 ms of planning for
// 30 days, where a page read from one partition takes 0.3 ms in all),
// though a page (100 events) rarely reaches past the newest day or two.
// So it first asks for the events since the day before its reference day
// (the cursor's, else today's), which the planner prunes to those days,
// the days ahead and the default partition; only when that does not fill
// the page does it ask again with no bound. A window that fills the page
// (one event more than the page, to know there is a next) gives the page
// exactly: every event it leaves out is older than all of those in it. A
// filter that matches few events costs the windowed query more.
func (s *Store) ListEvents(ctx context.Context, f store.EventFilter) (store.EventPage, error) {
	limit := store.PageLimit(f.Limit)
	ref := time.Now()
	if f.Cursor != "" {
		us, _, err := cursor.Decode(f.Cursor)
		if err != nil {
			return store.EventPage{}, fmt.Errorf("list events: %w", err)
		}
		ref = time.UnixMicro(us)
	}
	if since := day(ref).AddDate(0, 0, -1); f.Since.Before(since) {
		page, err := s.listEvents(ctx, f, limit, since)
		if err != nil || page.Next != "" {
			return page, err
		}
	}
	return s.listEvents(ctx, f, limit, time.Time{})
}

// listEvents returns the page of events matching f, and since, if not
// zero.
func (s *Store) listEvents(ctx context.Context, f store.EventFilter, limit int, since time.Time) (store.EventPage, error) {
	var p pageQuery
	p.equal("cluster", f.Cluster)
	p.equal("namespace", f.Namespace)
	p.equal("rule", f.Rule)
	p.equal("action", f.Action)
	p.since(f.Since)
	p.since(since)
	if err := p.after(f.Cursor); err != nil {
		return store.EventPage{}, fmt.Errorf("list events: %w", err)
	}
	q := p.sql(`SELECT seq, id, ts, cluster, namespace, kind, name, container, tab, rule, action, policy, user_name, message, operation, caller, agent_ts
		FROM events`, limit+1)

	rows, err := s.pool.Query(ctx, q, p.args...)
	if err != nil {
		return store.EventPage{}, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	evs, next, err := cursor.ReadPage(rows, limit, func() (event.Event, int64, int64, error) {
		var e event.Event
		var seq int64
		var agentTime *time.Time
		err := rows.Scan(&seq, &e.ID, &e.Time, &e.Cluster, &e.Namespace, &e.Kind, &e.Name, &e.Container,
			&e.Tab, &e.Rule, &e.Action, &e.Policy, &e.User, &e.Message, &e.Operation, &e.Caller, &agentTime)
		e.Time = e.Time.UTC()
		if agentTime != nil {
			e.AgentTime = agentTime.UTC()
		}
		return e, e.Time.UnixMicro(), seq, err
	})
	if err != nil {
		return store.EventPage{}, fmt.Errorf("list events: %w", err)
	}
	return store.EventPage{Events: evs, Next: next}, nil
}

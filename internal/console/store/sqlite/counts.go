package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// The overview's counts live in tables of counts per hour, and per day for
// namespaces (see migrations/0005_overview.sql). AppendEvents adds a tally
// of the events it stored to them in the same transaction.

type hourKey struct {
	hour   int64
	action string
}

type ruleKey struct {
	hourKey
	rule string
}

type namespaceKey struct {
	hourKey
	cluster, namespace string
}

// tally counts the events one transaction stores, per hour (namespaces
// per day too: their hourKey's hour is then the day's start).
type tally struct {
	hours         map[hourKey]int64
	rules         map[ruleKey]int64
	namespaces    map[namespaceKey]int64
	namespaceDays map[namespaceKey]int64
}

func newTally() *tally {
	return &tally{hours: map[hourKey]int64{}, rules: map[ruleKey]int64{}, namespaces: map[namespaceKey]int64{},
		namespaceDays: map[namespaceKey]int64{}}
}

// add counts an event that was new to the store.
func (t *tally) add(e *event.Event) {
	h := hourKey{e.Time.Truncate(time.Hour).UnixMicro(), e.Action}
	t.hours[h]++
	t.rules[ruleKey{h, e.Rule}]++
	if e.Namespace != "" {
		t.namespaces[namespaceKey{h, e.Cluster, e.Namespace}]++
		t.namespaceDays[namespaceKey{hourKey{e.Time.Truncate(store.Day).UnixMicro(), e.Action}, e.Cluster, e.Namespace}]++
	}
}

// The upserts that add a tally to the stored counts.
const (
	addHour = `INSERT INTO event_hours (hour, action, n) VALUES (?, ?, ?)
		ON CONFLICT (hour, action) DO UPDATE SET n = n + excluded.n`
	addRule = `INSERT INTO event_rule_hours (action, hour, rule, n) VALUES (?, ?, ?, ?)
		ON CONFLICT (action, hour, rule) DO UPDATE SET n = n + excluded.n`
	addNamespace = `INSERT INTO event_namespace_hours (action, hour, cluster, namespace, n) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (action, hour, cluster, namespace) DO UPDATE SET n = n + excluded.n`
	addNamespaceDay = `INSERT INTO event_namespace_days (action, day, cluster, namespace, n) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (action, day, cluster, namespace) DO UPDATE SET n = n + excluded.n`
)

// write adds the tally to the stored counts, in tx.
func (t *tally) write(ctx context.Context, tx *sql.Tx) error {
	upserts := []struct {
		q    string
		rows [][]any
	}{{q: addHour}, {q: addRule}, {q: addNamespace}, {q: addNamespaceDay}}
	for k, n := range t.hours {
		upserts[0].rows = append(upserts[0].rows, []any{k.hour, k.action, n})
	}
	for k, n := range t.rules {
		upserts[1].rows = append(upserts[1].rows, []any{k.action, k.hour, k.rule, n})
	}
	for k, n := range t.namespaces {
		upserts[2].rows = append(upserts[2].rows, []any{k.action, k.hour, k.cluster, k.namespace, n})
	}
	for k, n := range t.namespaceDays {
		upserts[3].rows = append(upserts[3].rows, []any{k.action, k.hour, k.cluster, k.namespace, n})
	}
	for _, u := range upserts {
		if len(u.rows) == 0 {
			continue
		}
		stmt, err := tx.PrepareContext(ctx, u.q)
		if err != nil {
			return fmt.Errorf("add to the overview's counts: %w", err)
		}
		for _, args := range u.rows {
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				stmt.Close()
				return fmt.Errorf("add to the overview's counts: %w", err)
			}
		}
		stmt.Close()
	}
	return nil
}

// The overview's reads, each a range of one count table's primary key.
const (
	countByHour = `SELECT hour, action, n FROM event_hours WHERE hour >= ? AND hour < ? ORDER BY hour, action`
	topRules    = `SELECT rule, SUM(n) AS total FROM event_rule_hours
		WHERE action = ? AND hour >= ? AND hour < ? GROUP BY rule ORDER BY total DESC, rule LIMIT ?`
	// topNamespaces reads the whole days of the range from the daily
	// counts, the hours before and after them from the hourly ones
	// (store.Hours.SplitDays).
	topNamespaces = `SELECT cluster, namespace, SUM(n) AS total FROM (
			SELECT cluster, namespace, n FROM event_namespace_hours WHERE action = ?1 AND hour >= ?2 AND hour < ?3
			UNION ALL
			SELECT cluster, namespace, n FROM event_namespace_days WHERE action = ?1 AND day >= ?4 AND day < ?5
			UNION ALL
			SELECT cluster, namespace, n FROM event_namespace_hours WHERE action = ?1 AND hour >= ?6 AND hour < ?7)
		GROUP BY cluster, namespace ORDER BY total DESC, cluster, namespace LIMIT ?8`
)

// CountEventsByHour implements store.Store.
func (s *Store) CountEventsByHour(ctx context.Context, h store.Hours) ([]store.HourCount, error) {
	if err := h.Check(); err != nil {
		return nil, fmt.Errorf("count events by hour: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, countByHour, h.From.UnixMicro(), h.To.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("count events by hour: %w", err)
	}
	return collect(rows, "count events by hour", func(c *store.HourCount) error {
		var us int64
		err := rows.Scan(&us, &c.Action, &c.Count)
		c.Hour = fromMicros(us)
		return err
	})
}

// TopRules implements store.Store.
func (s *Store) TopRules(ctx context.Context, action string, h store.Hours, limit int) ([]store.RuleCount, error) {
	if err := checkTop(h, limit); err != nil {
		return nil, fmt.Errorf("top rules: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, topRules, action, h.From.UnixMicro(), h.To.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("top rules: %w", err)
	}
	return collect(rows, "top rules", func(c *store.RuleCount) error { return rows.Scan(&c.Rule, &c.Count) })
}

// TopNamespaces implements store.Store.
func (s *Store) TopNamespaces(ctx context.Context, action string, h store.Hours, limit int) ([]store.NamespaceCount, error) {
	if err := checkTop(h, limit); err != nil {
		return nil, fmt.Errorf("top namespaces: %w", err)
	}
	head, days, tail := h.SplitDays()
	rows, err := s.r.QueryContext(ctx, topNamespaces, action, head.From.UnixMicro(), head.To.UnixMicro(),
		days.From.UnixMicro(), days.To.UnixMicro(), tail.From.UnixMicro(), tail.To.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("top namespaces: %w", err)
	}
	return collect(rows, "top namespaces", func(c *store.NamespaceCount) error {
		return rows.Scan(&c.Cluster, &c.Namespace, &c.Count)
	})
}

// collect reads every row with scan and closes rows.
func collect[T any](rows *sql.Rows, what string, scan func(*T) error) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(&v); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

func checkTop(h store.Hours, limit int) error {
	if limit < 1 {
		return fmt.Errorf("limit %d: %w", limit, store.ErrInvalid)
	}
	return h.Check()
}

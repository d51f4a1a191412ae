package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// The overview's counts live in tables of counts per hour, and per day for
// namespaces (see migrations/0005_overview.sql); insertEvents adds to them.

// CountEventsByHour implements store.Store.
func (s *Store) CountEventsByHour(ctx context.Context, h store.Hours) ([]store.HourCount, error) {
	if err := h.Check(); err != nil {
		return nil, fmt.Errorf("count events by hour: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT hour, action, n FROM event_hours
		WHERE hour >= $1 AND hour < $2 ORDER BY hour, action COLLATE "C"`, h.From, h.To)
	if err != nil {
		return nil, fmt.Errorf("count events by hour: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.HourCount, error) {
		var c store.HourCount
		err := r.Scan(&c.Hour, &c.Action, &c.Count)
		c.Hour = c.Hour.UTC()
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("count events by hour: %w", err)
	}
	return out, nil
}

// TopRules implements store.Store.
func (s *Store) TopRules(ctx context.Context, action string, h store.Hours, limit int) ([]store.RuleCount, error) {
	if err := checkTop(h, limit); err != nil {
		return nil, fmt.Errorf("top rules: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT rule, SUM(n)::bigint AS total FROM event_rule_hours
		WHERE action = $1 AND hour >= $2 AND hour < $3 GROUP BY rule ORDER BY total DESC, rule COLLATE "C" LIMIT $4`,
		action, h.From, h.To, limit)
	if err != nil {
		return nil, fmt.Errorf("top rules: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.RuleCount, error) {
		var c store.RuleCount
		return c, r.Scan(&c.Rule, &c.Count)
	})
	if err != nil {
		return nil, fmt.Errorf("top rules: %w", err)
	}
	return out, nil
}

// TopNamespaces implements store.Store.
func (s *Store) TopNamespaces(ctx context.Context, action string, h store.Hours, limit int) ([]store.NamespaceCount, error) {
	if err := checkTop(h, limit); err != nil {
		return nil, fmt.Errorf("top namespaces: %w", err)
	}
	// The whole days of the range from the daily counts, the hours before
	// and after them from the hourly ones.
	head, days, tail := h.SplitDays()
	rows, err := s.pool.Query(ctx, `SELECT cluster, namespace, SUM(n)::bigint AS total FROM (
			SELECT cluster, namespace, n FROM event_namespace_hours WHERE action = $1 AND hour >= $2 AND hour < $3
			UNION ALL
			SELECT cluster, namespace, n FROM event_namespace_days WHERE action = $1 AND day >= $4 AND day < $5
			UNION ALL
			SELECT cluster, namespace, n FROM event_namespace_hours WHERE action = $1 AND hour >= $6 AND hour < $7) AS c
		GROUP BY cluster, namespace ORDER BY total DESC, cluster COLLATE "C", namespace COLLATE "C" LIMIT $8`,
		action, head.From, head.To, days.From, days.To, tail.From, tail.To, limit)
	if err != nil {
		return nil, fmt.Errorf("top namespaces: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.NamespaceCount, error) {
		var c store.NamespaceCount
		return c, r.Scan(&c.Cluster, &c.Namespace, &c.Count)
	})
	if err != nil {
		return nil, fmt.Errorf("top namespaces: %w", err)
	}
	return out, nil
}

func checkTop(h store.Hours, limit int) error {
	if limit < 1 {
		return fmt.Errorf("limit %d: %w", limit, store.ErrInvalid)
	}
	return h.Check()
}

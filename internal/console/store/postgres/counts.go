package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// CountEventsByHour implements store.Store.
func (s *Store) CountEventsByHour(ctx context.Context, h store.Hours) ([]store.HourCount, error) {
	if err := h.Check(); err != nil {
		return nil, fmt.Errorf("count events by hour: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT date_trunc('hour', ts, 'UTC') AS hour, action, COUNT(*)
		FROM events WHERE ts >= $1 AND ts < $2
		GROUP BY hour, action ORDER BY hour, action COLLATE "C"`, h.From, h.To)
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
	rows, err := s.pool.Query(ctx, `SELECT rule, COUNT(*) AS n FROM events
		WHERE action = $1 AND ts >= $2 AND ts < $3 GROUP BY rule ORDER BY n DESC, rule COLLATE "C" LIMIT $4`,
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
	rows, err := s.pool.Query(ctx, `SELECT cluster, namespace, COUNT(*) AS n FROM events
		WHERE action = $1 AND ts >= $2 AND ts < $3 AND namespace <> '' GROUP BY cluster, namespace
		ORDER BY n DESC, cluster COLLATE "C", namespace COLLATE "C" LIMIT $4`,
		action, h.From, h.To, limit)
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

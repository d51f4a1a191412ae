package sqlite

import (
	"context"
	"fmt"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// hourMicros is an hour in the stores' unit of time.
const hourMicros = 3_600_000_000

// CountEventsByHour implements store.Store.
func (s *Store) CountEventsByHour(ctx context.Context, h store.Hours) ([]store.HourCount, error) {
	if err := h.Check(); err != nil {
		return nil, fmt.Errorf("count events by hour: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT ts - ((ts % ?1) + ?1) % ?1 AS hour, action, COUNT(*)
		FROM events INDEXED BY events_ts_action WHERE ts >= ?2 AND ts < ?3
		GROUP BY hour, action ORDER BY hour, action`, hourMicros, h.From.UnixMicro(), h.To.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("count events by hour: %w", err)
	}
	defer rows.Close()
	var out []store.HourCount
	for rows.Next() {
		var c store.HourCount
		var us int64
		if err := rows.Scan(&us, &c.Action, &c.Count); err != nil {
			return nil, fmt.Errorf("count events by hour: %w", err)
		}
		c.Hour = fromMicros(us)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count events by hour: %w", err)
	}
	return out, nil
}

// TopRules implements store.Store.
func (s *Store) TopRules(ctx context.Context, action string, h store.Hours, limit int) ([]store.RuleCount, error) {
	if err := checkTop(h, limit); err != nil {
		return nil, fmt.Errorf("top rules: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT rule, COUNT(*) AS n FROM events INDEXED BY events_action_cover
		WHERE action = ? AND ts >= ? AND ts < ? GROUP BY rule ORDER BY n DESC, rule LIMIT ?`,
		action, h.From.UnixMicro(), h.To.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("top rules: %w", err)
	}
	defer rows.Close()
	var out []store.RuleCount
	for rows.Next() {
		var c store.RuleCount
		if err := rows.Scan(&c.Rule, &c.Count); err != nil {
			return nil, fmt.Errorf("top rules: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("top rules: %w", err)
	}
	return out, nil
}

// TopNamespaces implements store.Store.
func (s *Store) TopNamespaces(ctx context.Context, action string, h store.Hours, limit int) ([]store.NamespaceCount, error) {
	if err := checkTop(h, limit); err != nil {
		return nil, fmt.Errorf("top namespaces: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT cluster, namespace, COUNT(*) AS n FROM events INDEXED BY events_action_cover
		WHERE action = ? AND ts >= ? AND ts < ? AND namespace <> '' GROUP BY cluster, namespace
		ORDER BY n DESC, cluster, namespace LIMIT ?`,
		action, h.From.UnixMicro(), h.To.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("top namespaces: %w", err)
	}
	defer rows.Close()
	var out []store.NamespaceCount
	for rows.Next() {
		var c store.NamespaceCount
		if err := rows.Scan(&c.Cluster, &c.Namespace, &c.Count); err != nil {
			return nil, fmt.Errorf("top namespaces: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
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

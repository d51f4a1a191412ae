package postgres

import (
	"context"
	"fmt"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/cursor"
)

// AppendAudit implements store.Store.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	e, err := e.Stamped()
	if err != nil {
		return store.AuditEntry{}, err
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO audit (ts, actor, remote, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`,
		e.Time, e.Actor, e.Remote, e.Action, e.Target, e.Detail).Scan(&e.ID)
	if err != nil {
		return store.AuditEntry{}, fmt.Errorf("append audit entry: %w", err)
	}
	return e, nil
}

// ListAudit implements store.Store.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) (store.AuditPage, error) {
	limit := store.PageLimit(f.Limit)

	var p pageQuery
	p.equal("action", f.Action)
	p.equal("target", f.Target)
	if err := p.after(f.Cursor); err != nil {
		return store.AuditPage{}, fmt.Errorf("list audit entries: %w", err)
	}
	q := p.sql(`SELECT seq, ts, actor, remote, action, target, detail FROM audit`, limit+1)

	rows, err := s.pool.Query(ctx, q, p.args...)
	if err != nil {
		return store.AuditPage{}, fmt.Errorf("list audit entries: %w", err)
	}
	defer rows.Close()
	entries, next, err := cursor.ReadPage(rows, limit, func() (store.AuditEntry, int64, int64, error) {
		var e store.AuditEntry
		err := rows.Scan(&e.ID, &e.Time, &e.Actor, &e.Remote, &e.Action, &e.Target, &e.Detail)
		e.Time = e.Time.UTC()
		return e, e.Time.UnixMicro(), e.ID, err
	})
	if err != nil {
		return store.AuditPage{}, fmt.Errorf("list audit entries: %w", err)
	}
	return store.AuditPage{Entries: entries, Next: next}, nil
}

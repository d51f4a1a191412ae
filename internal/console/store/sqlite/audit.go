package sqlite

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
	err = s.w.QueryRowContext(ctx, `INSERT INTO audit (ts, actor, remote, action, target, detail) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`,
		e.Time.UnixMicro(), e.Actor, e.Remote, e.Action, e.Target, e.Detail).Scan(&e.ID)
	if err != nil {
		return store.AuditEntry{}, fmt.Errorf("append audit entry: %w", err)
	}
	return e, nil
}

// ListAudit implements store.Store.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) (store.AuditPage, error) {
	limit := store.PageLimit(f.Limit)
	q, args, err := auditQuery(f, limit+1)
	if err != nil {
		return store.AuditPage{}, fmt.Errorf("list audit entries: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return store.AuditPage{}, fmt.Errorf("list audit entries: %w", err)
	}
	defer rows.Close()
	entries, next, err := cursor.ReadPage(rows, limit, func() (store.AuditEntry, int64, int64, error) {
		var e store.AuditEntry
		var us int64
		err := rows.Scan(&e.ID, &us, &e.Actor, &e.Remote, &e.Action, &e.Target, &e.Detail)
		e.Time = fromMicros(us)
		return e, us, e.ID, err
	})
	if err != nil {
		return store.AuditPage{}, fmt.Errorf("list audit entries: %w", err)
	}
	return store.AuditPage{Entries: entries, Next: next}, nil
}

// auditQuery is the SELECT of ListAudit for f, returning at most limit
// rows. It names the index to walk (see migrations/0006_audit.sql): the
// target's when there is one (it carries the action), else the action's,
// else time order.
func auditQuery(f store.AuditFilter, limit int) (string, []any, error) {
	var p pageQuery
	index := "audit_ts"
	if p.equal("action", f.Action) {
		index = "audit_action"
	}
	if p.equal("target", f.Target) {
		index = "audit_target"
	}
	if err := p.after(f.Cursor); err != nil {
		return "", nil, err
	}
	q, args := p.sql(`SELECT seq, ts, actor, remote, action, target, detail FROM audit INDEXED BY `+index, limit)
	return q, args, nil
}

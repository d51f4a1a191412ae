package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/cursor"
)

// AppendAudit implements store.Store.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	if e.Action == "" {
		return store.AuditEntry{}, fmt.Errorf("append audit entry: no action: %w", store.ErrInvalid)
	}
	if e.Time.IsZero() {
		e.Time = now()
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	err := s.w.QueryRowContext(ctx, `INSERT INTO audit (ts, actor, remote, action, target, detail) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`,
		e.Time.UnixMicro(), e.Actor, e.Remote, e.Action, e.Target, e.Detail).Scan(&e.ID)
	if err != nil {
		return store.AuditEntry{}, fmt.Errorf("append audit entry: %w", err)
	}
	return e, nil
}

// ListAudit implements store.Store.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) (store.AuditPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = store.DefaultPageSize
	}
	limit = min(limit, store.MaxPageSize)
	q, args, err := auditQuery(f, limit+1)
	if err != nil {
		return store.AuditPage{}, fmt.Errorf("list audit entries: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return store.AuditPage{}, fmt.Errorf("list audit entries: %w", err)
	}
	defer rows.Close()
	page := store.AuditPage{Entries: make([]store.AuditEntry, 0, min(limit, 64))}
	var last store.AuditEntry
	for rows.Next() {
		if len(page.Entries) == limit {
			page.Next = cursor.Encode(last.Time.UnixMicro(), last.ID)
			break
		}
		var e store.AuditEntry
		var us int64
		if err := rows.Scan(&e.ID, &us, &e.Actor, &e.Remote, &e.Action, &e.Target, &e.Detail); err != nil {
			return store.AuditPage{}, fmt.Errorf("list audit entries: %w", err)
		}
		e.Time = fromMicros(us)
		page.Entries = append(page.Entries, e)
		last = e
	}
	if err := rows.Err(); err != nil {
		return store.AuditPage{}, fmt.Errorf("list audit entries: %w", err)
	}
	return page, nil
}

// auditQuery is the SELECT of ListAudit for f, returning at most limit
// rows. It names the index to walk (see migrations/0006_audit.sql): the
// target's when there is one (it carries the action), else the action's,
// else time order.
func auditQuery(f store.AuditFilter, limit int) (string, []any, error) {
	var where []string
	var args []any
	index := "audit_ts"
	if f.Action != "" {
		where, args, index = append(where, "action = ?"), append(args, f.Action), "audit_action"
	}
	if f.Target != "" {
		where, args, index = append(where, "target = ?"), append(args, f.Target), "audit_target"
	}
	if f.Cursor != "" {
		us, seq, err := cursor.Decode(f.Cursor)
		if err != nil {
			return "", nil, err
		}
		where = append(where, "ts <= ? AND (ts < ? OR seq < ?)")
		args = append(args, us, us, seq)
	}
	q := `SELECT seq, ts, actor, remote, action, target, detail FROM audit INDEXED BY ` + index
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY ts DESC, seq DESC LIMIT ?"
	return q, append(args, limit), nil
}

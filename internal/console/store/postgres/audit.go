package postgres

import (
	"context"
	"fmt"
	"strconv"
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
	e.Time = stored(e.Time)
	err := s.pool.QueryRow(ctx, `INSERT INTO audit (ts, actor, remote, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`,
		e.Time, e.Actor, e.Remote, e.Action, e.Target, e.Detail).Scan(&e.ID)
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

	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Action != "" {
		where = append(where, "action = "+arg(f.Action))
	}
	if f.Target != "" {
		where = append(where, "target = "+arg(f.Target))
	}
	if f.Cursor != "" {
		us, seq, err := cursor.Decode(f.Cursor)
		if err != nil {
			return store.AuditPage{}, fmt.Errorf("list audit entries: %w", err)
		}
		where = append(where, "(ts, seq) < ("+arg(time.UnixMicro(us))+"::timestamptz, "+arg(seq)+"::bigint)")
	}
	q := `SELECT seq, ts, actor, remote, action, target, detail FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY ts DESC, seq DESC LIMIT " + arg(limit+1)

	rows, err := s.pool.Query(ctx, q, args...)
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
		if err := rows.Scan(&e.ID, &e.Time, &e.Actor, &e.Remote, &e.Action, &e.Target, &e.Detail); err != nil {
			return store.AuditPage{}, fmt.Errorf("list audit entries: %w", err)
		}
		e.Time = e.Time.UTC()
		page.Entries = append(page.Entries, e)
		last = e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return store.AuditPage{}, fmt.Errorf("list audit entries: %w", err)
	}
	return page, nil
}

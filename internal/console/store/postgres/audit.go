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
	limit := store.PageLimit(f.Limit)

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

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// docTable is a table of versioned documents: policies or rulesets.
type docTable struct {
	table string // SQL table name, a constant
	kind  string // for error messages
}

var (
	policies = docTable{table: "policies", kind: "policy"}
	rulesets = docTable{table: "rulesets", kind: "ruleset"}
)

const docColumns = `name, body, version, created_at, updated_at`

func scanDoc(row interface{ Scan(...any) error }) (store.Document, error) {
	var d store.Document
	var created, updated int64
	if err := row.Scan(&d.Name, &d.Body, &d.Version, &created, &updated); err != nil {
		return store.Document{}, err
	}
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	if d.Body == nil {
		d.Body = []byte{}
	}
	return d, nil
}

func (s *Store) createDoc(ctx context.Context, t docTable, name string, body []byte) (store.Document, error) {
	ts := now()
	d := store.Document{Name: name, Body: append([]byte{}, body...), Version: 1, CreatedAt: ts, UpdatedAt: ts}
	res, err := s.w.ExecContext(ctx, `INSERT INTO `+t.table+` (`+docColumns+`) VALUES (?, ?, 1, ?, ?) ON CONFLICT (name) DO NOTHING`,
		name, d.Body, ts.UnixMicro(), ts.UnixMicro())
	if err != nil {
		return store.Document{}, fmt.Errorf("create %s %q: %w", t.kind, name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return store.Document{}, fmt.Errorf("create %s %q: %w", t.kind, name, err)
	} else if n == 0 {
		return store.Document{}, fmt.Errorf("create %s %q: %w", t.kind, name, store.ErrExists)
	}
	return d, nil
}

func (s *Store) updateDoc(ctx context.Context, t docTable, name string, body []byte, version int64) (store.Document, error) {
	if body == nil {
		body = []byte{}
	}
	var d store.Document
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		d, err = scanDoc(tx.QueryRowContext(ctx, `UPDATE `+t.table+` SET body = ?, version = version + 1, updated_at = ?
			WHERE name = ? AND (? = 0 OR version = ?) RETURNING `+docColumns,
			body, now().UnixMicro(), name, version, version))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var current int64
		switch err := tx.QueryRowContext(ctx, `SELECT version FROM `+t.table+` WHERE name = ?`, name).Scan(&current); {
		case errors.Is(err, sql.ErrNoRows):
			return store.ErrNotFound
		case err != nil:
			return err
		default:
			return fmt.Errorf("%w: version %d is not the current %d", store.ErrConflict, version, current)
		}
	})
	if err != nil {
		return store.Document{}, fmt.Errorf("update %s %q: %w", t.kind, name, err)
	}
	return d, nil
}

func (s *Store) getDoc(ctx context.Context, t docTable, name string) (store.Document, error) {
	d, err := scanDoc(s.r.QueryRowContext(ctx, `SELECT `+docColumns+` FROM `+t.table+` WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Document{}, fmt.Errorf("get %s %q: %w", t.kind, name, err)
	}
	return d, nil
}

func (s *Store) listDocs(ctx context.Context, t docTable) ([]store.Document, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+docColumns+` FROM `+t.table+` ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", t.table, err)
	}
	defer rows.Close()
	var ds []store.Document
	for rows.Next() {
		d, err := scanDoc(rows)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", t.table, err)
		}
		ds = append(ds, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", t.table, err)
	}
	return ds, nil
}

func (s *Store) deleteDoc(ctx context.Context, t docTable, name string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if t == policies {
			var cluster string
			err := tx.QueryRowContext(ctx, `SELECT name FROM clusters WHERE policy = ? ORDER BY name LIMIT 1`, name).Scan(&cluster)
			if err == nil {
				return fmt.Errorf("%w: assigned to cluster %q", store.ErrInUse, cluster)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE name = ?`, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete %s %q: %w", t.kind, name, err)
	}
	return nil
}

// CreatePolicy implements store.Store.
func (s *Store) CreatePolicy(ctx context.Context, name string, body []byte) (store.Document, error) {
	return s.createDoc(ctx, policies, name, body)
}

// UpdatePolicy implements store.Store.
func (s *Store) UpdatePolicy(ctx context.Context, name string, body []byte, version int64) (store.Document, error) {
	return s.updateDoc(ctx, policies, name, body, version)
}

// GetPolicy implements store.Store.
func (s *Store) GetPolicy(ctx context.Context, name string) (store.Document, error) {
	return s.getDoc(ctx, policies, name)
}

// ListPolicies implements store.Store; by name.
func (s *Store) ListPolicies(ctx context.Context) ([]store.Document, error) {
	return s.listDocs(ctx, policies)
}

// DeletePolicy implements store.Store.
func (s *Store) DeletePolicy(ctx context.Context, name string) error {
	return s.deleteDoc(ctx, policies, name)
}

// CreateRuleset implements store.Store.
func (s *Store) CreateRuleset(ctx context.Context, name string, body []byte) (store.Document, error) {
	return s.createDoc(ctx, rulesets, name, body)
}

// UpdateRuleset implements store.Store.
func (s *Store) UpdateRuleset(ctx context.Context, name string, body []byte, version int64) (store.Document, error) {
	return s.updateDoc(ctx, rulesets, name, body, version)
}

// GetRuleset implements store.Store.
func (s *Store) GetRuleset(ctx context.Context, name string) (store.Document, error) {
	return s.getDoc(ctx, rulesets, name)
}

// ListRulesets implements store.Store; by name.
func (s *Store) ListRulesets(ctx context.Context) ([]store.Document, error) {
	return s.listDocs(ctx, rulesets)
}

// DeleteRuleset implements store.Store.
func (s *Store) DeleteRuleset(ctx context.Context, name string) error {
	return s.deleteDoc(ctx, rulesets, name)
}

package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

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
	if err := row.Scan(&d.Name, &d.Body, &d.Version, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return store.Document{}, err
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	if d.Body == nil {
		d.Body = []byte{}
	}
	return d, nil
}

func (s *Store) createDoc(ctx context.Context, t docTable, name string, body []byte) (store.Document, error) {
	ts := now()
	d := store.Document{Name: name, Body: append([]byte{}, body...), Version: 1, CreatedAt: ts, UpdatedAt: ts}
	tag, err := s.pool.Exec(ctx, `INSERT INTO `+t.table+` (`+docColumns+`) VALUES ($1, $2, 1, $3, $3) ON CONFLICT (name) DO NOTHING`,
		name, d.Body, ts)
	if err != nil {
		return store.Document{}, fmt.Errorf("create %s %q: %w", t.kind, name, err)
	}
	if tag.RowsAffected() == 0 {
		return store.Document{}, fmt.Errorf("create %s %q: %w", t.kind, name, store.ErrExists)
	}
	return d, nil
}

func (s *Store) updateDoc(ctx context.Context, t docTable, name string, body []byte, version int64) (store.Document, error) {
	if body == nil {
		body = []byte{}
	}
	d, err := scanDoc(s.pool.QueryRow(ctx, `UPDATE `+t.table+` SET body = $1, version = version + 1, updated_at = $2
		WHERE name = $3 AND ($4::bigint = 0 OR version = $4::bigint) RETURNING `+docColumns,
		body, now(), name, version))
	if errors.Is(err, pgx.ErrNoRows) {
		var current int64
		switch err2 := s.pool.QueryRow(ctx, `SELECT version FROM `+t.table+` WHERE name = $1`, name).Scan(&current); {
		case errors.Is(err2, pgx.ErrNoRows):
			err = store.ErrNotFound
		case err2 != nil:
			err = err2
		default:
			err = fmt.Errorf("%w: version %d is not the current %d", store.ErrConflict, version, current)
		}
	}
	if err != nil {
		return store.Document{}, fmt.Errorf("update %s %q: %w", t.kind, name, err)
	}
	return d, nil
}

func (s *Store) getDoc(ctx context.Context, t docTable, name string) (store.Document, error) {
	d, err := scanDoc(s.pool.QueryRow(ctx, `SELECT `+docColumns+` FROM `+t.table+` WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Document{}, fmt.Errorf("get %s %q: %w", t.kind, name, err)
	}
	return d, nil
}

func (s *Store) listDocs(ctx context.Context, t docTable) ([]store.Document, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+docColumns+` FROM `+t.table+` ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", t.table, err)
	}
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Document, error) { return scanDoc(r) })
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", t.table, err)
	}
	return ds, nil
}

func (s *Store) deleteDoc(ctx context.Context, t docTable, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM `+t.table+` WHERE name = $1`, name)
	switch {
	case err != nil && t == policies && isCode(err, foreignKeyViolation):
		var cluster string
		if s.pool.QueryRow(ctx, `SELECT name FROM clusters WHERE policy = $1 ORDER BY name LIMIT 1`, name).Scan(&cluster) == nil {
			err = fmt.Errorf("%w: assigned to cluster %q", store.ErrInUse, cluster)
		} else {
			err = fmt.Errorf("%w: assigned to a cluster", store.ErrInUse)
		}
	case err == nil && tag.RowsAffected() == 0:
		err = store.ErrNotFound
	}
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

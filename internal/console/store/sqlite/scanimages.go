package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// ReplaceScanImages implements store.Store, in one transaction.
func (s *Store) ReplaceScanImages(ctx context.Context, remove []string, add []store.ScanImage) error {
	for i, k := range remove {
		if k == "" {
			return fmt.Errorf("replace scan images: remove[%d] is empty: %w", i, store.ErrInvalid)
		}
	}
	for i, im := range add {
		if im.Key == "" {
			return fmt.Errorf("replace scan images: add[%d] has no key: %w", i, store.ErrInvalid)
		}
	}
	ts := now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		del, err := tx.PrepareContext(ctx, `DELETE FROM scan_images WHERE key = ?`)
		if err != nil {
			return err
		}
		defer del.Close()
		for _, k := range remove {
			if _, err := del.ExecContext(ctx, k); err != nil {
				return err
			}
		}
		put, err := tx.PrepareContext(ctx, `INSERT INTO scan_images (key, body, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`)
		if err != nil {
			return err
		}
		defer put.Close()
		for _, im := range add {
			at := ts
			if !im.UpdatedAt.IsZero() {
				at = im.UpdatedAt
			}
			body := im.Body
			if body == nil {
				body = []byte{}
			}
			if _, err := put.ExecContext(ctx, im.Key, body, at.UnixMicro()); err != nil {
				return fmt.Errorf("scan image %q: %w", im.Key, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replace scan images: %w", err)
	}
	return nil
}

// ListScanImages implements store.Store; by key.
func (s *Store) ListScanImages(ctx context.Context) ([]store.ScanImage, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, body, updated_at FROM scan_images ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("list scan images: %w", err)
	}
	defer rows.Close()
	var out []store.ScanImage
	for rows.Next() {
		var im store.ScanImage
		var updated int64
		if err := rows.Scan(&im.Key, &im.Body, &updated); err != nil {
			return nil, fmt.Errorf("list scan images: %w", err)
		}
		im.UpdatedAt = fromMicros(updated)
		if im.Body == nil {
			im.Body = []byte{}
		}
		out = append(out, im)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list scan images: %w", err)
	}
	return out, nil
}

package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// upsertScanImages writes a batch as columns of arrays in one statement.
// A statement may not update a row twice: the batch has no key twice.
const upsertScanImages = `INSERT INTO scan_images (key, body, updated_at)
	SELECT * FROM unnest($1::text[], $2::bytea[], $3::timestamptz[])
	ON CONFLICT (key) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`

// ReplaceScanImages implements store.Store, in one transaction of two
// statements.
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
	var (
		keys   []string
		bodies [][]byte
		times  []time.Time
		seen   = map[string]bool{}
	)
	for i := len(add) - 1; i >= 0; i-- { // the last of a key wins
		im := add[i]
		if seen[im.Key] {
			continue
		}
		seen[im.Key] = true
		at := ts
		if !im.UpdatedAt.IsZero() {
			at = stored(im.UpdatedAt)
		}
		body := im.Body
		if body == nil {
			body = []byte{}
		}
		keys, bodies, times = append(keys, im.Key), append(bodies, body), append(times, at)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if len(remove) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM scan_images WHERE key = ANY($1::text[])`, remove); err != nil {
				return err
			}
		}
		if len(keys) > 0 {
			if _, err := tx.Exec(ctx, upsertScanImages, keys, bodies, times); err != nil {
				return err
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
	rows, err := s.pool.Query(ctx, `SELECT key, body, updated_at FROM scan_images ORDER BY key COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list scan images: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.ScanImage, error) {
		var im store.ScanImage
		if err := r.Scan(&im.Key, &im.Body, &im.UpdatedAt); err != nil {
			return store.ScanImage{}, err
		}
		im.UpdatedAt = im.UpdatedAt.UTC()
		if im.Body == nil {
			im.Body = []byte{}
		}
		return im, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list scan images: %w", err)
	}
	return out, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
)

const clusterColumns = `name, COALESCE(policy, ''), token_hash, created_at, last_seen, agent_policy, prev_token_hash, prev_token_expires`

func scanCluster(row interface{ Scan(...any) error }) (store.Cluster, error) {
	var c store.Cluster
	var created int64
	var seen, prevExpires sql.NullInt64
	if err := row.Scan(&c.Name, &c.Policy, &c.TokenHash, &created, &seen, &c.AgentPolicy, &c.PrevTokenHash, &prevExpires); err != nil {
		return store.Cluster{}, err
	}
	c.CreatedAt = fromMicros(created)
	if seen.Valid {
		c.LastSeen = fromMicros(seen.Int64)
	}
	if prevExpires.Valid {
		c.PrevTokenExpires = fromMicros(prevExpires.Int64)
	}
	return c, nil
}

// nullString stores "" as NULL (no policy).
func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// nullTime stores the zero time as NULL (never).
func nullTime(t time.Time) sql.NullInt64 {
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: !t.IsZero()}
}

// nullBytes stores an empty token hash as NULL, which UNIQUE allows many of.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// CreateCluster implements store.Store. A zero CreatedAt is set to now.
func (s *Store) CreateCluster(ctx context.Context, c store.Cluster) (store.Cluster, error) {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now()
	}
	c.CreatedAt = c.CreatedAt.UTC().Truncate(time.Microsecond)
	c.LastSeen = c.LastSeen.UTC().Truncate(time.Microsecond)
	c.TokenHash = append([]byte(nil), c.TokenHash...)
	c.PrevTokenHash, c.PrevTokenExpires = nil, time.Time{} // only RotateToken keeps one
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := policyExists(ctx, tx, c.Policy); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO clusters (name, policy, token_hash, created_at, last_seen, agent_policy)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			c.Name, nullString(c.Policy), nullBytes(c.TokenHash), c.CreatedAt.UnixMicro(), nullTime(c.LastSeen), c.AgentPolicy)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("%w (the name or the token)", store.ErrExists)
		}
		return nil
	})
	if err != nil {
		return store.Cluster{}, fmt.Errorf("create cluster %q: %w", c.Name, err)
	}
	return c, nil
}

func policyExists(ctx context.Context, tx *sql.Tx, name string) error {
	if name == "" {
		return nil
	}
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM policies WHERE name = ?`, name).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("policy %q: %w", name, store.ErrNotFound)
	}
	return err
}

// GetCluster implements store.Store.
func (s *Store) GetCluster(ctx context.Context, name string) (store.Cluster, error) {
	c, err := scanCluster(s.r.QueryRowContext(ctx, `SELECT `+clusterColumns+` FROM clusters WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Cluster{}, fmt.Errorf("get cluster %q: %w", name, err)
	}
	return c, nil
}

// clusterByToken finds a cluster by its token or previous token (the
// current first), searching the index of each.
const clusterByToken = `SELECT ` + clusterColumns + ` FROM clusters
	WHERE token_hash = ? OR prev_token_hash = ? ORDER BY token_hash = ? DESC LIMIT 1`

// ClusterByTokenHash implements store.Store.
func (s *Store) ClusterByTokenHash(ctx context.Context, hash []byte) (store.Cluster, error) {
	if len(hash) == 0 {
		return store.Cluster{}, fmt.Errorf("cluster by token: %w", store.ErrNotFound)
	}
	c, err := scanCluster(s.r.QueryRowContext(ctx, clusterByToken, hash, hash, hash))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Cluster{}, fmt.Errorf("cluster by token: %w", err)
	}
	return c, nil
}

// ListClusters implements store.Store; by name.
func (s *Store) ListClusters(ctx context.Context) ([]store.Cluster, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+clusterColumns+` FROM clusters ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	defer rows.Close()
	var cs []store.Cluster
	for rows.Next() {
		c, err := scanCluster(rows)
		if err != nil {
			return nil, fmt.Errorf("list clusters: %w", err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	return cs, nil
}

// AssignPolicy implements store.Store.
func (s *Store) AssignPolicy(ctx context.Context, cluster, policy string) (store.Cluster, error) {
	var c store.Cluster
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := policyExists(ctx, tx, policy); err != nil {
			return err
		}
		var err error
		c, err = scanCluster(tx.QueryRowContext(ctx, `UPDATE clusters SET policy = ? WHERE name = ? RETURNING `+clusterColumns,
			nullString(policy), cluster))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return store.Cluster{}, fmt.Errorf("assign policy %q to cluster %q: %w", policy, cluster, err)
	}
	return c, nil
}

// SeeAgents implements store.Store, in one transaction.
func (s *Store) SeeAgents(ctx context.Context, seen []store.AgentSeen) error {
	seen = store.LatestSeen(seen)
	if len(seen) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `UPDATE clusters SET last_seen = ?1, agent_policy = ?2
			WHERE name = ?3 AND (last_seen IS NULL OR last_seen <= ?1)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, a := range seen {
			if _, err := st.ExecContext(ctx, nullTime(a.At), a.AgentPolicy, a.Cluster); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %d agent calls: %w", len(seen), err)
	}
	return nil
}

// DeleteCluster implements store.Store.
func (s *Store) DeleteCluster(ctx context.Context, name string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM clusters WHERE name = ?`, name)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = store.ErrNotFound
		}
	}
	if err != nil {
		return fmt.Errorf("delete cluster %q: %w", name, err)
	}
	return nil
}

// RotateToken implements store.Store.
func (s *Store) RotateToken(ctx context.Context, cluster string, hash []byte, prevExpires time.Time) (store.Cluster, error) {
	var c store.Cluster
	err := s.write(ctx, func(tx *sql.Tx) error {
		if len(hash) == 0 {
			return fmt.Errorf("empty token hash: %w", store.ErrInvalid)
		}
		var other string
		err := tx.QueryRowContext(ctx, `SELECT name FROM clusters WHERE token_hash = ?`, hash).Scan(&other)
		switch {
		case err == nil:
			return fmt.Errorf("%w (the token)", store.ErrExists)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		// SET reads the row as it was: the old token becomes the previous one.
		prev := "token_hash"
		if prevExpires.IsZero() {
			prev = "NULL"
		}
		c, err = scanCluster(tx.QueryRowContext(ctx, `UPDATE clusters SET prev_token_hash = `+prev+`, prev_token_expires = ?, token_hash = ?
			WHERE name = ? RETURNING `+clusterColumns, nullTime(prevExpires), hash, cluster))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return store.Cluster{}, fmt.Errorf("rotate the token of cluster %q: %w", cluster, err)
	}
	return c, nil
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/palisade-dev/palisade/internal/console/store"
)

const clusterColumns = `name, COALESCE(policy, ''), token_hash, created_at, last_seen, agent_policy, prev_token_hash, prev_token_expires`

func scanCluster(row interface{ Scan(...any) error }) (store.Cluster, error) {
	var c store.Cluster
	var seen, prevExpires *time.Time
	if err := row.Scan(&c.Name, &c.Policy, &c.TokenHash, &c.CreatedAt, &seen, &c.AgentPolicy, &c.PrevTokenHash, &prevExpires); err != nil {
		return store.Cluster{}, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	if seen != nil {
		c.LastSeen = seen.UTC()
	}
	if prevExpires != nil {
		c.PrevTokenExpires = prevExpires.UTC()
	}
	return c, nil
}

// nullString stores "" as NULL (no policy).
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// nullTime stores the zero time as NULL (never).
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// nullBytes stores an empty token hash as NULL, which UNIQUE allows many of.
func nullBytes(b []byte) []byte {
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
	c.CreatedAt = stored(c.CreatedAt)
	if !c.LastSeen.IsZero() {
		c.LastSeen = stored(c.LastSeen)
	}
	c.TokenHash = append([]byte(nil), c.TokenHash...)
	c.PrevTokenHash, c.PrevTokenExpires = nil, time.Time{} // only RotateToken keeps one
	tag, err := s.pool.Exec(ctx, `INSERT INTO clusters (name, policy, token_hash, created_at, last_seen, agent_policy)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		c.Name, nullString(c.Policy), nullBytes(c.TokenHash), c.CreatedAt, nullTime(c.LastSeen), c.AgentPolicy)
	switch {
	case isCode(err, foreignKeyViolation):
		err = fmt.Errorf("policy %q: %w", c.Policy, store.ErrNotFound)
	case err == nil && tag.RowsAffected() == 0:
		err = fmt.Errorf("%w (the name or the token)", store.ErrExists)
	}
	if err != nil {
		return store.Cluster{}, fmt.Errorf("create cluster %q: %w", c.Name, err)
	}
	return c, nil
}

// GetCluster implements store.Store.
func (s *Store) GetCluster(ctx context.Context, name string) (store.Cluster, error) {
	c, err := scanCluster(s.pool.QueryRow(ctx, `SELECT `+clusterColumns+` FROM clusters WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Cluster{}, fmt.Errorf("get cluster %q: %w", name, err)
	}
	return c, nil
}

// ClusterByTokenHash implements store.Store.
func (s *Store) ClusterByTokenHash(ctx context.Context, hash []byte) (store.Cluster, error) {
	if len(hash) == 0 {
		return store.Cluster{}, fmt.Errorf("cluster by token: %w", store.ErrNotFound)
	}
	c, err := scanCluster(s.pool.QueryRow(ctx, `SELECT `+clusterColumns+` FROM clusters
		WHERE token_hash = $1 OR prev_token_hash = $1 ORDER BY token_hash = $1 DESC LIMIT 1`, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Cluster{}, fmt.Errorf("cluster by token: %w", err)
	}
	return c, nil
}

// ListClusters implements store.Store; by name.
func (s *Store) ListClusters(ctx context.Context) ([]store.Cluster, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+clusterColumns+` FROM clusters ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Cluster, error) { return scanCluster(r) })
	if err != nil {
		return nil, fmt.Errorf("list clusters: %w", err)
	}
	return cs, nil
}

// AssignPolicy implements store.Store.
func (s *Store) AssignPolicy(ctx context.Context, cluster, policy string) (store.Cluster, error) {
	c, err := scanCluster(s.pool.QueryRow(ctx, `UPDATE clusters SET policy = $1 WHERE name = $2 RETURNING `+clusterColumns,
		nullString(policy), cluster))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		err = store.ErrNotFound
	case isCode(err, foreignKeyViolation):
		err = fmt.Errorf("policy %q: %w", policy, store.ErrNotFound)
	}
	if err != nil {
		return store.Cluster{}, fmt.Errorf("assign policy %q to cluster %q: %w", policy, cluster, err)
	}
	return c, nil
}

// SeeAgents implements store.Store, in one statement.
func (s *Store) SeeAgents(ctx context.Context, seen []store.AgentSeen) error {
	seen = store.LatestSeen(seen)
	if len(seen) == 0 {
		return nil
	}
	names := make([]string, len(seen))
	ats := make([]time.Time, len(seen))
	policies := make([]string, len(seen))
	for i, a := range seen {
		names[i], ats[i], policies[i] = a.Cluster, stored(a.At), a.AgentPolicy
	}
	_, err := s.pool.Exec(ctx, `UPDATE clusters AS c SET last_seen = v.at, agent_policy = v.policy
		FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS v(name, at, policy)
		WHERE c.name = v.name AND (c.last_seen IS NULL OR c.last_seen <= v.at)`, names, ats, policies)
	if err != nil {
		return fmt.Errorf("record %d agent calls: %w", len(seen), err)
	}
	return nil
}

// DeleteCluster implements store.Store.
func (s *Store) DeleteCluster(ctx context.Context, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM clusters WHERE name = $1`, name)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete cluster %q: %w", name, err)
	}
	return nil
}

// RotateToken implements store.Store, in one statement.
func (s *Store) RotateToken(ctx context.Context, cluster string, hash []byte, prevExpires time.Time) (store.Cluster, error) {
	if len(hash) == 0 {
		return store.Cluster{}, fmt.Errorf("rotate the token of cluster %q: empty token hash: %w", cluster, store.ErrInvalid)
	}
	// SET reads the row as it was: the old token becomes the previous one.
	prev := "token_hash"
	if prevExpires.IsZero() {
		prev = "NULL"
	}
	c, err := scanCluster(s.pool.QueryRow(ctx, `UPDATE clusters SET prev_token_hash = `+prev+`, prev_token_expires = $1, token_hash = $2
		WHERE name = $3 RETURNING `+clusterColumns, nullTime(prevExpires), hash, cluster))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		err = store.ErrNotFound
	case isCode(err, uniqueViolation):
		err = fmt.Errorf("%w (the token)", store.ErrExists)
	}
	if err != nil {
		return store.Cluster{}, fmt.Errorf("rotate the token of cluster %q: %w", cluster, err)
	}
	return c, nil
}

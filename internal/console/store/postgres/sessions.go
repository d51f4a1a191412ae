package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// CreateSession implements store.Store.
func (s *Store) CreateSession(ctx context.Context, sess store.Session, now time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM ui_sessions WHERE expires <= $1`, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO ui_sessions (id_hash, role, csrf, expires, subject, user_name) VALUES ($1, $2, $3, $4, $5, $6)`,
			sess.IDHash, sess.Role, sess.CSRF, sess.Expires, sess.Subject, sess.User)
		return err
	})
	if err != nil {
		return fmt.Errorf("create UI session: %w", err)
	}
	return nil
}

// GetSession implements store.Store.
func (s *Store) GetSession(ctx context.Context, idHash []byte, now time.Time) (store.Session, error) {
	sess := store.Session{IDHash: append([]byte(nil), idHash...)}
	err := s.pool.QueryRow(ctx, `SELECT role, csrf, expires, subject, user_name FROM ui_sessions WHERE id_hash = $1 AND expires > $2`,
		idHash, now).Scan(&sess.Role, &sess.CSRF, &sess.Expires, &sess.Subject, &sess.User)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Session{}, store.ErrNotFound
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("read UI session: %w", err)
	}
	sess.Expires = sess.Expires.UTC()
	return sess, nil
}

// DeleteSession implements store.Store; deleting a session that is not
// there is not an error (logging out twice).
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM ui_sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("delete UI session: %w", err)
	}
	return nil
}

// CreateOIDCLogin implements store.Store.
func (s *Store) CreateOIDCLogin(ctx context.Context, l store.OIDCLogin, now time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM oidc_logins WHERE expires <= $1`, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO oidc_logins (state_hash, verifier, nonce, next, expires) VALUES ($1, $2, $3, $4, $5)`,
			l.StateHash, l.Verifier, l.Nonce, l.Next, l.Expires)
		return err
	})
	if err != nil {
		return fmt.Errorf("create single sign-on login: %w", err)
	}
	return nil
}

// TakeOIDCLogin implements store.Store: one DELETE ... RETURNING, which
// PostgreSQL runs under the row's lock, so two callbacks with one state
// (at one replica or two) cannot both take it.
func (s *Store) TakeOIDCLogin(ctx context.Context, stateHash []byte, now time.Time) (store.OIDCLogin, error) {
	l := store.OIDCLogin{StateHash: append([]byte(nil), stateHash...)}
	err := s.pool.QueryRow(ctx, `DELETE FROM oidc_logins WHERE state_hash = $1 RETURNING verifier, nonce, next, expires`,
		stateHash).Scan(&l.Verifier, &l.Nonce, &l.Next, &l.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.OIDCLogin{}, store.ErrNotFound
	}
	if err != nil {
		return store.OIDCLogin{}, fmt.Errorf("take single sign-on login: %w", err)
	}
	l.Expires = l.Expires.UTC()
	if !l.Expires.After(now) {
		return store.OIDCLogin{}, store.ErrNotFound
	}
	return l, nil
}

// BeginLogin implements store.Store: one upsert, which PostgreSQL runs
// under the row's lock, so concurrent attempts on any replica are counted
// one at a time.
func (s *Store) BeginLogin(ctx context.Context, client string, now time.Time, window time.Duration, limit int) (time.Duration, error) {
	cutoff := now.Add(-window)
	// Forget other clients' ended windows first, skipping rows another
	// login holds: two sweeps never wait on each other.
	if _, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE client IN (
		SELECT client FROM login_failures WHERE start <= $1 AND client <> $2 FOR UPDATE SKIP LOCKED)`, cutoff, client); err != nil {
		return 0, fmt.Errorf("count login: %w", err)
	}
	var n int
	var start time.Time
	err := s.pool.QueryRow(ctx, `INSERT INTO login_failures AS f (client, n, start) VALUES ($1, 1, $2)
		ON CONFLICT (client) DO UPDATE SET
			n = CASE WHEN f.start <= $3 THEN 1 ELSE LEAST(f.n + 1, $4 + 1) END,
			start = CASE WHEN f.start <= $3 THEN $2 ELSE f.start END
		RETURNING n, start`, client, now, cutoff, limit).Scan(&n, &start)
	if err != nil {
		return 0, fmt.Errorf("count login: %w", err)
	}
	return store.LoginWait(n, start, now, window, limit), nil
}

// EndLogin implements store.Store.
func (s *Store) EndLogin(ctx context.Context, client string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE login_failures SET n = n - 1 WHERE client = $1`, client); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE client = $1 AND n <= 0`, client)
		return err
	})
	if err != nil {
		return fmt.Errorf("count login: %w", err)
	}
	return nil
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// CreateSession implements store.Store.
func (s *Store) CreateSession(ctx context.Context, sess store.Session, now time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM ui_sessions WHERE expires <= ?`, now.UnixMicro()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO ui_sessions (id_hash, role, csrf, expires, subject, user_name) VALUES (?, ?, ?, ?, ?, ?)`,
			sess.IDHash, sess.Role, sess.CSRF, sess.Expires.UnixMicro(), sess.Subject, sess.User)
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
	var expires int64
	err := s.r.QueryRowContext(ctx, `SELECT role, csrf, expires, subject, user_name FROM ui_sessions WHERE id_hash = ? AND expires > ?`,
		idHash, now.UnixMicro()).Scan(&sess.Role, &sess.CSRF, &expires, &sess.Subject, &sess.User)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, store.ErrNotFound
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("read UI session: %w", err)
	}
	sess.Expires = fromMicros(expires)
	return sess, nil
}

// DeleteSession implements store.Store; deleting a session that is not
// there is not an error (logging out twice).
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM ui_sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete UI session: %w", err)
	}
	return nil
}

// CreateOIDCLogin implements store.Store.
func (s *Store) CreateOIDCLogin(ctx context.Context, l store.OIDCLogin, now time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM oidc_logins WHERE expires <= ?`, now.UnixMicro()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO oidc_logins (state_hash, verifier, nonce, next, expires) VALUES (?, ?, ?, ?, ?)`,
			l.StateHash, l.Verifier, l.Nonce, l.Next, l.Expires.UnixMicro())
		return err
	})
	if err != nil {
		return fmt.Errorf("create single sign-on login: %w", err)
	}
	return nil
}

// TakeOIDCLogin implements store.Store: one DELETE ... RETURNING on the
// only writer connection, so two callbacks with one state cannot both
// take it.
func (s *Store) TakeOIDCLogin(ctx context.Context, stateHash []byte, now time.Time) (store.OIDCLogin, error) {
	l := store.OIDCLogin{StateHash: append([]byte(nil), stateHash...)}
	var expires int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `DELETE FROM oidc_logins WHERE state_hash = ? RETURNING verifier, nonce, next, expires`,
			stateHash).Scan(&l.Verifier, &l.Nonce, &l.Next, &expires)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return store.OIDCLogin{}, store.ErrNotFound
	}
	if err != nil {
		return store.OIDCLogin{}, fmt.Errorf("take single sign-on login: %w", err)
	}
	l.Expires = fromMicros(expires)
	if !l.Expires.After(now) {
		return store.OIDCLogin{}, store.ErrNotFound
	}
	return l, nil
}

// BeginLogin implements store.Store: one upsert, on the only writer
// connection, so attempts are counted one at a time.
func (s *Store) BeginLogin(ctx context.Context, client string, now time.Time, window time.Duration, limit int) (time.Duration, error) {
	cutoff := now.Add(-window).UnixMicro()
	var n int
	var start int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE start <= ? AND client <> ?`, cutoff, client); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO login_failures (client, n, start) VALUES (?1, 1, ?2)
			ON CONFLICT (client) DO UPDATE SET
				n = CASE WHEN start <= ?3 THEN 1 ELSE MIN(n + 1, ?4 + 1) END,
				start = CASE WHEN start <= ?3 THEN ?2 ELSE start END
			RETURNING n, start`, client, now.UnixMicro(), cutoff, limit).Scan(&n, &start)
	})
	if err != nil {
		return 0, fmt.Errorf("count login: %w", err)
	}
	return store.LoginWait(n, fromMicros(start), now, window, limit), nil
}

// EndLogin implements store.Store.
func (s *Store) EndLogin(ctx context.Context, client string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE login_failures SET n = n - 1 WHERE client = ?`, client); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE client = ? AND n <= 0`, client)
		return err
	})
	if err != nil {
		return fmt.Errorf("count login: %w", err)
	}
	return nil
}

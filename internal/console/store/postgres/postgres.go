package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/groupcommit"
	"github.com/palisade-dev/palisade/internal/console/store/migration"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLock is the advisory lock key Migrate holds ("palisade").
const migrationLock int64 = 0x70616c6973616465

// Store is a store.Store on a PostgreSQL database.
type Store struct {
	pool *pgxpool.Pool
	// probe is Schema's own connection: readiness must not queue behind
	// the requests of a busy replica, or every replica on a loaded
	// database leaves its Service at once.
	probe *pgxpool.Pool
	// channel is where Broadcast and Listen talk (notifyChannel).
	channel string
	// app merges concurrent AppendEvents into one statement.
	app *groupcommit.Writer
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (postgres://user@host:port/db?...;
// other parameters, such as search_path, are sent to the server), applies
// any pending migrations and prepares the event trail for the days around
// now (PrepareEvents).
func Open(ctx context.Context, url string) (*Store, error) {
	s, err := open(ctx, url)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.PrepareEvents(ctx, time.Now()); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Migrate connects to the database at url, applies pending migrations and
// returns their names; for `palisade console migrate`.
func Migrate(ctx context.Context, url string) ([]string, error) {
	s, err := open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Migrate(ctx)
}

func open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("open postgres: cannot parse the database URL")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	var schema string
	if err := pool.QueryRow(ctx, `SELECT COALESCE(current_schema(), '')`).Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pcfg := cfg.Copy()
	pcfg.MaxConns, pcfg.MinConns = 1, 0
	pcfg.MaxConnIdleTime = time.Minute
	probe, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	s := &Store{pool: pool, probe: probe, channel: notifyChannel(schema)}
	s.app = &groupcommit.Writer{Write: s.writeEvents, MaxEvents: maxGroupEvents, MaxQueued: groupcommit.DefaultMaxQueued,
		MaxWait: groupcommit.DefaultMaxWait}
	return s, nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.probe.Close()
	s.pool.Close()
	return nil
}

// Schema implements store.Store: one read on a connection of its own (the
// readiness check).
func (s *Store) Schema(ctx context.Context) (store.Schema, error) {
	ms, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		return store.Schema{}, err
	}
	sc := store.Schema{Want: len(ms)}
	if err := s.probe.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&sc.Applied); err != nil {
		return store.Schema{}, fmt.Errorf("read postgres schema version: %w", err)
	}
	return sc, nil
}

// Migrate applies the embedded migrations the database lacks, in one
// transaction under an advisory lock, and returns their names. It is
// idempotent.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	ms, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	return s.migrate(ctx, ms)
}

// migrate applies those of ms the database lacks (tests pass the first
// few, to make a database of an older schema).
func (s *Store) migrate(ctx context.Context, ms []migration.Migration) ([]string, error) {
	var applied []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return err
		}
		pending, err := migration.Pending(ms, current)
		if err != nil {
			return err
		}
		for _, m := range pending {
			// No arguments: the simple protocol, which runs several statements.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			applied = append(applied, m.Name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("migrate postgres database: %w", err)
	}
	return applied, nil
}

// SQLSTATE codes the store maps to its sentinels.
const (
	foreignKeyViolation = "23503"
	uniqueViolation     = "23505"
)

func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// now is the store's clock, at the precision PostgreSQL keeps.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// stored is t as timestamptz keeps it.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

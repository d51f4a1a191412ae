package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"syscall"
	"time"

	// The pure-Go SQLite driver, registered as "sqlite".
	_ "modernc.org/sqlite"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/groupcommit"
	"github.com/palisade-dev/palisade/internal/console/store/migration"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Write-ahead log tuning. The WAL grows to walCheckpointPages (4 KiB
// each, SQLite's default is 1000) before a commit copies it back into the
// database file: fewer, larger checkpoints write a page that many batches
// touched once instead of many times (nearly twice the ingest on random
// event IDs). After a checkpoint the file is cut back to walSizeLimit.
const (
	walCheckpointPages = 32000
	walSizeLimit       = 64 << 20
	// Page caches (SQLite's default is 2 MiB): the writer's holds the
	// unique index on random event IDs, written all over; readers walk
	// short index ranges and lean on the OS's cache.
	writerCacheKiB = 64 << 10
	readerCacheKiB = 16 << 10
)

// BusyTimeout is how long a statement waits for another process's lock
// (another palisade on the same file, a backup) before failing.
const BusyTimeout = 10 * time.Second

// Store is a store.Store on one SQLite file.
type Store struct {
	path string
	// w is the only connection that writes: SQLite has one writer at a
	// time, and queuing in database/sql beats SQLITE_BUSY retries.
	w *sql.DB
	// r is a pool of read-only connections; in WAL mode they read a
	// consistent snapshot while w writes.
	r *sql.DB
	// app merges concurrent AppendEvents into one transaction.
	app *groupcommit.Writer
	// claim holds the file's process lock (ClaimProcess), nil when not
	// claimed.
	claim *os.File
	// deleteBatch is DeleteEventsBefore's batch (tests make it small).
	deleteBatch int
}

var _ store.Store = (*Store)(nil)

// Open opens the database file at path, creating it (mode 0600) if
// missing, and applies any pending migrations.
func Open(ctx context.Context, path string) (*Store, error) {
	s, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Migrate opens the database at path, applies pending migrations and
// returns their names; for `palisade console migrate`.
func Migrate(ctx context.Context, path string) ([]string, error) {
	s, err := open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Migrate(ctx)
}

func open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open sqlite: empty path")
	}
	// SQLite would create the file world-readable; it holds token hashes.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %q: %w", path, err)
	}
	f.Close()

	u := url.URL{Path: path}
	base := fmt.Sprintf("file:%s?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)",
		u.EscapedPath(), BusyTimeout.Milliseconds())
	w, err := sql.Open("sqlite", base+fmt.Sprintf(
		"&_pragma=cache_size(-%d)&_journal_mode=WAL&_pragma=wal_autocheckpoint(%d)&_pragma=journal_size_limit(%d)&_txlock=immediate",
		writerCacheKiB, walCheckpointPages, walSizeLimit))
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %q: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	// The first connection switches the file to WAL before readers open it.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite database %q: %w", path, err)
	}
	r, err := sql.Open("sqlite", base+fmt.Sprintf("&_pragma=cache_size(-%d)&_pragma=query_only(1)", readerCacheKiB))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite database %q: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s := &Store{path: path, w: w, r: r, deleteBatch: deleteBatch}
	s.app = &groupcommit.Writer{Write: s.writeEvents, MaxEvents: maxGroupEvents, MaxQueued: groupcommit.DefaultMaxQueued,
		MaxWait: groupcommit.DefaultMaxWait}
	return s, nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	// The writer closes last: closing the last connection checkpoints the
	// WAL into the database file and removes it.
	err := errors.Join(s.r.Close(), s.w.Close())
	if s.claim != nil {
		err = errors.Join(err, s.claim.Close()) // releases the lock
	}
	return err
}

// ClaimProcess marks the database as served by this process, for as long
// as the store is open, and reports whether it is alone: false when
// another process (another `palisade console`) claimed it first. SQLite is
// the single-process store: a second console on the same file reads and
// writes it safely, but neither wakes the other's long polls. The mark is
// an advisory flock(2) on the database file, which SQLite's own locks
// (fcntl) do not see; the kernel drops it when the process ends, however
// it ends.
func (s *Store) ClaimProcess() (alone bool, err error) {
	if s.claim != nil {
		return true, nil
	}
	f, err := os.Open(s.path)
	if err != nil {
		return false, fmt.Errorf("claim sqlite database %q: %w", s.path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil
		}
		return false, fmt.Errorf("claim sqlite database %q: %w", s.path, err)
	}
	s.claim = f
	return true, nil
}

// Migrate applies the embedded migrations the database lacks, in one
// transaction, and returns their names. It is idempotent.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	ms, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var applied []string
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at INTEGER NOT NULL
		)`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return err
		}
		pending, err := migration.Pending(ms, current)
		if err != nil {
			return err
		}
		for _, m := range pending {
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, now().UnixMicro()); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			applied = append(applied, m.Name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("migrate sqlite database %q: %w", s.path, err)
	}
	return applied, nil
}

// Schema implements store.Store: one read on the reader pool.
func (s *Store) Schema(ctx context.Context) (store.Schema, error) {
	ms, err := migration.Load(migrationFS, "migrations")
	if err != nil {
		return store.Schema{}, err
	}
	sc := store.Schema{Want: len(ms)}
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&sc.Applied); err != nil {
		return store.Schema{}, fmt.Errorf("read sqlite schema version: %w", err)
	}
	return sc, nil
}

// write runs fn in a transaction on the writer connection.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// now is the store's clock, at the precision it keeps.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// fromMicros turns a stored time back into a UTC time.Time.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

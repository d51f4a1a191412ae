package backend

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/postgres"
	"github.com/palisade-dev/palisade/internal/console/store/sqlite"
	"github.com/palisade-dev/palisade/internal/platform/redact"
)

// DefaultURL is the console's database when none is given: a SQLite
// file in the working directory.
const DefaultURL = "sqlite://palisade.db"

// Kind is a backend.
type Kind string

// Backends.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// Parse tells which backend url names and what to pass to it: the file
// path for SQLite, the URL itself for PostgreSQL.
func Parse(url string) (Kind, string, error) {
	switch {
	case strings.HasPrefix(url, "sqlite://"):
		// sqlite:///abs/path.db → /abs/path.db; sqlite://rel.db → rel.db
		path := strings.TrimPrefix(url, "sqlite://")
		if path == "" || path == "/" {
			return "", "", fmt.Errorf("database URL %q: no file path (want sqlite:///abs/path.db or sqlite://relative.db)", redact.URL(url))
		}
		return SQLite, path, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return Postgres, url, nil
	}
	return "", "", fmt.Errorf("database URL %q: want sqlite:///abs/path.db, sqlite://relative.db or postgres://user@host:port/db", redact.URL(url))
}

// Open opens (and migrates) the store url names.
func Open(ctx context.Context, url string) (store.Store, error) {
	kind, target, err := Parse(url)
	if err != nil {
		return nil, err
	}
	if kind == SQLite {
		return sqlite.Open(ctx, target)
	}
	return postgres.Open(ctx, target)
}

// Migrate applies pending migrations to the database url names and
// returns their names (none when it is up to date); for
// `palisade console migrate`.
func Migrate(ctx context.Context, url string) ([]string, error) {
	kind, target, err := Parse(url)
	if err != nil {
		return nil, err
	}
	if kind == SQLite {
		return sqlite.Migrate(ctx, target)
	}
	return postgres.Migrate(ctx, target)
}

// ErrNoBackup: `palisade console backup` copies SQLite databases only.
var ErrNoBackup = errors.New("palisade console backup copies a SQLite database; back up PostgreSQL with pg_dump " +
	`(pg_dump -Fc -f palisade.dump "$PALISADE_DATABASE_URL"; restore with pg_restore into an empty database: ` +
	`docs/operations.md, "Backup and restore")`)

// Backup writes a consistent copy of the SQLite database url names to
// the new file out, while consoles use it (sqlite.Backup); for a
// PostgreSQL URL it returns ErrNoBackup.
func Backup(ctx context.Context, url, out string) error {
	kind, target, err := Parse(url)
	if err != nil {
		return err
	}
	if kind != SQLite {
		return ErrNoBackup
	}
	return sqlite.Backup(ctx, target, out)
}

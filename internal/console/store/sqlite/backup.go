package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
)

// Backup writes a copy of the database file at path to out, a new file
// (mode 0600: the database holds token hashes), while consoles keep
// reading and writing it. The copy is one transaction's view of the
// database (VACUUM INTO, read-only), so it is consistent: a batch of
// events is in it whole or not at all. It is compacted, and opens as a
// store of its own (Open); its schema is the database's, migrated by the
// palisade that opens it. A copy that fails is removed.
func Backup(ctx context.Context, path, out string) error {
	if path == "" || out == "" {
		return errors.New("back up sqlite database: empty path")
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("back up sqlite database: %w", err)
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("back up sqlite database %q: %w", path, err)
	}
	f.Close()
	if err := vacuumInto(ctx, path, out); err != nil {
		os.Remove(out)
		return fmt.Errorf("back up sqlite database %q to %q: %w", path, out, err)
	}
	return nil
}

func vacuumInto(ctx context.Context, path, out string) error {
	u := url.URL{Path: path}
	db, err := sql.Open("sqlite", fmt.Sprintf("file:%s?mode=ro&_pragma=busy_timeout(%d)", u.EscapedPath(), BusyTimeout.Milliseconds()))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, out)
	return err
}

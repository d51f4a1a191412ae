package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/console/store/backend"
)

func newConsoleBackupCmd() *cobra.Command {
	var database, out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Copy the console's SQLite database to a new file, while the console runs",
		Long: `Write a consistent copy of the console's SQLite database to FILE, a new
file (mode 0600), or with --out - to standard output: one transaction's view,
taken while the console keeps serving. To restore, stop the console, put the
copy in the database's place (removing the old file's -wal and -shm beside
it), and start the console.

PostgreSQL is backed up with its own tools: pg_dump -Fc, and pg_restore into
an empty database (docs/operations.md, "Backup and restore").`,
		Example: `  palisade console backup --database sqlite:///var/lib/palisade/palisade.db --out /backup/palisade-$(date +%F).db
  kubectl -n palisade-system exec deploy/palisade-console -- \
    palisade console backup --database sqlite:///var/lib/palisade/palisade.db --out - > palisade-$(date +%F).db`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return badInput(errors.New("--out is required (a new file, or - for standard output)"))
			}
			url := databaseURL(cmd, database)
			kind, path, err := backend.Parse(url)
			if err != nil {
				return badInput(fmt.Errorf("--database: %w", err))
			}
			if kind != backend.SQLite {
				return badInput(backend.ErrNoBackup)
			}
			if out == "-" {
				return backupTo(cmd.Context(), url, path, cmd.OutOrStdout())
			}
			if err := backend.Backup(cmd.Context(), url, out); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "backed up to", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&database, "database", backend.DefaultURL, "sqlite:///path/palisade.db (default: $PALISADE_DATABASE_URL when set)")
	cmd.Flags().StringVar(&out, "out", "", "the new file to write the copy to (never overwritten), or - for standard output")
	return cmd
}

// backupTo writes a backup of the SQLite database at path (url) to w,
// through a file beside the database (its folder is writable; a
// container's root may not be), removed afterwards: the image has no shell
// to copy a file out of a pod with.
func backupTo(ctx context.Context, url, path string, w io.Writer) error {
	var b [8]byte
	_, _ = rand.Read(b[:])
	tmp := filepath.Join(filepath.Dir(path), ".palisade-backup-"+hex.EncodeToString(b[:])+".db")
	if err := backend.Backup(ctx, url, tmp); err != nil {
		return err
	}
	defer os.Remove(tmp)
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("write backup: %w", err)
	}
	return nil
}

package migration

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one numbered SQL script.
type Migration struct {
	Version int
	// Name is the file name without ".sql", e.g. "0001_init".
	Name string
	SQL  string
}

// Load returns the migrations in dir of fsys in order; it fails on a
// badly named file, a duplicate number or a gap.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		name := strings.TrimSuffix(e.Name(), ".sql")
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 || len(num) != 4 {
			return nil, fmt.Errorf("migration %q: want a name like 0001_init.sql", e.Name())
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", e.Name(), err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %q: expected number %04d (duplicate or gap)", m.Name, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations in %q", dir)
	}
	return ms, nil
}

// Pending returns the migrations after the newest applied version, or an
// error when the database is newer than the migrations this binary has.
func Pending(ms []Migration, applied int) ([]Migration, error) {
	if applied > len(ms) {
		return nil, fmt.Errorf("database schema version %d is newer than this binary's %d: upgrade palisade", applied, len(ms))
	}
	return ms[applied:], nil
}

// Package consoletest builds the real console service for tests of the
// packages around it (REST API, web UI, managed agents): a SQLite store in
// the test's temporary folder and the built-in rule catalog.
package consoletest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/palisade-dev/palisade/internal/console"
	"github.com/palisade-dev/palisade/internal/rules"
	"github.com/palisade-dev/palisade/internal/store"
	"github.com/palisade-dev/palisade/internal/store/sqlite"
)

// New returns a console service on a fresh SQLite store, closed when the
// test ends, with the store and the catalog it uses.
func New(tb testing.TB) (*console.Service, store.Store, *rules.Registry) {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "palisade.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	reg, err := rules.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	svc := console.New(console.Options{Store: st, Registry: reg})
	if _, err := svc.LoadScanResults(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return svc, st, reg
}

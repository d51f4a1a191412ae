// Package consoletest builds the real console service for tests of the
// packages around it (REST API, web UI, managed agents): a SQLite store in
// the test's temporary folder and the built-in rule catalog.
package consoletest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/sqlite"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// New returns a console service on a fresh SQLite store, closed when the
// test ends, with the store and the catalog it uses.
func New(tb testing.TB) (*service.Service, store.Store, *rules.Registry) {
	tb.Helper()
	return NewWith(tb, nil)
}

// NewWith is New with the service's options changed by set first (when
// not nil): a clock, a token overlap window.
func NewWith(tb testing.TB, set func(*service.Options)) (*service.Service, store.Store, *rules.Registry) {
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
	opts := service.Options{Store: st, Registry: reg}
	if set != nil {
		set(&opts)
	}
	svc := service.New(opts)
	if _, err := svc.LoadScanResults(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return svc, st, reg
}

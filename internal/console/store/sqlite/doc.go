// Package sqlite is the console's default store: one SQLite file (the
// pure-Go modernc.org/sqlite driver, no cgo) in WAL mode, with a single
// writer connection and a pool of read-only connections. Its schema is
// the numbered SQL in migrations/, applied by Open and Migrate.
package sqlite

// Package store is the console's storage: one interface, implemented by
// SQLite (store/sqlite, the default) and PostgreSQL (store/postgres), both
// held to the same behaviour by the conformance suite in
// store/conformance. Errors are the sentinels below, wrapped with %w.
package store

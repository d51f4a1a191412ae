// Package conformance is the behaviour every store.Store must have,
// written once as tests and run by each backend's own test (SQLite
// always, PostgreSQL when a server is given), after Dex's
// storage/conformance.
package conformance

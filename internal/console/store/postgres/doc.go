// Package postgres is the console's store on PostgreSQL (pgx, pgxpool),
// for consoles that outgrow one SQLite file. Its schema is the numbered
// SQL in migrations/, applied by Open and Migrate under an advisory lock
// so that several console replicas can start at once.
package postgres

// Package migration reads a store backend's embedded, numbered SQL
// migrations (NNNN_name.sql, numbered from 1 without gaps). Each backend
// applies them in its own dialect and records them in schema_migrations.
package migration

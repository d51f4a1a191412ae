// Package retention keeps the console's event trail to its retention
// period: at start and every hour it readies the store for the coming
// days' events (PostgreSQL creates their day partitions) and deletes the
// days that have expired, whole (PostgreSQL drops their partitions).
package retention

// Package cursor is the event trail's page cursor, shared by the store
// backends: an opaque, URL-safe encoding of the position (time, arrival
// sequence) of the last event of a page.
package cursor

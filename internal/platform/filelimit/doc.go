// Package filelimit reads a file whole, up to a limit: a file larger than
// it (or a device that never ends) is refused after reading limit+1 bytes,
// never loaded into memory first.
package filelimit

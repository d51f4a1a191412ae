// Package document reads streams of YAML and JSON documents the way kubectl
// does, keeping for each document the file and line it starts at, and
// answering "which line is this field path on" lazily, only when an error or
// a finding needs it.
package document

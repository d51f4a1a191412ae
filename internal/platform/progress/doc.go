// Package progress keeps one status line up to date on a terminal while
// long work runs: "scanning: 120000 objects judged … 4s", rewritten in
// place every quarter of a second once the work has taken a second, and
// erased when it ends. It shows nothing where nobody watches: when the
// writer is not a terminal, or $CI is set (Enabled), the caller passes
// a nil writer and every method does nothing.
package progress

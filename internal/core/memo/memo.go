// Package memo remembers the answers of pure functions that admission asks
// again and again with the same arguments.
package memo

import (
	"regexp"
	"sync"
)

// Limit bounds a Regexp: past it the memo starts over, so an
// attacker sending ever new strings costs memory for at most this many,
// each at most MaxLen bytes long (a longer one is matched every time: an
// annotation's value may be 256 KiB).
const (
	Limit  = 4096
	MaxLen = 512
)

// Regexp remembers whether a regular expression matched a string.
// Admission sees the same few hundred images and label values again and
// again, and Go's regexp takes microseconds on a digest-pinned image
// reference where a map lookup takes tens of nanoseconds. Safe for
// concurrent use: the agent evaluates reviews in parallel.
type Regexp struct {
	re   *regexp.Regexp
	mu   sync.RWMutex
	seen map[string]bool
}

// NewRegexp remembers re's answers.
func NewRegexp(re *regexp.Regexp) *Regexp {
	return &Regexp{re: re, seen: make(map[string]bool)}
}

// MatchString is the expression's MatchString(s), remembered.
func (m *Regexp) MatchString(s string) bool {
	if len(s) > MaxLen {
		return m.re.MatchString(s)
	}
	m.mu.RLock()
	ok, known := m.seen[s]
	m.mu.RUnlock()
	if known {
		return ok
	}
	ok = m.re.MatchString(s)
	m.mu.Lock()
	if len(m.seen) >= Limit {
		clear(m.seen)
	}
	m.seen[s] = ok
	m.mu.Unlock()
	return ok
}

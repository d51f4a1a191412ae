package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/palisade-dev/palisade/internal/enforce/scan"
)

// countingWriter passes a scan's report through and counts what went by,
// for the progress line (which reads the counts from another goroutine).
type countingWriter struct {
	scan.Writer

	mu         sync.Mutex
	objects    int
	errors     int
	sources    int
	lastSource string
	namespaces map[string]bool
	kinds      map[string]bool
}

func (c *countingWriter) Result(r *scan.Result) error {
	c.mu.Lock()
	c.objects++
	if r.Source != c.lastSource {
		c.sources++
		c.lastSource = r.Source
	}
	if c.namespaces == nil {
		c.namespaces, c.kinds = map[string]bool{}, map[string]bool{}
	}
	if r.Namespace != "" {
		c.namespaces[r.Namespace] = true
	}
	c.kinds[r.Kind] = true
	c.mu.Unlock()
	return c.Writer.Result(r)
}

func (c *countingWriter) Error(e *scan.InputError) error {
	c.mu.Lock()
	c.errors++
	c.mu.Unlock()
	return c.Writer.Error(e)
}

// scanStatus is the offline scan's progress line.
func (c *countingWriter) scanStatus() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := fmt.Sprintf("scanning: %d objects judged from %d %s", c.objects, c.sources, plural(c.sources, "source", "sources"))
	if c.errors > 0 {
		s += fmt.Sprintf(", %d %s", c.errors, plural(c.errors, "error", "errors"))
	}
	return s
}

// auditStatus is the cluster audit's progress line.
func (c *countingWriter) auditStatus() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	kinds := make([]string, 0, len(c.kinds))
	for k := range c.kinds {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	s := fmt.Sprintf("auditing: %d objects judged in %d %s", c.objects, len(c.namespaces), plural(len(c.namespaces), "namespace", "namespaces"))
	if len(kinds) > 0 {
		s += " (" + strings.Join(kinds, ", ") + ")"
	}
	if c.errors > 0 {
		s += fmt.Sprintf(", %d %s", c.errors, plural(c.errors, "error", "errors"))
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

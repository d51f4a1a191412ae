package falco

import (
	"math"
	"slices"
	"strings"
)

// Path filters. A sensor that sees every open(2) on a node cannot afford to
// send each one to user space, yet most rules on opens are about a few
// places (/etc, the log directories, ~/.ssh). For each rule of a source
// with event types, the expanded condition is analysed for a necessary
// condition on fd.name: a set of prefixes and suffixes such that, if the
// rule matches an event, the event's fd.name has one of them. A sensor may
// then drop, before any copy, an open whose path has none of the prefixes
// and suffixes of any rule that can match opens.
//
// The analysis assumes what the kernel side checks first (PathFilter.Pass):
// only an absolute path without "//", "/." or ".." and not ending in '/'
// is judged by its prefixes and suffixes; every other path passes. Such a
// path is already clean, so fd.name, fd.nameraw, fd.directory and
// fd.filename of the event are the path itself and its two parts.
//
//   - fd.name startswith, =, in, pmatch, glob (up to the first wildcard)
//     give prefixes; fd.name endswith gives a suffix; fd.directory =, in
//     give the directory followed by '/' as a prefix, fd.directory
//     startswith a prefix; fd.filename =, in give '/' and the name as a
//     suffix;
//   - fd.name or fd.nameraw contains a string with "//", "/." or "..":
//     only paths that pass anyway can match, so the set is empty;
//   - any other check says nothing about the path (no constraint);
//   - "and" takes its most selective constrained kid, "or" unites its
//     kids (one unconstrained kid leaves it unconstrained); "not" is pushed
//     down to the checks, where a negated check says nothing.

// PathFilter is a necessary condition on the path of a file event: it
// passes every path a rule it was built for can match. A nil *PathFilter
// passes everything.
type PathFilter struct {
	// Prefixes and Suffixes are sorted and without duplicates.
	Prefixes, Suffixes []string
}

// pathSet is the constraint of one node; nil means none.
type pathSet struct {
	prefixes, suffixes map[string]struct{}
}

func (s *pathSet) size() int { return len(s.prefixes) + len(s.suffixes) }

func newPathSet() *pathSet {
	return &pathSet{prefixes: map[string]struct{}{}, suffixes: map[string]struct{}{}}
}

// opaquePath reports whether a path is not judged by its prefixes and
// suffixes (the sensor passes it whatever the filter says).
func opaquePath(p string) bool {
	return !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") && p != "/" ||
		strings.Contains(p, "//") || strings.Contains(p, "/.") || strings.Contains(p, "..")
}

// Pass reports whether the filter lets path through: as the kernel side
// must decide it.
func (f *PathFilter) Pass(path string) bool {
	if f == nil || opaquePath(path) {
		return true
	}
	for _, p := range f.Prefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	for _, s := range f.Suffixes {
		if strings.HasSuffix(path, s) {
			return true
		}
	}
	return false
}

// pathsOf returns the constraint of n on the path, n being negated when
// neg; nil when there is none.
func pathsOf(n node, neg bool) *pathSet {
	switch n := n.(type) {
	case *andNode:
		if neg {
			return unitePaths(n.kids, neg)
		}
		return narrowestPaths(n.kids, neg)
	case *orNode:
		if neg {
			return narrowestPaths(n.kids, neg)
		}
		return unitePaths(n.kids, neg)
	case *notNode:
		return pathsOf(n.kid, !neg)
	case *constNode:
		if n.v == neg { // never true: nothing can match
			return newPathSet()
		}
		return nil
	case *checkNode:
		if neg || n.hasArg {
			return nil
		}
		return checkPaths(n)
	}
	return nil
}

// narrowestPaths is the constraint of a conjunction: that of the kid
// whose shortest pattern is the longest (fd.name in (/etc/shadow, ...)
// rather than fd.name startswith /etc), then with fewest patterns.
func narrowestPaths(kids []node, neg bool) *pathSet {
	var best *pathSet
	for _, k := range kids {
		s := pathsOf(k, neg)
		if s == nil {
			continue
		}
		if best == nil || s.shortest() > best.shortest() || s.shortest() == best.shortest() && s.size() < best.size() {
			best = s
		}
	}
	return best
}

// shortest is the length of the set's shortest pattern; an empty set,
// which only opaque paths satisfy, is the narrowest of all.
func (s *pathSet) shortest() int {
	n := math.MaxInt
	for p := range s.prefixes {
		n = min(n, len(p))
	}
	for p := range s.suffixes {
		n = min(n, len(p))
	}
	return n
}

func unitePaths(kids []node, neg bool) *pathSet {
	out := newPathSet()
	for _, k := range kids {
		s := pathsOf(k, neg)
		if s == nil {
			return nil
		}
		for p := range s.prefixes {
			out.prefixes[p] = struct{}{}
		}
		for p := range s.suffixes {
			out.suffixes[p] = struct{}{}
		}
	}
	return out
}

// checkPaths is the constraint of one (not negated) check.
func checkPaths(n *checkNode) *pathSet {
	s := newPathSet()
	add := func(m map[string]struct{}, vs ...string) *pathSet {
		for _, v := range vs {
			m[v] = struct{}{}
		}
		return s
	}
	switch n.field {
	case "fd.name":
		switch n.op {
		case "startswith", "=", "==", "in", "pmatch":
			return add(s.prefixes, n.values...)
		case "glob":
			v := n.values[0]
			if i := strings.IndexAny(v, "*?[\\"); i >= 0 {
				v = v[:i]
			}
			return add(s.prefixes, v)
		case "endswith":
			return add(s.suffixes, n.values...)
		case "contains":
			if opaquePart(n.values[0]) {
				return s
			}
		}
	case "fd.nameraw":
		if n.op == "contains" && opaquePart(n.values[0]) {
			return s
		}
	case "fd.directory":
		switch n.op {
		case "=", "==", "in":
			for _, d := range n.values {
				if !strings.HasSuffix(d, "/") {
					d += "/"
				}
				s.prefixes[d] = struct{}{}
			}
			return s
		case "startswith":
			return add(s.prefixes, n.values...)
		}
	case "fd.filename":
		switch n.op {
		case "=", "==", "in":
			for _, f := range n.values {
				if strings.Contains(f, "/") { // no file name has one
					continue
				}
				s.suffixes["/"+f] = struct{}{}
			}
			return s
		}
	}
	return nil
}

// opaquePart reports whether a string contained in a path makes the path
// opaque to the filter.
func opaquePart(v string) bool {
	return strings.Contains(v, "//") || strings.Contains(v, "/.") || strings.Contains(v, "..")
}

// PathFilter returns the filter for the events of source whose type is one
// of types: it passes every path that an enabled rule evaluated here and
// matching one of these types (or every type) can match. It is nil when
// one such rule has no constraint on the path.
func (rs *Rules) PathFilter(source string, types ...string) *PathFilter {
	all := newPathSet()
	for _, r := range rs.bySource[source] {
		if !r.allTypes && !slices.ContainsFunc(types, func(t string) bool { return slices.Contains(r.evtTypes, t) }) {
			continue
		}
		if r.paths == nil {
			return nil
		}
		for p := range r.paths.prefixes {
			all.prefixes[p] = struct{}{}
		}
		for p := range r.paths.suffixes {
			all.suffixes[p] = struct{}{}
		}
	}
	f := &PathFilter{Prefixes: sortedKeys(all.prefixes), Suffixes: sortedKeys(all.suffixes)}
	// A prefix under a shorter one adds nothing.
	f.Prefixes = slices.DeleteFunc(f.Prefixes, func(p string) bool {
		return slices.ContainsFunc(f.Prefixes, func(q string) bool { return q != p && strings.HasPrefix(p, q) })
	})
	f.Suffixes = slices.DeleteFunc(f.Suffixes, func(p string) bool {
		return slices.ContainsFunc(f.Suffixes, func(q string) bool { return q != p && strings.HasSuffix(p, q) })
	})
	return f
}

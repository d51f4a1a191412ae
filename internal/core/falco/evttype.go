package falco

import (
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Event types. For a source whose events have types (an EventTyper: the
// syscall source), each rule's condition is analysed for the event types
// it can match, as Falco's evttype resolver (libsinsp's ppm_event_codes)
// does it over the condition with its macros, lists and exceptions
// expanded:
//
//   - evt.type = X, evt.type in (X, Y) match those types; evt.type != X
//     every type but X; an unknown name matches none;
//   - evt.type exists matches every type;
//   - any other check matches every type (it says nothing about types);
//   - "and" intersects, "or" unites; "not" is pushed down to the checks
//     (De Morgan), where it complements a set of types but leaves a check
//     that says nothing about types matching every type.
//
// A rule matching every type has no restriction. Matcher.MatchType uses
// the result to evaluate only the rules an event's type can match.

// errUnknownEventType marks an evt.type comparison with a name the source
// does not know (skip-if-unknown-filter turns it into a warning).
var errUnknownEventType = errors.New("unknown event type")

// tooManyTypes is where LOAD_NO_EVTTYPE starts. Falco warns when a rule
// matches no event code or more than 100 of them; a name is about two
// codes (the enter and the exit event), so more than 50 names.
const tooManyTypes = 50

// typeSet is a set of event type names.
type typeSet map[string]struct{}

// eventTypeNames returns src's event type names as a set, nil when src has
// no event types.
func (c *compiler) eventTypeNames(src Source) typeSet {
	et, ok := src.(EventTyper)
	if !ok {
		return nil
	}
	if u, ok := c.universes[src.Name()]; ok {
		return u
	}
	u := typeSet{}
	for _, n := range et.EventTypes() {
		u[n] = struct{}{}
	}
	c.universes[src.Name()] = u
	return u
}

// checkEventType refuses an evt.type comparison with a name src does not
// know, as libsinsp does.
func (c *compiler) checkEventType(n *checkNode, src Source) error {
	u := c.eventTypeNames(src)
	if u == nil || n.field != "evt.type" || n.hasArg {
		return nil
	}
	for _, v := range n.values {
		if _, ok := u[v]; !ok {
			return fmt.Errorf("%w %s", errUnknownEventType, v)
		}
	}
	return nil
}

// eventTypes analyses an expanded condition: the sorted types it can
// match, or all when it has no restriction.
func eventTypes(n node, u typeSet) (types []string, all bool) {
	s := typesOf(n, false, u)
	if len(s) == len(u) {
		return nil, true
	}
	types = make([]string, 0, len(s))
	for t := range s {
		types = append(types, t)
	}
	sort.Strings(types)
	return types, false
}

// typesOf returns the types n can match, n being negated when neg.
func typesOf(n node, neg bool, u typeSet) typeSet {
	switch n := n.(type) {
	case *andNode:
		return combine(n.kids, neg, u, !neg)
	case *orNode:
		return combine(n.kids, neg, u, neg)
	case *notNode:
		return typesOf(n.kid, !neg, u)
	case *checkNode:
		if n.field != "evt.type" || n.hasArg {
			return u
		}
		switch n.op {
		case "=", "==", "!=", "in":
			s := typeSet{}
			for _, v := range n.values {
				if _, ok := u[v]; ok {
					s[v] = struct{}{}
				}
			}
			if neg {
				s = complement(s, u)
			}
			if n.op == "!=" {
				s = complement(s, u)
			}
			return s
		case "exists":
			if neg {
				return typeSet{}
			}
		}
	}
	return u
}

// combine intersects (intersect) or unites the kids' types.
func combine(kids []node, neg bool, u typeSet, intersect bool) typeSet {
	var out typeSet
	if intersect {
		out = u
	} else {
		out = typeSet{}
	}
	for _, k := range kids {
		s := typesOf(k, neg, u)
		next := typeSet{}
		if intersect {
			for t := range out {
				if _, ok := s[t]; ok {
					next[t] = struct{}{}
				}
			}
		} else {
			for t := range out {
				next[t] = struct{}{}
			}
			for t := range s {
				next[t] = struct{}{}
			}
		}
		out = next
	}
	return out
}

func complement(s, u typeSet) typeSet {
	out := typeSet{}
	for t := range u {
		if _, ok := s[t]; !ok {
			out[t] = struct{}{}
		}
	}
	return out
}

// EventTypes returns the event types the rule's condition can match,
// sorted, or all=true when it has no event-type restriction (always so
// for a source without event types). It is known whether or not the rule
// is evaluated here.
func (r *Rule) EventTypes() (types []string, all bool) {
	return slices.Clone(r.evtTypes), r.allTypes
}

// EventTypes returns the union of the event types of the enabled rules of
// source that are evaluated here: all=true when one of them has no
// restriction.
func (rs *Rules) EventTypes(source string) (types []string, all bool) {
	seen := map[string]bool{}
	for _, r := range rs.bySource[source] {
		if r.allTypes {
			return nil, true
		}
		for _, t := range r.evtTypes {
			if !seen[t] {
				seen[t] = true
				types = append(types, t)
			}
		}
	}
	sort.Strings(types)
	return types, false
}

// indexTypes builds, for each source, the rules to evaluate for each
// event type: those whose types include it and those without restriction,
// in file order.
func (rs *Rules) indexTypes() {
	rs.byType = map[string]map[string][]*Rule{}
	rs.anyType = map[string][]*Rule{}
	for src, rules := range rs.bySource {
		types := map[string][]*Rule{}
		for _, r := range rules {
			if r.allTypes {
				rs.anyType[src] = append(rs.anyType[src], r)
				continue
			}
			for _, t := range r.evtTypes {
				types[t] = nil
			}
		}
		for t := range types {
			for _, r := range rules {
				if r.allTypes || slices.Contains(r.evtTypes, t) {
					types[t] = append(types[t], r)
				}
			}
		}
		rs.byType[src] = types
	}
}

// MatchType is Match for an event whose type is evtType: it evaluates only
// the enabled rules of source whose event types include evtType or which
// have no event-type restriction, in file order, through an index built
// when the rules were compiled.
func (m *Matcher) MatchType(source, evtType string, e Event, fn func(*Rule) bool) {
	rules, ok := m.rs.byType[source][evtType]
	if !ok {
		rules = m.rs.anyType[source]
	}
	m.reset(e)
	for _, r := range rules {
		if r.cond.eval(m) && !fn(r) {
			return
		}
	}
}

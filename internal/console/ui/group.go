package ui

import (
	"time"

	"github.com/palisade-dev/palisade/internal/core/event"
)

// eventGroup is one row of the event list: an event, or several of the
// page's events for the same object, rule and action.
type eventGroup struct {
	// Newest is the group's newest event: the row shows it and links to it.
	Newest eventRow
	// Count is how many of the page's events the group holds; First and
	// Last are the oldest one's time and the newest's.
	Count       int
	First, Last time.Time
}

// groupKey is what makes events repeats of each other: the same cluster,
// namespace, object, container, rule and action.
type groupKey struct {
	cluster, namespace, kind, name, container, rule, action string
}

// groupEvents folds the repeats among one page of events (newest first)
// into one row each, at the place of the group's newest event. It sees
// only the page: a group may go on on the next page, where it is a row of
// its own.
func groupEvents(evs []event.Event) []eventGroup {
	var out []eventGroup
	at := map[groupKey]int{}
	for _, e := range evs {
		k := groupKey{e.Cluster, e.Namespace, e.Kind, e.Name, e.Container, e.Rule, e.Action}
		if i, ok := at[k]; ok {
			g := &out[i]
			g.Count++
			if e.Time.Before(g.First) {
				g.First = e.Time
			}
			continue
		}
		at[k] = len(out)
		out = append(out, eventGroup{Newest: eventRow{Event: e, Link: eventLink(e)}, Count: 1, First: e.Time, Last: e.Time})
	}
	return out
}

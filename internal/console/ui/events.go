package ui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/cursor"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// eventPageSize is how many events a page of the trail shows.
const eventPageSize = 50

func (u *UI) eventRoutes() {
	u.get("/events", u.listEvents)
	u.get("/events/{id}", u.showEvent)
}

// eventFilters is the filter form, as typed.
type eventFilters struct {
	Cluster, Namespace, Rule, Action string
	Since                            input
	// Each lists every event on its own row instead of grouping repeats.
	Each bool
}

// query returns the filters as URL parameters (empty ones left out).
func (f *eventFilters) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"cluster": f.Cluster, "namespace": f.Namespace, "rule": f.Rule,
		"action": f.Action, "since": f.Since.Value} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Each {
		q.Set("each", "1")
	}
	return q
}

// Toggle is the link that switches between grouped and single rows,
// keeping the filters (and going back to the first page).
func (f *eventFilters) Toggle() string {
	g := *f
	g.Each = !f.Each
	return "/events?" + g.query().Encode()
}

type eventsData struct {
	Filters *eventFilters
	// Events are the page's rows: repeats grouped unless Filters.Each.
	Events   []eventGroup
	Clusters []string
	Rules    []string
	Actions  []string
	// Next is the URL of the following page, "" on the last; First is
	// set when this is not the first page.
	Next, First string
}

// eventRow is an event with the link to its detail page.
type eventRow struct {
	event.Event
	Link string
}

func (u *UI) listEvents(w http.ResponseWriter, r *http.Request, p *page) {
	q := r.URL.Query()
	f := &eventFilters{Cluster: q.Get("cluster"), Namespace: strings.TrimSpace(q.Get("namespace")),
		Rule: strings.TrimSpace(q.Get("rule")), Action: q.Get("action"), Since: input{Key: "since", Value: strings.TrimSpace(q.Get("since"))},
		Each: q.Get("each") == "1"}
	d := &eventsData{Filters: f, Rules: u.reg.IDs(),
		Actions: []string{string(policy.ActionLog), string(policy.ActionBlock), string(policy.ActionIsolate), string(policy.ActionTerminate)}}
	p.Title, p.Nav, p.Data = "Events", "events", d
	st := u.opts.Service.Store()
	cs, err := st.ListClusters(r.Context())
	if err != nil {
		u.internal(w, r, p, err)
		return
	}
	for _, c := range cs {
		d.Clusters = append(d.Clusters, c.Name)
	}
	filter := store.EventFilter{Cluster: f.Cluster, Namespace: f.Namespace, Rule: f.Rule, Action: f.Action,
		Limit: eventPageSize, Cursor: q.Get("cursor")}
	if f.Since.Value != "" {
		t, err := u.parseSince(f.Since.Value)
		if err != nil {
			f.Since.addErr(err.Error())
			u.render(w, r, http.StatusBadRequest, "events", p)
			return
		}
		filter.Since = t
	}
	page, err := st.ListEvents(r.Context(), filter)
	if errors.Is(err, store.ErrInvalid) {
		p.Error = "That page link is not valid any more; showing the first page."
		filter.Cursor = ""
		page, err = st.ListEvents(r.Context(), filter)
	}
	if err != nil {
		u.internal(w, r, p, err)
		return
	}
	if f.Each {
		for _, e := range page.Events {
			d.Events = append(d.Events, eventGroup{Newest: eventRow{Event: e, Link: eventLink(e)}, Count: 1, First: e.Time, Last: e.Time})
		}
	} else {
		d.Events = groupEvents(page.Events)
	}
	if page.Next != "" {
		nq := f.query()
		nq.Set("cursor", page.Next)
		d.Next = "/events?" + nq.Encode()
	}
	if filter.Cursor != "" {
		d.First = "/events?" + f.query().Encode()
	}
	u.render(w, r, http.StatusOK, "events", p)
}

// parseSince reads a duration ago ("1h") or an RFC 3339 time.
func (u *UI) parseSince(v string) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("a duration ago must not be negative")
		}
		return u.opts.Now().Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("use a duration ago (30m, 24h) or a time like 2026-01-02T15:04:05Z")
	}
	return t, nil
}

// eventLink is the detail page of e. It carries the event's cluster and
// time (Unix microseconds, the stores' precision) so the page can find it
// with one narrow ListEvents query.
func eventLink(e event.Event) string {
	q := url.Values{"t": {strconv.FormatInt(e.Time.UnixMicro(), 10)}}
	if e.Cluster != "" {
		q.Set("cluster", e.Cluster)
	}
	return "/events/" + url.PathEscape(e.ID) + "?" + q.Encode()
}

func (u *UI) showEvent(w http.ResponseWriter, r *http.Request, p *page) {
	id := r.PathValue("id")
	e, err := u.findEvent(r.Context(), id, r.URL.Query().Get("cluster"), r.URL.Query().Get("t"))
	if errors.Is(err, store.ErrNotFound) {
		u.fail(w, r, p, http.StatusNotFound, fmt.Sprintf("There is no event %q (open events from the event list).", id))
		return
	}
	if err != nil {
		u.internal(w, r, p, err)
		return
	}
	p.Title, p.Nav, p.Data = "Event "+e.ID, "events", e
	u.render(w, r, http.StatusOK, "event", p)
}

// findEventScan bounds the fallback search for an event whose time is
// unknown.
const findEventScan = 10 * store.MaxPageSize

// findEvent looks an event up by ID with ListEvents: the store keeps no
// index by ID, but it does by (cluster, time). With the event's time (from
// the link, or from an ID in event.NewID's layout) the search is the
// events of that microsecond (or millisecond): Since bounds it below and a
// cursor placed after every event of that time bounds it above. Failing
// that it scans the newest events, bounded.
func (u *UI) findEvent(ctx context.Context, id, cluster, micros string) (event.Event, error) {
	var windows []store.EventFilter
	if us, err := strconv.ParseInt(micros, 10, 64); err == nil {
		windows = append(windows, store.EventFilter{Cluster: cluster, Since: time.UnixMicro(us), Cursor: cursor.Encode(us, math.MaxInt64)})
	}
	if ms, ok := idMillis(id); ok {
		windows = append(windows, store.EventFilter{Cluster: cluster, Since: time.UnixMilli(ms), Cursor: cursor.Encode(ms*1000+999, math.MaxInt64)})
	}
	windows = append(windows, store.EventFilter{Cluster: cluster})
	for _, f := range windows {
		f.Limit = store.MaxPageSize
		for budget := findEventScan; budget > 0; {
			page, err := u.opts.Service.Store().ListEvents(ctx, f)
			if err != nil {
				return event.Event{}, err
			}
			for _, e := range page.Events {
				if e.ID == id {
					return e, nil
				}
			}
			budget -= len(page.Events)
			if page.Next == "" {
				break
			}
			f.Cursor = page.Next
		}
	}
	return event.Event{}, store.ErrNotFound
}

// idMillis reads the Unix milliseconds at the front of an ID made by
// event.NewID: a UUIDv7, or the 32 hex digits of the same layout that
// event IDs were before.
func idMillis(id string) (int64, bool) {
	u, err := uuid.Parse(id)
	if err != nil || (len(id) != 32 && u.Version() != 7) {
		return 0, false
	}
	var ms int64
	for _, x := range u[:6] {
		ms = ms<<8 | int64(x)
	}
	return ms, true
}

package service

import (
	"context"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/storetest"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// An event dated outside the window around the console's clock is stored
// at its receive time with its own time kept as agentTime; one inside
// keeps its time. Neither a date in 9999 nor one years ago moves it to the
// top or the bottom of the trail.
func TestIngestBoundsEventTime(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	farFuture := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			st, _ := be.Open(t)
			defer st.Close()
			s := New(Options{Store: st, Now: func() time.Time { return now.In(time.FixedZone("CET", 3600)) }})
			for _, tc := range []struct {
				name            string
				sent, agentSent time.Time
				time, agentTime time.Time
			}{
				{name: "now", sent: now, time: now},
				{name: "inside-future", sent: now.Add(23 * time.Hour), time: now.Add(23 * time.Hour)},
				{name: "inside-past", sent: now.Add(-23 * time.Hour), time: now.Add(-23 * time.Hour)},
				{name: "edge", sent: now.Add(-24 * time.Hour), time: now.Add(-24 * time.Hour)},
				{name: "far-future", sent: farFuture, time: now, agentTime: farFuture},
				{name: "just-future", sent: now.Add(24*time.Hour + time.Second), time: now, agentTime: now.Add(24*time.Hour + time.Second)},
				{name: "years-past", sent: now.AddDate(-3, 0, 0), time: now, agentTime: now.AddDate(-3, 0, 0)},
				{name: "year-0", sent: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time: now, agentTime: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
				{name: "no-time", time: now},
				// agentTime is the console's word: an agent's is dropped.
				{name: "agent-claims-agent-time", sent: now, agentSent: farFuture, time: now},
			} {
				ev := event.Event{ID: tc.name, Time: tc.sent, AgentTime: tc.agentSent, Kind: "Pod", Name: "p",
					Tab: "deployment", Rule: "privileged", Action: "log", Message: "m"}
				if n, err := s.IngestEvents(ctx, "prod", []event.Event{ev}); err != nil || n != 1 {
					t.Fatalf("%s: ingest = %d, %v", tc.name, n, err)
				}
				got := eventByID(t, st, tc.name)
				if !got.Time.Equal(tc.time) || !got.AgentTime.Equal(tc.agentTime) {
					t.Errorf("%s: stored time %v, agent time %v; want %v, %v", tc.name, got.Time, got.AgentTime, tc.time, tc.agentTime)
				}
			}
		})
	}
}

// The window is an option.
func TestIngestEventTimeWindowOption(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	st, _ := storetest.Backends(t)[0].Open(t)
	defer st.Close()
	s := New(Options{Store: st, Now: func() time.Time { return now }, EventTimeWindow: time.Hour})
	inside, outside := now.Add(-59*time.Minute), now.Add(-61*time.Minute)
	evs := []event.Event{
		{ID: "inside", Time: inside, Kind: "Pod", Name: "p", Tab: "deployment", Rule: "r", Action: "log"},
		{ID: "outside", Time: outside, Kind: "Pod", Name: "p", Tab: "deployment", Rule: "r", Action: "log"},
	}
	if _, err := s.IngestEvents(ctx, "prod", evs); err != nil {
		t.Fatal(err)
	}
	if got := eventByID(t, st, "inside"); !got.Time.Equal(inside) || !got.AgentTime.IsZero() {
		t.Errorf("inside a 1h window: %v / %v, want its own time", got.Time, got.AgentTime)
	}
	if got := eventByID(t, st, "outside"); !got.Time.Equal(now) || !got.AgentTime.Equal(outside) {
		t.Errorf("outside a 1h window: %v / %v, want the receive time and its own as agent time", got.Time, got.AgentTime)
	}
}

// caller is one of its two values or empty; anything else refuses the
// batch, naming the event.
func TestIngestRefusesUnknownCaller(t *testing.T) {
	st, _ := storetest.Backends(t)[0].Open(t)
	defer st.Close()
	s := New(Options{Store: st})
	ev := func(id, caller string) event.Event {
		return event.Event{ID: id, Time: time.Now(), Kind: "Pod", Name: "p", Tab: "deployment", Rule: "r", Action: "log", Caller: caller}
	}
	if _, err := s.IngestEvents(context.Background(), "prod", []event.Event{ev("a", event.CallerAuthenticated), ev("b", "root")}); err == nil ||
		err.Error() != `events[1].caller: "root" is not "authenticated" or "unauthenticated"` {
		t.Fatalf("unknown caller: %v", err)
	}
	if n, err := s.IngestEvents(context.Background(), "prod", []event.Event{ev("a", ""), ev("b", event.CallerUnauthenticated)}); err != nil || n != 2 {
		t.Fatalf("known callers: %d, %v", n, err)
	}
}

func eventByID(t *testing.T, st store.Store, id string) event.Event {
	t.Helper()
	page, err := st.ListEvents(context.Background(), store.EventFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page.Events {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("event %s not stored", id)
	return event.Event{}
}

package httpapi

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/consoletest"
)

// An agent's batch with an unknown field, a key given twice or invalid
// UTF-8 is refused whole with 422, naming the event and the field.
func TestAgentEventsAreDecodedStrictly(t *testing.T) {
	svc, _, _ := consoletest.New(t)
	_, token, err := svc.RegisterCluster(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Service: svc, AdminToken: "admin-token-for-strict-tests"}))
	t.Cleanup(srv.Close)
	good := `{"id":"g1","time":"2026-11-23T10:00:00Z","kind":"Pod","name":"p","tab":"deployment","rule":"privileged","action":"block","message":"m"}`
	for _, tc := range []struct{ name, bad, field, detail string }{
		{"unknown field", `{"id":"b1","kind":"Pod","mesage":"m"}`, "events[1].mesage", "unknown field"},
		{"duplicate key", `{"id":"b1","kind":"Pod","message":"m","message":"other"}`, "events[1].message", "given twice"},
		{"invalid UTF-8", "{\"id\":\"b1\",\"kind\":\"Pod\",\"name\":\"p\xff\"}", "events[1].name", "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := do(t, srv, "POST", "/api/v1/agent/events", token, "application/json", `{"events":[`+good+`,`+tc.bad+`]}`)
			if c.status != 422 || !strings.Contains(c.raw, tc.field) || !strings.Contains(c.raw, tc.detail) {
				t.Errorf("%d %s: want 422 naming %s (%s)", c.status, c.raw, tc.field, tc.detail)
			}
		})
	}
	// Nothing of a refused batch was stored: its good event is new.
	if c := do(t, srv, "POST", "/api/v1/agent/events", token, "application/json", `{"events":[`+good+`]}`); c.status != 200 || c.body["stored"] != 1.0 {
		t.Errorf("a clean batch: %d %s, want it stored", c.status, c.raw)
	}
}

// An event dated far from the console's clock, in the future or the past,
// is stored at its receive time with agentTime set to the agent's; one
// inside the window keeps its time and has no agentTime.
func TestAgentEventTimeWindow(t *testing.T) {
	svc, _, _ := consoletest.New(t)
	_, token, err := svc.RegisterCluster(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Service: svc, AdminToken: "admin-token-for-window-tests"}))
	t.Cleanup(srv.Close)
	inside := time.Now().UTC().Add(-time.Hour).Truncate(time.Second).Format(time.RFC3339)
	ev := func(id, at string) string {
		return `{"id":"` + id + `","time":"` + at + `","kind":"Pod","name":"p","tab":"deployment","rule":"privileged","action":"log","message":"m"}`
	}
	before := time.Now()
	body := `{"events":[` + ev("future", "9999-12-31T23:59:59Z") + `,` + ev("past", "2019-03-01T00:00:00Z") + `,` + ev("inside", inside) + `]}`
	if c := do(t, srv, "POST", "/api/v1/agent/events", token, "application/json", body); c.status != 200 || c.body["stored"] != 3.0 {
		t.Fatalf("ingest: %d %s", c.status, c.raw)
	}
	after := time.Now()
	c := do(t, srv, "GET", "/api/v1/events", "admin-token-for-window-tests", "", "")
	var page struct {
		Events []struct {
			ID        string     `json:"id"`
			Time      time.Time  `json:"time"`
			AgentTime *time.Time `json:"agentTime"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(c.raw), &page); err != nil || len(page.Events) != 3 {
		t.Fatalf("list: %d %s (%v)", c.status, c.raw, err)
	}
	// The two moved events are the newest: received now.
	if page.Events[2].ID != "inside" {
		t.Errorf("order %s, %s, %s: want the event inside the window last", page.Events[0].ID, page.Events[1].ID, page.Events[2].ID)
	}
	for _, e := range page.Events {
		switch e.ID {
		case "future", "past":
			want := map[string]string{"future": "9999-12-31T23:59:59Z", "past": "2019-03-01T00:00:00Z"}[e.ID]
			if e.Time.Before(before.Add(-time.Second)) || e.Time.After(after.Add(time.Second)) || e.AgentTime == nil || e.AgentTime.Format(time.RFC3339) != want {
				t.Errorf("%s: time %v, agentTime %v; want the receive time and %s", e.ID, e.Time, e.AgentTime, want)
			}
		case "inside":
			if e.Time.Format(time.RFC3339) != inside || e.AgentTime != nil {
				t.Errorf("inside: time %v, agentTime %v; want %s and none", e.Time, e.AgentTime, inside)
			}
		}
	}
}

package httpapi

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

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

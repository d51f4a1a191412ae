package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// GET /api/v1/overview answers the numbers of the console's landing page
// to the viewer: the agent's pushed events (a retried batch counted once)
// and the cluster's state.
func TestOverview(t *testing.T) {
	srv := newServer(t)
	if c := do(t, srv, "GET", "/api/v1/overview", "", "", ""); c.status != 401 {
		t.Errorf("no token: %d", c.status)
	}
	c := do(t, srv, "POST", "/api/v1/clusters", admin, "application/json", `{"name":"east"}`)
	if c.status != 201 {
		t.Fatalf("register: %d %s", c.status, c.raw)
	}
	token := c.body["token"].(string)
	now := time.Now().UTC()
	var evs []event.Event
	for i, rule := range []string{"privileged", "privileged", "hostPID", "latest"} {
		action := "block"
		if rule == "latest" {
			action = "log"
		}
		evs = append(evs, event.Event{ID: event.NewID(), Time: now.Add(-time.Duration(i) * time.Second), Namespace: "shop",
			Kind: "Pod", Name: fmt.Sprintf("p%d", i), Tab: "deployment", Rule: rule, Action: action, Message: "m"})
	}
	body, _ := json.Marshal(map[string]any{"events": evs})
	for range 2 { // the agent retries: counted once
		if c := do(t, srv, "POST", "/api/v1/agent/events", token, "application/json", string(body)); c.status != 200 {
			t.Fatalf("push: %d %s", c.status, c.raw)
		}
	}
	if c := do(t, srv, "GET", "/api/v1/agent/policy?wait=0s", token, "", ""); c.status != 200 {
		t.Fatalf("poll: %d", c.status)
	}

	c = do(t, srv, "GET", "/api/v1/overview", viewer, "", "")
	if c.status != 200 || !strings.HasPrefix(c.header.Get("Content-Type"), "application/json") {
		t.Fatalf("overview: %d %s", c.status, c.raw)
	}
	var o service.Overview
	if err := json.Unmarshal([]byte(c.raw), &o); err != nil {
		t.Fatal(err)
	}
	if o.Day.Total != 4 || o.Day.Totals["block"] != 3 || o.Day.Totals["log"] != 1 || o.Week.Total != 4 || len(o.Day.Hours) != 24 {
		t.Errorf("day %d events %v, week %d", o.Day.Total, o.Day.Totals, o.Week.Total)
	}
	if len(o.Day.TopRules) != 2 || o.Day.TopRules[0] != (service.RuleCount{Rule: "privileged", Count: 2}) ||
		len(o.Week.TopNamespaces) != 1 || o.Week.TopNamespaces[0] != (service.NamespaceCount{Cluster: "east", Namespace: "shop", Count: 3}) {
		t.Errorf("top rules %v, top namespaces %v", o.Day.TopRules, o.Week.TopNamespaces)
	}
	if len(o.Clusters) != 1 || o.Clusters[0].State != service.StateCurrent || o.Clusters[0].CurrentPolicy != service.NoPolicyETag ||
		o.Clusters[0].LastSeen.IsZero() {
		t.Errorf("clusters %+v", o.Clusters)
	}
	if o.SilentAfter != 300 || !strings.Contains(c.raw, `"topBlockedRules"`) {
		t.Errorf("silent after %d s; the answer: %s", o.SilentAfter, c.raw)
	}
}

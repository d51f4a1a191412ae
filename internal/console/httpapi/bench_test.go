package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/store/storetest"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// BenchmarkAgentIngest measures POST /api/v1/agent/events end to end over
// loopback HTTP: request bodies of 500 events (what an agent's queue sends),
// JSON decoding, token check and the store's append, from one agent or four
// at once, on SQLite and (with PALISADE_TEST_POSTGRES_URL) PostgreSQL.
//
//	go test ./internal/console/httpapi -run '^$' -bench AgentIngest -benchtime 200x
func BenchmarkAgentIngest(b *testing.B) {
	const batch = 500
	reg, err := rules.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	for _, be := range storetest.Backends(b) {
		for _, bc := range []struct {
			times  string
			agents int
		}{{"recent", 1}, {"recent", 4}, {"scattered", 1}} {
			agents := bc.agents
			b.Run(fmt.Sprintf("%s/times=%s/agents=%d", be.Name, bc.times, agents), func(b *testing.B) {
				st, _ := be.Open(b)
				defer st.Close()
				svc := service.New(service.Options{Store: st, Registry: reg})
				srv := httptest.NewServer(New(Options{Service: svc, AdminToken: admin}))
				defer srv.Close()
				tokens := make([]string, agents)
				for i := range tokens {
					_, tok, err := svc.RegisterCluster(context.Background(), fmt.Sprintf("cluster-%d", i))
					if err != nil {
						b.Fatal(err)
					}
					tokens[i] = tok
				}
				// recent: as from agents, batch i holds the events of the
				// second before second i. scattered: every event at a
				// random time of the last hour, the worst case for the
				// time index (no agent sends that).
				bodies := make([][]byte, b.N)
				clock := time.Now().Add(-time.Duration(b.N) * time.Second)
				r := mrand.New(mrand.NewPCG(1, 2))
				for i := range bodies {
					bodies[i] = ingestBody(i, batch, clock.Add(time.Duration(i)*time.Second), bc.times == "scattered", r)
				}
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: agents}}
				var next atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				start := time.Now()
				for a := range agents {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := int(next.Add(1)) - 1
							if i >= b.N {
								return
							}
							req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/agent/events", bytes.NewReader(bodies[i]))
							req.Header.Set("Authorization", "Bearer "+tokens[a])
							req.Header.Set("Content-Type", "application/json")
							resp, err := client.Do(req)
							if err != nil {
								b.Error(err)
								return
							}
							var out struct{ Stored int }
							_ = json.NewDecoder(resp.Body).Decode(&out)
							resp.Body.Close()
							if resp.StatusCode != http.StatusOK || out.Stored != batch {
								b.Errorf("batch %d: status %d, stored %d", i, resp.StatusCode, out.Stored)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "events/s")
			})
		}
	}
}

// ingestBody is batch i: events as the admission path writes them, with
// IDs from event.NewID, in the second before end (or scattered over the
// hour before it).
func ingestBody(i, n int, end time.Time, scattered bool, r *mrand.Rand) []byte {
	rules := []string{"privileged", "hostPID", "runAsNonRoot", "resourceLimits", "allowedRegistries", "readOnlyRootFilesystem"}
	actions := []string{"log", "log", "log", "block"}
	evs := make([]event.Event, n)
	for j := range evs {
		k := i*n + j
		evs[j] = event.Event{ID: event.NewID(), Time: end.Add(-time.Duration(n-j) * time.Second / time.Duration(n)).UTC(),
			Namespace: fmt.Sprintf("team-%d", k%30), Kind: "Deployment", Name: fmt.Sprintf("app-%d", k%500),
			Container: "app", Tab: "deployment", Rule: rules[k%len(rules)], Action: actions[k%len(actions)],
			Policy: "recommended", User: "system:serviceaccount:ci:deployer", Operation: "CREATE",
			Message: fmt.Sprintf("containerSecurityContext violates rule %s \"true\" in container(s) \"app\" (%s).", rules[k%len(rules)], actions[k%len(actions)])}
	}
	if scattered {
		for j := range evs {
			evs[j].Time = end.Add(-time.Duration(r.Int64N(int64(time.Hour)))).UTC()
		}
	}
	b, _ := json.Marshal(map[string]any{"events": evs})
	return b
}

// BenchmarkListEventsHTTP measures GET /api/v1/events (a page of 100, with a
// filter) over loopback HTTP on 10,000 stored events: what the REST layer
// adds to the store's ListEvents (measured over 1,000,000 events in
// internal/console/store).
//
//	go test ./internal/console/httpapi -run '^$' -bench ListEventsHTTP
func BenchmarkListEventsHTTP(b *testing.B) {
	reg, err := rules.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	st, _ := storetest.Backends(b)[0].Open(b)
	defer st.Close()
	svc := service.New(service.Options{Store: st, Registry: reg})
	srv := httptest.NewServer(New(Options{Service: svc, AdminToken: admin}))
	defer srv.Close()
	if _, _, err := svc.RegisterCluster(context.Background(), "prod"); err != nil {
		b.Fatal(err)
	}
	r := mrand.New(mrand.NewPCG(1, 2))
	clock := time.Now().Add(-time.Hour)
	for i := range 20 {
		var req struct {
			Events []event.Event `json:"events"`
		}
		if err := json.Unmarshal(ingestBody(i, 500, clock.Add(time.Duration(i)*time.Second), false, r), &req); err != nil {
			b.Fatal(err)
		}
		if _, err := svc.IngestEvents(context.Background(), "prod", req.Events); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/events?limit=100&rule=privileged", nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var page struct {
			Items []json.RawMessage `json:"items"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(page.Items) != 100 {
			b.Fatalf("status %d, %d items", resp.StatusCode, len(page.Items))
		}
	}
}

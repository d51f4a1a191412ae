package ui

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/core/event"
)

// BenchmarkOverviewPage measures GET / (the overview page) end to end over
// loopback HTTP: the service's reads, the chart layout and the template,
// on a week of 100,000 events in 5 clusters, 30 namespaces and 25 rules,
// every hour of the week holding blocks in every namespace (the count
// tables' largest week for that trail; their cost does not grow with the
// number of events, see TestOverviewQueryLatency in console/store).
//
//	go test ./internal/console/ui -run '^$' -bench OverviewPage -benchtime 200x
func BenchmarkOverviewPage(b *testing.B) {
	s := newConsole(b)
	ctx := context.Background()
	r := mrand.New(mrand.NewPCG(5, 6))
	now := time.Now().UTC()
	actions := []string{"log", "log", "log", "block", "block", "isolate", "terminate"}
	for i := range 5 {
		if _, _, err := s.svc.RegisterCluster(ctx, fmt.Sprintf("cluster-%d", i)); err != nil {
			b.Fatal(err)
		}
	}
	for batch := range 20 {
		evs := make([]event.Event, 5000)
		for i := range evs {
			evs[i] = event.Event{ID: event.NewID(), Time: now.Add(-time.Duration(r.Int64N(int64(7 * 24 * time.Hour)))),
				Cluster: fmt.Sprintf("cluster-%d", r.IntN(5)), Namespace: fmt.Sprintf("team-%d", r.IntN(30)), Kind: "Pod",
				Name: fmt.Sprintf("api-%d-%d", batch, i), Tab: "deployment", Rule: fmt.Sprintf("rule-%d", r.IntN(25)),
				Action: actions[r.IntN(len(actions))], Message: "m"}
		}
		if _, err := s.svc.Store().AppendEvents(ctx, evs); err != nil {
			b.Fatal(err)
		}
	}
	br := s.browser(b)
	br.login(viewerToken)
	b.ResetTimer()
	for range b.N {
		if a := br.get("/"); a.status != http.StatusOK {
			b.Fatalf("overview: %d", a.status)
		}
	}
}

package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/storetest"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// Storage benchmarks, on SQLite and (when PALISADE_TEST_POSTGRES_URL is
// set) on PostgreSQL:
//
//	export PALISADE_TEST_POSTGRES_URL=$(hack/postgres.sh up)   # optional
//	go test -run '^$' -bench AppendEvents -benchtime 2000x ./internal/console/store/
//	PALISADE_BENCH_EVENTS=1 go test -run EventQueryLatency -v -timeout 60m ./internal/console/store/
//	PALISADE_BENCH_EVENTS=1 go test -run OverviewQueryLatency -v -timeout 60m ./internal/console/store/
//	hack/postgres.sh down
//
// PALISADE_BENCH_EVENTS_N changes how many events the latency tests load
// (default 1,000,000).

// The shape of a realistic trail: a few clusters, tens of namespaces and
// rules, mostly "log" and "block".
var (
	benchClusters   = []string{"prod-eu", "prod-us", "staging", "dev", "ci"}
	benchNamespaces = func() []string {
		ns := []string{"default", "kube-system", "monitoring", "ingress-nginx", "payments", "checkout", "search"}
		for i := len(ns); i < 30; i++ {
			ns = append(ns, "team-"+strconv.Itoa(i))
		}
		return ns
	}()
	benchRules = []string{
		"privileged", "host-network", "host-pid", "host-ipc", "host-path", "run-as-root", "allow-privilege-escalation",
		"capabilities-added", "latest-tag", "untrusted-registry", "no-resource-limits", "read-only-root-fs",
		"seccomp-unconfined", "apparmor-unconfined", "image-vulnerabilities", "secrets-in-env", "host-port",
		"proc-mount", "sysctls", "shell-in-container", "sensitive-file-read", "package-manager", "outbound-connection",
		"crypto-miner", "kubectl-exec",
	}
	benchActions = []string{"log", "log", "log", "log", "log", "log", "block", "block", "isolate", "terminate"}
	benchTabs    = []string{"deployment", "continuous", "runtime"}
)

func benchEvent(r *mrand.Rand, now time.Time, span time.Duration) event.Event {
	ns := benchNamespaces[r.IntN(len(benchNamespaces))]
	rule := benchRules[r.IntN(len(benchRules))]
	name := fmt.Sprintf("api-%d-%x", r.IntN(200), r.Uint32()&0xfffff)
	return event.Event{
		ID:        event.NewID(),
		Time:      now.Add(-time.Duration(r.Int64N(int64(span)))),
		Cluster:   benchClusters[r.IntN(len(benchClusters))],
		Namespace: ns,
		Kind:      "Pod",
		Name:      name,
		Container: "app",
		Tab:       benchTabs[r.IntN(len(benchTabs))],
		Rule:      rule,
		Action:    benchActions[r.IntN(len(benchActions))],
		Policy:    "baseline",
		User:      "system:serviceaccount:" + ns + ":deployer",
		Message:   fmt.Sprintf("Pod %s/%s: container app violates %s (spec.containers[0].securityContext)", ns, name, rule),
		Operation: "CREATE",
	}
}

func benchBatch(r *mrand.Rand, n int, now time.Time, span time.Duration) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		evs[i] = benchEvent(r, now, span)
	}
	return evs
}

// BenchmarkAppendEvents appends batches of 500 new events, as agents push
// them to POST /api/v1/agent/events: one agent at a time, or four at once
// (SQLite then commits the batches that queue up together). IDs are
// event.NewID's (random); the ordered-ids variant gives them a time prefix
// (as UUIDv7 does), which keeps the unique index's inserts at its end
// instead of all over it. As from agents, batch i holds events of the few
// seconds before second i.
func BenchmarkAppendEvents(b *testing.B) {
	const batch = 500
	for _, be := range storetest.Backends(b) {
		for _, ids := range []struct {
			name string
			new  func() string
		}{{"random-ids", event.NewID}, {"ordered-ids", orderedID}} {
			for _, agents := range []int{1, 4} {
				b.Run(fmt.Sprintf("%s/%s/agents=%d", be.Name, ids.name, agents), func(b *testing.B) {
					s, _ := be.Open(b)
					defer s.Close()
					benchAppend(b, s, batch, agents, ids.new)
				})
			}
		}
	}
}

func benchAppend(b *testing.B, s store.Store, batch, agents int, newID func() string) {
	clock := time.Now().Add(-time.Duration(b.N) * time.Second)
	// stamp gives a batch new IDs and the times of batch i.
	stamp := func(r *mrand.Rand, evs []event.Event, i int) {
		at := clock.Add(time.Duration(i) * time.Second)
		for j := range evs {
			evs[j].ID = newID()
			evs[j].Time = at.Add(-time.Duration(r.Int64N(int64(5 * time.Second))))
		}
	}
	ctx := context.Background()
	if agents == 1 {
		// Batches come from a pool, stamped while the clock is stopped.
		r := mrand.New(mrand.NewPCG(1, 2))
		pool := make([][]event.Event, min(b.N, 64))
		for i := range pool {
			pool[i] = benchBatch(r, batch, clock, time.Second)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			evs := pool[i%len(pool)]
			stamp(r, evs, i)
			b.StartTimer()
			if n, err := s.AppendEvents(ctx, evs); err != nil || n != batch {
				b.Fatalf("append = %d, %v", n, err)
			}
		}
	} else {
		// Each agent stamps its own batch (on the clock: under 1% of the
		// time) and takes the next batch number.
		var next atomic.Int64
		var wg sync.WaitGroup
		rs := make([]*mrand.Rand, agents)
		evs := make([][]event.Event, agents)
		for g := range agents {
			rs[g] = mrand.New(mrand.NewPCG(uint64(g), 2))
			evs[g] = benchBatch(rs[g], batch, clock, time.Second)
		}
		b.ResetTimer()
		for g := range agents {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1) - 1); i < b.N; i = int(next.Add(1) - 1) {
					stamp(rs[g], evs[g], i)
					if n, err := s.AppendEvents(ctx, evs[g]); err != nil || n != batch {
						b.Errorf("append = %d, %v", n, err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}

// orderedID is a 128-bit hex ID whose first 48 bits are the time in
// milliseconds, like UUIDv7.
func orderedID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	ms := uint64(time.Now().UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	return hex.EncodeToString(b[:])
}

// TestEventQueryLatency loads a month of events (1,000,000 by default)
// and prints p50 and p99 of ListEvents for the console's usual filters.
// It asserts nothing about time: it reports.
func TestEventQueryLatency(t *testing.T) {
	total := benchTotal(t)
	const queries = 300
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			s, size := be.Open(t)
			defer s.Close()
			ctx := context.Background()
			now := time.Now().UTC()
			r := mrand.New(mrand.NewPCG(3, 4))
			loadMonth(t, be.Name, s, size, r, now, total)

			pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
			cases := []struct {
				name   string
				filter func() store.EventFilter
				page2  bool
			}{
				{"no filter", func() store.EventFilter { return store.EventFilter{} }, false},
				{"cluster", func() store.EventFilter { return store.EventFilter{Cluster: pick(benchClusters)} }, false},
				{"cluster+namespace", func() store.EventFilter {
					return store.EventFilter{Cluster: pick(benchClusters), Namespace: pick(benchNamespaces)}
				}, false},
				{"namespace", func() store.EventFilter { return store.EventFilter{Namespace: pick(benchNamespaces)} }, false},
				{"rule", func() store.EventFilter { return store.EventFilter{Rule: pick(benchRules)} }, false},
				{"action=terminate", func() store.EventFilter { return store.EventFilter{Action: "terminate"} }, false},
				{"rule+action", func() store.EventFilter {
					return store.EventFilter{Rule: pick(benchRules), Action: pick(benchActions)}
				}, false},
				{"since last hour", func() store.EventFilter { return store.EventFilter{Since: now.Add(-time.Hour)} }, false},
				{"cluster+since 1h", func() store.EventFilter {
					return store.EventFilter{Cluster: pick(benchClusters), Since: now.Add(-time.Hour)}
				}, false},
				{"all four filters", func() store.EventFilter {
					return store.EventFilter{Cluster: pick(benchClusters), Namespace: pick(benchNamespaces), Rule: pick(benchRules), Action: pick(benchActions)}
				}, false},
				// Worst cases: filters that match nothing, so the whole
				// range of the leading index column is read.
				{"rule+action, no match", func() store.EventFilter {
					return store.EventFilter{Rule: pick(benchRules), Action: "quarantine"}
				}, false},
				{"cluster+action, no match", func() store.EventFilter {
					return store.EventFilter{Cluster: pick(benchClusters), Action: "quarantine"}
				}, false},
				{"page 2 (no filter)", func() store.EventFilter { return store.EventFilter{} }, true},
				{"page 2 (cluster+namespace)", func() store.EventFilter {
					return store.EventFilter{Cluster: pick(benchClusters), Namespace: pick(benchNamespaces)}
				}, true},
			}
			report(t, "%s: ListEvents, %d queries each, page of %d:", be.Name, queries, store.DefaultPageSize)
			for _, c := range cases {
				var lat []time.Duration
				var rows int
				for range queries {
					f := c.filter()
					if c.page2 {
						p, err := s.ListEvents(ctx, f)
						if err != nil {
							t.Fatal(err)
						}
						f.Cursor = p.Next
					}
					st := time.Now()
					p, err := s.ListEvents(ctx, f)
					lat = append(lat, time.Since(st))
					if err != nil {
						t.Fatal(err)
					}
					rows += len(p.Events)
				}
				slices.Sort(lat)
				report(t, "  %-28s p50 %8v  p99 %8v  max %8v  (%d rows/page avg)", c.name,
					lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond),
					lat[len(lat)-1].Round(time.Microsecond), rows/queries)
			}
		})
	}
}

// benchTotal is how many events a latency test loads, or skips the test
// unless PALISADE_BENCH_EVENTS=1.
func benchTotal(t *testing.T) int {
	if os.Getenv("PALISADE_BENCH_EVENTS") != "1" {
		t.Skip("set PALISADE_BENCH_EVENTS=1 to load 1,000,000 events and measure query latency")
	}
	total := 1_000_000
	if v := os.Getenv("PALISADE_BENCH_EVENTS_N"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10_000 {
			t.Fatalf("PALISADE_BENCH_EVENTS_N=%q: want a number ≥ 10000", v)
		}
		total = n
	}
	return total
}

// loadMonth appends total events dated over the 30 days before now,
// arriving in order: batch k holds the events of its slice of the month,
// each up to a minute late.
func loadMonth(t *testing.T, name string, s store.Store, size func() int64, r *mrand.Rand, now time.Time, total int) {
	t.Helper()
	start := time.Now()
	const batch = 5000
	month := 30 * 24 * time.Hour
	for loaded := 0; loaded < total; loaded += batch {
		n := min(batch, total-loaded)
		end := now.Add(-month + time.Duration(float64(month)*float64(loaded+n)/float64(total)))
		// The store is prepared for each day as it comes, as the console's
		// retention pass does (PostgreSQL: a partition a day).
		if err := s.PrepareEvents(context.Background(), end); err != nil {
			t.Fatal(err)
		}
		slice := time.Duration(float64(month) * float64(n) / float64(total))
		if _, err := s.AppendEvents(context.Background(), benchBatch(r, n, end, slice+time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	load := time.Since(start)
	report(t, "%s: loaded %d events over 30 days in %v (%.0f events/s, batches of %d); database %.0f MiB",
		name, total, load.Round(time.Millisecond), float64(total)/load.Seconds(), batch, float64(size())/(1<<20))
}

// TestOverviewQueryLatency loads a month of events (1,000,000 by default)
// and prints p50 and p99 of the console overview's store queries: events
// per hour by action and the top 10 rules and namespaces by blocks, over
// the last day and the last week, each alone, then service.Overview (what
// one overview page or GET /api/v1/overview asks: the six at once, and the
// clusters), 200 times each or for 20 s, whichever ends first. It asserts
// nothing about time: it reports.
func TestOverviewQueryLatency(t *testing.T) {
	total := benchTotal(t)
	const queries, budget = 200, 20 * time.Second
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			s, size := be.Open(t)
			defer s.Close()
			ctx := context.Background()
			now := time.Now().UTC()
			loadMonth(t, be.Name, s, size, mrand.New(mrand.NewPCG(3, 4)), now, total)
			next := now.Truncate(time.Hour).Add(time.Hour)
			day := store.Hours{From: next.Add(-24 * time.Hour), To: next}
			week := store.Hours{From: next.Add(-7 * 24 * time.Hour), To: next}
			type query struct {
				name string
				run  func() (int, error)
			}
			var qs []query
			for _, rg := range []struct {
				name string
				h    store.Hours
			}{{"day", day}, {"week", week}} {
				qs = append(qs,
					query{"per hour by action, " + rg.name, func() (int, error) {
						c, err := s.CountEventsByHour(ctx, rg.h)
						return len(c), err
					}},
					query{"top 10 rules (block), " + rg.name, func() (int, error) {
						c, err := s.TopRules(ctx, "block", rg.h, 10)
						return len(c), err
					}},
					query{"top 10 namespaces (block), " + rg.name, func() (int, error) {
						c, err := s.TopNamespaces(ctx, "block", rg.h, 10)
						return len(c), err
					}})
			}
			// What the page asks: the six at once, and the clusters.
			svc := service.New(service.Options{Store: s})
			for _, c := range benchClusters {
				if _, _, err := svc.RegisterCluster(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			qs = append(qs, query{"service.Overview (all six, clusters)", func() (int, error) {
				o, err := svc.Overview(ctx)
				return len(o.Day.Hours) + len(o.Week.Hours), err
			}})
			report(t, "%s: overview queries, up to %d each:", be.Name, queries)
			for _, q := range qs {
				var lat []time.Duration
				var rows int
				for began := time.Now(); len(lat) < queries && time.Since(began) < budget; {
					st := time.Now()
					n, err := q.run()
					lat = append(lat, time.Since(st))
					if err != nil {
						t.Fatal(err)
					}
					rows += n
				}
				slices.Sort(lat)
				report(t, "  %-36s p50 %9v  p99 %9v  max %9v  (%d rows, %d queries)", q.name,
					lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond),
					lat[len(lat)-1].Round(time.Microsecond), rows/len(lat), len(lat))
			}
		})
	}
}

// report prints a result line to the test log and to stdout, so that it
// shows without -v too.
func report(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf(format, args...)
	fmt.Printf(format+"\n", args...)
}

package main

import (
	"context"
	"math/rand/v2"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// queryLoad asks GET /api/v1/events as the UI's events page does (its
// filters: cluster, namespace, rule, action; pages of 50; the next page
// through the cursor), at a steady rate whatever the answers' latency, so
// that a slow console does not slow the load down.
type queryLoad struct {
	api      *admin
	clusters []string
	shapes   *eventShapes
	// byFilter holds the latencies of each filter combination.
	mu       sync.Mutex
	byFilter map[string]*latencies
	all      latencies
	failed   atomic.Int64
	errors   tally
}

// uiPageSize is the events page's page size (internal/console/ui).
const uiPageSize = 50

func newQueryLoad(api *admin, clusters []string, shapes *eventShapes) *queryLoad {
	return &queryLoad{api: api, clusters: clusters, shapes: shapes, byFilter: map[string]*latencies{}}
}

// run asks rate queries a second, each in its own goroutine, until
// loading ends; it waits for those under way, which only ctx cuts short.
func (q *queryLoad) run(ctx, loading context.Context, rate float64) {
	if rate <= 0 {
		return
	}
	var wg sync.WaitGroup
	t := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer t.Stop()
	for {
		select {
		case <-loading.Done():
			wg.Wait()
			return
		case <-t.C:
		}
		wg.Add(1)
		go func() { defer wg.Done(); q.one(ctx) }()
	}
}

// one asks one page with a filter combination picked at random; "page 2"
// asks the first page of a combination, then times the next one.
func (q *queryLoad) one(ctx context.Context) {
	pick := func(s []string) string { return s[rand.IntN(len(s))] }
	cluster, ns, rule, action := pick(q.clusters), pick(q.shapes.namespaces), pick(q.shapes.rules), pick(q.shapes.actions)
	combos := []struct {
		name   string
		filter map[string]string
	}{
		{"none", nil},
		{"cluster", map[string]string{"cluster": cluster}},
		{"cluster+namespace", map[string]string{"cluster": cluster, "namespace": ns}},
		{"namespace", map[string]string{"namespace": ns}},
		{"rule", map[string]string{"rule": rule}},
		{"action", map[string]string{"action": action}},
		{"rule+action", map[string]string{"rule": rule, "action": action}},
		{"all four", map[string]string{"cluster": cluster, "namespace": ns, "rule": rule, "action": action}},
		{"page 2 of rule", map[string]string{"rule": rule}},
	}
	c := combos[rand.IntN(len(combos))]
	v := url.Values{"limit": {strconv.Itoa(uiPageSize)}}
	for k, val := range c.filter {
		v.Set(k, val)
	}
	if strings.HasPrefix(c.name, "page 2") {
		var first struct {
			Next string `json:"next"`
		}
		if err := q.api.call(ctx, "GET", "/api/v1/events?"+v.Encode(), "", nil, &first); err != nil || first.Next == "" {
			if err != nil && ctx.Err() == nil {
				q.failed.Add(1)
				q.errors.add(errorKind(err))
			}
			return
		}
		v.Set("cursor", first.Next)
	}
	start := time.Now()
	var page struct {
		Items []struct{} `json:"items"`
	}
	err := q.api.call(ctx, "GET", "/api/v1/events?"+v.Encode(), "", nil, &page)
	d := time.Since(start)
	if err != nil {
		if ctx.Err() == nil {
			q.failed.Add(1)
			q.errors.add(errorKind(err))
		}
		return
	}
	q.all.add(d)
	q.mu.Lock()
	l := q.byFilter[c.name]
	if l == nil {
		l = &latencies{}
		q.byFilter[c.name] = l
	}
	q.mu.Unlock()
	l.add(d)
}

// report returns a line per filter combination, by name.
func (q *queryLoad) report() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	names := make([]string, 0, len(q.byFilter))
	for n := range q.byFilter {
		names = append(names, n)
	}
	sort.Strings(names)
	lines := make([]string, len(names))
	for i, n := range names {
		lines[i] = n + ": " + q.byFilter[n].summary().String()
	}
	return lines
}

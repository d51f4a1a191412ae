package conformance

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// Contents is everything a store holds, as its List methods return it:
// what a backup must give back.
type Contents struct {
	Policies   []store.Document
	Rulesets   []store.Document
	Clusters   []store.Cluster
	Events     []event.Event
	ScanImages []store.ScanImage
}

// Fill gives an empty store something of everything: policies (one
// updated), a ruleset, clusters (with and without a policy, a token, an
// agent's last call), events (ties, a rewritten time, some of today and
// some of days far off) and scan images.
func Fill(t *testing.T, s store.Store) {
	t.Helper()
	c := ctx(t)
	for _, name := range []string{"baseline", "strict"} {
		_, err := s.CreatePolicy(c, name, fmt.Appendf(nil, `{"name":%q}`, name))
		must(t, "create policy", err)
	}
	_, err := s.UpdatePolicy(c, "strict", []byte(`{"name":"strict","v":2}`), 1)
	must(t, "update policy", err)
	_, err = s.CreateRuleset(c, "shells", []byte(`{"rules":["shell"]}`))
	must(t, "create ruleset", err)
	_, err = s.CreateCluster(c, store.Cluster{Name: "prod", TokenHash: hash("prod-token"), Policy: "strict"})
	must(t, "create cluster", err)
	_, err = s.CreateCluster(c, store.Cluster{Name: "dev"})
	must(t, "create cluster", err)
	must(t, "see agent", s.SeeAgents(c, []store.AgentSeen{{Cluster: "prod", At: time.Now(), AgentPolicy: `"strict-2"`}}))

	r := rand.New(rand.NewPCG(31, 32))
	evs := genEvents(r, "far", 150, 30)
	for i, e := range genEvents(r, "today", 150, 600) {
		e.Time = time.Now().Add(-time.Duration(r.IntN(3600)) * time.Second)
		if i%10 == 0 {
			e.Time = evs[0].Time
		}
		evs = append(evs, e)
	}
	evs[7].AgentTime = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	evs[8].Caller = event.CallerAuthenticated
	appendAll(t, s, evs, 64)

	must(t, "replace scan images", s.ReplaceScanImages(c, nil, []store.ScanImage{
		// Images as the console's scan-result index writes them.
		{Key: digestA, Body: []byte(`{"digests":["` + digestA + `"],"scans":[{"type":"vulnerability"}]}`)},
		{Key: refKeyA, Body: []byte(`{"references":["docker.io/library/nginx:1.25"],"scans":[{"type":"vulnerability"}]}`)},
	}))
}

// Read returns everything s holds.
func Read(t *testing.T, s store.Store) Contents {
	t.Helper()
	c := ctx(t)
	var out Contents
	var err error
	out.Policies, err = s.ListPolicies(c)
	must(t, "list policies", err)
	out.Rulesets, err = s.ListRulesets(c)
	must(t, "list rulesets", err)
	out.Clusters, err = s.ListClusters(c)
	must(t, "list clusters", err)
	out.ScanImages, err = s.ListScanImages(c)
	must(t, "list scan images", err)
	f := store.EventFilter{Limit: store.MaxPageSize}
	for {
		p, err := s.ListEvents(c, f)
		must(t, "list events", err)
		out.Events = append(out.Events, p.Events...)
		if p.Next == "" {
			return out
		}
		f.Cursor = p.Next
	}
}

// SameContents fails unless restored holds what original held, and
// goes on working as a store: a retry of a restored event is recognised,
// a new event is listed first, and its keys still refuse duplicates.
func SameContents(t *testing.T, original Contents, restored store.Store) {
	t.Helper()
	if diff := cmp.Diff(original, Read(t, restored)); diff != "" {
		t.Errorf("restored store (-original +restored):\n%s", diff)
	}
	c := ctx(t)
	if n, err := restored.AppendEvents(c, original.Events); err != nil || n != 0 {
		t.Errorf("retry of every restored event = %d, %v; want 0", n, err)
	}
	newest := original.Events[0]
	newest.ID = "after-restore"
	if n, err := restored.AppendEvents(c, []event.Event{newest}); err != nil || n != 1 {
		t.Errorf("append after restore = %d, %v; want 1", n, err)
	}
	p, err := restored.ListEvents(c, store.EventFilter{Limit: 1})
	must(t, "list events", err)
	if len(p.Events) != 1 || p.Events[0].ID != newest.ID {
		t.Errorf("newest event after restore = %+v; want %s (tied in time, arrived last)", p.Events, newest.ID)
	}
	_, err = restored.CreatePolicy(c, original.Policies[0].Name, []byte(`{}`))
	wantErr(t, "create a restored policy again", err, store.ErrExists)
	_, err = restored.ClusterByTokenHash(c, hash("prod-token"))
	must(t, "restored cluster by its token", err)
}

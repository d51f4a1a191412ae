package service

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/sqlite"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// gatedStore holds its first SeeAgents until gate is closed and counts
// the writes and the reads of policies.
type gatedStore struct {
	store.Store
	gate    chan struct{}
	entered chan struct{}

	mu           sync.Mutex
	writes       [][]store.AgentSeen
	policyReads  int
	clusterReads int
}

func (g *gatedStore) GetCluster(ctx context.Context, name string) (store.Cluster, error) {
	g.mu.Lock()
	g.clusterReads++
	g.mu.Unlock()
	return g.Store.GetCluster(ctx, name)
}

func (g *gatedStore) SeeAgents(ctx context.Context, seen []store.AgentSeen) error {
	g.mu.Lock()
	first := len(g.writes) == 0
	g.writes = append(g.writes, seen)
	g.mu.Unlock()
	if first {
		close(g.entered)
		<-g.gate
	}
	return g.Store.SeeAgents(ctx, seen)
}

func (g *gatedStore) GetPolicy(ctx context.Context, name string) (store.Document, error) {
	g.mu.Lock()
	g.policyReads++
	g.mu.Unlock()
	return g.Store.GetPolicy(ctx, name)
}

func newGatedService(t *testing.T) (*Service, *gatedStore) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "palisade.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	g := &gatedStore{Store: st, gate: make(chan struct{}), entered: make(chan struct{})}
	return New(Options{Store: g, Registry: reg}), g
}

// Polls that arrive while one write of last-seen times is under way go
// together in the next write, and each poll returns once its own call is
// stored.
func TestAgentCallsAreWrittenTogether(t *testing.T) {
	ctx := t.Context()
	s, g := newGatedService(t)
	const n = 40
	for i := range n + 1 {
		if _, _, err := s.RegisterCluster(ctx, fmt.Sprintf("c%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	first := make(chan error, 1)
	go func() {
		_, _, err := s.AgentPolicyFor(ctx, "c00", `"x"`, `"v1"`, 0)
		first <- err
	}()
	<-g.entered
	var polls sync.WaitGroup
	errs := make(chan error, n)
	for i := 1; i <= n; i++ {
		polls.Add(1)
		go func() {
			defer polls.Done()
			_, _, err := s.AgentPolicyFor(ctx, fmt.Sprintf("c%02d", i), `"x"`, `"v2"`, 0)
			errs <- err
		}()
	}
	// Every later poll is waiting for its word to be written: none has
	// returned while the first write is held.
	waitFor(t, func() bool {
		s.seen.mu.Lock()
		defer s.seen.mu.Unlock()
		return len(s.seen.pending) == n
	})
	select {
	case err := <-errs:
		t.Fatalf("a poll returned (%v) before its last-seen time was written", err)
	default:
	}
	close(g.gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	polls.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	g.mu.Lock()
	writes := len(g.writes)
	second := len(g.writes[1])
	g.mu.Unlock()
	if writes != 2 || second != n {
		t.Errorf("%d writes (the second of %d calls), want 2: the first poll's, then the %d that waited, together", writes, second, n)
	}
	cs, err := s.Store().ListClusters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		want := `"v2"`
		if c.Name == "c00" {
			want = `"v1"`
		}
		if c.LastSeen.IsZero() || c.AgentPolicy != want {
			t.Errorf("cluster %s: last seen %v enforcing %q, want seen enforcing %q", c.Name, c.LastSeen, c.AgentPolicy, want)
		}
	}
}

// The policy agents pull is read once for all polls, and read again at
// once after a change: no poll gets the version before.
func TestPolicyIsReadOncePerChange(t *testing.T) {
	ctx := t.Context()
	s, g := newGatedService(t)
	close(g.gate)
	if _, err := s.CreatePolicy(ctx, []byte(replicaPolicy)); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		name := fmt.Sprintf("c%02d", i)
		if _, _, err := s.RegisterCluster(ctx, name); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AssignPolicy(ctx, name, "baseline"); err != nil {
			t.Fatal(err)
		}
	}
	reads := func() int {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.policyReads
	}
	var etag string
	for i := range 20 {
		ap, _, err := s.AgentPolicyFor(ctx, fmt.Sprintf("c%02d", i), "", "", 0)
		if err != nil {
			t.Fatal(err)
		}
		etag = ap.ETag
	}
	if r := reads(); r != 1 {
		t.Errorf("20 polls of one policy read it %d times, want 1", r)
	}
	d, err := s.Store().GetPolicy(ctx, "baseline")
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(replicaPolicy, "action: block", "action: log", 1)
	if _, err := s.UpdatePolicy(ctx, "baseline", []byte(edited), d.Version); err != nil {
		t.Fatal(err)
	}
	before := reads() // the edit reads the policy too, for its diff
	ap, changed, err := s.AgentPolicyFor(ctx, "c07", etag, etag, time.Minute)
	if err != nil || !changed || ap.ETag == etag {
		t.Fatalf("the poll after an edit got changed %v, ETag %s (had %s), %v", changed, ap.ETag, etag, err)
	}
	if r := reads() - before; r != 1 {
		t.Errorf("the poll after an edit read the policy %d times, want 1", r)
	}

	// Assignments are cached too, and forgotten when they change.
	clusterReads := func() int {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.clusterReads
	}
	before = clusterReads()
	for i := range 20 {
		if _, _, err := s.AgentPolicyFor(ctx, fmt.Sprintf("c%02d", i), "", "", 0); err != nil {
			t.Fatal(err)
		}
	}
	if r := clusterReads() - before; r > 20 {
		t.Errorf("20 polls read their clusters %d times, want at most once each", r)
	}
	before = clusterReads()
	for i := range 20 {
		if _, _, err := s.AgentPolicyFor(ctx, fmt.Sprintf("c%02d", i), "", "", 0); err != nil {
			t.Fatal(err)
		}
	}
	if r := clusterReads() - before; r != 0 {
		t.Errorf("polls again read their clusters %d times, want 0 (cached)", r)
	}
	if _, err := s.AssignPolicy(ctx, "c07", ""); err != nil {
		t.Fatal(err)
	}
	if ap, _, err := s.AgentPolicyFor(ctx, "c07", "", "", 0); err != nil || ap.ETag != NoPolicyETag {
		t.Errorf("after the assignment was cleared the poll got %s, %v; want no policy", ap.ETag, err)
	}
	// A policy deleted and created again under its name is served as
	// created, not from before.
	if _, err := s.CreatePolicy(ctx, []byte(strings.Replace(replicaPolicy, "baseline", "again", 1))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AssignPolicy(ctx, "c09", "again"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AgentPolicyFor(ctx, "c09", "", "", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AssignPolicy(ctx, "c09", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePolicy(ctx, "again"); err != nil {
		t.Fatal(err)
	}
	recreated := strings.Replace(strings.Replace(replicaPolicy, "baseline", "again", 1), "action: block", "action: log", 1)
	if _, err := s.CreatePolicy(ctx, []byte(recreated)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AssignPolicy(ctx, "c09", "again"); err != nil {
		t.Fatal(err)
	}
	if ap, _, err := s.AgentPolicyFor(ctx, "c09", "", "", 0); err != nil || !strings.Contains(string(ap.Policy), `"log"`) {
		t.Errorf("the policy created again was served as %s, %v; want the new one", ap.Policy, err)
	}
	if err := s.DeleteCluster(ctx, "c08"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AgentPolicyFor(ctx, "c08", "", "", 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the poll of a deleted cluster: %v, want not found", err)
	}
}

// waitFor polls cond until it holds, for at most a minute (a hang guard,
// not a timing assertion).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within a minute")
		}
		time.Sleep(time.Millisecond)
	}
}

package conformance

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/console/store"
)

func hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func testClusters(t *testing.T, s store.Store) {
	c := ctx(t)
	if cs, err := s.ListClusters(c); err != nil || len(cs) != 0 {
		t.Fatalf("list of an empty store = %v, %v; want none", cs, err)
	}
	created := time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.FixedZone("UTC+2", 2*3600))
	want := store.Cluster{Name: "prod", TokenHash: hash("prod-token"), CreatedAt: created}
	got, err := s.CreateCluster(c, want)
	must(t, "create prod", err)
	sameInstant(t, "CreatedAt", got.CreatedAt, created)
	if got.Name != "prod" || got.Policy != "" || string(got.TokenHash) != string(want.TokenHash) ||
		!got.LastSeen.IsZero() || got.AgentPolicy != "" {
		t.Errorf("create prod = %+v", got)
	}
	read, err := s.GetCluster(c, "prod")
	must(t, "get prod", err)
	if diff := cmp.Diff(got, read); diff != "" {
		t.Errorf("get prod differs from what create returned (-create +get):\n%s", diff)
	}

	_, err = s.CreateCluster(c, store.Cluster{Name: "prod", TokenHash: hash("other")})
	wantErr(t, "create prod twice", err, store.ErrExists)
	_, err = s.GetCluster(c, "missing")
	wantErr(t, "get missing", err, store.ErrNotFound)

	// A zero CreatedAt is the store's now.
	before := time.Now()
	dev, err := s.CreateCluster(c, store.Cluster{Name: "dev", TokenHash: hash("dev-token")})
	must(t, "create dev", err)
	recent(t, "dev CreatedAt", dev.CreatedAt, before, time.Now())

	// Created with a policy: it must exist.
	_, err = s.CreateCluster(c, store.Cluster{Name: "edge", TokenHash: hash("edge-token"), Policy: "nope"})
	wantErr(t, "create a cluster with an unknown policy", err, store.ErrNotFound)
	_, err = s.CreatePolicy(c, "baseline", []byte(`{}`))
	must(t, "create policy", err)
	edge, err := s.CreateCluster(c, store.Cluster{Name: "edge", TokenHash: hash("edge-token"), Policy: "baseline"})
	must(t, "create edge with a policy", err)
	if edge.Policy != "baseline" {
		t.Errorf("edge policy = %q, want baseline", edge.Policy)
	}

	cs, err := s.ListClusters(c)
	must(t, "list", err)
	var names []string
	for _, cl := range cs {
		names = append(names, cl.Name)
	}
	if diff := cmp.Diff([]string{"dev", "edge", "prod"}, names); diff != "" {
		t.Errorf("list names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(got, cs[2]); diff != "" {
		t.Errorf("listed prod (-want +got):\n%s", diff)
	}

	must(t, "delete dev", s.DeleteCluster(c, "dev"))
	_, err = s.GetCluster(c, "dev")
	wantErr(t, "get deleted dev", err, store.ErrNotFound)
	_, err = s.ClusterByTokenHash(c, hash("dev-token"))
	wantErr(t, "token of deleted dev", err, store.ErrNotFound)
	wantErr(t, "delete dev twice", s.DeleteCluster(c, "dev"), store.ErrNotFound)
}

func testClusterTokens(t *testing.T, s store.Store) {
	c := ctx(t)
	for _, n := range []string{"a", "b"} {
		_, err := s.CreateCluster(c, store.Cluster{Name: n, TokenHash: hash(n)})
		must(t, "create "+n, err)
	}
	for _, n := range []string{"a", "b"} {
		cl, err := s.ClusterByTokenHash(c, hash(n))
		must(t, "cluster by token "+n, err)
		if cl.Name != n {
			t.Errorf("cluster by token %s = %q", n, cl.Name)
		}
	}
	_, err := s.ClusterByTokenHash(c, hash("unknown"))
	wantErr(t, "unknown token", err, store.ErrNotFound)
	_, err = s.ClusterByTokenHash(c, nil)
	wantErr(t, "empty token", err, store.ErrNotFound)
	// A token hash names one cluster.
	_, err = s.CreateCluster(c, store.Cluster{Name: "c", TokenHash: hash("a")})
	wantErr(t, "create a cluster with another's token", err, store.ErrExists)
}

func testAssignPolicy(t *testing.T, s store.Store) {
	c := ctx(t)
	for _, p := range []string{"p1", "p2"} {
		_, err := s.CreatePolicy(c, p, []byte(`{}`))
		must(t, "create "+p, err)
	}
	_, err := s.CreateCluster(c, store.Cluster{Name: "prod", TokenHash: hash("prod")})
	must(t, "create cluster", err)

	cl, err := s.AssignPolicy(c, "prod", "p1")
	must(t, "assign p1", err)
	if cl.Name != "prod" || cl.Policy != "p1" || string(cl.TokenHash) != string(hash("prod")) {
		t.Errorf("assign p1 returned %+v", cl)
	}
	cl, err = s.AssignPolicy(c, "prod", "p2")
	must(t, "assign p2", err)
	if cl.Policy != "p2" {
		t.Errorf("reassigned policy = %q, want p2", cl.Policy)
	}
	_, err = s.AssignPolicy(c, "prod", "nope")
	wantErr(t, "assign an unknown policy", err, store.ErrNotFound)
	_, err = s.AssignPolicy(c, "nope", "p1")
	wantErr(t, "assign to an unknown cluster", err, store.ErrNotFound)
	_, err = s.AssignPolicy(c, "nope", "")
	wantErr(t, "clear an unknown cluster", err, store.ErrNotFound)
	if got, err := s.GetCluster(c, "prod"); err != nil || got.Policy != "p2" {
		t.Errorf("after refused assignments: %+v, %v; want policy p2", got, err)
	}
	cl, err = s.AssignPolicy(c, "prod", "")
	must(t, "clear", err)
	if got, err := s.GetCluster(c, "prod"); err != nil || got.Policy != "" || cl.Policy != "" {
		t.Errorf("after clearing: %+v, %v; want no policy", got, err)
	}
}

func testSeeAgent(t *testing.T, s store.Store) {
	c := ctx(t)
	_, err := s.CreateCluster(c, store.Cluster{Name: "prod", TokenHash: hash("prod")})
	must(t, "create cluster", err)
	cl, err := s.GetCluster(c, "prod")
	must(t, "get", err)
	if !cl.LastSeen.IsZero() || cl.AgentPolicy != "" {
		t.Errorf("a new cluster was seen: %+v", cl)
	}
	seen := time.Date(2032, 1, 2, 3, 4, 5, 987654321, time.FixedZone("EST", -5*3600))
	must(t, "see agent", s.SeeAgent(c, "prod", seen, `"p1-v3"`))
	cl, err = s.GetCluster(c, "prod")
	must(t, "get", err)
	sameInstant(t, "LastSeen", cl.LastSeen, seen)
	if cl.AgentPolicy != `"p1-v3"` {
		t.Errorf("AgentPolicy = %q", cl.AgentPolicy)
	}
	later := seen.Add(time.Minute)
	must(t, "see agent again", s.SeeAgent(c, "prod", later, `"p1-v4"`))
	cs, err := s.ListClusters(c)
	must(t, "list", err)
	sameInstant(t, "listed LastSeen", cs[0].LastSeen, later)
	if cs[0].AgentPolicy != `"p1-v4"` {
		t.Errorf("listed AgentPolicy = %q", cs[0].AgentPolicy)
	}
	wantErr(t, "see the agent of an unknown cluster", s.SeeAgent(c, "nope", later, ""), store.ErrNotFound)
}

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

func testSeeAgents(t *testing.T, s store.Store) {
	c := ctx(t)
	_, err := s.CreateCluster(c, store.Cluster{Name: "prod", TokenHash: hash("prod")})
	must(t, "create cluster", err)
	cl, err := s.GetCluster(c, "prod")
	must(t, "get", err)
	if !cl.LastSeen.IsZero() || cl.AgentPolicy != "" {
		t.Errorf("a new cluster was seen: %+v", cl)
	}
	_, err = s.CreateCluster(c, store.Cluster{Name: "dev", TokenHash: hash("dev")})
	must(t, "create cluster", err)
	seen := time.Date(2032, 1, 2, 3, 4, 5, 987654321, time.FixedZone("EST", -5*3600))
	must(t, "see agents", s.SeeAgents(c, []store.AgentSeen{
		{Cluster: "prod", At: seen.Add(-time.Second), AgentPolicy: `"p1-v2"`},
		{Cluster: "prod", At: seen, AgentPolicy: `"p1-v3"`}, // the later call of two counts
		{Cluster: "gone", At: seen},                         // deleted meanwhile: skipped
		{Cluster: "dev", At: seen.Add(-time.Hour)},
	}))
	cl, err = s.GetCluster(c, "prod")
	must(t, "get", err)
	sameInstant(t, "LastSeen", cl.LastSeen, seen)
	if cl.AgentPolicy != `"p1-v3"` {
		t.Errorf("AgentPolicy = %q", cl.AgentPolicy)
	}
	later := seen.Add(time.Minute)
	must(t, "see agent again", s.SeeAgents(c, []store.AgentSeen{{Cluster: "prod", At: later, AgentPolicy: `"p1-v4"`}}))
	// Another replica's older word, written after: it changes nothing.
	must(t, "see agent out of order", s.SeeAgents(c, []store.AgentSeen{{Cluster: "prod", At: seen, AgentPolicy: `"p1-v3"`}}))
	cs, err := s.ListClusters(c)
	must(t, "list", err)
	byName := map[string]store.Cluster{}
	for _, cl := range cs {
		byName[cl.Name] = cl
	}
	sameInstant(t, "listed LastSeen", byName["prod"].LastSeen, later)
	if byName["prod"].AgentPolicy != `"p1-v4"` {
		t.Errorf("listed AgentPolicy = %q", byName["prod"].AgentPolicy)
	}
	sameInstant(t, "dev's LastSeen", byName["dev"].LastSeen, seen.Add(-time.Hour))
	if byName["dev"].AgentPolicy != "" {
		t.Errorf("dev's AgentPolicy = %q, want none", byName["dev"].AgentPolicy)
	}
	_, err = s.GetCluster(c, "gone")
	wantErr(t, "a call of an unknown cluster made it", err, store.ErrNotFound)
	must(t, "see nothing", s.SeeAgents(c, nil))
}

func testRotateToken(t *testing.T, s store.Store) {
	c := ctx(t)
	for _, n := range []string{"a", "b"} {
		_, err := s.CreateCluster(c, store.Cluster{Name: n, TokenHash: hash(n + "1")})
		must(t, "create "+n, err)
	}
	// byToken checks which cluster a token finds, and as what.
	byToken := func(what, token, wantCluster string, wantPrev bool) {
		t.Helper()
		cl, err := s.ClusterByTokenHash(c, hash(token))
		if wantCluster == "" {
			wantErr(t, what, err, store.ErrNotFound)
			return
		}
		must(t, what, err)
		if cl.Name != wantCluster {
			t.Errorf("%s: cluster %q, want %q", what, cl.Name, wantCluster)
		}
		if prev := string(cl.TokenHash) != string(hash(token)); prev != wantPrev || (prev && string(cl.PrevTokenHash) != string(hash(token))) {
			t.Errorf("%s: found as the previous token %v, want %v (%+v)", what, prev, wantPrev, cl)
		}
	}

	until := time.Date(2033, 4, 5, 6, 7, 8, 999999999, time.FixedZone("UTC-3", -3*3600))
	rot, err := s.RotateToken(c, "a", hash("a2"), until)
	must(t, "rotate a", err)
	if rot.Name != "a" || string(rot.TokenHash) != string(hash("a2")) || string(rot.PrevTokenHash) != string(hash("a1")) {
		t.Errorf("rotate a returned %+v", rot)
	}
	sameInstant(t, "PrevTokenExpires", rot.PrevTokenExpires, until)
	got, err := s.GetCluster(c, "a")
	must(t, "get a", err)
	if diff := cmp.Diff(rot, got); diff != "" {
		t.Errorf("get a differs from what rotate returned (-rotate +get):\n%s", diff)
	}
	byToken("the new token", "a2", "a", false)
	byToken("the previous token", "a1", "a", true)
	byToken("b's token", "b1", "b", false)

	// A second rotation forgets the first previous token.
	until2 := until.Add(time.Hour)
	rot, err = s.RotateToken(c, "a", hash("a3"), until2)
	must(t, "rotate a again", err)
	sameInstant(t, "PrevTokenExpires after the second rotation", rot.PrevTokenExpires, until2)
	byToken("the first token after two rotations", "a1", "", false)
	byToken("the second token", "a2", "a", true)
	byToken("the third token", "a3", "a", false)

	// A zero expiry keeps no previous token.
	rot, err = s.RotateToken(c, "a", hash("a4"), time.Time{})
	must(t, "rotate a with no overlap", err)
	if rot.PrevTokenHash != nil || !rot.PrevTokenExpires.IsZero() {
		t.Errorf("rotation without overlap kept %x until %v", rot.PrevTokenHash, rot.PrevTokenExpires)
	}
	byToken("the token rotated away without overlap", "a3", "", false)
	byToken("the token after it", "a4", "a", false)

	_, err = s.RotateToken(c, "nope", hash("x"), until)
	wantErr(t, "rotate an unknown cluster", err, store.ErrNotFound)
	_, err = s.RotateToken(c, "a", hash("b1"), until)
	wantErr(t, "rotate to another cluster's token", err, store.ErrExists)
	_, err = s.RotateToken(c, "a", nil, until)
	wantErr(t, "rotate to an empty token", err, store.ErrInvalid)
	byToken("a's token after refused rotations", "a4", "a", false)
	byToken("b's token after refused rotations", "b1", "b", false)

	cs, err := s.ListClusters(c)
	must(t, "list", err)
	if len(cs) != 2 || string(cs[0].TokenHash) != string(hash("a4")) || cs[0].PrevTokenHash != nil || cs[1].PrevTokenHash != nil {
		t.Errorf("listed clusters after rotations: %+v", cs)
	}

	// Deleting the cluster ends both tokens at once.
	_, err = s.RotateToken(c, "b", hash("b2"), until)
	must(t, "rotate b", err)
	must(t, "delete b", s.DeleteCluster(c, "b"))
	byToken("deleted b's token", "b2", "", false)
	byToken("deleted b's previous token", "b1", "", false)
}

package service

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store/postgres"
	"github.com/palisade-dev/palisade/internal/console/store/storetest"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/platform/fixture"
)

var replicaPolicy = fixture.PolicyYAML("baseline", "block")

// Two console processes on one PostgreSQL database: a policy assigned at
// one wakes the agent long-polling the other, and scan results imported
// at one are looked up at the other.
func TestReplicasShareChanges(t *testing.T) {
	url := storetest.PostgresURL(t)
	ctx := t.Context()
	reg, err := rules.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	replica := func() *Service {
		st, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		s := New(Options{Store: st, Registry: reg})
		listening, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Listen(listening) }()
		t.Cleanup(func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("Listen: %v", err)
			}
		})
		return s
	}
	a, b := replica(), replica()
	for _, s := range []*Service{a, b} {
		select {
		case <-s.Listening():
		case <-time.After(time.Minute):
			t.Fatal("a replica did not connect to PostgreSQL's notifications within a minute")
		}
	}
	if _, _, err := a.RegisterCluster(ctx, "prod"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreatePolicy(ctx, []byte(replicaPolicy)); err != nil {
		t.Fatal(err)
	}

	// The agent polls b with the ETag it has; the wait is far longer than
	// the test, so only a wake can answer "changed".
	type answer struct {
		policy  AgentPolicy
		changed bool
		err     error
	}
	polled := make(chan answer, 1)
	go func() {
		ap, changed, err := b.AgentPolicyFor(ctx, "prod", NoPolicyETag, "", 2*time.Minute)
		polled <- answer{ap, changed, err}
	}()
	if _, err := a.AssignPolicy(ctx, "prod", "baseline"); err != nil {
		t.Fatal(err)
	}
	got := <-polled
	if got.err != nil || !got.changed || got.policy.ETag == NoPolicyETag {
		t.Fatalf("the agent long-polling the other replica got changed %v, ETag %s, %v; want the new policy",
			got.changed, got.policy.ETag, got.err)
	}

	// An edit of the policy at a: b served (and cached) the version
	// before, and its long poll gets the new one.
	go func() {
		ap, changed, err := b.AgentPolicyFor(ctx, "prod", got.policy.ETag, got.policy.ETag, 2*time.Minute)
		polled <- answer{ap, changed, err}
	}()
	d, err := a.Store().GetPolicy(ctx, "baseline")
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(replicaPolicy, "action: block", "action: log", 1)
	if _, err := a.UpdatePolicy(ctx, "baseline", []byte(edited), d.Version); err != nil {
		t.Fatal(err)
	}
	again := <-polled
	if again.err != nil || !again.changed || again.policy.ETag == got.policy.ETag ||
		!strings.Contains(string(again.policy.Policy), `"log"`) {
		t.Fatalf("after an edit at the other replica, the long poll got changed %v, ETag %s (had %s), %v; want the edited policy",
			again.changed, again.policy.ETag, got.policy.ETag, again.err)
	}

	// Scan results: b reloads its index when a says it imported some.
	if _, err := a.ImportScanResults(ctx, "palisade-malware.yaml", readTestdata(t, "palisade-malware.yaml")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if _, ok := b.LookupScanResults("registry.example.com/shop/api:1.4.2", ""); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("scan results imported at one replica were not found at the other within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package service

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/console/store/storetest"
	"github.com/palisade-dev/palisade/internal/core/event"
)

// The overview counts the current hour and the 23 (167) before it, by
// action, ranks blocks, and says which agents are current, out of date
// or silent.
func TestOverview(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 10, 20, 0, 0, time.UTC)
	hour := now.Truncate(time.Hour)
	for _, be := range storetest.Backends(t) {
		t.Run(be.Name, func(t *testing.T) {
			st, _ := be.Open(t)
			defer st.Close()
			s := New(Options{Store: st, Now: func() time.Time { return now.In(time.FixedZone("CET", 3600)) }})

			var evs []event.Event
			add := func(n int, at time.Time, ns, rule, action string) {
				for range n {
					evs = append(evs, event.Event{ID: fmt.Sprintf("e%d", len(evs)), Time: at, Namespace: ns, Kind: "Pod", Name: "p",
						Tab: "deployment", Rule: rule, Action: action})
				}
			}
			add(3, now, "web", "privileged", "block")
			add(1, hour.Add(50*time.Minute), "web", "hostPID", "block") // later this hour: counted
			add(2, hour.Add(-5*time.Hour), "api", "hostPID", "block")
			add(4, hour.Add(-5*time.Hour), "api", "latest", "log")
			add(1, hour.Add(-23*time.Hour), "api", "shell", "terminate")  // the day's first hour
			add(5, hour.Add(-24*time.Hour), "db", "privileged", "block")  // the week only
			add(7, hour.Add(-167*time.Hour), "db", "privileged", "block") // the week's first hour
			add(9, hour.Add(-168*time.Hour), "db", "privileged", "block") // neither
			add(6, hour.Add(time.Hour), "db", "privileged", "block")      // the next hour: neither
			if _, err := st.AppendEvents(ctx, evs); err != nil {
				t.Fatal(err)
			}
			o, err := s.Overview(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !o.Now.Equal(now) || o.Now.Location() != time.UTC || o.SilentAfter != 300 {
				t.Errorf("now %v, silent after %d", o.Now, o.SilentAfter)
			}
			if len(o.Day.Hours) != 24 || len(o.Week.Hours) != 168 || !o.Day.From.Equal(hour.Add(-23*time.Hour)) ||
				!o.Day.To.Equal(hour.Add(time.Hour)) || !o.Week.From.Equal(hour.Add(-167*time.Hour)) {
				t.Fatalf("day %v–%v (%d hours), week from %v (%d hours)", o.Day.From, o.Day.To, len(o.Day.Hours), o.Week.From, len(o.Week.Hours))
			}
			wantDay := map[string]int64{"block": 6, "log": 4, "terminate": 1}
			if diff := cmp.Diff(wantDay, o.Day.Totals); diff != "" || o.Day.Total != 11 {
				t.Errorf("day totals %d (-want +got):\n%s", o.Day.Total, diff)
			}
			if diff := cmp.Diff([]string{"log", "block", "terminate"}, o.Day.Actions); diff != "" {
				t.Errorf("day actions (-want +got):\n%s", diff)
			}
			last, five := o.Day.Hours[23], o.Day.Hours[18]
			if !last.Hour.Equal(hour) || last.Total != 4 || last.Counts["block"] != 4 || five.Total != 6 || five.Counts["log"] != 4 ||
				o.Day.Hours[0].Counts["terminate"] != 1 || o.Day.Hours[1].Total != 0 {
				t.Errorf("day hours: last %+v, five hours ago %+v", last, five)
			}
			if o.Week.Total != 23 || o.Week.Totals["block"] != 18 || o.Week.Hours[0].Counts["block"] != 7 {
				t.Errorf("week: %d events, %d blocks, first hour %+v", o.Week.Total, o.Week.Totals["block"], o.Week.Hours[0])
			}
			wantRules := []RuleCount{{Rule: "hostPID", Count: 3}, {Rule: "privileged", Count: 3}}
			if diff := cmp.Diff(wantRules, o.Day.TopRules); diff != "" {
				t.Errorf("day top rules (-want +got):\n%s", diff)
			}
			wantNS := []NamespaceCount{{Namespace: "db", Count: 12}, {Namespace: "web", Count: 4}, {Namespace: "api", Count: 2}}
			if diff := cmp.Diff(wantNS, o.Week.TopNamespaces); diff != "" {
				t.Errorf("week top namespaces (-want +got):\n%s", diff)
			}
			if len(o.Clusters) != 0 {
				t.Errorf("clusters: %v, want none", o.Clusters)
			}
		})
	}
}

func TestOverviewClusterStates(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 10, 20, 0, 0, time.UTC)
	st, _ := storetest.Backends(t)[0].Open(t)
	defer st.Close()
	s := New(Options{Store: st, Now: func() time.Time { return now }})
	d, err := st.CreatePolicy(ctx, "strict", []byte(`{"apiVersion":"palisade.dev/v1","kind":"Policy","metadata":{"name":"strict"},"spec":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	current := PolicyETag(d, nil)
	for _, c := range []struct {
		name, policy, enforcing string
		seen                    time.Duration // ago; 0: never
	}{
		{"a-current", "strict", current, time.Minute},
		{"b-behind", "strict", `"strict-000000000000"`, 30 * time.Second},
		{"c-never", "strict", "", 0},
		{"d-none", "", NoPolicyETag, time.Second},
		{"d-nothing", "", "", time.Second},
		{"d-stale", "", `"strict-000000000000"`, time.Second},
		{"e-silent", "strict", current, SilentAfter + time.Second},
		{"f-edge", "strict", current, SilentAfter},
	} {
		if _, err := st.CreateCluster(ctx, store.Cluster{Name: c.name, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if c.policy != "" {
			if _, err := st.AssignPolicy(ctx, c.name, c.policy); err != nil {
				t.Fatal(err)
			}
		}
		if c.seen != 0 {
			if err := st.SeeAgents(ctx, []store.AgentSeen{{Cluster: c.name, At: now.Add(-c.seen), AgentPolicy: c.enforcing}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	o, err := s.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range o.Clusters {
		got[c.Name] = c.State
		if c.Policy == "strict" && c.CurrentPolicy != current || c.Policy == "" && c.CurrentPolicy != NoPolicyETag {
			t.Errorf("%s: current version %q", c.Name, c.CurrentPolicy)
		}
	}
	want := map[string]string{"a-current": StateCurrent, "b-behind": StateOutOfDate, "c-never": StateSilent,
		"d-none": StateCurrent, "d-nothing": StateCurrent, "d-stale": StateOutOfDate, "e-silent": StateSilent, "f-edge": StateCurrent}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	if c := o.Clusters[2]; c.Name != "c-never" || !c.LastSeen.IsZero() || o.Clusters[0].LastSeen.IsZero() {
		t.Errorf("last seen: %+v, %+v", o.Clusters[0], c)
	}
}

package service

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// SilentAfter is how long an agent may go without calling before the
// overview calls its cluster silent. A connected agent calls at least
// every 30 s (its long poll's wait), and retries a failed call within 30 s
// (its longest backoff): five minutes is ten missed calls.
const SilentAfter = 5 * time.Minute

// TopN is how many rules and namespaces the overview ranks.
const TopN = 10

// Cluster states on the overview.
const (
	// StateCurrent: the agent called within SilentAfter and enforces the
	// assigned policy's current version (or, when none is assigned, no
	// policy).
	StateCurrent = "current"
	// StateOutOfDate: the agent called within SilentAfter but enforces
	// another version (it has not loaded the new one yet, or refused it).
	StateOutOfDate = "out-of-date"
	// StateSilent: the agent has not called for SilentAfter, or never.
	StateSilent = "silent"
)

// Overview is the console's landing page in numbers.
type Overview struct {
	// Now is when it was computed (UTC).
	Now time.Time `json:"now"`
	// Day is the current hour and the 23 before it; Week the current hour
	// and the 167 before it.
	Day  Activity `json:"day"`
	Week Activity `json:"week"`
	// Clusters are every registered cluster, by name.
	Clusters []ClusterState `json:"clusters"`
	// SilentAfter is the silence, in seconds, after which a cluster is
	// silent.
	SilentAfter int64 `json:"silentAfterSeconds"`
}

// Activity is the trail over a range of whole hours.
type Activity struct {
	// From and To bound the range: events dated in [From, To).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Actions are the actions with events in the range: log, block,
	// isolate, terminate first, in that order, then any other by name.
	Actions []string `json:"actions"`
	// Hours has every hour of the range, oldest first, empty ones too.
	Hours []HourActivity `json:"hours"`
	// Totals are the range's events per action.
	Totals map[string]int64 `json:"totals"`
	Total  int64            `json:"total"`
	// TopRules and TopNamespaces rank rules and namespaces by their
	// block events in the range (at most TopN each).
	TopRules      []RuleCount      `json:"topBlockedRules"`
	TopNamespaces []NamespaceCount `json:"topBlockedNamespaces"`
}

// HourActivity is one hour's events per action.
type HourActivity struct {
	Hour   time.Time        `json:"hour"`
	Counts map[string]int64 `json:"counts"`
	Total  int64            `json:"total"`
}

// RuleCount is a rule's number of events.
type RuleCount struct {
	Rule  string `json:"rule"`
	Count int64  `json:"count"`
}

// NamespaceCount is a namespace's number of events.
type NamespaceCount struct {
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace"`
	Count     int64  `json:"count"`
}

// ClusterState is a cluster's agent as the overview shows it.
type ClusterState struct {
	Name string `json:"name"`
	// Policy is the assigned policy ("" for none).
	Policy string `json:"policy"`
	// LastSeen is the agent's last call (zero: never).
	LastSeen time.Time `json:"lastSeen,omitzero"`
	// AgentPolicy is the version (ETag) the agent reports enforcing;
	// CurrentPolicy the version it should.
	AgentPolicy   string `json:"agentPolicy"`
	CurrentPolicy string `json:"currentPolicy"`
	// State is StateCurrent, StateOutOfDate or StateSilent.
	State string `json:"state"`
}

// knownActions are the policy's actions, in the order the overview shows
// them.
var knownActions = []string{string(policy.ActionLog), string(policy.ActionBlock), string(policy.ActionIsolate), string(policy.ActionTerminate)}

// Overview computes the overview at the service's clock. Its reads run
// at once, each on its own connection: the page waits for the slowest,
// not for their sum.
func (s *Service) Overview(ctx context.Context) (Overview, error) {
	now := s.now().UTC()
	next := now.Truncate(time.Hour).Add(time.Hour)
	o := Overview{Now: now, SilentAfter: int64(SilentAfter / time.Second)}
	var day, week counts
	g, gctx := errgroup.WithContext(ctx)
	day.read(gctx, g, s.store, store.Hours{From: next.Add(-24 * time.Hour), To: next})
	week.read(gctx, g, s.store, store.Hours{From: next.Add(-7 * 24 * time.Hour), To: next})
	g.Go(func() (err error) {
		o.Clusters, err = s.clusterStates(gctx, now)
		return err
	})
	if err := g.Wait(); err != nil {
		return Overview{}, err
	}
	o.Day, o.Week = day.activity(), week.activity()
	return o, nil
}

// counts are the store's answers for one range.
type counts struct {
	hours      store.Hours
	byHour     []store.HourCount
	rules      []store.RuleCount
	namespaces []store.NamespaceCount
}

// read starts the range's three reads in g.
func (c *counts) read(ctx context.Context, g *errgroup.Group, st store.Store, h store.Hours) {
	c.hours = h
	block := string(policy.ActionBlock)
	g.Go(func() (err error) {
		c.byHour, err = st.CountEventsByHour(ctx, h)
		return err
	})
	g.Go(func() (err error) {
		c.rules, err = st.TopRules(ctx, block, h, TopN)
		return err
	})
	g.Go(func() (err error) {
		c.namespaces, err = st.TopNamespaces(ctx, block, h, TopN)
		return err
	})
}

// activity lays the counts out hour by hour.
func (c *counts) activity() Activity {
	a := Activity{From: c.hours.From.UTC(), To: c.hours.To.UTC(), Totals: map[string]int64{},
		TopRules: make([]RuleCount, 0, len(c.rules)), TopNamespaces: make([]NamespaceCount, 0, len(c.namespaces))}
	for t := a.From; t.Before(a.To); t = t.Add(time.Hour) {
		a.Hours = append(a.Hours, HourActivity{Hour: t, Counts: map[string]int64{}})
	}
	for _, n := range c.byHour {
		i := int(n.Hour.Sub(a.From) / time.Hour)
		if i < 0 || i >= len(a.Hours) {
			continue // not the store's answer to this range
		}
		a.Hours[i].Counts[n.Action] += n.Count
		a.Hours[i].Total += n.Count
		a.Totals[n.Action] += n.Count
		a.Total += n.Count
	}
	for action := range a.Totals {
		a.Actions = append(a.Actions, action)
	}
	slices.SortFunc(a.Actions, compareActions)
	for _, r := range c.rules {
		a.TopRules = append(a.TopRules, RuleCount{Rule: r.Rule, Count: r.Count})
	}
	for _, n := range c.namespaces {
		a.TopNamespaces = append(a.TopNamespaces, NamespaceCount{Cluster: n.Cluster, Namespace: n.Namespace, Count: n.Count})
	}
	return a
}

// compareActions orders the known actions first, in their order, then
// others by name.
func compareActions(a, b string) int {
	rank := func(s string) int {
		if i := slices.Index(knownActions, s); i >= 0 {
			return i
		}
		return len(knownActions)
	}
	return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b))
}

// clusterStates says, for every cluster, whether its agent is current,
// out of date or silent at now.
func (s *Service) clusterStates(ctx context.Context, now time.Time) ([]ClusterState, error) {
	cs, err := s.store.ListClusters(ctx)
	if err != nil {
		return nil, err
	}
	etags := map[string]string{} // policy name → current ETag
	out := make([]ClusterState, 0, len(cs))
	for _, c := range cs {
		st := ClusterState{Name: c.Name, Policy: c.Policy, AgentPolicy: c.AgentPolicy, CurrentPolicy: NoPolicyETag}
		if !c.LastSeen.IsZero() {
			st.LastSeen = c.LastSeen.UTC()
		}
		if c.Policy != "" {
			etag, ok := etags[c.Policy]
			if !ok {
				if etag, err = s.policyETag(ctx, c.Policy); err != nil {
					return nil, err
				}
				etags[c.Policy] = etag
			}
			st.CurrentPolicy = etag
		}
		switch {
		case c.LastSeen.IsZero() || now.Sub(c.LastSeen) > SilentAfter:
			st.State = StateSilent
		case c.AgentPolicy == st.CurrentPolicy, c.AgentPolicy == "" && st.CurrentPolicy == NoPolicyETag:
			st.State = StateCurrent
		default:
			st.State = StateOutOfDate
		}
		out = append(out, st)
	}
	return out, nil
}

// policyETag is the ETag agents assigned the stored policy name see
// (NoPolicyETag when it is gone).
func (s *Service) policyETag(ctx context.Context, name string) (string, error) {
	d, err := s.store.GetPolicy(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return NoPolicyETag, nil
	}
	if err != nil {
		return "", err
	}
	rulesets, err := s.BoundRulesets(ctx, d)
	if err != nil {
		return "", err
	}
	return PolicyETag(d, rulesets), nil
}

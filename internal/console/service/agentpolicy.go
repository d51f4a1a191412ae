package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/core/policy"
)

// AgentPolicy is what an agent pulls: its cluster's policy (nil when none
// is assigned) and an ETag that changes whenever it does.
type AgentPolicy struct {
	ETag   string          `json:"etag"`
	Policy json.RawMessage `json:"policy"`
	// Rulesets are the stored RuntimeRulesets the policy's runtime tabs
	// bind, by name (names the console does not store are the agent's
	// built-in rulesets).
	Rulesets []json.RawMessage `json:"rulesets,omitempty"`
}

// AgentPolicyFor returns the cluster's policy. When etag equals the current
// one it waits up to wait for a change (long poll) and reports changed
// false if none came. It records that the agent called, and the version it
// says it enforces (enforcing, "" for nothing: an agent may know a newer
// version than it enforces, when it refused that one).
func (s *Service) AgentPolicyFor(ctx context.Context, cluster, etag, enforcing string, wait time.Duration) (AgentPolicy, bool, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for first := true; ; first = false {
		ch := s.notify.channel(cluster)
		ap, err := s.currentPolicy(ctx, cluster)
		if err != nil {
			return AgentPolicy{}, false, err
		}
		// The call is recorded when it comes, not again when a change
		// wakes it: a change shared by a fleet is answered from memory,
		// and each agent's next call says what it enforces then. It is
		// a side note: a poll is answered even when it could not be
		// written.
		if first {
			_ = s.seen.see(ctx, store.AgentSeen{Cluster: cluster, At: s.now().UTC(), AgentPolicy: enforcing})
		}
		if ap.ETag != etag || wait <= 0 {
			return ap, ap.ETag != etag, nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return ap, false, nil
		case <-s.closing:
			return ap, false, nil
		case <-ctx.Done():
			return ap, false, ctx.Err()
		}
	}
}

// NoPolicyETag is the ETag agents see while their cluster has no policy.
const NoPolicyETag = `"none"`

// PolicyETag is the ETag agents see for the stored policy d and the
// rulesets it binds (their bodies, in name order); an agent that reports
// it enforces exactly that.
func PolicyETag(d store.Document, rulesets []store.Document) string {
	h := sha256.New()
	h.Write(d.Body)
	for _, r := range rulesets {
		h.Write([]byte{0})
		h.Write([]byte(r.Name))
		h.Write([]byte{0})
		h.Write(r.Body)
	}
	return `"` + d.Name + "-" + hex.EncodeToString(h.Sum(nil)[:6]) + `"`
}

// BoundRulesets returns the stored rulesets policy d binds, in name order.
func (s *Service) BoundRulesets(ctx context.Context, d store.Document) ([]store.Document, error) {
	var p policy.Policy
	if err := json.Unmarshal(d.Body, &p); err != nil {
		return nil, fmt.Errorf("stored policy %s: %w", d.Name, err)
	}
	names := map[string]bool{}
	defs := []policy.Definition{p.Spec.ClusterWide}
	for _, n := range p.Spec.Namespaced {
		defs = append(defs, n.Definition)
	}
	for _, def := range defs {
		if def.Runtime != nil {
			for _, b := range def.Runtime.Rulesets {
				names[b.Ruleset] = true
			}
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	var out []store.Document
	for _, n := range sorted {
		r, err := s.store.GetRuleset(ctx, n)
		if errors.Is(err, store.ErrNotFound) {
			continue // a built-in ruleset, or one not stored yet
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Service) currentPolicy(ctx context.Context, cluster string) (AgentPolicy, error) {
	name, err := s.assignedPolicy(ctx, cluster)
	if err != nil {
		return AgentPolicy{}, err
	}
	if name == "" {
		return AgentPolicy{ETag: NoPolicyETag, Policy: json.RawMessage("null")}, nil
	}
	if ap, ok := s.policies.get(name, s.now()); ok {
		return ap, nil
	}
	// The first poll to miss reads the policy; the polls that miss with
	// it (a fleet woken by a change) share its answer.
	// The flight is of this generation: a poll woken by a change never
	// joins a read that began before it.
	gen := s.policies.generation()
	v, err, _ := s.policyReads.Do(strconv.FormatUint(gen, 10)+"/"+name, func() (any, error) {
		// Read for all who wait, even when the first goes away.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), policyReadTimeout)
		defer cancel()
		ap, err := s.readPolicy(rctx, name)
		if err == nil {
			s.policies.put(name, ap, gen, s.now())
		}
		return ap, err
	})
	if err != nil {
		return AgentPolicy{}, err
	}
	return v.(AgentPolicy), nil
}

// assignedPolicy returns the name of the policy assigned to the cluster
// ("" for none), from the cache when it has it.
func (s *Service) assignedPolicy(ctx context.Context, cluster string) (string, error) {
	if name, ok := s.policies.assignment(cluster, s.now()); ok {
		return name, nil
	}
	gen := s.policies.generation()
	c, err := s.store.GetCluster(ctx, cluster)
	if err != nil {
		return "", err
	}
	s.policies.putAssignment(cluster, c.Policy, gen, s.now())
	return c.Policy, nil
}

// readPolicy reads the stored policy name and the rulesets it binds.
func (s *Service) readPolicy(ctx context.Context, name string) (AgentPolicy, error) {
	d, err := s.store.GetPolicy(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return AgentPolicy{ETag: NoPolicyETag, Policy: json.RawMessage("null")}, nil
	}
	if err != nil {
		return AgentPolicy{}, err
	}
	rulesets, err := s.BoundRulesets(ctx, d)
	if err != nil {
		return AgentPolicy{}, err
	}
	ap := AgentPolicy{ETag: PolicyETag(d, rulesets), Policy: d.Body}
	for _, r := range rulesets {
		ap.Rulesets = append(ap.Rulesets, r.Body)
	}
	return ap, nil
}

// policyCache keeps what agents pull, by policy name, and the policy
// each cluster is assigned, so that a change shared by a fleet is read
// once, not once per poll, and the polls it wakes are answered from
// memory. Every change of a policy or ruleset forgets the policies
// (wakeAll, here or at another replica); a change of a cluster
// (assignment, deletion) forgets that cluster's entry (wake); after the
// replicas' broadcast connection came back, everything goes (resync).
// Each agent call refreshes its cluster's entry from the token lookup
// that authenticates it. An entry also expires (policyCacheTTL,
// assignmentCacheTTL), which bounds how long a replica that missed a
// broadcast serves what was there before.
type policyCache struct {
	mu sync.Mutex
	// gen counts the invalidations: a read that began before one is not
	// kept.
	gen uint64
	// policies are by policy name, assigned (policy names) by cluster.
	policies expiring[AgentPolicy]
	assigned expiring[string]
}

// policyReadTimeout bounds a read of a policy shared by many polls.
const policyReadTimeout = 10 * time.Second

// How long a cached entry answers without a change heard: a policy 10 s;
// an assignment a minute, longer than a long poll (each agent call
// refreshes its cluster's entry when it authenticates, so the polls a
// change wakes find theirs).
const (
	policyCacheTTL     = 10 * time.Second
	assignmentCacheTTL = time.Minute
)

func newPolicyCache() *policyCache {
	return &policyCache{policies: newExpiring[AgentPolicy](policyCacheTTL), assigned: newExpiring[string](assignmentCacheTTL)}
}

// expiring is a map whose entries answer for ttl after they were put.
type expiring[V any] struct {
	ttl time.Duration
	m   map[string]stamped[V]
}

type stamped[V any] struct {
	v  V
	at time.Time
}

func newExpiring[V any](ttl time.Duration) expiring[V] {
	return expiring[V]{ttl: ttl, m: map[string]stamped[V]{}}
}

func (e expiring[V]) get(k string, now time.Time) (V, bool) {
	s, ok := e.m[k]
	if !ok || now.Before(s.at) || now.Sub(s.at) >= e.ttl {
		var zero V
		return zero, false
	}
	return s.v, true
}

// get returns the cached policy name.
func (c *policyCache) get(name string, now time.Time) (AgentPolicy, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.policies.get(name, now)
}

// assignment returns the cached policy name of the cluster.
func (c *policyCache) assignment(cluster string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.assigned.get(cluster, now)
}

func (c *policyCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps ap, read since generation gen began, unless the cache was
// emptied meanwhile (ap may be the version before that change).
func (c *policyCache) put(name string, ap AgentPolicy, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		c.policies.m[name] = stamped[AgentPolicy]{ap, now}
	}
}

// putAssignment keeps the cluster's policy name, read since generation
// gen began, unless the cache was emptied meanwhile.
func (c *policyCache) putAssignment(cluster, policy string, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		c.assigned.m[cluster] = stamped[string]{policy, now}
	}
}

// forget drops the cluster's entry after a change of it.
func (c *policyCache) forget(cluster string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.assigned.m, cluster)
}

// invalidate forgets every policy (a policy or ruleset changed) and, with
// assignments, every cluster's assignment too (changes may have been
// missed).
func (c *policyCache) invalidate(assignments bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.policies.m)
	if assignments {
		clear(c.assigned.m)
	}
}

// notifier wakes long polls: each cluster has a channel that is closed
// (and replaced) when something it serves changes.
type notifier struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

func newNotifier() *notifier { return &notifier{ch: map[string]chan struct{}{}} }

func (n *notifier) channel(cluster string) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	c, ok := n.ch[cluster]
	if !ok {
		c = make(chan struct{})
		n.ch[cluster] = c
	}
	return c
}

func (n *notifier) wake(cluster string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c, ok := n.ch[cluster]; ok {
		close(c)
		delete(n.ch, cluster)
	}
}

// wakeAll wakes every long poll of this process after a change of a
// policy or ruleset: the cached policies go first, so that no poll it
// wakes reads the version before.
func (s *Service) wakeAll() {
	s.policies.invalidate(false)
	s.notify.wakeAll()
}

// resync wakes every long poll after changes may have been missed (the
// replicas' broadcast connection was down): every cached entry goes.
func (s *Service) resync() {
	s.policies.invalidate(true)
	s.notify.wakeAll()
}

// wake wakes the cluster's long polls after a change of it (its
// assignment, its deletion), its cached assignment first.
func (s *Service) wake(cluster string) {
	s.policies.forget(cluster)
	s.notify.wake(cluster)
}

func (n *notifier) wakeAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for k, c := range n.ch {
		close(c)
		delete(n.ch, k)
	}
}

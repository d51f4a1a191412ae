package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/palisade-dev/palisade/internal/store"
)

// AgentPolicy is what an agent pulls: its cluster's policy (nil when none
// is assigned) and an ETag that changes whenever it does.
type AgentPolicy struct {
	ETag   string          `json:"etag"`
	Policy json.RawMessage `json:"policy"`
}

// AgentPolicyFor returns the cluster's policy. When etag equals the current
// one it waits up to wait for a change (long poll) and reports changed
// false if none came. It records that the agent called, and the version it
// says it enforces (enforcing, "" for nothing: an agent may know a newer
// version than it enforces, when it refused that one).
func (s *Service) AgentPolicyFor(ctx context.Context, cluster, etag, enforcing string, wait time.Duration) (AgentPolicy, bool, error) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		ch := s.notify.channel(cluster)
		ap, err := s.currentPolicy(ctx, cluster)
		if err != nil {
			return AgentPolicy{}, false, err
		}
		_ = s.store.SeeAgent(ctx, cluster, s.now().UTC(), enforcing)
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

// PolicyETag is the ETag agents see for the stored policy d; an agent that
// reports it enforces the current version of d.
func PolicyETag(d store.Document) string {
	sum := sha256.Sum256(d.Body)
	return `"` + d.Name + "-" + hex.EncodeToString(sum[:6]) + `"`
}

func (s *Service) currentPolicy(ctx context.Context, cluster string) (AgentPolicy, error) {
	c, err := s.store.GetCluster(ctx, cluster)
	if err != nil {
		return AgentPolicy{}, err
	}
	if c.Policy == "" {
		return AgentPolicy{ETag: NoPolicyETag, Policy: json.RawMessage("null")}, nil
	}
	d, err := s.store.GetPolicy(ctx, c.Policy)
	if errors.Is(err, store.ErrNotFound) {
		return AgentPolicy{ETag: NoPolicyETag, Policy: json.RawMessage("null")}, nil
	}
	if err != nil {
		return AgentPolicy{}, err
	}
	return AgentPolicy{ETag: PolicyETag(d), Policy: d.Body}, nil
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

func (n *notifier) wakeAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for k, c := range n.ch {
		close(c)
		delete(n.ch, k)
	}
}

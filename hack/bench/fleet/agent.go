package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/palisade-dev/palisade/internal/console/agentclient"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/platform/backoff"
	"github.com/palisade-dev/palisade/internal/platform/eventqueue"
)

// fleetCounters are what every simulated agent adds to.
type fleetCounters struct {
	policy, events, scans calls
	// recorded are events written to the agents' queues; sent, the events
	// of every delivery attempt (a batch retried counts again); accepted,
	// the events of batches the console acknowledged.
	recorded, sent, accepted atomic.Int64
}

// agentOptions are what the simulated agents share.
type agentOptions struct {
	// wait is the long poll's length (the agent's 30 s).
	wait time.Duration
	// scanEvery is how often an agent asks for the scan results of the
	// images its cluster runs (the agent's 1 minute); scanImages is how
	// many images it asks about.
	scanEvery  time.Duration
	scanImages int
	counters   *fleetCounters
	// caFile is the consoles' CA over HTTPS ("" for plain HTTP).
	caFile string
	// changed hears each new version an agent's long poll returned.
	changed func(agent int, etag string, t time.Time)
}

// simAgent is one simulated managed agent: the real console client and
// the real durable event queue (in a directory of its own), driven the way
// `palisade agent --console` drives them (internal/agent): a long poll of
// the cluster's policy with its ETag, events recorded into the queue and
// delivered from it, and a periodic scan-result sync.
type simAgent struct {
	// index is its place in its host.
	index   int
	cluster string
	client  *agentclient.Client
	queue   *eventqueue.Queue
	opts    *agentOptions

	mu sync.Mutex
	// etag is the policy version the agent enforces, since when its long
	// poll returned it.
	etag  string
	since time.Time

	recorded atomic.Int64
}

func newSimAgent(index int, cluster, token, stateDir string, opts *agentOptions) (*simAgent, error) {
	client, err := agentclient.New(scheme+"://"+serviceHost, token, opts.caFile)
	if err != nil {
		return nil, err
	}
	// The queue as the agent opens it, but for the read buffer: the
	// queue reads up to BatchBytes (4 MiB) at a time, ten thousand such
	// buffers would not fit this machine, and a batch of 500 of these
	// events is about 200 KB, so batches are the same with 512 KiB.
	q, err := eventqueue.Open(filepath.Join(stateDir, cluster, "events"), eventqueue.Options{BatchBytes: 512 << 10})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cluster, err)
	}
	return &simAgent{index: index, cluster: cluster, client: client, queue: q, opts: opts}, nil
}

// run polls the policy, delivers events and syncs scan results until ctx
// ends, then closes the queue.
func (a *simAgent) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); a.pollPolicy(ctx) }()
	go func() { defer wg.Done(); a.deliver(ctx) }()
	go func() { defer wg.Done(); a.syncScans(ctx) }()
	wg.Wait()
	a.queue.Close()
}

// pollPolicy is agent.ManagedPolicy.Run without compiling what it gets:
// the same long poll, the same backoff (1 s doubling to 30 s, with
// jitter), the same pause after a long poll that ends early unchanged.
func (a *simAgent) pollPolicy(ctx context.Context) {
	retry := backoff.Backoff{Min: time.Second, Max: 30 * time.Second}
	calls := streak{c: &a.opts.counters.policy}
	for ctx.Err() == nil {
		etag, _ := a.version()
		start := time.Now()
		p, changed, err := a.client.Policy(ctx, etag, etag, a.opts.wait)
		if err != nil {
			if ctx.Err() != nil {
				if calls.open() {
					calls.end()
				}
				return
			}
			calls.failed(err)
			wait, _, _ := retry.Failed()
			if !backoff.Sleep(ctx, backoff.Jitter(wait)) {
				return
			}
			continue
		}
		calls.succeeded()
		retry.Succeeded()
		if !changed {
			if time.Since(start) < time.Second && !backoff.Sleep(ctx, time.Second) {
				return
			}
			continue
		}
		a.enforce(p.ETag, time.Now())
	}
}

// enforce records that the long poll returned version etag at t; the
// agent reports it as the version it enforces from its next poll on.
func (a *simAgent) enforce(etag string, t time.Time) {
	a.mu.Lock()
	moved := etag != a.etag
	if moved {
		a.etag, a.since = etag, t
	}
	a.mu.Unlock()
	if moved && a.opts.changed != nil {
		a.opts.changed(a.index, etag, t)
	}
}

// version returns the ETag the agent enforces ("" before its first
// answer) and since when.
func (a *simAgent) version() (string, time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.etag, a.since
}

// deliver runs the queue's delivery loop with the console client's
// PushEvents, counting attempts.
func (a *simAgent) deliver(ctx context.Context) {
	calls := streak{c: &a.opts.counters.events}
	c := a.opts.counters
	_ = a.queue.Run(ctx, func(ctx context.Context, batch []event.Event) error {
		err := a.client.PushEvents(ctx, batch)
		c.sent.Add(int64(len(batch)))
		if err != nil {
			if ctx.Err() == nil {
				calls.failed(err)
			}
			return err
		}
		calls.succeeded()
		c.accepted.Add(int64(len(batch)))
		return nil
	})
}

// generate records perSecond events a second (on average) until ctx
// ends, in a burst every tick, starting after a random part of a tick so
// that the fleet's bursts spread over time. Each burst holds the events
// due since the last, so a late tick does not lower the rate.
func (a *simAgent) generate(ctx context.Context, tick time.Duration, perSecond float64, shapes *eventShapes) {
	if !backoff.Sleep(ctx, time.Duration(rand.Int64N(int64(tick)))) {
		return
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	last, due := time.Now(), perSecond*tick.Seconds()
	for {
		if n := int(due); n > 0 {
			due -= float64(n)
			evs := shapes.events(a.cluster, n)
			if err := a.queue.Record(ctx, evs); err != nil {
				// A queue that refuses is a finding of the run: say so.
				a.opts.counters.events.errors.add("queue refused a record: " + err.Error())
			} else {
				a.recorded.Add(int64(n))
				a.opts.counters.recorded.Add(int64(n))
			}
		}
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			due += perSecond * now.Sub(last).Seconds()
			last = now
		}
	}
}

// pending reports whether the queue still holds events not delivered.
func (a *simAgent) pending() bool { return a.queue.Stats().PendingBytes > 0 }

// syncScans asks the console about the cluster's images every scanEvery,
// as the agent's console scan sync does; a failed sync waits for the
// next, as the agent's does.
func (a *simAgent) syncScans(ctx context.Context) {
	if a.opts.scanEvery <= 0 || a.opts.scanImages <= 0 {
		return
	}
	queries := make([]agentclient.ImageQuery, a.opts.scanImages)
	for i := range queries {
		queries[i] = agentclient.ImageQuery{Image: fmt.Sprintf("registry.example/fleet/app-%03d:1.%d", i, i%7)}
	}
	if !backoff.Sleep(ctx, time.Duration(rand.Int64N(int64(a.opts.scanEvery)))) {
		return
	}
	calls := streak{c: &a.opts.counters.scans}
	t := time.NewTicker(a.opts.scanEvery)
	defer t.Stop()
	for {
		if _, err := a.client.ScanResults(ctx, queries); err != nil {
			if ctx.Err() != nil {
				return
			}
			calls.failed(err)
		} else {
			calls.succeeded()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// eventShapes are the values simulated events take; the query load
// filters on the same ones, so that its filters match.
type eventShapes struct {
	namespaces []string
	rules      []string
	actions    []string
}

func newEventShapes() *eventShapes {
	s := &eventShapes{
		rules: []string{"privileged", "hostNetwork", "hostPID", "allowPrivilegeEscalation", "imageDigests",
			"imagePullPolicy", "resourceLimits", "allowedRegistries", "automountServiceAccountToken", "podSecurityStandard"},
		// Mostly logged, some blocked, a few acted on at runtime.
		actions: []string{"log", "log", "log", "log", "log", "log", "block", "block", "block", "terminate"},
	}
	for i := range 20 {
		s.namespaces = append(s.namespaces, fmt.Sprintf("team-%02d", i))
	}
	return s
}

// events returns n events of the cluster, dated now, without IDs (the
// queue gives them theirs, as it does the agent's).
func (s *eventShapes) events(cluster string, n int) []event.Event {
	now := time.Now().UTC()
	evs := make([]event.Event, n)
	for i := range evs {
		ns := s.namespaces[rand.IntN(len(s.namespaces))]
		rule := s.rules[rand.IntN(len(s.rules))]
		action := s.actions[rand.IntN(len(s.actions))]
		tab, op := "deployment", "CREATE"
		if action == "terminate" {
			tab, op = "runtime", ""
		}
		evs[i] = event.Event{Time: now, Namespace: ns, Kind: "Pod", Name: fmt.Sprintf("web-%05d", rand.IntN(100000)),
			Container: "app", Tab: tab, Rule: rule, Action: action, Policy: "fleet", Operation: op,
			User:    "system:serviceaccount:kube-system:replicaset-controller",
			Message: fmt.Sprintf("container %q breaks %s (simulated by %s)", "app", rule, cluster)}
	}
	return evs
}

// waitDrained waits until no agent's queue holds undelivered events, as
// the hosts report, up to timeout.
func waitDrained(ctx context.Context, fl *fleet, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	// A report made after the load phase ended.
	time.Sleep(2 * statsEvery)
	for {
		busy := fl.pending()
		if busy == 0 {
			return time.Since(start), nil
		}
		if time.Since(start) > timeout || ctx.Err() != nil {
			return time.Since(start), fmt.Errorf("events still queued in %d agents' queues after %s", busy, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

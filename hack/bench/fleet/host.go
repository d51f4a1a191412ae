package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The agents run in agent hosts: child processes of the simulator, each
// with -per-host agents. A process may hold only so many descriptors (the
// hard limit is 20,000 on the machine the numbers come from, and raising
// it needs CAP_SYS_RESOURCE), and each agent holds its queue's file and
// up to three connections (long poll, events, scan results), as a real
// agent does. The simulator (the coordinator) registers the clusters,
// edits the policy, asks the queries and counts; a host runs its agents
// and tells the coordinator, on its standard output, each version an
// agent's long poll returned and, every statsEvery, its counters.

// statsEvery is how often a host reports its counters.
const statsEvery = 100 * time.Millisecond

// hostCmd is a line the coordinator writes to a host's standard input.
type hostCmd struct {
	// Cmd is "agents" (the first: Names and Tokens), "load" (record
	// PerAgent events a second, in a burst every Every, for Duration),
	// "deleted" (Replica left the Service for good) or "stop".
	Cmd      string        `json:"cmd"`
	Names    []string      `json:"names,omitempty"`
	Tokens   []string      `json:"tokens,omitempty"`
	PerAgent float64       `json:"perAgent,omitempty"`
	Every    time.Duration `json:"every,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	Replica  int           `json:"replica,omitempty"`
}

// hostMsg is a line a host writes to its standard output.
type hostMsg struct {
	// Kind is "ready" (its agents are made), "version" (Agent's long
	// poll returned ETag at Since), "stats", "loaded" (the load's
	// generators stopped) or "final" (Recorded per agent, the last
	// Stats, and its Service model's endpoint changes).
	Kind     string     `json:"k"`
	Agent    int        `json:"a,omitempty"`
	ETag     string     `json:"e,omitempty"`
	Since    int64      `json:"t,omitempty"`
	Stats    *hostStats `json:"s,omitempty"`
	Recorded []int64    `json:"r,omitempty"`
	Changes  []string   `json:"c,omitempty"`
}

// hostStats are a host's counters since it started.
type hostStats struct {
	Recorded, Sent, Accepted int64
	// Pending is how many of its agents' queues hold events not
	// delivered.
	Pending              int
	Policy, Events, Scan callCounts
	Dials                []int64
}

// callCounts are a calls' counters, as numbers.
type callCounts struct {
	Attempts, Failures, FirstTry, OneRetry, MoreRetries int64
	Errors                                              map[string]int
}

func (c *calls) counts() callCounts {
	c.errors.mu.Lock()
	errs := maps.Clone(c.errors.m)
	c.errors.mu.Unlock()
	return callCounts{Attempts: c.attempts.Load(), Failures: c.failures.Load(), FirstTry: c.firstTry.Load(),
		OneRetry: c.oneRetry.Load(), MoreRetries: c.moreRetries.Load(), Errors: errs}
}

// add adds o to c.
func (c *callCounts) add(o callCounts) {
	c.Attempts += o.Attempts
	c.Failures += o.Failures
	c.FirstTry += o.FirstTry
	c.OneRetry += o.OneRetry
	c.MoreRetries += o.MoreRetries
	for k, n := range o.Errors {
		if c.Errors == nil {
			c.Errors = map[string]int{}
		}
		c.Errors[k] += n
	}
}

func (c callCounts) String() string {
	t := tally{m: c.Errors}
	return fmt.Sprintf("attempts=%d failed=%d; calls answered first time=%d, after 1 retry=%d, after 2+ retries=%d%s",
		c.Attempts, c.Failures, c.FirstTry, c.OneRetry, c.MoreRetries, t.String())
}

// runHost is a host's whole life: it reads its agents from standard
// input, runs them, and obeys the coordinator's commands until "stop" or
// the end of its input.
func runHost(ctx context.Context, cfg config) error {
	in := json.NewDecoder(bufio.NewReader(os.Stdin))
	var first hostCmd
	if err := in.Decode(&first); err != nil || first.Cmd != "agents" || len(first.Names) != len(first.Tokens) {
		return fmt.Errorf("agent host: want the agents first (%v)", err)
	}
	out := &hostOut{enc: json.NewEncoder(os.Stdout)}
	svc := newService(cfg.replicas, cfg.sources)
	svc.install()
	probing, stopProbing := context.WithCancel(ctx)
	defer stopProbing()
	svc.probe(probing, cfg.probePeriod, cfg.probeTimeout, cfg.probeFailures)

	dir, err := os.MkdirTemp(cfg.stateDir, "palisade-fleet-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	counters := &fleetCounters{}
	opts := &agentOptions{wait: cfg.wait, scanEvery: cfg.scanEvery, scanImages: cfg.scanImages, counters: counters, caFile: cfg.tlsCA,
		changed: func(i int, etag string, t time.Time) {
			out.send(hostMsg{Kind: "version", Agent: i, ETag: etag, Since: t.UnixNano()})
		}}
	agents := make([]*simAgent, len(first.Names))
	for i, name := range first.Names {
		if agents[i], err = newSimAgent(i, name, first.Tokens[i], dir, opts); err != nil {
			return err
		}
	}
	stats := func() *hostStats {
		st := &hostStats{Recorded: counters.recorded.Load(), Sent: counters.sent.Load(), Accepted: counters.accepted.Load(),
			Policy: counters.policy.counts(), Events: counters.events.counts(), Scan: counters.scans.counts()}
		for _, a := range agents {
			if a.pending() {
				st.Pending++
			}
		}
		for i := range svc.dials {
			st.Dials = append(st.Dials, svc.dials[i].Load())
		}
		return st
	}
	running, stopAgents := context.WithCancel(ctx)
	var agentsDone, generators sync.WaitGroup
	for _, a := range agents {
		agentsDone.Add(1)
		go func() { defer agentsDone.Done(); a.run(running) }()
	}
	out.send(hostMsg{Kind: "ready"})
	go func() {
		t := time.NewTicker(statsEvery)
		defer t.Stop()
		for {
			select {
			case <-running.Done():
				return
			case <-t.C:
				out.send(hostMsg{Kind: "stats", Stats: stats()})
			}
		}
	}()
	shapes := newEventShapes()
	for {
		var c hostCmd
		if err := in.Decode(&c); err != nil {
			if errors.Is(err, io.EOF) {
				break // the coordinator went away
			}
			stopAgents()
			return fmt.Errorf("agent host: %w", err)
		}
		if c.Cmd == "stop" {
			break
		}
		switch c.Cmd {
		case "load":
			loading, stop := context.WithTimeout(running, c.Duration)
			for _, a := range agents {
				generators.Add(1)
				go func() { defer generators.Done(); a.generate(loading, c.Every, c.PerAgent, shapes) }()
			}
			go func() { generators.Wait(); stop(); out.send(hostMsg{Kind: "loaded"}) }()
		case "deleted":
			svc.deleted(c.Replica)
		}
	}
	generators.Wait()
	stopAgents()
	agentsDone.Wait()
	final := hostMsg{Kind: "final", Stats: stats()}
	for _, a := range agents {
		final.Recorded = append(final.Recorded, a.recorded.Load())
	}
	svc.mu.Lock()
	final.Changes = svc.changes
	svc.mu.Unlock()
	out.send(final)
	return nil
}

// hostOut writes a host's messages, one line each, from many goroutines.
type hostOut struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (o *hostOut) send(m hostMsg) {
	o.mu.Lock()
	defer o.mu.Unlock()
	_ = o.enc.Encode(m) // a coordinator gone is noticed on standard input
}

// remoteAgent is the coordinator's view of an agent in a host.
type remoteAgent struct {
	cluster string

	mu    sync.Mutex
	etag  string
	since time.Time
	// recorded is what it recorded into its queue (known at the end).
	recorded int64
}

// version returns the ETag the agent enforces ("" before its first
// answer) and since when.
func (a *remoteAgent) version() (string, time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.etag, a.since
}

// agentHost is the coordinator's side of one host.
type agentHost struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	agents []*remoteAgent

	mu      sync.Mutex
	stats   hostStats
	changes []string
	// ready, loaded and final are signalled by the host's messages.
	ready  chan struct{}
	loaded chan struct{}
	final  chan struct{}
	// exited is closed when the host's output ended; exitErr says how.
	exited  chan struct{}
	exitErr error
}

// startHosts starts the hosts for agents (perHost each), giving each its
// share of names and tokens, and waits until they are ready.
func startHosts(ctx context.Context, cfg config, names, tokens []string) (*fleet, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	f := &fleet{}
	for lo := 0; lo < len(names); lo += cfg.perHost {
		hi := min(lo+cfg.perHost, len(names))
		h, err := startHost(ctx, exe, cfg, names[lo:hi], tokens[lo:hi])
		if err != nil {
			f.stop()
			return nil, err
		}
		f.hosts = append(f.hosts, h)
		f.agents = append(f.agents, h.agents...)
	}
	for _, h := range f.hosts {
		select {
		case <-h.ready:
		case <-h.exited:
			f.stop()
			return nil, fmt.Errorf("an agent host ended before its agents were made: %v", h.exitErr)
		case <-ctx.Done():
			f.stop()
			return nil, ctx.Err()
		}
	}
	return f, nil
}

func startHost(ctx context.Context, exe string, cfg config, names, tokens []string) (*agentHost, error) {
	args := []string{"-agent-host", "-consoles", strings.Join(cfg.replicas, ","), "-admin-token-file", cfg.adminTokenFile,
		"-state-dir", cfg.stateDir, "-sources", strconv.Itoa(cfg.sources), "-wait", cfg.wait.String(),
		"-scan-every", cfg.scanEvery.String(), "-scan-images", strconv.Itoa(cfg.scanImages),
		"-probe-period", cfg.probePeriod.String(), "-probe-timeout", cfg.probeTimeout.String(),
		"-probe-failures", strconv.Itoa(cfg.probeFailures), "-tls-ca", cfg.tlsCA}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start an agent host: %w", err)
	}
	h := &agentHost{cmd: cmd, stdin: stdin, ready: make(chan struct{}), loaded: make(chan struct{}, 1),
		final: make(chan struct{}), exited: make(chan struct{})}
	for _, n := range names {
		h.agents = append(h.agents, &remoteAgent{cluster: n})
	}
	go h.read(stdout)
	if err := h.send(hostCmd{Cmd: "agents", Names: names, Tokens: tokens}); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *agentHost) send(c hostCmd) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return json.NewEncoder(h.stdin).Encode(c)
}

// read follows the host's messages until it ends.
func (h *agentHost) read(stdout io.Reader) {
	dec := json.NewDecoder(bufio.NewReaderSize(stdout, 1<<16))
	for {
		var m hostMsg
		if err := dec.Decode(&m); err != nil {
			h.exitErr = errors.Join(err, h.cmd.Wait())
			close(h.exited)
			return
		}
		switch m.Kind {
		case "ready":
			close(h.ready)
		case "version":
			if m.Agent >= 0 && m.Agent < len(h.agents) {
				a := h.agents[m.Agent]
				a.mu.Lock()
				a.etag, a.since = m.ETag, time.Unix(0, m.Since)
				a.mu.Unlock()
			}
		case "stats":
			h.mu.Lock()
			h.stats = *m.Stats
			h.mu.Unlock()
		case "loaded":
			h.loaded <- struct{}{}
		case "final":
			h.mu.Lock()
			h.stats, h.changes = *m.Stats, m.Changes
			h.mu.Unlock()
			for i, n := range m.Recorded {
				if i < len(h.agents) {
					h.agents[i].mu.Lock()
					h.agents[i].recorded = n
					h.agents[i].mu.Unlock()
				}
			}
			close(h.final)
		}
	}
}

// fleet is the coordinator's view of all hosts and their agents.
type fleet struct {
	hosts  []*agentHost
	agents []*remoteAgent
}

// sum adds up the hosts' latest counters.
func (f *fleet) sum() hostStats {
	var s hostStats
	for _, h := range f.hosts {
		h.mu.Lock()
		st := h.stats
		h.mu.Unlock()
		s.Recorded += st.Recorded
		s.Sent += st.Sent
		s.Accepted += st.Accepted
		s.Pending += st.Pending
		s.Policy.add(st.Policy)
		s.Events.add(st.Events)
		s.Scan.add(st.Scan)
		for i, d := range st.Dials {
			if i >= len(s.Dials) {
				s.Dials = append(s.Dials, 0)
			}
			s.Dials[i] += d
		}
	}
	return s
}

// accepted is the events the console acknowledged, for sampleRate.
func (f *fleet) accepted() *fleetCount {
	return &fleetCount{f: f, get: func(s hostStats) int64 { return s.Accepted }}
}

// fleetCount is one of the fleet's counters as a Load()-er.
type fleetCount struct {
	f   *fleet
	get func(hostStats) int64
}

func (c *fleetCount) Load() int64 { return c.get(c.f.sum()) }

// load makes every host record events at rate (across the fleet) for d
// and waits until their generators stopped.
func (f *fleet) load(ctx context.Context, rate float64, every, d time.Duration) error {
	perAgent := rate / float64(len(f.agents))
	for _, h := range f.hosts {
		if err := h.send(hostCmd{Cmd: "load", PerAgent: perAgent, Every: every, Duration: d}); err != nil {
			return err
		}
	}
	for _, h := range f.hosts {
		select {
		case <-h.loaded:
		case <-h.exited:
			return fmt.Errorf("an agent host ended during the load: %v", h.exitErr)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// deleted tells every host that replica i left the Service.
func (f *fleet) deleted(i int) {
	for _, h := range f.hosts {
		_ = h.send(hostCmd{Cmd: "deleted", Replica: i})
	}
}

// pending is how many agents' queues hold events not delivered, as of
// the hosts' last reports.
func (f *fleet) pending() int { return f.sum().Pending }

// stop ends every host and waits for their final counts.
func (f *fleet) stop() {
	for _, h := range f.hosts {
		_ = h.send(hostCmd{Cmd: "stop"})
		h.stdin.Close()
	}
	for _, h := range f.hosts {
		<-h.exited
		select {
		case <-h.final:
		default:
			fmt.Printf("an agent host ended without its final counts: %v\n", h.exitErr)
		}
	}
}

// pids are the hosts' processes.
func (f *fleet) pids() []int {
	var out []int
	for _, h := range f.hosts {
		out = append(out, h.cmd.Process.Pid)
	}
	return out
}

// changes are the endpoint changes the hosts' Service models saw.
func (f *fleet) changes() []string {
	var out []string
	for i, h := range f.hosts {
		h.mu.Lock()
		for _, c := range h.changes {
			out = append(out, fmt.Sprintf("host %d: %s", i+1, c))
		}
		h.mu.Unlock()
	}
	return out
}

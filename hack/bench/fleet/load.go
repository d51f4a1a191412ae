package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// loadResult is what the load phase measured.
type loadResult struct {
	start    time.Time
	took     time.Duration
	recorded int64
	accepted int64
	// perSecond are the events accepted in each second of the phase.
	perSecond []int64
	rounds    []roundResult
	queries   *queryLoad
	killed    string
	procs     *processes
	// generatorsLate is how long after the end the last generator
	// stopped (a starved simulator).
	generatorsLate time.Duration
}

// runLoad records events at cfg.rate, asks queries and edits the policy
// every cfg.propagateEvery for cfg.duration; with cfg.killPID it signals
// that replica at cfg.killAfter.
func runLoad(ctx context.Context, cfg config, svc *service, ed *editor, fl *fleet,
	shapes *eventShapes, names []string, token string) (*loadResult, error) {
	before := fl.sum()
	res := &loadResult{start: time.Now()}
	loading, stop := context.WithTimeout(ctx, cfg.duration)
	defer stop()
	var wg sync.WaitGroup
	generators := make(chan error, 1)
	go func() { generators <- fl.load(ctx, cfg.rate, cfg.eventEvery, cfg.duration) }()
	// A UI user reaches the console through the Service too.
	viewerTransport := svc.transport()
	if err := trust(viewerTransport, cfg.tlsCA); err != nil {
		return nil, err
	}
	viewer := &admin{base: scheme + "://" + serviceHost, token: token, hc: &http.Client{Timeout: 30 * time.Second, Transport: viewerTransport}}
	res.queries = newQueryLoad(viewer, names, shapes)
	res.procs = newProcesses(cfg.pids, cfg.postgresPID, fl.pids())
	wg.Add(3)
	go func() { defer wg.Done(); res.queries.run(ctx, loading, cfg.queryRate) }()
	go func() { defer wg.Done(); res.procs.watch(loading) }()
	go func() {
		defer wg.Done()
		res.perSecond = sampleRate(loading, fl.accepted())
	}()
	if cfg.killPID != 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.killed = killAfter(loading, cfg, svc, fl)
		}()
	}
	edits := make(chan error, 1)
	go func() { edits <- ed.every(ctx, loading, res, cfg.propagateEvery, cfg.duration) }()
	<-loading.Done()
	res.took = time.Since(res.start)
	res.accepted = fl.sum().Accepted - before.Accepted
	// A generator records what was due up to the end, so the count is
	// the rate's whatever the delay.
	if err := <-generators; err != nil {
		return nil, err
	}
	res.generatorsLate = time.Since(res.start) - res.took
	// The hosts' counts as of their next report.
	time.Sleep(2 * statsEvery)
	res.recorded = fl.sum().Recorded - before.Recorded
	wg.Wait()
	if err := <-edits; err != nil {
		return nil, err
	}
	return res, ctx.Err()
}

// every edits the policy every period from the start of the load phase
// for its duration, waiting for each edit to reach the fleet (or time
// out) before the next; an edit due after loading ended is not made.
func (e *editor) every(ctx, loading context.Context, res *loadResult, period, duration time.Duration) error {
	if period <= 0 {
		return nil
	}
	for next := period; next < duration; next += period {
		select {
		case <-loading.Done():
		case <-time.After(time.Until(res.start.Add(next))):
		}
		if loading.Err() != nil {
			return nil
		}
		r, err := e.propagate(ctx)
		if err != nil {
			return err
		}
		r.at = r.t0.Sub(res.start)
		res.rounds = append(res.rounds, r)
	}
	return nil
}

func (r *loadResult) String() string {
	var b strings.Builder
	secs := r.took.Seconds()
	fmt.Fprintf(&b, "load phase: %s; machine load %s\n", round(r.took), loadavg())
	fmt.Fprintf(&b, "  events recorded: %d (%.0f/s); accepted by the console: %d (%.0f/s)\n", r.recorded, float64(r.recorded)/secs, r.accepted, float64(r.accepted)/secs)
	if r.generatorsLate > time.Second {
		fmt.Fprintf(&b, "  (the simulator was starved: its last generator stopped %s late)\n", round(r.generatorsLate))
	}
	if s := perSecondSummary(r.perSecond); s != "" {
		fmt.Fprintf(&b, "  accepted per second: %s\n", s)
	}
	if r.killed != "" {
		fmt.Fprintf(&b, "  %s\n", r.killed)
	}
	for _, rd := range r.rounds {
		fmt.Fprintf(&b, "  policy edit at %s: %s\n", round(rd.at), rd)
	}
	fmt.Fprintf(&b, "  queries GET /api/v1/events: %s, failed %d%s\n", r.queries.all.summary(), r.queries.failed.Load(), r.queries.errors.String())
	for _, l := range r.queries.report() {
		fmt.Fprintf(&b, "    %s\n", l)
	}
	fmt.Fprintf(&b, "  %s\n", r.procs)
	return b.String()
}

// roundResult is one policy edit's propagation.
type roundResult struct {
	t0  time.Time
	at  time.Duration // T0, into the load phase
	put time.Duration // the admin's PUT
	lat summary
	got int
	all int
	// versions counts the distinct new versions the agents got (1).
	versions int
}

func (r roundResult) String() string {
	return fmt.Sprintf("%d of %d agents got it (%d version); PUT %s; T0→agent %s", r.got, r.all, r.versions, round(r.put), r.lat)
}

// editor edits the policy every fleet cluster shares, at one replica, and
// measures how each edit reaches the agents.
type editor struct {
	adm     *admin
	agents  []*remoteAgent
	timeout time.Duration
	edits   int
}

// propagate edits the fleet policy at T0 and waits until every agent's
// long poll has returned a version other than the one it had, up to
// timeout; the latencies are from T0 to each agent's return.
func (e *editor) propagate(ctx context.Context) (roundResult, error) {
	old := make([]string, len(e.agents))
	for i, a := range e.agents {
		old[i], _ = a.version()
	}
	e.edits++
	t0 := time.Now()
	if err := e.adm.putPolicy(ctx, e.edits); err != nil {
		return roundResult{}, fmt.Errorf("policy edit: %w", err)
	}
	res := roundResult{t0: t0, put: time.Since(t0), all: len(e.agents)}
	for {
		moved := 0
		for i, a := range e.agents {
			if v, _ := a.version(); v != old[i] {
				moved++
			}
		}
		if moved == len(e.agents) || time.Since(t0) > e.timeout || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var lat []time.Duration
	versions := map[string]bool{}
	for i, a := range e.agents {
		if v, since := a.version(); v != old[i] {
			lat = append(lat, since.Sub(t0))
			versions[v] = true
		}
	}
	res.lat, res.got, res.versions = summarize(lat), len(lat), len(versions)
	return res, ctx.Err()
}

// sampleRate returns the increase of n in each second until ctx ends.
func sampleRate(ctx context.Context, n interface{ Load() int64 }) []int64 {
	var out []int64
	last := n.Load()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return out
		case <-t.C:
			v := n.Load()
			out = append(out, v-last)
			last = v
		}
	}
}

// killAfter signals the replica cfg.killPID with cfg.killSignal after
// cfg.killAfter, unless ctx ends first, and says what it did. SIGTERM
// stands for deleting the replica's pod, which takes it out of the
// Service at the same time.
func killAfter(ctx context.Context, cfg config, svc *service, fl *fleet) string {
	select {
	case <-ctx.Done():
		return ""
	case <-time.After(cfg.killAfter):
	}
	sig := syscall.SIGKILL
	if cfg.killSignal == "TERM" {
		sig = syscall.SIGTERM
		svc.deleted(slices.Index(cfg.pids, cfg.killPID))
		fl.deleted(slices.Index(cfg.pids, cfg.killPID))
	}
	if err := syscall.Kill(cfg.killPID, sig); err != nil {
		return fmt.Sprintf("could not signal replica pid %d: %v", cfg.killPID, err)
	}
	return fmt.Sprintf("replica pid %d sent SIG%s at %s (%s)", cfg.killPID, cfg.killSignal, round(cfg.killAfter), time.Now().Format("15:04:05.000"))
}

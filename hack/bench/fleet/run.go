package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// run is the whole simulation: set-up, an idle policy edit, the load
// phase, the drain, and the counts.
func run(ctx context.Context, cfg config) error {
	token, err := readToken(cfg.adminTokenFile)
	if err != nil {
		return err
	}
	svc := newService(cfg.replicas, cfg.sources)
	svc.install()
	if err := svc.waitReady(ctx, time.Minute); err != nil {
		return err
	}
	probing, stopProbing := context.WithCancel(ctx)
	defer stopProbing()
	svc.probe(probing, cfg.probePeriod, cfg.probeTimeout, cfg.probeFailures)

	adminTransport := http.DefaultTransport.(*http.Transport).Clone()
	adminTransport.MaxIdleConnsPerHost = cfg.registerConcur
	adm := &admin{base: "http://" + cfg.replicas[0], token: token, hc: &http.Client{Timeout: time.Minute, Transport: adminTransport}}
	names := make([]string, cfg.agents)
	for i := range names {
		names[i] = fmt.Sprintf("fleet-%05d", i+1)
	}
	shapes := newEventShapes()
	fmt.Printf("fleet: %d agents, %d console replicas (%s), machine load %s\n", cfg.agents, len(cfg.replicas), strings.Join(cfg.replicas, ", "), loadavg())

	if err := adm.putPolicy(ctx, 0); err != nil {
		return err
	}
	start := time.Now()
	tokens, err := adm.register(ctx, names, cfg.registerConcur)
	if err != nil {
		return fmt.Errorf("register clusters: %w", err)
	}
	took := time.Since(start)
	fmt.Printf("registered %d clusters in %s (%.0f/s, %d at a time)\n", len(names), round(took), float64(len(names))/took.Seconds(), cfg.registerConcur)
	if cfg.preload > 0 {
		start = time.Now()
		if err := preload(ctx, cfg.database, names, shapes, cfg.preload, progress); err != nil {
			return err
		}
		took = time.Since(start)
		fmt.Printf("preloaded %d events in %s (%.0f/s)\n", cfg.preload, round(took), float64(cfg.preload)/took.Seconds())
	}

	dir, err := os.MkdirTemp(cfg.stateDir, "palisade-fleet-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	counters := &fleetCounters{}
	opts := &agentOptions{wait: cfg.wait, scanEvery: cfg.scanEvery, scanImages: cfg.scanImages, counters: counters}
	agents := make([]*simAgent, len(names))
	for i, name := range names {
		if agents[i], err = newSimAgent(name, tokens[i], dir, opts); err != nil {
			return err
		}
	}
	running, stopAgents := context.WithCancel(ctx)
	var agentsDone sync.WaitGroup
	defer func() { stopAgents(); agentsDone.Wait() }()
	start = time.Now()
	for _, a := range agents {
		agentsDone.Add(1)
		go func() { defer agentsDone.Done(); a.run(running) }()
	}
	if n := waitConnected(ctx, agents, cfg.roundTimeout); n < len(agents) {
		return fmt.Errorf("only %d of %d agents got their first policy within %s", n, len(agents), cfg.roundTimeout)
	}
	fmt.Printf("all %d agents long-polling after %s\n", len(agents), round(time.Since(start)))

	ed := &editor{adm: adm, agents: agents, timeout: cfg.roundTimeout}
	idle, err := ed.propagate(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("policy edit, fleet idle: %s\n", idle)

	load, err := runLoad(ctx, cfg, svc, ed, counters, shapes, names, token)
	if err != nil {
		return err
	}
	fmt.Print(load)

	drained, err := waitDrained(ctx, agents, cfg.drainTimeout)
	if err != nil {
		fmt.Printf("drain: %v\n", err)
	} else {
		fmt.Printf("queues drained %s after the load phase\n", round(drained))
	}
	latest, _ := agents[0].version()
	if err := checkClusters(ctx, adm, names, latest, load.start); err != nil {
		fmt.Printf("clusters: %v\n", err)
	}
	stopAgents()
	agentsDone.Wait()

	fmt.Printf("policy polls: %s\n", &counters.policy)
	fmt.Printf("event deliveries: %s\n", &counters.events)
	fmt.Printf("scan-result syncs: %s\n", &counters.scans)
	fmt.Printf("connections per replica: %s\n", svc)
	return countEvents(ctx, cfg.database, agents, counters, load.start)
}

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
}

// runLoad records events at cfg.rate, asks queries and edits the policy
// every cfg.propagateEvery for cfg.duration; with cfg.killPID it signals
// that replica at cfg.killAfter.
func runLoad(ctx context.Context, cfg config, svc *service, ed *editor, counters *fleetCounters,
	shapes *eventShapes, names []string, token string) (*loadResult, error) {
	agents := ed.agents
	res := &loadResult{start: time.Now()}
	loading, stop := context.WithTimeout(ctx, cfg.duration)
	defer stop()
	var generators, wg sync.WaitGroup
	perAgent := cfg.rate / float64(len(agents))
	for _, a := range agents {
		generators.Add(1)
		go func() { defer generators.Done(); a.generate(loading, cfg.eventEvery, perAgent, shapes) }()
	}
	// A UI user reaches the console through the Service too.
	viewer := &admin{base: "http://" + serviceHost, token: token, hc: &http.Client{Timeout: 30 * time.Second, Transport: svc.transport()}}
	res.queries = newQueryLoad(viewer, names, shapes)
	res.procs = newProcesses(cfg.pids, cfg.postgresPID)
	wg.Add(3)
	go func() { defer wg.Done(); res.queries.run(ctx, loading, cfg.queryRate) }()
	go func() { defer wg.Done(); res.procs.watch(loading) }()
	recorded0, accepted0 := counters.recorded.Load(), counters.accepted.Load()
	go func() {
		defer wg.Done()
		res.perSecond = sampleRate(loading, &counters.accepted)
	}()
	if cfg.killPID != 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res.killed = killAfter(loading, cfg, svc)
		}()
	}
	edits := make(chan error, 1)
	go func() { edits <- ed.every(ctx, loading, res, cfg.propagateEvery) }()
	generators.Wait()
	res.took = time.Since(res.start)
	res.recorded, res.accepted = counters.recorded.Load()-recorded0, counters.accepted.Load()-accepted0
	wg.Wait()
	if err := <-edits; err != nil {
		return nil, err
	}
	return res, ctx.Err()
}

// every edits the policy every period from the start of the load phase
// until loading ends, waiting for each edit to reach the fleet (or time
// out) before the next.
func (e *editor) every(ctx, loading context.Context, res *loadResult, period time.Duration) error {
	if period <= 0 {
		return nil
	}
	for next := period; ; next += period {
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
}

func (r *loadResult) String() string {
	var b strings.Builder
	secs := r.took.Seconds()
	fmt.Fprintf(&b, "load phase: %s; machine load %s\n", round(r.took), loadavg())
	fmt.Fprintf(&b, "  events recorded: %d (%.0f/s); accepted by the console: %d (%.0f/s)\n", r.recorded, float64(r.recorded)/secs, r.accepted, float64(r.accepted)/secs)
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
	agents  []*simAgent
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

// waitConnected waits until every agent has a policy version, up to
// timeout, and returns how many have one.
func waitConnected(ctx context.Context, agents []*simAgent, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		n := 0
		for _, a := range agents {
			if v, _ := a.version(); v != "" {
				n++
			}
		}
		if n == len(agents) || time.Now().After(deadline) || ctx.Err() != nil {
			return n
		}
		time.Sleep(50 * time.Millisecond)
	}
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
func killAfter(ctx context.Context, cfg config, svc *service) string {
	select {
	case <-ctx.Done():
		return ""
	case <-time.After(cfg.killAfter):
	}
	sig := syscall.SIGKILL
	if cfg.killSignal == "TERM" {
		sig = syscall.SIGTERM
		svc.deleted(slices.Index(cfg.pids, cfg.killPID))
	}
	if err := syscall.Kill(cfg.killPID, sig); err != nil {
		return fmt.Sprintf("could not signal replica pid %d: %v", cfg.killPID, err)
	}
	return fmt.Sprintf("replica pid %d sent SIG%s at %s (%s)", cfg.killPID, cfg.killSignal, round(cfg.killAfter), time.Now().Format("15:04:05.000"))
}

// checkClusters reads GET /api/v1/clusters: every fleet cluster should
// report the latest policy version as the one its agent enforces, and have
// been seen since the load phase began.
func checkClusters(ctx context.Context, adm *admin, names []string, latest string, since time.Time) error {
	cs, err := adm.clusters(ctx)
	if err != nil {
		return err
	}
	fleet := make(map[string]bool, len(names))
	for _, n := range names {
		fleet[n] = true
	}
	var listed, current, seen int
	for _, c := range cs {
		if !fleet[c.Name] {
			continue
		}
		listed++
		if c.AgentPolicy == latest {
			current++
		}
		if c.LastSeen != nil && !c.LastSeen.Before(since) {
			seen++
		}
	}
	fmt.Printf("clusters (GET /api/v1/clusters): %d listed; %d report the latest version as enforced; %d seen during the run\n", listed, current, seen)
	return nil
}

// countEvents compares what every agent recorded with what the database
// holds for its cluster since the load phase began.
func countEvents(ctx context.Context, databaseURL string, agents []*simAgent, c *fleetCounters, since time.Time) error {
	fmt.Printf("events: recorded %d; in delivery attempts %d (%d in attempts that failed, retried); acknowledged %d\n",
		c.recorded.Load(), c.sent.Load(), c.sent.Load()-c.accepted.Load(), c.accepted.Load())
	if databaseURL == "" {
		fmt.Println("events stored: not counted (no -database)")
		return nil
	}
	stored, total, err := storedSince(ctx, databaseURL, since)
	if err != nil {
		return fmt.Errorf("count stored events: %w", err)
	}
	var sum, lost, extra int64
	var wrong int
	for _, a := range agents {
		rec, got := a.recorded.Load(), stored[a.cluster]
		sum += got
		if got != rec {
			wrong++
			lost += max(rec-got, 0)
			extra += max(got-rec, 0)
		}
	}
	fmt.Printf("events stored (database): %d of %d recorded; missing %d, extra %d; clusters that differ %d; table holds %d events\n",
		sum, c.recorded.Load(), lost, extra, wrong, total)
	return nil
}

// perSecondSummary describes per-second counts: their median, minimum and
// maximum, leaving out the first and last second (partial).
func perSecondSummary(s []int64) string {
	if len(s) > 2 {
		s = s[1 : len(s)-1]
	}
	if len(s) == 0 {
		return ""
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return fmt.Sprintf("median %d, min %d, max %d (%d seconds)", s[(len(s)-1)/2], s[0], s[len(s)-1], len(s))
}

func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("-admin-token-file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// loadavg is the machine's 1-, 5- and 15-minute load averages.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ") + fmt.Sprintf(" (%d cores)", runtime.NumCPU())
}

func progress(msg string) {
	fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), msg)
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
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
	if err := trust(adminTransport, cfg.tlsCA); err != nil {
		return err
	}
	adm := &admin{base: scheme + "://" + cfg.replicas[0], token: token, hc: &http.Client{Timeout: time.Minute, Transport: adminTransport}}
	names := make([]string, cfg.agents)
	for i := range names {
		names[i] = fmt.Sprintf("fleet-%05d", i+1)
	}
	shapes := newEventShapes()
	fmt.Printf("fleet: %d agents, %d console replicas (%s), machine load %s\n", cfg.agents, len(cfg.replicas), strings.Join(cfg.replicas, ", "), loadavg())
	tokens, err := setUp(ctx, cfg, adm, names, shapes)
	if err != nil {
		return err
	}

	start := time.Now()
	fl, err := startHosts(ctx, cfg, names, tokens)
	if err != nil {
		return err
	}
	stopped := false
	stopHosts := func() {
		if !stopped {
			stopped = true
			fl.stop()
		}
	}
	defer stopHosts()
	fmt.Printf("%d agents made in %d agent hosts (%d each at most) in %s\n", len(names), len(fl.hosts), cfg.perHost, round(time.Since(start)))
	agents := fl.agents
	if n := waitConnected(ctx, agents, cfg.roundTimeout); n < len(agents) {
		fmt.Printf("policy polls: %s\n", fl.sum().Policy)
		return fmt.Errorf("only %d of %d agents got their first policy within %s", n, len(agents), cfg.roundTimeout)
	}
	fmt.Printf("all %d agents long-polling after %s\n", len(agents), round(time.Since(start)))

	ed := &editor{adm: adm, agents: agents, timeout: cfg.roundTimeout}
	idle, err := ed.propagate(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("policy edit, fleet idle: %s\n", idle)
	load, err := runLoad(ctx, cfg, svc, ed, fl, shapes, names, token)
	if err != nil {
		return err
	}
	fmt.Print(load)

	drained, err := waitDrained(ctx, fl, cfg.drainTimeout)
	if err != nil {
		fmt.Printf("drain: %v\n", err)
	} else {
		fmt.Printf("queues drained %s after the load phase\n", round(drained))
	}
	latest, _ := agents[0].version()
	if err := checkClusters(ctx, adm, names, latest, load.start, cfg.roundTimeout); err != nil {
		fmt.Printf("clusters: %v\n", err)
	}
	stopHosts()
	total := fl.sum()
	fmt.Printf("policy polls: %s\n", total.Policy)
	fmt.Printf("event deliveries: %s\n", total.Events)
	fmt.Printf("scan-result syncs: %s\n", total.Scan)
	fmt.Printf("connections per replica (the agents'): %v\n", total.Dials)
	fmt.Printf("the coordinator's Service model: %s\n", svc)
	if ch := fl.changes(); len(ch) > 0 {
		fmt.Printf("  the agent hosts' endpoint changes:\n    %s\n", strings.Join(ch, "\n    "))
	}
	return countEvents(ctx, cfg.database, agents, total, load.start)
}

// setUp stores the fleet policy, registers the clusters names (returning
// their agent tokens) and, with cfg.preload, stores old events.
func setUp(ctx context.Context, cfg config, adm *admin, names []string, shapes *eventShapes) ([]string, error) {
	if err := adm.putPolicy(ctx, 0); err != nil {
		return nil, err
	}
	start := time.Now()
	tokens, err := adm.register(ctx, names, cfg.registerConcur)
	if err != nil {
		return nil, fmt.Errorf("register clusters: %w", err)
	}
	took := time.Since(start)
	fmt.Printf("registered %d clusters in %s (%.0f/s, %d at a time)\n", len(names), round(took), float64(len(names))/took.Seconds(), cfg.registerConcur)
	if cfg.preload > 0 {
		start = time.Now()
		if err := preload(ctx, cfg.database, names, shapes, cfg.preload, progress); err != nil {
			return nil, err
		}
		took = time.Since(start)
		fmt.Printf("preloaded %d events in %s (%.0f/s)\n", cfg.preload, round(took), float64(cfg.preload)/took.Seconds())
	}
	return tokens, nil
}

// waitConnected waits until every agent has a policy version, up to
// timeout, and returns how many have one.
func waitConnected(ctx context.Context, agents []*remoteAgent, timeout time.Duration) int {
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

// checkClusters reads GET /api/v1/clusters until every fleet cluster
// reports the latest policy version as the one its agent enforces (an
// agent reports it at its next poll), up to timeout, and says how many
// did, and how many were seen since the load phase began.
func checkClusters(ctx context.Context, adm *admin, names []string, latest string, since time.Time, timeout time.Duration) error {
	fleet := make(map[string]bool, len(names))
	for _, n := range names {
		fleet[n] = true
	}
	start := time.Now()
	for {
		cs, err := adm.clusters(ctx)
		if err != nil {
			return err
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
		if current == len(names) || time.Since(start) > timeout || ctx.Err() != nil {
			fmt.Printf("clusters (GET /api/v1/clusters): %d listed; %d report the latest version as enforced (%s after the check began); %d seen during the run\n",
				listed, current, round(time.Since(start)), seen)
			return ctx.Err()
		}
		time.Sleep(time.Second)
	}
}

// countEvents compares what every agent recorded with what the database
// holds for its cluster since the load phase began.
func countEvents(ctx context.Context, databaseURL string, agents []*remoteAgent, c hostStats, since time.Time) error {
	fmt.Printf("events: recorded %d; in delivery attempts %d (%d in attempts that failed, retried); acknowledged %d\n",
		c.Recorded, c.Sent, c.Sent-c.Accepted, c.Accepted)
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
		a.mu.Lock()
		rec := a.recorded
		a.mu.Unlock()
		got := stored[a.cluster]
		sum += got
		if got != rec {
			wrong++
			lost += max(rec-got, 0)
			extra += max(got-rec, 0)
		}
	}
	fmt.Printf("events stored (database): %d of %d recorded; missing %d, extra %d; clusters that differ %d; table holds %d events\n",
		sum, c.Recorded, lost, extra, wrong, total)
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

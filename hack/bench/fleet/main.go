// Command fleet simulates a fleet of managed agents against running
// console replicas (issue 19): -agents clusters are registered through the
// admin API, and each simulated agent drives the real client code of
// `palisade agent --console` with its own token: the policy long poll with
// its ETag (reporting the version it enforces), events recorded into the
// real durable queue (a directory per agent) and delivered from it, and
// the periodic scan-result sync. The agents reach the replicas through a
// model of a Kubernetes Service (service.go).
//
// It measures, and prints:
//   - policy propagation: the admin edits the policy every cluster shares,
//     at one replica, at T0; each agent notes when its long poll returned
//     the new version; p50/p99/max over the fleet and how many got it;
//   - ingest: events accepted per second; recorded, sent and stored (from
//     the database: none lost, none twice);
//   - queries under that ingest: GET /api/v1/events with the UI's
//     filters, p50/p99;
//   - with -kill-pid: one replica killed (SIGKILL, or SIGTERM for a
//     rolling upgrade) mid-run; calls that failed, calls that needed one
//     retry or more, and the event count again.
//
// hack/bench/fleet.sh starts PostgreSQL and the replicas, runs it and
// tears everything down; docs/performance.md ("Console fleet") has the
// commands and the numbers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/palisade-dev/palisade/internal/platform/devcert"
)

// config is the simulator's typed configuration.
type config struct {
	replicas       []string // host:port of each console replica
	adminTokenFile string
	database       string // PostgreSQL URL, for -preload and the event count

	agents    int
	perHost   int // agents per agent host (host.go)
	agentHost bool
	// tlsCA is the CA of the consoles' serving certificate: set, every
	// call is HTTPS (and HTTP/2, as Go's client does over TLS).
	tlsCA          string
	registerConcur int
	stateDir       string
	sources        int

	duration       time.Duration // the load phase
	rate           float64       // events/s recorded across the fleet
	eventEvery     time.Duration // how often each agent records its share
	wait           time.Duration // long poll
	propagateEvery time.Duration
	roundTimeout   time.Duration
	queryRate      float64
	scanEvery      time.Duration
	scanImages     int
	preload        int
	drainTimeout   time.Duration
	// The modelled readiness probe (the chart's: 5s, 3s, 3).
	probePeriod, probeTimeout time.Duration
	probeFailures             int

	// pids are the replicas' processes, postgresPID the postmaster,
	// watched during the load phase.
	pids        []int
	postgresPID int

	killPID    int
	killSignal string
	killAfter  time.Duration
}

func (c *config) validate() error {
	var errs []error
	if len(c.replicas) == 0 {
		errs = append(errs, errors.New("-consoles is required (host:port,host:port...)"))
	}
	if c.adminTokenFile == "" {
		errs = append(errs, errors.New("-admin-token-file is required"))
	}
	if c.agents < 1 || c.perHost < 1 {
		errs = append(errs, errors.New("-agents and -per-host must be at least 1"))
	}
	if c.registerConcur < 1 {
		errs = append(errs, errors.New("-register-concurrency must be at least 1"))
	}
	if c.sources < 1 || c.sources > 250 {
		errs = append(errs, errors.New("-sources must be 1 to 250"))
	}
	if c.duration <= 0 || c.eventEvery <= 0 || c.wait <= 0 || c.roundTimeout <= 0 || c.probePeriod <= 0 || c.probeTimeout <= 0 || c.probeFailures < 1 {
		errs = append(errs, errors.New("-d, -event-every, -wait, -round-timeout, -probe-period, -probe-timeout and -probe-failures must be positive"))
	}
	if c.rate < 0 || c.queryRate < 0 {
		errs = append(errs, errors.New("-rate and -query-rate must not be negative"))
	}
	if c.preload > 0 && c.database == "" {
		errs = append(errs, errors.New("-preload needs -database"))
	}
	if c.killPID != 0 {
		if c.killSignal != "KILL" && c.killSignal != "TERM" {
			errs = append(errs, fmt.Errorf("-kill-signal %q: want KILL or TERM", c.killSignal))
		}
		if c.killAfter <= 0 || c.killAfter >= c.duration {
			errs = append(errs, errors.New("-kill-replica-after must be within the load phase (-d)"))
		}
		if i := slices.Index(c.pids, c.killPID); i < 1 {
			errs = append(errs, errors.New("-kill-pid must be one of -pids, not the first"))
		}
	}
	return errors.Join(errs...)
}

func main() {
	var cfg config
	var consoles string
	flag.StringVar(&consoles, "consoles", "", "the console replicas, host:port,host:port... (the admin talks to the first)")
	flag.StringVar(&cfg.adminTokenFile, "admin-token-file", "", "the consoles' admin token file")
	flag.StringVar(&cfg.database, "database", "", "the consoles' PostgreSQL URL: for -preload and for counting the events stored (skipped without it)")
	flag.IntVar(&cfg.agents, "agents", 10000, "simulated agents (clusters fleet-00001...)")
	flag.IntVar(&cfg.perHost, "per-host", 2500, "agents per agent host process: each agent holds up to four descriptors (its queue, three connections), and a process may hold only as many as its hard limit (20,000 here)")
	flag.StringVar(&cfg.tlsCA, "tls-ca", "", "the CA file of the consoles' serving certificate (for console.fleet.invalid and 127.0.0.1): the agents and the admin speak HTTPS, as over the chart's TLS (default: plain HTTP)")
	var writeCert string
	flag.StringVar(&writeCert, "write-cert", "", "write a CA and a serving certificate for the consoles into this folder and exit (fleet.sh's FLEET_TLS)")
	flag.BoolVar(&cfg.agentHost, "agent-host", false, "run as an agent host for a coordinating simulator (it starts them; not for use by hand)")
	flag.IntVar(&cfg.registerConcur, "register-concurrency", 16, "clusters registered at once")
	flag.StringVar(&cfg.stateDir, "state-dir", defaultStateDir(), "where the agents' event queues go (a folder made and removed in it)")
	flag.IntVar(&cfg.sources, "sources", 8, "loopback source addresses (127.0.0.1...) the agents' connections leave from")
	flag.DurationVar(&cfg.duration, "d", 60*time.Second, "the load phase: events, queries, scan syncs and policy edits")
	flag.Float64Var(&cfg.rate, "rate", 20000, "events per second recorded across the fleet during the load phase")
	flag.DurationVar(&cfg.eventEvery, "event-every", 5*time.Second, "how often each agent records its share of -rate (as one burst)")
	flag.DurationVar(&cfg.wait, "wait", 30*time.Second, "the agents' long poll (the agent's is 30s)")
	flag.DurationVar(&cfg.propagateEvery, "propagate-every", 15*time.Second, "policy edits during the load phase, this far apart (0: none); one more comes before it, with the fleet idle")
	flag.DurationVar(&cfg.roundTimeout, "round-timeout", 45*time.Second, "how long a policy edit may take to reach every agent")
	flag.Float64Var(&cfg.queryRate, "query-rate", 10, "GET /api/v1/events per second during the load phase")
	flag.DurationVar(&cfg.scanEvery, "scan-every", time.Minute, "each agent's scan-result sync (the agent's is 1m; 0: none)")
	flag.IntVar(&cfg.scanImages, "scan-images", 20, "images each scan-result sync asks about")
	flag.IntVar(&cfg.preload, "preload", 0, "events stored through the console's store before the run, dated over the last 30 days")
	flag.DurationVar(&cfg.drainTimeout, "drain-timeout", 2*time.Minute, "how long the queues may take to deliver what is left after the load phase")
	flag.DurationVar(&cfg.probePeriod, "probe-period", 5*time.Second, "the replicas' readiness probe period, as the chart sets it")
	flag.DurationVar(&cfg.probeTimeout, "probe-timeout", 3*time.Second, "the readiness probe's timeout, as the chart sets it")
	flag.IntVar(&cfg.probeFailures, "probe-failures", 3, "failed probes in a row that take a replica out of the Service, as the chart sets it")
	var pids string
	flag.StringVar(&pids, "pids", "", "the replicas' process IDs, in -consoles order, to report their CPU, descriptors and memory")
	flag.IntVar(&cfg.postgresPID, "postgres-pid", 0, "the PostgreSQL postmaster's process ID, to report the CPU it and its backends use")
	flag.IntVar(&cfg.killPID, "kill-pid", 0, "a console replica's process (one of -pids, not the first: the admin's) to signal during the load phase")
	flag.StringVar(&cfg.killSignal, "kill-signal", "KILL", "KILL (a crash), or TERM (a rolling upgrade: its pod is deleted, so it leaves the Service at once; start the replica with --shutdown-delay)")
	flag.DurationVar(&cfg.killAfter, "kill-replica-after", 0, "when in the load phase to signal -kill-pid")
	flag.Parse()
	if writeCert != "" {
		if _, err := devcert.WriteServing(writeCert, 24*time.Hour, serviceName, "127.0.0.1"); err != nil {
			fmt.Fprintln(os.Stderr, "fleet:", err)
			os.Exit(1)
		}
		return
	}
	for _, r := range strings.Split(consoles, ",") {
		if r = strings.TrimSpace(r); r != "" {
			cfg.replicas = append(cfg.replicas, r)
		}
	}
	for _, p := range strings.Split(pids, ",") {
		if p = strings.TrimSpace(p); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil {
				fmt.Fprintf(os.Stderr, "fleet: -pids: %q is not a process ID\n", p)
				os.Exit(2)
			}
			cfg.pids = append(cfg.pids, n)
		}
	}
	if cfg.tlsCA != "" {
		scheme = "https"
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.agentHost {
		if err := runHost(ctx, cfg); err != nil {
			fmt.Fprintln(os.Stderr, "fleet:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		os.Exit(1)
	}
}

// defaultStateDir is /dev/shm when there is one: ten thousand queues'
// fsyncs would measure this machine's disk, not the console (each real
// agent has a disk of its own).
func defaultStateDir() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

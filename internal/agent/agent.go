package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/palisade-dev/palisade/internal/console/agentclient"
	"github.com/palisade-dev/palisade/internal/core/engine"
	"github.com/palisade-dev/palisade/internal/core/event"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/enforce/admission"
	"github.com/palisade-dev/palisade/internal/enforce/containment"
	"github.com/palisade-dev/palisade/internal/enforce/continuous"
	"github.com/palisade-dev/palisade/internal/enforce/policyreport"
	"github.com/palisade-dev/palisade/internal/enforce/responder"
	"github.com/palisade-dev/palisade/internal/enforce/segmentation"
	"github.com/palisade-dev/palisade/internal/enforce/webhook"
	"github.com/palisade-dev/palisade/internal/platform/clientcert"
	"github.com/palisade-dev/palisade/internal/platform/edge"
	"github.com/palisade-dev/palisade/internal/platform/eventqueue"
	"github.com/palisade-dev/palisade/internal/platform/redact"
	"github.com/palisade-dev/palisade/internal/supply/scanreport"
	"github.com/palisade-dev/palisade/internal/supply/signature"
)

// Config is the agent's typed configuration, loaded once in cmd.
type Config struct {
	Listen      string
	TLSCertFile string
	TLSKeyFile  string
	PolicyFile  string
	EventsFile  string
	// LogEvents also writes every event to the log (message "event").
	LogEvents    bool
	Cluster      string
	PollInterval time.Duration

	// MetricsListen, when set, also serves /metrics there, plain HTTP and
	// without a token, for Prometheus (it stays on Listen's HTTPS too).
	MetricsListen string
	// MaxConnsPerClient caps the connections one client address holds on
	// each listener (edge.Limits); 0 is no cap.
	MaxConnsPerClient int
	// ShutdownDelay is how long the agent keeps serving, not ready, after
	// it is told to stop, before it closes its listener.
	ShutdownDelay time.Duration

	// ConsoleURL, when set, makes the agent managed: the policy comes from
	// the console and events go to it through the queue in StateDir.
	ConsoleURL string
	// Token is the cluster's agent token; TokenFile, when set instead,
	// holds it, and is read again as it changes (a Secret updated after a
	// rotation), so that the agent needs no restart.
	Token         string
	TokenFile     string
	ConsoleCAFile string
	StateDir      string
	// PolicyWait is the long poll's length (30 s when zero).
	PolicyWait time.Duration

	// Continuous runs the continuous tab on the cluster's pods, reached
	// with Kube (nil: kubectl's loading rules, $KUBECONFIG or
	// ~/.kube/config, else the in-cluster service account).
	Continuous bool
	Kube       RESTConfigGetter
	// ContinuousPeriod, DryRun, Protected and TerminatePerMinute are the
	// continuous controller's options (see continuous.Options).
	ContinuousPeriod   time.Duration
	DryRun             bool
	Protected          []string
	TerminatePerMinute int
	// VerifyIsolation checks each isolation by traffic from the agent's
	// pod (containment.Verifier); it applies only in a pod
	// ($KUBERNETES_SERVICE_HOST set), never to an agent outside the
	// cluster, whose traffic to pods proves nothing.
	VerifyIsolation bool
	// PolicyReports publishes the continuous tab's results as
	// wgpolicyk8s.io/v1alpha2 PolicyReports every PolicyReportInterval
	// (the CRD must be installed).
	PolicyReports        bool
	PolicyReportInterval time.Duration
	// RuntimeRules are --runtime-rules values ([NAME=]FILE[,FILE...]):
	// rulesets the policy's runtime tab can bind, besides the built-in ones.
	RuntimeRules []string
	// RuntimeToken authenticates callers of /audit and /falco (a bearer
	// token); RuntimeClientCAFile verifies their client certificates. With
	// neither, those endpoints refuse every request.
	RuntimeToken        string
	RuntimeClientCAFile string
	// AdmissionClientCAFile, when set, makes /validate and /mutate require
	// a client certificate it signed (the API server's, configured with
	// --admission-control-config-file); events say whether their caller
	// was authenticated.
	AdmissionClientCAFile string
	// ScanResults is a file or directory of image scan reports (Trivy,
	// Trivy Operator, Palisade), read again every PollInterval when
	// changed, for the scan-result rules.
	ScanResults string
	// TrivyOperator follows Trivy Operator's VulnerabilityReports,
	// ClusterVulnerabilityReports and ExposedSecretReports in the cluster.
	TrivyOperator bool
	// WatchRoles follows the cluster's Roles and ClusterRoles, so that
	// admission judges an RBAC binding with the role it references.
	WatchRoles bool
	// LeaderElect makes replicas take turns at the continuous checks (a
	// Lease named palisade-continuous in $POD_NAMESPACE), so that each pod
	// is judged and acted on once.
	LeaderElect bool
	// Signatures configures imagesNotSigned's verification (trust roots,
	// timeout, cache TTL); SignaturePullSecrets reads pods'
	// imagePullSecrets for registry credentials (needs get on secrets).
	Signatures           signature.Config
	SignaturePullSecrets bool
	// ScanResultsByDigest resolves a container's tag to the digest it names
	// now (with the signature verifier's caches and credentials) and judges
	// that digest's scan; off, a scan recorded for the tag counts.
	ScanResultsByDigest bool
	// EmitAdmissionEvents records a Kubernetes Event (AdmissionDenied) on
	// the object of each denied request (needs create and patch on
	// events.k8s.io events). Containment and segmentation record theirs
	// whenever the agent reaches the cluster.
	EmitAdmissionEvents bool
	// PolicyReportAPIs are the APIs the PolicyReports are written in
	// (wgpolicyk8s.io when empty).
	PolicyReportAPIs []policyreport.API
}

// Managed reports whether the agent takes its policy from a console.
func (c *Config) Managed() bool { return c.ConsoleURL != "" }

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("--listen is required"))
	}
	if c.TLSCertFile == "" || c.TLSKeyFile == "" {
		errs = append(errs, errors.New("--tls-cert-file and --tls-key-file are required (the API server calls webhooks over HTTPS only)"))
	}
	switch {
	case c.PolicyFile == "" && c.ConsoleURL == "":
		errs = append(errs, errors.New("--policy (standalone) or --console (managed) is required"))
	case c.PolicyFile != "" && c.ConsoleURL != "":
		errs = append(errs, errors.New("--policy and --console are exclusive: a managed agent takes its policy from the console"))
	case c.ConsoleURL != "" && c.Token == "" && c.TokenFile == "":
		errs = append(errs, errors.New("--console needs the cluster's agent token (--token-file, --token or PALISADE_AGENT_TOKEN)"))
	case c.ConsoleURL != "" && c.StateDir == "":
		errs = append(errs, errors.New("--console needs --state-dir (the last good policy and the event queue live there)"))
	}
	if c.Continuous && c.ContinuousPeriod != 0 && c.ContinuousPeriod < continuous.MinPeriod {
		errs = append(errs, fmt.Errorf("--continuous-period must be at least %s", continuous.MinPeriod))
	}
	if c.TerminatePerMinute < 0 {
		errs = append(errs, errors.New("--terminate-per-minute cannot be negative"))
	}
	if c.PollInterval <= 0 {
		errs = append(errs, errors.New("--reload-interval must be positive"))
	}
	return errors.Join(errs...)
}

// Run serves until ctx ends, then shuts down gracefully. ready, when not
// nil, receives the bound address once the server listens.
func Run(ctx context.Context, cfg Config, logger *slog.Logger, ready chan<- net.Addr) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	reg, err := rules.Builtin()
	if err != nil {
		return err
	}
	metrics := webhook.NewMetrics()
	var tokens agentclient.TokenSource
	if cfg.Managed() {
		if tokens, err = consoleTokens(cfg); err != nil {
			return err
		}
	}
	var draining atomic.Bool
	var policyChanged atomic.Pointer[func()]
	src, background, err := policySource(cfg, tokens, reg, metrics, logger, func() {
		if f := policyChanged.Load(); f != nil {
			(*f)()
		}
	})
	if err != nil {
		return err
	}
	certs, err := webhook.NewCertReloader(cfg.TLSCertFile, cfg.TLSKeyFile, logger, func(ok bool) {
		metrics.Reloads.WithLabelValues("tls", map[bool]string{true: "ok", false: "error"}[ok]).Inc()
	})
	if err != nil {
		return err
	}
	var sinks multiSink
	if cfg.EventsFile != "" {
		fs, err := event.OpenFile(cfg.EventsFile)
		if err != nil {
			return err
		}
		defer fs.Close()
		sinks = append(sinks, fs)
	}
	if cfg.LogEvents {
		sinks = append(sinks, event.LogSink{Logger: logger.With("component", "events")})
	}
	var queue *eventqueue.Queue
	if cfg.Managed() {
		queue, err = eventqueue.Open(filepath.Join(cfg.StateDir, "events"), eventqueue.Options{Logger: logger})
		if err != nil {
			return err
		}
		defer queue.Close()
		sinks = append(sinks, queue)
		metrics.Register(queueCollectors(queue)...)
	}
	var sink event.Sink = event.Discard{}
	switch len(sinks) {
	case 0:
	case 1:
		sink = sinks[0]
	default:
		sink = sinks
	}
	cl, err := clusterAccess(cfg, metrics, logger)
	if err != nil {
		return err
	}
	var client *agentclient.Client
	if cfg.Managed() {
		if client, err = agentclient.NewWithSource(cfg.ConsoleURL, tokens, cfg.ConsoleCAFile); err != nil {
			return err
		}
	}
	scans := scanreport.NewSources()
	scanMetrics := newScanMetrics()
	metrics.Register(scanMetrics.collectors()...)
	var lookup rules.ScanResults = scans
	var fromConsole *consoleScans
	if client != nil {
		fromConsole = newConsoleScans(client, scans, scanMetrics, cl.client, cfg.StateDir, logger)
		lookup = fromConsole
	}
	var roles *rules.RoleIndex
	if cfg.WatchRoles {
		roles = rules.NewRoleIndex()
	}
	verifier, err := newVerifier(cfg, cl, metrics, logger)
	if err != nil {
		return err
	}
	var denials admission.Events // nil unless asked for: no typed nil
	if cfg.EmitAdmissionEvents && cl.events != nil {
		denials = cl.events
	}
	metrics.Register(cl.events.Collectors()...)
	var digests rules.Digests // nil unless asked for: no typed nil
	if cfg.ScanResultsByDigest {
		digests = verifier
	}
	// The referential rules' objects are watched once a policy enables
	// such a rule (onPolicy below); until then the inventory is empty.
	inventory := newClusterInventory(func() (kubernetes.Interface, error) {
		if cl.client != nil {
			return cl.client, nil
		}
		restCfg, err := cfg.restConfig()
		if err != nil {
			return nil, err
		}
		return kubernetes.NewForConfig(restCfg)
	}, logger.With("component", "inventory"))
	reviewer := admission.New(admission.Options{Policy: src.Current, Sink: sink, Cluster: cfg.Cluster, ScanResults: lookup, Roles: roles, Signatures: verifier,
		Digests: digests, Events: denials, Inventory: inventory})
	var admissionCAs, runtimeCAs *clientcert.Bundle
	if cfg.AdmissionClientCAFile != "" {
		if admissionCAs, err = clientcert.Load(cfg.AdmissionClientCAFile, "--admission-client-ca-file"); err != nil {
			return err
		}
	} else {
		logger.Warn("/validate and /mutate answer any caller, and what they are sent becomes events (marked caller=unauthenticated): " +
			"start with --admission-client-ca-file to require the API server's client certificate")
	}
	if cfg.RuntimeClientCAFile != "" {
		if runtimeCAs, err = clientcert.Load(cfg.RuntimeClientCAFile, "--runtime-client-ca-file"); err != nil {
			return err
		}
	}
	handler := webhook.NewHandler(webhook.Options{Reviewer: reviewer, Metrics: metrics, Logger: logger, ClientCAs: admissionCAs,
		Ready: func() error {
			if draining.Load() {
				return errDraining
			}
			return src.Ready()
		}})
	tlsConfig := certs.TLSConfig()
	resp, err := startRuntime(cfg, src, cl, sink, metrics, logger)
	if err != nil {
		return err
	}
	// One handshake verifies a client certificate against both bundles;
	// each endpoint then accepts only its own CAs' (clientcert).
	clientcert.Configure(tlsConfig, admissionCAs, runtimeCAs)
	auth := responder.Auth{Token: cfg.RuntimeToken, ClientCAs: runtimeCAs}
	if !auth.Enabled() {
		logger.Info("runtime intake (/audit, /falco) is off: start with --runtime-token-file or --runtime-client-ca-file to receive audit events and Falco alerts")
	}
	rh := resp.Handler(auth)
	handler.Handle("/audit", rh)
	handler.Handle("/falco", rh)
	handler.Handle("/sensor/rules", rh)
	srv := edge.NewServer(drainingHandler(handler, &draining), logger)
	srv.TLSConfig = tlsConfig
	refused := connsRefused()
	metrics.Register(refused)
	limits := edge.Limits{PerClient: cfg.MaxConnsPerClient, Refused: refused.Inc}
	ln, err := edge.Listen(cfg.Listen, limits)
	if err != nil {
		return err
	}
	logger.Info("agent listening", "addr", ln.Addr().String(), "managed", cfg.Managed(), "console", redact.URL(cfg.ConsoleURL))
	if cfg.MetricsListen != "" {
		mln, err := edge.Listen(cfg.MetricsListen, limits)
		if err != nil {
			ln.Close()
			return fmt.Errorf("--metrics-bind-address: %w", err)
		}
		defer serveMetrics(mln, metrics.Handler(), logger).Close()
	}
	if ready != nil {
		ready <- ln.Addr()
	}
	var wg sync.WaitGroup
	bg, stopBackground := context.WithCancel(context.Background())
	defer func() { stopBackground(); wg.Wait(); cl.events.Shutdown() }()
	if err := cl.events.Start(bg); err != nil {
		return err
	}
	wg.Add(1)
	go func() { defer wg.Done(); background(bg) }()
	if queue != nil {
		wg.Add(1)
		go func() { defer wg.Done(); _ = queue.Run(bg, client.PushEvents) }()
	}
	if fromConsole != nil {
		wg.Add(1)
		go func() { defer wg.Done(); fromConsole.Run(bg) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); resp.Run(bg) }()
	if cfg.ScanResults != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			watchScanDir(bg, cfg.ScanResults, cfg.PollInterval, scans, scanMetrics, logger)
		}()
	}
	if roles != nil {
		wg.Add(1)
		go func() { defer wg.Done(); watchRoles(bg, cl.client, roles, logger) }()
	}
	if cfg.TrivyOperator {
		to, err := newTrivyOperatorFor(cl, scans, scanMetrics, logger)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() { defer wg.Done(); to.Run(bg) }()
	}
	resync := func() {}
	if cfg.Continuous {
		resync, err = startContinuous(bg, &wg, cfg, cl, src.Current, sink, logger)
		if err != nil {
			return err
		}
	}
	noScanSource := !cfg.Managed() && cfg.ScanResults == "" && !cfg.TrivyOperator
	onPolicy := func() {
		if c := src.Current(); c != nil && c.ReadsInventory() != 0 {
			inventory.watch(bg, c.ReadsInventory())
		}
		if c := src.Current(); noScanSource && c != nil && c.ReadsScanResults() {
			logger.Warn("the policy has scan-result rules but the agent has no scan results (--scan-results, --trivy-operator): every image counts as unscanned")
		}
		if missing := resp.UnknownRulesets(); len(missing) > 0 {
			logger.Warn("the policy binds runtime rulesets this agent does not know; those bindings do nothing", "rulesets", missing)
		}
		resync()
	}
	onPolicy()
	policyChanged.Store(&onPolicy)
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if cfg.ShutdownDelay > 0 {
		// Keep answering while the endpoints controller and every node's
		// kube-proxy take this pod out of the Service: the API server
		// still sends requests here until they have, and under
		// failurePolicy Fail a refused connection is a refused request.
		draining.Store(true)
		logger.Info("draining: /readyz fails, requests are still served", "for", cfg.ShutdownDelay.String())
		select {
		case <-time.After(cfg.ShutdownDelay):
		case err := <-errc:
			return err
		}
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	logger.Info("agent stopped")
	return nil
}

var errDraining = errors.New("shutting down")

// drainingHandler closes each connection after its response once the
// agent drains ("Connection: close"; a GOAWAY on HTTP/2), so that callers
// open new connections, which the Service sends to another replica,
// instead of writing their next request on a connection about to close.
func drainingHandler(h http.Handler, draining *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// startContinuous connects to the cluster and starts the continuous checks
// in wg. It returns the function that re-judges every pod (the policy
// changed).
func startContinuous(ctx context.Context, wg *sync.WaitGroup, cfg Config, cl cluster,
	current func() *engine.Compiled, sink event.Sink, logger *slog.Logger) (func(), error) {
	client := cl.client
	opts := continuous.Options{Client: client, Policy: current, Sink: sink, Cluster: cfg.Cluster,
		Period: cfg.ContinuousPeriod, Containment: cl.contain, Logger: logger.With("component", "continuous")}
	if cfg.PolicyReports {
		dyn, err := dynamic.NewForConfig(cl.rest)
		if err != nil {
			return nil, err
		}
		opts.Reports, opts.ReportInterval = policyreport.NewPublishers(dyn, cfg.PolicyReportAPIs), cfg.PolicyReportInterval
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	np, err := containment.CheckNetworkPolicy(ctx, client)
	switch {
	case err != nil:
		logger.Warn("could not tell whether the network plugin enforces NetworkPolicy: isolation may not cut pods off", "error", err)
	case !np.Known:
		logger.Warn("NO KNOWN NETWORK PLUGIN FOUND in kube-system: Palisade cannot tell whether NetworkPolicy is enforced; " +
			"if it is not, isolated pods are labelled but NOT cut off")
	case !np.Enforced:
		logger.Error("THE NETWORK PLUGIN DOES NOT ENFORCE NetworkPolicy: isolated pods are labelled but NOT cut off", "plugin", np.Plugin)
	default:
		logger.Info("the network plugin enforces NetworkPolicy", "plugin", np.Plugin)
	}
	// A controller lives for one term of leadership (or the whole run);
	// the one running is where policy changes go.
	var running atomic.Pointer[continuous.Controller]
	var segmenting atomic.Pointer[segmentation.Controller]
	skip := append([]string{}, cfg.Protected...)
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		skip = append(skip, ns)
	}
	run := func(ctx context.Context) {
		ctl, err := continuous.New(opts)
		if err != nil {
			logger.Error("continuous checks not started", "error", err)
			return
		}
		seg, err := segmentation.New(segmentation.Options{Client: client, Policy: current, Sink: sink, Cluster: cfg.Cluster,
			Skip: skip, DryRun: cfg.DryRun, Events: cl.events, Logger: logger.With("component", "segmentation")})
		if err != nil {
			logger.Error("segmentation not started", "error", err)
			return
		}
		running.Store(ctl)
		segmenting.Store(seg)
		defer running.Store(nil)
		defer segmenting.Store(nil)
		var segWG sync.WaitGroup
		segWG.Add(1)
		go func() {
			defer segWG.Done()
			if err := seg.Run(ctx); err != nil && ctx.Err() == nil {
				logger.Error("segmentation stopped", "error", err)
			}
		}()
		if err := ctl.Run(ctx); err != nil && ctx.Err() == nil {
			logger.Error("continuous checks stopped", "error", err)
		}
		segWG.Wait()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if !cfg.LeaderElect {
			run(ctx)
			return
		}
		leaderElect(ctx, client, logger, run)
	}()
	return func() {
		if ctl := running.Load(); ctl != nil {
			ctl.Resync()
		}
		if seg := segmenting.Load(); seg != nil {
			seg.Resync()
		}
	}, nil
}

// leaderElect runs run while this replica holds the Lease; a replica that
// loses it stops its checks, and another takes over.
func leaderElect(ctx context.Context, client kubernetes.Interface, logger *slog.Logger, run func(context.Context)) {
	ns := os.Getenv("POD_NAMESPACE")
	id := os.Getenv("POD_NAME")
	if ns == "" || id == "" {
		logger.Error("--leader-elect needs POD_NAMESPACE and POD_NAME (the Helm chart sets them); continuous checks not started")
		return
	}
	lock := &resourcelock.LeaseLock{LeaseMeta: metav1.ObjectMeta{Name: "palisade-continuous", Namespace: ns},
		Client: client.CoordinationV1(), LockConfig: resourcelock.ResourceLockConfig{Identity: id}}
	for ctx.Err() == nil {
		leaderelection.RunOrDie(ctx, leaderelection.LeaderElectionConfig{
			Lock: lock, ReleaseOnCancel: true,
			LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second,
			Callbacks: leaderelection.LeaderCallbacks{
				OnStartedLeading: func(ctx context.Context) {
					logger.Info("this replica runs the continuous checks", "lease", ns+"/palisade-continuous")
					run(ctx)
				},
				OnStoppedLeading: func() { logger.Info("this replica no longer runs the continuous checks") },
			},
		})
	}
}

// source is where the policy in force comes from: a file or a console.
type source interface {
	Current() *engine.Compiled
	Ready() error
}

// consoleTokens is where a managed agent's clients take the token from:
// one source for all, so that a token read again is read once.
func consoleTokens(cfg Config) (agentclient.TokenSource, error) {
	if cfg.Token != "" {
		return agentclient.FixedToken(cfg.Token), nil
	}
	return agentclient.NewTokenFile(cfg.TokenFile)
}

// policySource builds the configured policy source, a managed one with
// tokens; background keeps it current until its context ends.
func policySource(cfg Config, tokens agentclient.TokenSource, reg *rules.Registry, metrics *webhook.Metrics, logger *slog.Logger, changed func()) (source, func(context.Context), error) {
	onReload := func(c *engine.Compiled, version string, err error) {
		if err != nil {
			metrics.Reloads.WithLabelValues("policy", "error").Inc()
			return
		}
		changed()
		metrics.Reloads.WithLabelValues("policy", "ok").Inc()
		metrics.PolicyInfo.Reset()
		name := ""
		if c != nil {
			name = c.Policy.Metadata.Name
		}
		metrics.PolicyInfo.WithLabelValues(name, version).Set(1)
	}
	if !cfg.Managed() {
		pf, err := NewPolicyFile(cfg.PolicyFile, reg, logger, onReload)
		if err != nil {
			return nil, nil, fmt.Errorf("load policy: %w", err)
		}
		return pf, func(ctx context.Context) { pf.Watch(ctx, cfg.PollInterval) }, nil
	}
	client, err := agentclient.NewWithSource(cfg.ConsoleURL, tokens, cfg.ConsoleCAFile)
	if err != nil {
		return nil, nil, err
	}
	if !client.Private() {
		logger.Warn("the console is reached over plain HTTP beyond loopback: the agent token and the events travel in clear; use https", "console", redact.URL(cfg.ConsoleURL))
	}
	mp, err := NewManagedPolicy(reg, ManagedOptions{Client: client, StateDir: cfg.StateDir, Wait: cfg.PolicyWait,
		Logger: logger, OnChange: onReload})
	if err != nil {
		return nil, nil, err
	}
	return mp, mp.Run, nil
}

// multiSink records to every sink and reports every failure.
type multiSink []event.Sink

func (m multiSink) Record(ctx context.Context, evs []event.Event) error {
	var errs []error
	for _, s := range m {
		if err := s.Record(ctx, evs); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

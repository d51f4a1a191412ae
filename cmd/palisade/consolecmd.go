package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/console/httpapi"
	"github.com/palisade-dev/palisade/internal/console/retention"
	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/store/backend"
	"github.com/palisade-dev/palisade/internal/console/store/sqlite"
	"github.com/palisade-dev/palisade/internal/console/ui"
	"github.com/palisade-dev/palisade/internal/core/rules"
	"github.com/palisade-dev/palisade/internal/platform/edge"
	"github.com/palisade-dev/palisade/internal/platform/fileperm"
	"github.com/palisade-dev/palisade/internal/platform/redact"
)

// consoleConfig is the console's typed configuration.
type consoleConfig struct {
	listen          string
	database        string
	adminTokenFile  string
	viewerTokenFile string
	tlsCertFile     string
	tlsKeyFile      string
	// insecureHTTP allows plain HTTP on an address that is not loopback.
	insecureHTTP bool
	// trustedProxies are CIDR ranges of proxies whose X-Forwarded-Proto and
	// X-Forwarded-For the console believes; proxies is them parsed.
	trustedProxies []string
	proxies        edge.Proxies
	// maxConnsPerClient caps the connections one client address holds.
	maxConnsPerClient int
	// metricsListen serves /metrics (and the probes) there; "" does not
	// serve metrics (consoleops.go).
	metricsListen string
	// profiling adds Go's profiles to the metrics address.
	profiling bool
	// shutdownDelay: how long to keep serving, not ready, once told to
	// stop (a replica taken out of its Service during a rolling upgrade).
	shutdownDelay time.Duration
	// tokenOverlap is how long a rotated agent token keeps working (0:
	// service.DefaultTokenOverlap).
	tokenOverlap time.Duration
	// eventRetention is how long events are kept (0: for ever).
	eventRetention time.Duration
	// oidc is single sign-on for the UI (consoleoidc.go).
	oidc oidcFlags
}

func (c *consoleConfig) validate() error {
	var errs []error
	if c.listen == "" {
		errs = append(errs, errors.New("--listen is required"))
	}
	if c.adminTokenFile == "" {
		errs = append(errs, errors.New("--admin-token-file is required"))
	}
	if (c.tlsCertFile == "") != (c.tlsKeyFile == "") {
		errs = append(errs, errors.New("--tls-cert-file and --tls-key-file go together"))
	}
	switch {
	case c.tlsCertFile != "" && c.insecureHTTP:
		errs = append(errs, errors.New("--insecure-http and --tls-cert-file exclude each other"))
	case c.tlsCertFile == "" && !c.insecureHTTP && c.listen != "" && !loopback(c.listen):
		errs = append(errs, fmt.Errorf("--listen %s is not a loopback address: serve HTTPS there (--tls-cert-file, --tls-key-file), "+
			"or pass --insecure-http to serve plain HTTP behind a TLS-terminating proxy", c.listen))
	}
	proxies, err := edge.ParseProxies(c.trustedProxies)
	if err != nil {
		errs = append(errs, fmt.Errorf("--trusted-proxies: %w", err))
	}
	c.proxies = proxies
	if c.profiling && c.metricsListen == "" {
		errs = append(errs, errors.New("--profiling needs --metrics-bind-address (the profiles are served there)"))
	}
	if c.maxConnsPerClient < 0 {
		errs = append(errs, errors.New("--max-conns-per-client must be 0 (no cap) or more"))
	}
	if c.tokenOverlap < 0 || c.tokenOverlap > service.MaxTokenOverlap {
		errs = append(errs, fmt.Errorf("--token-rotation-overlap must be more than 0 and at most %v", service.MaxTokenOverlap))
	}
	if _, _, err := backend.Parse(c.database); err != nil {
		errs = append(errs, fmt.Errorf("--database: %w", err))
	}
	if c.eventRetention != 0 && c.eventRetention < retention.MinRetention {
		errs = append(errs, fmt.Errorf("--event-retention %v: want 0 (keep every event) or at least %v (events expire by whole days)",
			c.eventRetention, retention.MinRetention))
	}
	errs = append(errs, c.oidc.problems()...)
	return errors.Join(errs...)
}

// loopback reports whether the listen address addr is on loopback only
// (127.0.0.0/8, ::1 or localhost); ":8080" and "0.0.0.0:8080" are not.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func newConsoleCmd() *cobra.Command {
	cfg := consoleConfig{}
	var logs *logFlags
	cmd := &cobra.Command{
		Use:   "console",
		Short: "The central console: web UI, REST API and storage for policies, clusters and the event trail",
		Long: `Serve the console: the web UI at the root URL (log in with the admin or the
viewer token, or through single sign-on with an OpenID Connect provider
(--oidc-*), whose groups map to admin and viewer; sessions are kept in the
database, so every console process on it knows them) and the REST API under
/api/v1 (described at /api/v1/openapi.yaml), which takes the tokens only.

Storage is a SQLite file by default (created on first start) or PostgreSQL
(--database postgres://...). The admin token is read from --admin-token-file;
if that file does not exist a token is generated, written there (mode 0600)
and printed once.`,
		Example: `  palisade console                                        # SQLite in the working folder, http://127.0.0.1:8080
  palisade console --listen 0.0.0.0:8443 --tls-cert-file tls.crt --tls-key-file tls.key \
    --database sqlite:///var/lib/palisade/palisade.db --admin-token-file /var/lib/palisade/admin-token
  PALISADE_DATABASE_URL=postgres://palisade@db/palisade palisade console
  palisade console ... --oidc-issuer-url https://dex.example.com --oidc-client-id palisade \
    --oidc-client-secret-file /etc/palisade/oidc/client-secret \
    --oidc-redirect-url https://palisade.example.com/login/oidc/callback \
    --oidc-scopes openid,profile,email,groups --oidc-admin-groups sec-admins --oidc-viewer-groups sec-team`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.database = databaseURL(cmd, cfg.database)
			if cmd.Flags().Changed("token-rotation-overlap") && cfg.tokenOverlap == 0 {
				// 0 in the configuration is the default; asked for, it
				// would look like "no overlap" and be 24 hours.
				return badInput(errors.New("--token-rotation-overlap must be more than 0 " +
					"(to stop an old token at once, rotate with no overlap: the Clusters page, or {\"overlap\": \"0s\"})"))
			}
			if err := cfg.validate(); err != nil {
				return badInput(err)
			}
			logger, err := logs.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runConsole(ctx, cfg, logger, cmd.OutOrStdout(), nil)
		},
	}
	f := cmd.Flags()
	logs = addLogFlags(f, "json")
	f.StringVar(&cfg.listen, "listen", "127.0.0.1:8080", "address to serve on")
	f.StringVar(&cfg.database, "database", backend.DefaultURL, "sqlite:///path/palisade.db or postgres://... (default: $PALISADE_DATABASE_URL when set)")
	f.StringVar(&cfg.adminTokenFile, "admin-token-file", "palisade-admin-token", "file holding the admin token (generated if missing)")
	f.StringVar(&cfg.viewerTokenFile, "viewer-token-file", "", "file holding a read-only viewer token (generated if missing; none when unset)")
	f.StringVar(&cfg.tlsCertFile, "tls-cert-file", "", "serve HTTPS with this certificate (required beyond loopback unless --insecure-http); answers carry Strict-Transport-Security")
	f.StringVar(&cfg.tlsKeyFile, "tls-key-file", "", "the certificate's key")
	f.BoolVar(&cfg.insecureHTTP, "insecure-http", false, "serve plain HTTP on an address that is not loopback (behind a TLS-terminating proxy); warned about at every start")
	f.StringSliceVar(&cfg.trustedProxies, "trusted-proxies", nil, "CIDR ranges of proxies trusted for X-Forwarded-Proto (https: Secure cookies, HSTS) and X-Forwarded-For (the client address of login throttling and the audit log); their connections are not capped")
	f.IntVar(&cfg.maxConnsPerClient, "max-conns-per-client", edge.DefaultPerClient, "connections one client address (an IPv6 /64) may hold; more are closed at accept; trusted proxies are not capped (0: no cap)")
	f.DurationVar(&cfg.shutdownDelay, "shutdown-delay", 0, "on SIGTERM, keep serving this long with /readyz failing and keep-alives off before closing the listener, while the pod is taken out of the Service (the chart sets 5s)")
	f.DurationVar(&cfg.tokenOverlap, "token-rotation-overlap", service.DefaultTokenOverlap, "how long an agent token keeps working after it is rotated, for its agent to be given the new one; at most 720h (a rotation may still stop the old token at once)")
	cfg.oidc.add(f)
	f.BoolVar(&cfg.profiling, "profiling", false, "serve Go's profiles (/debug/pprof/) on --metrics-bind-address, for diagnosing a slow console; keep that address private")
	f.StringVar(&cfg.metricsListen, "metrics-bind-address", "", "serve Prometheus /metrics (and /healthz, /readyz) on this address, plain HTTP and without a token, e.g. :9090 (default: not served)")
	f.DurationVar(&cfg.eventRetention, "event-retention", retention.DefaultRetention, "delete events older than this, by whole UTC days, checked at start and hourly (0: keep every event)")
	cmd.AddCommand(newConsoleMigrateCmd(), newConsoleBackupCmd())
	return cmd
}

// databaseEnv gives the database URL when --database is not set, so that a
// password never has to be on a command line (visible in the process list).
const databaseEnv = "PALISADE_DATABASE_URL"

// databaseURL returns --database when it was given, else $PALISADE_DATABASE_URL,
// else the flag's default.
func databaseURL(cmd *cobra.Command, flag string) string {
	if !cmd.Flags().Changed("database") {
		if v := os.Getenv(databaseEnv); v != "" {
			return v
		}
	}
	return flag
}

func newConsoleMigrateCmd() *cobra.Command {
	var database string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and exit",
		Example: `  palisade console migrate --database sqlite:///var/lib/palisade/palisade.db
  PALISADE_DATABASE_URL=postgres://palisade@db/palisade palisade console migrate`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			applied, err := backend.Migrate(cmd.Context(), databaseURL(cmd, database))
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "database is up to date")
			}
			for _, m := range applied {
				fmt.Fprintln(cmd.OutOrStdout(), "applied", m)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&database, "database", backend.DefaultURL, "sqlite:///path/palisade.db or postgres://...")
	return cmd
}

// runConsole serves until ctx ends. ready, when not nil, receives the bound
// address.
func runConsole(ctx context.Context, cfg consoleConfig, logger *slog.Logger, out interface{ Write([]byte) (int, error) }, ready chan<- net.Addr) error {
	admin, err := consoleToken(cfg.adminTokenFile, "admin", logger, out)
	if err != nil {
		return err
	}
	var viewer string
	if cfg.viewerTokenFile != "" {
		if viewer, err = consoleToken(cfg.viewerTokenFile, "viewer", logger, out); err != nil {
			return err
		}
	}
	st, err := backend.Open(ctx, cfg.database)
	if err != nil {
		return err
	}
	defer st.Close()
	reg, err := rules.Builtin()
	if err != nil {
		return err
	}
	if sq, ok := st.(*sqlite.Store); ok {
		if alone, err := sq.ClaimProcess(); err != nil {
			return err
		} else if !alone {
			logger.Warn("another palisade console has this SQLite database open: SQLite is the single-process store, "+
				"so agents long-polling one process are not woken by policy changes made at the other, and scan results "+
				"imported at one are not seen by the other; run console replicas on PostgreSQL", "database", redact.URL(cfg.database))
		}
	}
	svc := service.New(service.Options{Store: st, Registry: reg, TokenOverlap: cfg.tokenOverlap, Logger: logger})
	// Other console processes on the same PostgreSQL database tell this one
	// about their changes (LISTEN/NOTIFY); on SQLite this only waits.
	listening, stopListening := context.WithCancel(context.WithoutCancel(ctx))
	defer stopListening()
	go func() {
		if err := svc.Listen(listening); err != nil {
			logger.Error("console replicas' broadcasts: stopped", "err", err)
		}
	}()
	n, err := svc.LoadScanResults(ctx)
	if err != nil {
		return err
	}
	logger.Info("scan results loaded", "images", n)
	ops := newConsoleOps(st, logger)
	ops.profiling = cfg.profiling
	// Retention works on the store until the console stops, and is done
	// before the store closes.
	keeper := retention.New(retention.Options{Store: st, Retention: cfg.eventRetention, Logger: logger,
		Passed: ops.metrics.RetentionPassed})
	keeping, stopKeeping := context.WithCancel(ctx)
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		keeper.Run(keeping)
	}()
	defer func() {
		stopKeeping()
		<-kept
	}()
	single, err := cfg.oidc.client(ctx, logger)
	if err != nil {
		return err
	}
	web, err := ui.New(ui.Options{Service: svc, Registry: reg, AdminToken: admin, ViewerToken: viewer, Logger: logger,
		Proxies: cfg.proxies, LoginThrottled: ops.metrics.LoginThrottled, SSO: single})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", httpapi.New(httpapi.Options{Service: svc, AdminToken: admin, ViewerToken: viewer, Logger: logger,
		Metrics: ops.metrics, Proxies: cfg.proxies}))
	mux.Handle("/", web)
	ops.probes(mux)
	srv := edge.NewServer(edge.HSTS(ops.metrics.Instrument(mux), cfg.proxies), logger)
	// Lists of events and scan results can be large: a minute to write
	// them. Agents' long polls lift both bounds while they wait (edge.Hold).
	srv.WriteTimeout = time.Minute
	// Agents' long polls return at once on shutdown instead of holding it
	// up; other requests finish.
	srv.RegisterOnShutdown(svc.Shutdown)
	limits := edge.Limits{PerClient: cfg.maxConnsPerClient, Exempt: cfg.proxies.Trusts, Refused: ops.metrics.ConnRefused}
	ln, err := edge.Listen(cfg.listen, limits)
	if err != nil {
		return err
	}
	tls := cfg.tlsCertFile != ""
	logger.Info("console listening", "addr", ln.Addr().String(), "tls", tls)
	if !tls && !loopback(cfg.listen) {
		logger.Warn("the console serves plain HTTP beyond loopback (--insecure-http): tokens and session cookies cross the network " +
			"readable by anyone on the path; serve HTTPS (--tls-cert-file) or keep it behind a TLS-terminating proxy (--trusted-proxies)")
	}
	if cfg.metricsListen != "" {
		msrv, err := ops.listenMetrics(cfg.metricsListen, limits, logger)
		if err != nil {
			ln.Close()
			return err
		}
		defer msrv.Close()
	}
	if ready != nil {
		ready <- ln.Addr()
	}
	errc := make(chan error, 1)
	go func() {
		if tls {
			errc <- srv.ServeTLS(ln, cfg.tlsCertFile, cfg.tlsKeyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if cfg.shutdownDelay > 0 {
		// Keep answering while the endpoints controller and every node's
		// kube-proxy take this pod out of the Service: requests still come
		// here until they have. Without keep-alives each answer closes its
		// connection, so an agent's next call opens one to another replica.
		// Long polls keep waiting; Shutdown ends them after the delay.
		ops.health.Drain()
		srv.SetKeepAlivesEnabled(false)
		logger.Info("console stopping: not ready, serving on until it is out of its Service", "delay", cfg.shutdownDelay)
		time.Sleep(cfg.shutdownDelay)
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// consoleToken loads (or creates, printing it once) the role's token, and
// warns when its file is readable by other users.
func consoleToken(path, role string, logger *slog.Logger, out io.Writer) (string, error) {
	tok, created, err := service.LoadOrCreateToken(path)
	if err != nil {
		return "", fmt.Errorf("--%s-token-file: %w", role, err)
	}
	if created {
		fmt.Fprintf(out, "%s token (written to %s, shown once): %s\n", role, path, tok)
	}
	warnExposed(logger, role+" token file", path)
	return tok, nil
}

// warnExposed logs a warning when path (a token file, a state directory)
// is readable by other users of the machine.
func warnExposed(logger *slog.Logger, what, path string) {
	if msg := fileperm.Warning(what, path); msg != "" {
		logger.Warn(msg)
	}
}

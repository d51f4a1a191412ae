package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-dev/palisade/internal/console/httpapi"
	"github.com/palisade-dev/palisade/internal/console/service"
	"github.com/palisade-dev/palisade/internal/console/store/backend"
	"github.com/palisade-dev/palisade/internal/console/ui"
	"github.com/palisade-dev/palisade/internal/core/rules"
)

// consoleConfig is the console's typed configuration.
type consoleConfig struct {
	listen          string
	database        string
	adminTokenFile  string
	viewerTokenFile string
	tlsCertFile     string
	tlsKeyFile      string
	// metricsListen serves /metrics (and the probes) there; "" does not
	// serve metrics (consoleops.go).
	metricsListen string
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
	if _, _, err := backend.Parse(c.database); err != nil {
		errs = append(errs, fmt.Errorf("--database: %w", err))
	}
	return errors.Join(errs...)
}

func newConsoleCmd() *cobra.Command {
	cfg := consoleConfig{}
	var logs *logFlags
	cmd := &cobra.Command{
		Use:   "console",
		Short: "The central console: web UI, REST API and storage for policies, clusters and the event trail",
		Long: `Serve the console: the web UI at the root URL (log in with the admin or the
viewer token; sessions are kept in memory, so a restart logs everyone out)
and the REST API under /api/v1 (described at /api/v1/openapi.yaml).

Storage is a SQLite file by default (created on first start) or PostgreSQL
(--database postgres://...). The admin token is read from --admin-token-file;
if that file does not exist a token is generated, written there (mode 0600)
and printed once.`,
		Example: `  palisade console                                        # SQLite in the working folder, http://127.0.0.1:8080
  palisade console --listen 0.0.0.0:8443 --tls-cert-file tls.crt --tls-key-file tls.key \
    --database sqlite:///var/lib/palisade/palisade.db --admin-token-file /var/lib/palisade/admin-token
  PALISADE_DATABASE_URL=postgres://palisade@db/palisade palisade console`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.database = databaseURL(cmd, cfg.database)
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
	f.StringVar(&cfg.tlsCertFile, "tls-cert-file", "", "serve HTTPS with this certificate (recommended beyond loopback)")
	f.StringVar(&cfg.tlsKeyFile, "tls-key-file", "", "the certificate's key")
	f.StringVar(&cfg.metricsListen, "metrics-bind-address", "", "serve Prometheus /metrics (and /healthz, /readyz) on this address, plain HTTP and without a token, e.g. :9090 (default: not served)")
	cmd.AddCommand(newConsoleMigrateCmd())
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
	admin, created, err := service.LoadOrCreateToken(cfg.adminTokenFile)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(out, "admin token (written to %s, shown once): %s\n", cfg.adminTokenFile, admin)
	}
	var viewer string
	if cfg.viewerTokenFile != "" {
		if viewer, created, err = service.LoadOrCreateToken(cfg.viewerTokenFile); err != nil {
			return err
		}
		if created {
			fmt.Fprintf(out, "viewer token (written to %s, shown once): %s\n", cfg.viewerTokenFile, viewer)
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
	svc := service.New(service.Options{Store: st, Registry: reg})
	n, err := svc.LoadScanResults(ctx)
	if err != nil {
		return err
	}
	logger.Info("scan results loaded", "images", n)
	web, err := ui.New(ui.Options{Service: svc, Registry: reg, AdminToken: admin, ViewerToken: viewer, Logger: logger})
	if err != nil {
		return err
	}
	ops := newConsoleOps(st, logger)
	mux := http.NewServeMux()
	mux.Handle("/api/", httpapi.New(httpapi.Options{Service: svc, AdminToken: admin, ViewerToken: viewer, Logger: logger, Metrics: ops.metrics}))
	mux.Handle("/", web)
	ops.probes(mux)
	srv := &http.Server{
		Handler:           ops.metrics.Instrument(mux),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// Agents' long polls return at once on shutdown instead of holding it
	// up; other requests finish.
	srv.RegisterOnShutdown(svc.Shutdown)
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	logger.Info("console listening", "addr", ln.Addr().String(), "tls", cfg.tlsCertFile != "")
	if cfg.metricsListen != "" {
		msrv, err := ops.listenMetrics(cfg.metricsListen, logger)
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
		if cfg.tlsCertFile != "" {
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
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/palisade-dev/palisade/internal/admission"
	"github.com/palisade-dev/palisade/internal/engine"
	"github.com/palisade-dev/palisade/internal/event"
	"github.com/palisade-dev/palisade/internal/rules"
	"github.com/palisade-dev/palisade/internal/webhook"
)

// Config is the agent's typed configuration, loaded once in cmd.
type Config struct {
	Listen       string
	TLSCertFile  string
	TLSKeyFile   string
	PolicyFile   string
	EventsFile   string
	Cluster      string
	PollInterval time.Duration
}

// Validate reports every problem of the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("--listen is required"))
	}
	if c.TLSCertFile == "" || c.TLSKeyFile == "" {
		errs = append(errs, errors.New("--tls-cert-file and --tls-key-file are required (the API server calls webhooks over HTTPS only)"))
	}
	if c.PolicyFile == "" {
		errs = append(errs, errors.New("--policy is required"))
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
	pf, err := NewPolicyFile(cfg.PolicyFile, reg, logger, func(c *engine.Compiled, hash string, err error) {
		if err != nil {
			metrics.Reloads.WithLabelValues("policy", "error").Inc()
			return
		}
		metrics.Reloads.WithLabelValues("policy", "ok").Inc()
		metrics.PolicyInfo.Reset()
		metrics.PolicyInfo.WithLabelValues(c.Policy.Metadata.Name, hash).Set(1)
	})
	if err != nil {
		return fmt.Errorf("load policy: %w", err)
	}
	certs, err := webhook.NewCertReloader(cfg.TLSCertFile, cfg.TLSKeyFile, logger, func(ok bool) {
		metrics.Reloads.WithLabelValues("tls", map[bool]string{true: "ok", false: "error"}[ok]).Inc()
	})
	if err != nil {
		return err
	}
	var sink event.Sink = event.Discard{}
	if cfg.EventsFile != "" {
		fs, err := event.OpenFile(cfg.EventsFile)
		if err != nil {
			return err
		}
		defer fs.Close()
		sink = fs
	}
	reviewer := admission.New(admission.Options{Policy: pf.Current, Sink: sink, Cluster: cfg.Cluster})
	handler := webhook.NewHandler(webhook.Options{Reviewer: reviewer, Metrics: metrics, Logger: logger,
		Ready: func() error {
			if pf.Current() == nil {
				return errors.New("no policy loaded")
			}
			return nil
		}})
	srv := &http.Server{
		Handler:           handler,
		TLSConfig:         certs.TLSConfig(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       90 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	logger.Info("agent listening", "addr", ln.Addr().String(), "policy", pf.Current().Policy.Metadata.Name)
	if ready != nil {
		ready <- ln.Addr()
	}
	go pf.Watch(ctx, cfg.PollInterval)
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	logger.Info("agent stopped")
	return nil
}

package main

import (
	"log/slog"
	"net/http"
	"net/http/pprof"

	"github.com/palisade-dev/palisade/internal/console/httpapi"
	"github.com/palisade-dev/palisade/internal/console/store"
	"github.com/palisade-dev/palisade/internal/platform/edge"
	"github.com/palisade-dev/palisade/internal/platform/opsserver"
)

// consoleOps are the console's probes and Prometheus metrics
// (docs/operations.md, "Console probes and metrics").
type consoleOps struct {
	health  *httpapi.Health
	metrics *httpapi.Metrics
	// profiling serves Go's profiles (net/http/pprof) beside /metrics.
	profiling bool
}

func newConsoleOps(st store.Store, logger *slog.Logger) consoleOps {
	return consoleOps{
		health:  httpapi.NewHealth(httpapi.HealthOptions{Store: st, Logger: logger}),
		metrics: httpapi.NewMetrics(httpapi.MetricsOptions{Clusters: st, Logger: logger}),
	}
}

// probes adds /healthz and /readyz (no token) to the console's mux.
func (o consoleOps) probes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", o.health.Healthz)
	mux.HandleFunc("GET /readyz", o.health.Readyz)
}

// listenMetrics starts serving /metrics (and the probes) on addr, plain
// HTTP and without a token, as Prometheus scrapes; the caller closes the
// server.
func (o consoleOps) listenMetrics(addr string, limits edge.Limits, logger *slog.Logger) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", o.metrics.Handler())
	o.probes(mux)
	if o.profiling {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	ln, err := edge.Listen(addr, limits)
	if err != nil {
		return nil, err
	}
	return opsserver.Serve(ln, mux, "console metrics", logger), nil
}

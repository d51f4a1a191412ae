// Package opsserver serves an operations endpoint (Prometheus /metrics,
// probes) on a port of its own: plain HTTP and no token, as Prometheus
// scrapes, with the bounds of every Palisade server (package edge) so that
// a slow client cannot hold a connection. The agent, the console and the
// sensor use it for --metrics-bind-address; they cap connections per client
// on the listener they pass (edge.Listen).
package opsserver

import (
	"errors"
	"log/slog"
	"net"
	"net/http"

	"github.com/palisade-dev/palisade/internal/platform/edge"
)

// Serve serves h on ln until the returned server is closed; what names the
// server in its log lines ("agent metrics").
func Serve(ln net.Listener, h http.Handler, what string, logger *slog.Logger) *http.Server {
	srv := edge.NewServer(h, logger)
	logger.Info(what+" listening", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error(what+" server stopped", "error", err)
		}
	}()
	return srv
}

// Package opsserver serves an operations endpoint (Prometheus /metrics,
// probes) on a port of its own: plain HTTP and no token, as Prometheus
// scrapes, with bounded read, write and idle times so that a slow client
// cannot hold a connection. The agent and the console both use it for
// --metrics-bind-address.
package opsserver

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Serve serves h on ln until the returned server is closed; what names the
// server in its log lines ("agent metrics").
func Serve(ln net.Listener, h http.Handler, what string, logger *slog.Logger) *http.Server {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       90 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info(what+" listening", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error(what+" server stopped", "error", err)
		}
	}()
	return srv
}

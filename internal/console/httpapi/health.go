package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// SchemaReader is what readiness asks of the store.
type SchemaReader interface {
	Schema(ctx context.Context) (store.Schema, error)
}

// HealthOptions configure Health.
type HealthOptions struct {
	Store SchemaReader
	// Timeout bounds one database check (DefaultReadyTimeout when 0).
	Timeout time.Duration
	// MaxAge is how long a check's result answers later requests
	// (DefaultReadyMaxAge when 0).
	MaxAge time.Duration
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Readiness check bounds: kubelet probes time out after a few seconds, and
// a probe must never wait on a database that hangs.
const (
	DefaultReadyTimeout = 2 * time.Second
	DefaultReadyMaxAge  = time.Second
)

// Health serves the console's probes, without authentication:
//
//   - /healthz: the process serves HTTP (liveness; touches nothing else,
//     so a database outage never gets the console restarted);
//   - /readyz: the database answers and its schema is exactly this
//     binary's migrations (readiness).
//
// The bodies say what is wrong and never how the database is reached (its
// errors, which may name hosts and users, go to the log). Checks are
// bounded: at most one database query at a time, with a timeout, and its
// result answers every request for MaxAge, so a flood of /readyz requests
// costs at most one query per MaxAge and holds no more than one
// connection.
type Health struct {
	opts HealthOptions
	// sem admits one check at a time.
	sem chan struct{}

	mu   sync.Mutex
	last readiness
	at   time.Time
	// draining is set when the console is stopping: not ready from then
	// on, whatever the database says.
	draining atomic.Bool
}

// Drain makes Readyz answer 503 from now on: the console is stopping and
// keeps serving only while it is taken out of its Service.
func (h *Health) Drain() { h.draining.Store(true) }

type readiness struct {
	ok   bool
	body string
}

// NewHealth returns the probe handlers.
func NewHealth(opts HealthOptions) *Health {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultReadyTimeout
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultReadyMaxAge
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Health{opts: opts, sem: make(chan struct{}, 1)}
}

// Healthz answers 200 while the process serves.
func (h *Health) Healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "ok\n")
}

// Readyz answers 200 when the database is reachable and its schema
// current, else 503 with the reason.
func (h *Health) Readyz(w http.ResponseWriter, r *http.Request) {
	res := h.check(r.Context())
	if h.draining.Load() {
		res = readiness{body: "not ready: the console is shutting down"}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !res.ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	io.WriteString(w, res.body+"\n")
}

func (h *Health) recent() (readiness, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.at.IsZero() || h.opts.Now().Sub(h.at) >= h.opts.MaxAge {
		return readiness{}, false
	}
	return h.last, true
}

func (h *Health) check(ctx context.Context) readiness {
	if res, ok := h.recent(); ok {
		return res
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return readiness{body: "not ready: the readiness check was abandoned"}
	}
	defer func() { <-h.sem }()
	// Another request may have checked while this one waited.
	if res, ok := h.recent(); ok {
		return res
	}
	// The check outlives a caller that goes away (its result serves the
	// next ones) but not the timeout.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opts.Timeout)
	defer cancel()
	sc, err := h.opts.Store.Schema(cctx)
	var res readiness
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		h.opts.Logger.Warn("readiness: database check timed out", "timeout", h.opts.Timeout, "error", err)
		res.body = "not ready: the database did not answer within " + h.opts.Timeout.String()
	case err != nil:
		h.opts.Logger.Warn("readiness: database check failed", "error", err)
		res.body = "not ready: database unreachable (the console's log has the error)"
	case !sc.Current():
		res.body = "not ready: " + sc.String()
	default:
		res = readiness{ok: true, body: "ok: " + sc.String()}
	}
	h.mu.Lock()
	h.last, h.at = res, h.opts.Now()
	h.mu.Unlock()
	return res
}

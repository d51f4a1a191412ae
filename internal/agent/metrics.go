package agent

import (
	"log/slog"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/palisade-dev/palisade/internal/platform/eventqueue"
	"github.com/palisade-dev/palisade/internal/platform/opsserver"
)

// queueCollectors exposes the event queue's state on /metrics.
func queueCollectors(q *eventqueue.Queue) []prometheus.Collector {
	stat := func(f func(eventqueue.Stats) int64) func() float64 {
		return func() float64 { return float64(f(q.Stats())) }
	}
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "palisade_event_queue_pending_bytes",
			Help: "Bytes of events on disk waiting for delivery to the console."},
			stat(func(s eventqueue.Stats) int64 { return s.PendingBytes })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "palisade_event_queue_delivered_total",
			Help: "Events delivered to the console since the agent started."},
			stat(func(s eventqueue.Stats) int64 { return s.Delivered })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "palisade_event_queue_rejected_total",
			Help: "Events the console refused for good (kept in rejected.jsonl in the queue's directory)."},
			stat(func(s eventqueue.Stats) int64 { return s.Rejected })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "palisade_event_queue_corrupt_total",
			Help: "Records on disk that could not be read back (set aside in rejected.jsonl, logged with file and offset)."},
			stat(func(s eventqueue.Stats) int64 { return s.Corrupt })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "palisade_event_queue_oversized_total",
			Help: "Records larger than a delivery batch, which could never be delivered (set aside in rejected.jsonl, logged with file and offset)."},
			stat(func(s eventqueue.Stats) int64 { return s.Oversized })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "palisade_event_queue_refused_total",
			Help: "Events not recorded because the queue was full."},
			stat(func(s eventqueue.Stats) int64 { return s.Refused })),
	}
}

// connsRefused counts the connections the agent's listeners closed at
// accept because their client address held --max-conns-per-client.
func connsRefused() prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: "palisade_agent_connections_refused_total",
		Help: "Connections closed at accept because their client address already held --max-conns-per-client."})
}

// serveMetrics serves h at /metrics on ln (--metrics-bind-address), plain
// HTTP, until the returned server is closed.
func serveMetrics(ln net.Listener, h http.Handler, logger *slog.Logger) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	return opsserver.Serve(ln, mux, "agent metrics", logger)
}

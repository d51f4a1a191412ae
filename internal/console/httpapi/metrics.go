package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/palisade-dev/palisade/internal/console/store"
)

// ClusterLister is what the agents' metric asks of the store.
type ClusterLister interface {
	ListClusters(ctx context.Context) ([]store.Cluster, error)
}

// MetricsOptions configure Metrics.
type MetricsOptions struct {
	// Clusters feeds palisade_console_agent_last_seen_seconds; nil leaves
	// it out.
	Clusters ClusterLister
	Logger   *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// How the agents' metric reads the store: one query at a time, bounded,
// its result reused by the scrapes of the next clustersMaxAge.
const (
	clustersTimeout = 2 * time.Second
	clustersMaxAge  = 10 * time.Second
)

// Metrics are the console's Prometheus metrics, on their own registry.
// Every label is bounded: routes are the patterns registered (not the
// paths asked for), methods the standard ones, clusters the registered
// ones. A nil *Metrics records nothing.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	events    *prometheus.CounterVec
	longPolls prometheus.Gauge
	refused   prometheus.Counter
	throttled prometheus.Counter
	// Event retention (package console/retention).
	expired         prometheus.Counter
	retentionPassed prometheus.Gauge
}

// NewMetrics registers the metrics (and Go and process collectors).
func NewMetrics(opts MetricsOptions) *Metrics {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_console_http_requests_total",
			Help: "HTTP requests answered, by route pattern (\"unmatched\" for none), method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "palisade_console_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method (agents' long polls last up to their wait).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route", "method"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_console_events_ingested_total",
			Help: "Events agents pushed, by result: stored, or duplicate (already stored: an agent's retry).",
		}, []string{"result"}),
		longPolls: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "palisade_console_long_polls",
			Help: "Agents' policy long polls currently held open.",
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "palisade_console_connections_refused_total",
			Help: "Connections closed at accept because their client address already held --max-conns-per-client.",
		}),
		throttled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "palisade_console_logins_throttled_total",
			Help: "Web UI logins answered 429 because their client address failed too many in a row.",
		}),
		expired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "palisade_console_events_deleted_total",
			Help: "Events deleted because they were older than --event-retention.",
		}),
		retentionPassed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "palisade_console_event_retention_last_success_timestamp_seconds",
			Help: "When the event retention pass (preparing the coming days, deleting the expired ones) last succeeded, in Unix seconds; 0 before the first.",
		}),
	}
	m.events.WithLabelValues("stored")
	m.events.WithLabelValues("duplicate")
	m.reg.MustRegister(m.requests, m.latency, m.events, m.longPolls, m.refused, m.throttled, m.expired, m.retentionPassed,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if opts.Clusters != nil {
		m.reg.MustRegister(&agentsCollector{opts: opts})
	}
	return m
}

// Handler serves the registry. It is bounded too: a few scrapes at a time
// (others get 503), each within a timeout.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
}

// Instrument counts and times the requests next answers, labelled with the
// pattern of the ServeMux route that answered them.
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		defer func() {
			// ServeMux sets r.Pattern on the request it routes; the
			// console's muxes pass the request on, so the innermost
			// route that matched is here.
			route, method := routeLabel(r.Pattern), methodLabel(r.Method)
			m.requests.WithLabelValues(route, method, strconv.Itoa(sw.code)).Inc()
			m.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

// ingested records an event batch: stored new, the rest duplicates.
func (m *Metrics) ingested(received, stored int) {
	if m == nil {
		return
	}
	m.events.WithLabelValues("stored").Add(float64(stored))
	m.events.WithLabelValues("duplicate").Add(float64(max(0, received-stored)))
}

// longPoll counts a held long poll; call the returned func when it ends.
func (m *Metrics) longPoll() func() {
	if m == nil {
		return func() {}
	}
	m.longPolls.Inc()
	return m.longPolls.Dec
}

// ConnRefused counts a connection closed at accept (edge.Limits.Refused).
func (m *Metrics) ConnRefused() {
	if m != nil {
		m.refused.Inc()
	}
}

// LoginThrottled counts a login answered 429.
func (m *Metrics) LoginThrottled() {
	if m != nil {
		m.throttled.Inc()
	}
}

// RetentionPassed records an event retention pass
// (retention.Options.Passed): the events it deleted, and its time when it
// succeeded.
func (m *Metrics) RetentionPassed(deleted int64, err error) {
	if m == nil {
		return
	}
	m.expired.Add(float64(deleted))
	if err == nil {
		m.retentionPassed.SetToCurrentTime()
	}
}

// routeLabel is a ServeMux pattern without its method ("GET /x/{id}" →
// "/x/{id}"), or "unmatched".
func routeLabel(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code    int
	written bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.written {
		w.code, w.written = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.written = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush implements http.Flusher when the wrapped writer does.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// agentsCollector reports, per registered cluster whose agent has called,
// the seconds since it last did. It lists the clusters at most once per
// clustersMaxAge, one query at a time, with a timeout; when the query
// fails the last list is kept (the ages still grow), and the failure is
// logged.
type agentsCollector struct {
	opts MetricsOptions

	mu       sync.Mutex
	lastSeen map[string]time.Time
	at       time.Time
}

var agentLastSeenDesc = prometheus.NewDesc("palisade_console_agent_last_seen_seconds",
	"Seconds since the cluster's agent last called the console (clusters whose agent never called are left out).",
	[]string{"cluster"}, nil)

var clustersDesc = prometheus.NewDesc("palisade_console_clusters",
	"Clusters registered in the console.", nil, nil)

func (c *agentsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- agentLastSeenDesc
	ch <- clustersDesc
}

func (c *agentsCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.opts.Now()
	if c.lastSeen == nil || now.Sub(c.at) >= clustersMaxAge {
		ctx, cancel := context.WithTimeout(context.Background(), clustersTimeout)
		cs, err := c.opts.Clusters.ListClusters(ctx)
		cancel()
		if err != nil {
			c.opts.Logger.Warn("metrics: could not list clusters", "error", err)
		} else {
			c.lastSeen = make(map[string]time.Time, len(cs))
			for _, cl := range cs {
				c.lastSeen[cl.Name] = cl.LastSeen
			}
		}
		// A failure is retried after clustersMaxAge too, not at every
		// scrape.
		c.at = now
	}
	if c.lastSeen == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(clustersDesc, prometheus.GaugeValue, float64(len(c.lastSeen)))
	for name, seen := range c.lastSeen {
		if seen.IsZero() {
			continue
		}
		ch <- prometheus.MustNewConstMetric(agentLastSeenDesc, prometheus.GaugeValue, max(0, now.Sub(seen).Seconds()), name)
	}
}

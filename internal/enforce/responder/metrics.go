package responder

import "github.com/prometheus/client_golang/prometheus"

// Metrics count what the responder saw and did.
type Metrics struct {
	Events  *prometheus.CounterVec
	Matches *prometheus.CounterVec
	Dropped prometheus.Counter
	Refused *prometheus.CounterVec
}

// NewMetrics returns the responder's metrics, to register with Collectors.
func NewMetrics() *Metrics {
	return &Metrics{
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "palisade_runtime_events_total",
			Help: "Runtime events received, by source (k8s_audit, falco)."}, []string{"source"}),
		Matches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "palisade_runtime_matches_total",
			Help: "Runtime matches responded to, by ruleset and action."}, []string{"ruleset", "action"}),
		Dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "palisade_runtime_dropped_total",
			Help: "Runtime matches dropped because the response queue was full."}),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "palisade_runtime_requests_refused_total",
			Help: "Requests to /audit and /falco refused, by reason."}, []string{"reason"}),
	}
}

// Collectors lists the metrics for a registry.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.Events, m.Matches, m.Dropped, m.Refused}
}

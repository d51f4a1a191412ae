package webhook

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/palisade-dev/palisade/internal/enforce/admission"
)

// Metrics are the webhook's Prometheus metrics, on their own registry.
type Metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	decisions  *prometheus.CounterVec
	errors     *prometheus.CounterVec
	Reloads    *prometheus.CounterVec
	PolicyInfo *prometheus.GaugeVec
}

// NewMetrics registers the metrics (and Go and process collectors).
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_webhook_requests_total", Help: "Admission reviews answered, by operation and whether they were allowed.",
		}, []string{"operation", "allowed"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "palisade_webhook_request_duration_seconds", Help: "Time from reading a review to writing its answer.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"operation"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_admission_findings_total", Help: "Rule violations found at admission, by rule and action.",
		}, []string{"rule", "action"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_webhook_errors_total", Help: "Requests refused or failed at the edge, and events not recorded, by reason.",
		}, []string{"reason"}),
		Reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "palisade_reloads_total", Help: "Reloads of the policy file and TLS certificate, by what and result.",
		}, []string{"what", "result"}),
		PolicyInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "palisade_policy_info", Help: "The policy in force (value 1), with its name and content hash.",
		}, []string{"name", "hash"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.decisions, m.errors, m.Reloads, m.PolicyInfo,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *Metrics) observe(op string, out admission.Outcome, d time.Duration) {
	if m == nil {
		return
	}
	op = operationLabel(op)
	m.requests.WithLabelValues(op, strconv.FormatBool(out.Response.Allowed)).Inc()
	m.latency.WithLabelValues(op).Observe(d.Seconds())
	for _, f := range out.Findings {
		m.decisions.WithLabelValues(f.Rule, string(f.Action)).Inc()
	}
}

// operationLabel bounds the operation label to the admission operations:
// the body comes from whoever reaches the Service, and every new label
// value would be a new time series kept for the process's life.
func operationLabel(op string) string {
	switch admissionv1.Operation(op) {
	case admissionv1.Create, admissionv1.Update, admissionv1.Delete, admissionv1.Connect:
		return op
	}
	return "other"
}

func (m *Metrics) observeError(reason string) {
	if m == nil {
		return
	}
	m.errors.WithLabelValues(reason).Inc()
}

// Register adds collectors (the agent's queue gauges, say) to the registry
// /metrics serves.
func (m *Metrics) Register(cs ...prometheus.Collector) {
	m.reg.MustRegister(cs...)
}

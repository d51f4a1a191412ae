package sensor

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the sensor's Prometheus metrics.
type Metrics struct {
	Events *prometheus.CounterVec
	Alerts *prometheus.CounterVec
	Errors prometheus.Counter
	// drops reads the probe's per-CPU drop counters at each scrape.
	drops func() ([]uint64, error)
}

// NewMetrics registers the sensor's metrics with reg. drops is read at
// each scrape (palisade_sensor_ring_drops_total{cpu}).
func NewMetrics(reg prometheus.Registerer, drops func() ([]uint64, error)) *Metrics {
	m := &Metrics{
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "palisade_sensor_events_total",
			Help: "Events the sensor evaluated, by event type."}, []string{"type"}),
		Alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "palisade_sensor_alerts_total",
			Help: "Alerts the sensor raised, by rule."}, []string{"rule"}),
		Errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "palisade_sensor_record_errors_total",
			Help: "Probe records the sensor could not read (each is logged)."}),
		drops: drops,
	}
	reg.MustRegister(m.Events, m.Alerts, m.Errors, dropCollector{m})
	return m
}

func (m *Metrics) event(typ string) {
	if m != nil {
		m.Events.WithLabelValues(typ).Inc()
	}
}

func (m *Metrics) alert(rule string) {
	if m != nil {
		m.Alerts.WithLabelValues(rule).Inc()
	}
}

func (m *Metrics) error() {
	if m != nil {
		m.Errors.Inc()
	}
}

var dropDesc = prometheus.NewDesc("palisade_sensor_ring_drops_total",
	"Records the probe could not put in the ring buffer (user space fell behind), per CPU.", []string{"cpu"}, nil)

type dropCollector struct{ m *Metrics }

func (c dropCollector) Describe(ch chan<- *prometheus.Desc) { ch <- dropDesc }

func (c dropCollector) Collect(ch chan<- prometheus.Metric) {
	if c.m.drops == nil {
		return
	}
	perCPU, err := c.m.drops()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(dropDesc, err)
		return
	}
	for cpu, n := range perCPU {
		ch <- prometheus.MustNewConstMetric(dropDesc, prometheus.CounterValue, float64(n), strconv.Itoa(cpu))
	}
}

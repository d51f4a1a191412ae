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
	// kernel reads the probe's counters at each scrape.
	kernel KernelCounters
}

// KernelCounters are the probe's counters (a Sensor has them).
type KernelCounters interface {
	// Drops returns, per CPU, the records the ring buffer had no room for.
	Drops() ([]uint64, error)
	// Filtered returns the opens the path filter dropped.
	Filtered() (uint64, error)
}

// NewMetrics registers the sensor's metrics with reg. The kernel's
// counters are read at each scrape (palisade_sensor_ring_drops_total{cpu},
// palisade_sensor_filtered_opens_total); k may be nil.
func NewMetrics(reg prometheus.Registerer, k KernelCounters) *Metrics {
	m := &Metrics{
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "palisade_sensor_events_total",
			Help: "Events the sensor evaluated, by event type."}, []string{"type"}),
		Alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "palisade_sensor_alerts_total",
			Help: "Alerts the sensor raised, by rule."}, []string{"rule"}),
		Errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "palisade_sensor_record_errors_total",
			Help: "Probe records the sensor could not read (each is logged)."}),
		kernel: k,
	}
	reg.MustRegister(m.Events, m.Alerts, m.Errors, kernelCollector{m})
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

var (
	dropDesc = prometheus.NewDesc("palisade_sensor_ring_drops_total",
		"Records the probe could not put in the ring buffer (user space fell behind), per CPU.", []string{"cpu"}, nil)
	filteredDesc = prometheus.NewDesc("palisade_sensor_filtered_opens_total",
		"Opens the probe's path filter dropped in the kernel: no loaded rule can match their path.", nil, nil)
)

type kernelCollector struct{ m *Metrics }

func (c kernelCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- dropDesc
	ch <- filteredDesc
}

func (c kernelCollector) Collect(ch chan<- prometheus.Metric) {
	if c.m.kernel == nil {
		return
	}
	if perCPU, err := c.m.kernel.Drops(); err != nil {
		ch <- prometheus.NewInvalidMetric(dropDesc, err)
	} else {
		for cpu, n := range perCPU {
			ch <- prometheus.MustNewConstMetric(dropDesc, prometheus.CounterValue, float64(n), strconv.Itoa(cpu))
		}
	}
	if n, err := c.m.kernel.Filtered(); err != nil {
		ch <- prometheus.NewInvalidMetric(filteredDesc, err)
	} else {
		ch <- prometheus.MustNewConstMetric(filteredDesc, prometheus.CounterValue, float64(n))
	}
}

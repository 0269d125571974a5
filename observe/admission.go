package observe

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// admissionMetrics are the figures of the GraphQL requests' turns
// (httpapi's admission: at most so many run at once, the others wait).
type admissionMetrics struct {
	waiting prometheus.Gauge
	wait    prometheus.Histogram
}

func newAdmissionMetrics() admissionMetrics {
	return admissionMetrics{
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "flowlens_graphql_requests_waiting",
			Help: "GraphQL requests waiting for their turn to run (MAX_ACTIVE_REQUESTS run at once).",
		}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "flowlens_graphql_admission_wait_seconds",
			Help:    "Time GraphQL requests waited for their turn to run.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
}

func (a admissionMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{a.waiting, a.wait}
}

// Queued records a request starting to wait for its turn; the function it
// returns records the end of the wait.
func (m *Metrics) Queued() (done func()) {
	start := time.Now()
	m.admission.waiting.Inc()
	return func() {
		m.admission.waiting.Dec()
		m.admission.wait.Observe(time.Since(start).Seconds())
	}
}

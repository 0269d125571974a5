package observe

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// readMetrics are the figures of replica reads (store.ReadMetrics): they
// stay empty while no replica is configured.
type readMetrics struct {
	reads     *prometheus.CounterVec
	fallbacks *prometheus.CounterVec
	lag       *prometheus.GaugeVec
	up        *prometheus.GaugeVec
	check     prometheus.Histogram
}

func newReadMetrics() readMetrics {
	return readMetrics{
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowlens_db_reads_total",
			Help: "Read-only transactions by target: primary, or a replica's name (replica-1 is the first of REPLICA_DATABASE_URLS).",
		}, []string{"target"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowlens_replica_fallbacks_total",
			Help: "Requests that read from the primary although replicas are configured, by reason: lagging, unreachable, promoted, query_error, no_replica, primary_position.",
		}, []string{"reason"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "flowlens_replica_lag_bytes",
			Help: "Bytes of the primary's WAL a replica had yet to replay when a request last checked it.",
		}, []string{"replica"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "flowlens_replica_up",
			Help: "1 while a replica is in rotation, 0 while it is skipped after a failure.",
		}, []string{"replica"}),
		check: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "flowlens_replica_check_seconds",
			Help:    "Time a request spent choosing where to read: the primary's WAL position and any wait for a replica to replay it.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}),
	}
}

func (r readMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{r.reads, r.fallbacks, r.lag, r.up, r.check}
}

// ReplicaRead implements store.ReadMetrics.
func (m *Metrics) ReplicaRead(target string) { m.replicas.reads.WithLabelValues(target).Inc() }

// ReplicaFallback implements store.ReadMetrics.
func (m *Metrics) ReplicaFallback(reason string) {
	m.replicas.fallbacks.WithLabelValues(reason).Inc()
}

// ReplicaLag implements store.ReadMetrics.
func (m *Metrics) ReplicaLag(replica string, bytes uint64) {
	m.replicas.lag.WithLabelValues(replica).Set(float64(bytes))
}

// ReplicaUp implements store.ReadMetrics.
func (m *Metrics) ReplicaUp(replica string, up bool) {
	v := 0.0
	if up {
		v = 1
	}
	m.replicas.up.WithLabelValues(replica).Set(v)
}

// ReplicaCheck implements store.ReadMetrics.
func (m *Metrics) ReplicaCheck(d time.Duration) { m.replicas.check.Observe(d.Seconds()) }

// Package observe gives flowlens the signals operators expect: Prometheus
// metrics (GraphQL requests by operation and outcome, their latency, SQL
// statements and their latency, connection pool use, dataloader batch
// sizes, file exports with their rows, bytes and duration, replica
// reads) and one structured JSON log line per request, with a request id
// that is also returned in the X-Request-Id header. It never records a
// token, a secret, a query text or its variables.
package observe

import (
	"database/sql"
	"net/http"
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"flowlens/models"
)

// Metric label values that are not an operation name.
const (
	// OperationAnonymous labels an operation without a name.
	OperationAnonymous = "anonymous"
	// OperationUnknown labels a request refused before its document was
	// parsed (authentication, rate limit, transport limits, bad JSON).
	OperationUnknown = "unknown"
	// OperationOther labels every operation whose name is not one of the
	// known ones: names are chosen by clients (and may say what a tenant
	// is up to), so no label or log line carries them.
	OperationOther = "other"
	// OutcomeOK labels a request answered without errors; any other
	// outcome is the code of its first error (extensions.code).
	OutcomeOK = "ok"
)

var errorCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,47}$`)

// Metrics holds flowlens's Prometheus collectors in a registry of its own.
type Metrics struct {
	registry *prometheus.Registry

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	sqlStatements   *prometheus.CounterVec
	sqlDuration     *prometheus.HistogramVec
	batchSize       *prometheus.HistogramVec
	exports         *prometheus.CounterVec
	exportDuration  *prometheus.HistogramVec
	exportRows      *prometheus.CounterVec
	exportBytes     *prometheus.CounterVec
	replicas        readMetrics
	admission       admissionMetrics

	known map[string]bool // the operation names that are labels
}

// NewMetrics returns the metrics of one service, with the Go runtime and
// process collectors. Operations named one of known (the names of the
// service's own documents: the Playground's examples, the typed client's)
// are labelled with their name; every other name is OperationOther.
func NewMetrics(known ...string) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		known:    map[string]bool{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowlens_graphql_requests_total",
			Help: "GraphQL requests by operation name and outcome (ok, or the code of the first error).",
		}, []string{"operation", "outcome"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "flowlens_graphql_request_duration_seconds",
			Help:    "Latency of GraphQL requests, from the first byte read to the last written, by operation name.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		sqlStatements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowlens_sql_statements_total",
			Help: "SQL statements run, by kind (SELECT, BEGIN, ...) and outcome (ok or error).",
		}, []string{"statement", "outcome"}),
		sqlDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "flowlens_sql_statement_duration_seconds",
			Help:    "Latency of SQL statements by kind.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"statement"}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "flowlens_dataloader_batch_size",
			Help:    "Keys per dataloader batch (one SQL statement each), by loader.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000},
		}, []string{"loader"}),
		exports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowlens_exports_total",
			Help: "File exports by export and outcome (ok, aborted after the first byte, or the code of the error answered).",
		}, []string{"export", "outcome"}),
		exportDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "flowlens_export_duration_seconds",
			Help:    "Duration of file exports, from the first byte read to the last written, by export.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 120, 300, 600},
		}, []string{"export"}),
		exportRows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowlens_export_rows_total",
			Help: "Data rows written by file exports (header rows not counted), by export.",
		}, []string{"export"}),
		exportBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flowlens_export_bytes_total",
			Help: "Bytes of file exports written to clients, by export.",
		}, []string{"export"}),
	}
	m.replicas = newReadMetrics()
	m.admission = newAdmissionMetrics()
	for _, name := range known {
		m.known[name] = true
	}
	m.registry.MustRegister(m.requests, m.requestDuration, m.sqlStatements, m.sqlDuration, m.batchSize,
		m.exports, m.exportDuration, m.exportRows, m.exportBytes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.registry.MustRegister(m.replicas.collectors()...)
	m.registry.MustRegister(m.admission.collectors()...)
	return m
}

// CollectDB adds the connection pool figures of db (open, in use, idle,
// waits, ...: the go_sql_* metrics) under db_name.
func (m *Metrics) CollectDB(db *sql.DB, name string) {
	m.registry.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// ObserveBatch records one dataloader batch of size keys.
func (m *Metrics) ObserveBatch(loader string, size int) {
	m.batchSize.WithLabelValues(loader).Observe(float64(size))
}

// operationLabel returns the label of an operation name: the name when it
// is a known one, OperationAnonymous for none, else OperationOther.
func (m *Metrics) operationLabel(name string) string {
	switch {
	case name == OperationUnknown || name == OperationAnonymous:
		return name
	case name == "":
		return OperationAnonymous
	case m.known[name]:
		return name
	}
	return OperationOther
}

// outcomeLabel bounds the outcome label to OutcomeOK or an error code.
func outcomeLabel(code string) string {
	switch {
	case code == "":
		return OutcomeOK
	case errorCode.MatchString(code):
		return code
	default:
		return string(models.CodeUnknown)
	}
}

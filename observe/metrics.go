// Package observe is how operators watch Kassa: its Prometheus metrics
// (Metrics, on a registry of its own that Handler serves) and its log,
// whose lines written while a request is handled carry that request's ID
// (NewLogger). The adapters record into a Metrics as they work; the
// gauges that need the database are read from the store on each scrape
// (WatchStore). Every metric, its labels and their cardinality are listed
// in docs/observability.md.
package observe

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are Kassa's metrics. Their methods are safe for concurrent use.
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	durations    *prometheus.HistogramVec
	passes       *prometheus.CounterVec
	failures     *prometheus.CounterVec
	items        *prometheus.CounterVec
	passTimes    *prometheus.HistogramVec
	tokens       prometheus.Counter
	authFailures *prometheus.CounterVec
	refusals     *prometheus.CounterVec
}

// The kinds of authentication failure (AuthFailed).
const (
	// NoToken is a request to an authenticated route without a bearer
	// token.
	NoToken = "no_token"
	// BadToken is a bearer token refused: not genuine, expired, or its
	// client revoked.
	BadToken = "bad_token"
	// BadCredentials is a token request whose client credentials were
	// refused.
	BadCredentials = "bad_credentials"
)

// The abuse limits that refuse requests (RateLimited).
const (
	// MerchantQuota is a merchant's quota of authenticated requests.
	MerchantQuota = "merchant_quota"
	// TokenBackoff is the backoff of failed token requests.
	TokenBackoff = "token_backoff"
	// BadTokenBackoff is the backoff of an address that sent bad access
	// tokens.
	BadTokenBackoff = "bad_token_backoff"
)

// latencyBuckets suit requests and passes that commit to disk: from a
// millisecond (a read) to ten seconds (far beyond any healthy one).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New makes the metrics on a new registry, with the Go runtime's and the
// process's.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_http_requests_total", Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kassa_http_request_duration_seconds", Help: "Time to answer HTTP requests, by method and route pattern.", Buckets: latencyBuckets,
		}, []string{"method", "route"}),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_job_passes_total", Help: "Passes of each background job, failed ones included.",
		}, []string{"name"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_job_failures_total", Help: "Passes of each background job that failed.",
		}, []string{"name"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_job_items_total", Help: "Items each background job's passes handled (orders, documents, records).",
		}, []string{"name"}),
		passTimes: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kassa_job_pass_duration_seconds", Help: "Time each background job's passes took.", Buckets: latencyBuckets,
		}, []string{"name"}),
		tokens: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kassa_access_tokens_issued_total", Help: "Access tokens issued at POST /oauth/token.",
		}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_auth_failures_total", Help: "Requests refused for their credentials: no_token, bad_token, bad_credentials.",
		}, []string{"kind"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kassa_rate_limited_total", Help: "Requests refused by an abuse limit (429): merchant_quota, token_backoff, bad_token_backoff.",
		}, []string{"limit"}),
	}
	// Every kind and limit is there from the start, at 0, so that a rate
	// over them is defined before the first refusal.
	for _, k := range []string{NoToken, BadToken, BadCredentials} {
		m.authFailures.WithLabelValues(k)
	}
	for _, l := range []string{MerchantQuota, TokenBackoff, BadTokenBackoff} {
		m.refusals.WithLabelValues(l)
	}
	m.reg.MustRegister(m.requests, m.durations, m.passes, m.failures, m.items, m.passTimes, m.tokens, m.authFailures, m.refusals,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewBuildInfoCollector())
	return m
}

// Handler serves the metrics in Prometheus's text format. A collector
// that fails leaves its metrics out rather than failing the scrape.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Request counts an HTTP request answered with status after d. route is
// the pattern of the route that served it (http.Request.Pattern), its
// method left out, or "" for none; its path is never a label, for it
// holds IDs. A method no route has is counted as OTHER.
func (m *Metrics) Request(method, pattern string, status int, d time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
	default:
		method = "OTHER"
	}
	route := Route(pattern)
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.durations.WithLabelValues(method, route).Observe(d.Seconds())
}

// Route is a route pattern without its method: "/v1/orders/{orderId}"
// for "GET /v1/orders/{orderId}"; "unrouted" for a request no route
// matched.
func Route(pattern string) string {
	if pattern == "" {
		return "unrouted"
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

// Job is the metrics of the background job named name, there from the
// start at 0.
func (m *Metrics) Job(name string) JobMetrics {
	return JobMetrics{
		passes: m.passes.WithLabelValues(name), failures: m.failures.WithLabelValues(name),
		items: m.items.WithLabelValues(name), time: m.passTimes.WithLabelValues(name),
	}
}

// JobMetrics are one background job's metrics.
type JobMetrics struct {
	passes, failures, items prometheus.Counter
	time                    prometheus.Observer
}

// Pass counts a pass that handled n items in d, failed when err is not
// nil.
func (j JobMetrics) Pass(n int, d time.Duration, err error) {
	j.passes.Inc()
	if err != nil {
		j.failures.Inc()
	}
	j.items.Add(float64(n))
	j.time.Observe(d.Seconds())
}

// TokenIssued counts an access token issued.
func (m *Metrics) TokenIssued() { m.tokens.Inc() }

// AuthFailed counts a request refused for its credentials, of a kind:
// NoToken, BadToken or BadCredentials.
func (m *Metrics) AuthFailed(kind string) { m.authFailures.WithLabelValues(kind).Inc() }

// RateLimited counts a request refused by an abuse limit: MerchantQuota,
// TokenBackoff or BadTokenBackoff.
func (m *Metrics) RateLimited(limit string) { m.refusals.WithLabelValues(limit).Inc() }

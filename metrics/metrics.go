// Package metrics is Listo's Prometheus instrumentation: HTTP requests by
// route template and status, in-flight requests, bcrypt queueing, database
// operation latency and account events, on a registry of its own (never the
// global default one, so many servers can run in one process), and the
// handler of the opt-in operator listener (/metrics and /debug/pprof).
//
// No label ever carries a user id, an email, a token or a raw URL path:
// routes are Gin's templates ("/todos/:id"), unmatched paths are
// "unmatched", and methods outside the standard set are "other".
package metrics

import (
	"errors"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"listo/models"
)

// latencyBuckets span a cached in-memory answer (sub-millisecond) to a
// request stuck behind a slow database or bcrypt queue (seconds).
func latencyBuckets() []float64 {
	return []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
}

// Metrics holds Listo's collectors and the registry they are registered on.
type Metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	inFlight      prometheus.Gauge
	bcryptWait    prometheus.Histogram
	bcryptRunning prometheus.Gauge
	dbDuration    *prometheus.HistogramVec
	sessCreated   prometheus.Counter
	sessRevoked   prometheus.Counter
	reuse         prometheus.Counter
	rateLimited   prometheus.Counter
	streamsOpen   prometheus.Gauge
	eventsSent    prometheus.Counter
	streamsFull   prometheus.Counter
}

// New returns a fresh set of collectors on a new registry, with the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "listo_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "listo_http_request_duration_seconds",
			Help:    "HTTP request latency from the first middleware to the last byte handed to the connection, by route template, method and status.",
			Buckets: latencyBuckets(),
		}, []string{"route", "method", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "listo_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		bcryptWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "listo_bcrypt_queue_wait_seconds",
			Help:    "Time a password hash or comparison waited for a free bcrypt slot.",
			Buckets: latencyBuckets(),
		}),
		bcryptRunning: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "listo_bcrypt_running",
			Help: "Password hashes or comparisons running now.",
		}),
		dbDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "listo_db_operation_duration_seconds",
			Help:    "Database operation latency by operation and result (ok, not_found, conflict, unavailable, error).",
			Buckets: latencyBuckets(),
		}, []string{"op", "result"}),
		sessCreated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "listo_sessions_created_total",
			Help: "Sessions created by a login.",
		}),
		sessRevoked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "listo_sessions_revoked_total",
			Help: "Sessions revoked (logout, revoke, password change, admin action, refresh token reuse).",
		}),
		reuse: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "listo_refresh_token_reuse_detected_total",
			Help: "Refresh tokens presented again after rotation (the session is revoked).",
		}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "listo_rate_limited_total",
			Help: "Requests rejected by a rate limit or a login lockout.",
		}),
		streamsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "listo_events_streams_open",
			Help: "Open GET /events streams.",
		}),
		eventsSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "listo_events_sent_total",
			Help: "Live events written to GET /events streams (resync and replayed events included, pings not).",
		}),
		streamsFull: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "listo_events_streams_dropped_total",
			Help: "GET /events streams closed because their queue was full (a client too slow to read; it resumes with Last-Event-ID).",
		}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.inFlight, m.bcryptWait, m.bcryptRunning, m.dbDuration,
		m.sessCreated, m.sessRevoked, m.reuse, m.rateLimited,
		m.streamsOpen, m.eventsSent, m.streamsFull,
	)
	return m
}

// Registry is the registry every collector is on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Middleware counts and times every request by route template, method and
// status, and tracks the requests in flight. It belongs first in the chain.
// An event stream (text/event-stream) is counted but not timed: it lasts
// as long as its client stays, which says nothing of latency.
func (m *Metrics) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		m.inFlight.Inc()
		defer m.inFlight.Dec()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		labels := prometheus.Labels{"route": route, "method": method(c.Request.Method), "status": strconv.Itoa(c.Writer.Status())}
		m.requests.With(labels).Inc()
		if !strings.HasPrefix(c.Writer.Header().Get("Content-Type"), "text/event-stream") {
			m.duration.With(labels).Observe(time.Since(start).Seconds())
		}
	}
}

// method bounds the method label to the standard methods.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// ObserveDB records one database operation; it fits store.Options.Observe.
func (m *Metrics) ObserveDB(op string, d time.Duration, err error) {
	m.dbDuration.WithLabelValues(op, result(err)).Observe(d.Seconds())
}

func result(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, models.ErrNotFound):
		return "not_found"
	case errors.Is(err, models.ErrConflict):
		return "conflict"
	case errors.Is(err, models.ErrUnavailable):
		return "unavailable"
	}
	return "error"
}

// ObserveBcryptWait records a bcrypt queue wait; it fits Hasher.ObserveWait.
func (m *Metrics) ObserveBcryptWait(d time.Duration) { m.bcryptWait.Observe(d.Seconds()) }

// BcryptRunning moves the running-hashes gauge; it fits
// Hasher.ObserveRunning.
func (m *Metrics) BcryptRunning(delta int) { m.bcryptRunning.Add(float64(delta)) }

// SessionCreated counts a login.
func (m *Metrics) SessionCreated() { m.sessCreated.Inc() }

// SessionsRevoked counts n revoked sessions.
func (m *Metrics) SessionsRevoked(n int) { m.sessRevoked.Add(float64(max(n, 0))) }

// ReuseDetected counts a refresh token presented after its rotation.
func (m *Metrics) ReuseDetected() { m.reuse.Inc() }

// RateLimited counts a rejected request.
func (m *Metrics) RateLimited() { m.rateLimited.Inc() }

// StreamsOpen moves the open event streams gauge; it fits
// events.Metrics.StreamsOpen.
func (m *Metrics) StreamsOpen(delta int) { m.streamsOpen.Add(float64(delta)) }

// EventsSent counts n events written to streams; it fits
// events.Metrics.EventsSent.
func (m *Metrics) EventsSent(n int) { m.eventsSent.Add(float64(max(n, 0))) }

// StreamDropped counts a stream closed for a full queue; it fits
// events.Metrics.StreamDropped.
func (m *Metrics) StreamDropped() { m.streamsFull.Inc() }

// Handler serves the operator listener: GET /metrics in the Prometheus
// exposition format and the runtime profiles under /debug/pprof/, on a
// private mux (never http.DefaultServeMux).
//
// The profiles are served only with pprof true (PPROF=true): they are
// expensive to produce and reveal the program's internals, and a page in
// an operator's browser could reach a loopback listener by DNS rebinding.
func (m *Metrics) Handler(pprofOn bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg}))
	if !pprofOn {
		return mux
	}
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

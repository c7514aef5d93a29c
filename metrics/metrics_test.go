package metrics_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"listo/metrics"
	"listo/models"
)

// Labels stay bounded: route templates, "unmatched", standard methods or
// "other", and DB results by error class.
func TestLabelsBounded(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	m := metrics.New()
	r := gin.New()
	r.Use(m.Middleware())
	r.GET("/todos/:id", func(c *gin.Context) { c.Status(http.StatusOK) })
	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/todos/6650f0c2a1b2c3d4e5f60718", nil),
		httptest.NewRequest("GET", "/secret-user@example.com", nil),
		httptest.NewRequest("FROBNICATE", "/todos/x", nil),
	} {
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
	m.ObserveDB("todos.by_id", time.Millisecond, nil)
	m.ObserveDB("todos.by_id", time.Millisecond, errors.Join(errors.New("db"), models.ErrNotFound))

	rec := httptest.NewRecorder()
	m.Handler(false).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, line := range []string{
		`listo_http_requests_total{method="GET",route="/todos/:id",status="200"} 1`,
		`listo_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`listo_http_requests_total{method="other",route="unmatched",status="404"} 1`,
		`listo_db_operation_duration_seconds_count{op="todos.by_id",result="ok"} 1`,
		`listo_db_operation_duration_seconds_count{op="todos.by_id",result="not_found"} 1`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("scrape lacks %s", line)
		}
	}
	for _, leak := range []string{"6650f0c2a1b2c3d4e5f60718", "secret-user@example.com", "FROBNICATE"} {
		if strings.Contains(body, leak) {
			t.Errorf("scrape contains %q", leak)
		}
	}
}

// Event streams: the gauge, the counters, and no latency observation for a
// stream (it would only say how long its client stayed).
func TestEventMetrics(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	m := metrics.New()
	r := gin.New()
	r.Use(m.Middleware())
	r.GET("/events", func(c *gin.Context) {
		c.Header("Content-Type", "text/event-stream")
		c.Status(http.StatusOK)
	})
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/events", nil))
	m.StreamsOpen(1)
	m.StreamsOpen(1)
	m.StreamsOpen(-1)
	m.EventsSent(3)
	m.StreamDropped()

	rec := httptest.NewRecorder()
	m.Handler(false).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, line := range []string{
		`listo_events_streams_open 1`,
		`listo_events_sent_total 3`,
		`listo_events_streams_dropped_total 1`,
		`listo_http_requests_total{method="GET",route="/events",status="200"} 1`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("scrape lacks %s", line)
		}
	}
	if strings.Contains(body, `listo_http_request_duration_seconds_count{method="GET",route="/events"`) {
		t.Error("an event stream was timed as a request")
	}
}

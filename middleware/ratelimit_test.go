package middleware_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"

	"listo/auth"
	"listo/httpx"
	"listo/middleware"
	"listo/models"
	"listo/ratelimit"
)

// clock is a settable clock: no test sleeps.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var tooMany = doc(429, "Too many requests; try again later.")

func TestRateLimit(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	var rejected, ran atomic.Int32
	// 2 a minute: one token back every 30 s.
	r := newEngine(middleware.Problems(slog.New(slog.DiscardHandler)),
		middleware.RateLimit(ratelimit.NewKeyed(2, time.Minute, clk.Now), func() { rejected.Add(1) }))
	r.POST("/", func(c *gin.Context) { ran.Add(1); c.Status(http.StatusNoContent) })
	srv := serve(t, r)

	for i, step := range []struct {
		advance    time.Duration
		status     int
		retryAfter string
	}{
		{0, 204, ""},
		{0, 204, ""},
		{0, 429, "30"},
		{29 * time.Second, 429, "1"},
		{500 * time.Millisecond, 429, "1"}, // whole seconds, at least one
		{500 * time.Millisecond, 204, ""},
		{0, 429, "30"},
		{time.Hour, 204, ""}, // a full bucket again
		{0, 204, ""},
		{0, 429, "30"},
	} {
		clk.Advance(step.advance)
		res := do(t, srv, "POST", "/", nil)
		if res.Status != step.status || res.Header.Get("Retry-After") != step.retryAfter {
			t.Fatalf("request %d (+%v) = %d, Retry-After %q; want %d, %q",
				i+1, step.advance, res.Status, res.Header.Get("Retry-After"), step.status, step.retryAfter)
		}
		if step.status == 429 {
			if diff := cmp.Diff(tooMany, decodeProblem(t, res)); diff != "" {
				t.Errorf("request %d: problem (-want +got):\n%s", i+1, diff)
			}
		}
	}
	if got, want := [2]int32{ran.Load(), rejected.Load()}, [2]int32{5, 5}; got != want {
		t.Errorf("handler runs, rejections = %v; want %v", got, want)
	}
}

// TestRateLimitKeysOnClientIP: the key is gin's ClientIP, which believes
// X-Forwarded-For only from a trusted proxy; IPv6 clients are keyed by /64.
func TestRateLimitKeysOnClientIP(t *testing.T) {
	newServer := func(t *testing.T, trusted []string) *httptest.Server {
		t.Helper()
		clk := &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
		r := newEngine(middleware.Problems(slog.New(slog.DiscardHandler)),
			middleware.RateLimit(ratelimit.NewKeyed(1, time.Minute, clk.Now), nil))
		if err := r.SetTrustedProxies(trusted); err != nil {
			t.Fatal(err)
		}
		r.GET("/", ok)
		return serve(t, r)
	}
	get := func(t *testing.T, srv *httptest.Server, xff string) int {
		t.Helper()
		var h []string
		if xff != "" {
			h = []string{"X-Forwarded-For", xff}
		}
		return do(t, srv, "GET", "/", nil, h...).Status
	}

	t.Run("spoofed X-Forwarded-For does not dodge the limit", func(t *testing.T) {
		c := newServer(t, nil)
		for i, xff := range []string{"203.0.113.1", "203.0.113.2", "", "198.51.100.9, 203.0.113.3"} {
			want := 429
			if i == 0 {
				want = 200
			}
			if got := get(t, c, xff); got != want {
				t.Errorf("request %d (X-Forwarded-For %q) = %d; want %d", i+1, xff, got, want)
			}
		}
	})
	t.Run("behind a trusted proxy each client has its own budget", func(t *testing.T) {
		c := newServer(t, []string{"127.0.0.1"})
		for i, step := range []struct {
			xff  string
			want int
		}{
			{"203.0.113.1", 200},
			{"203.0.113.2", 200},
			{"203.0.113.1", 429},
			{"2001:db8:1:2::1", 200},
			{"2001:db8:1:2:ffff:ffff:ffff:ffff", 429}, // the same /64
			{"2001:db8:1:3::1", 200},                  // the next /64
			{"", 200},                                 // the proxy itself
			{"", 429},
		} {
			if got := get(t, c, step.xff); got != step.want {
				t.Errorf("request %d (X-Forwarded-For %q) = %d; want %d", i+1, step.xff, got, step.want)
			}
		}
	})
}

func TestRateLimitDisabled(t *testing.T) {
	r := newEngine(middleware.Problems(slog.New(slog.DiscardHandler)),
		middleware.RateLimit(ratelimit.NewKeyed(0, time.Minute, nil), nil))
	r.GET("/", ok)
	srv := serve(t, r)
	for i := range 50 {
		if res := do(t, srv, "GET", "/", nil); res.Status != http.StatusOK {
			t.Fatalf("request %d = %d; want 200 (limit 0 is off)", i+1, res.Status)
		}
	}
}

func TestUserRateLimit(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	var rejected atomic.Int32
	// One write a second per user, bursts of two.
	r := newEngine(middleware.Problems(slog.New(slog.DiscardHandler)),
		func(c *gin.Context) { // what Authenticate leaves
			httpx.SetPrincipal(c, auth.Principal{User: models.User{ID: c.GetHeader("X-Test-User")}})
		},
		middleware.UserRateLimit(ratelimit.NewKeyedRate(1, 2, clk.Now), func() { rejected.Add(1) }))
	r.POST("/todos", func(c *gin.Context) { c.Status(http.StatusCreated) })
	srv := serve(t, r)

	for i, step := range []struct {
		advance    time.Duration
		user, xff  string
		status     int
		retryAfter string
	}{
		{0, "alice", "", 201, ""},
		{0, "alice", "", 201, ""},
		{0, "alice", "", 429, "1"},
		{0, "alice", "203.0.113.7", 429, "1"}, // another IP: still alice
		{0, "bob", "", 201, ""},               // the same IP: another user
		{time.Second, "alice", "", 201, ""},
		{0, "alice", "", 429, "1"},
	} {
		clk.Advance(step.advance)
		h := []string{"X-Test-User", step.user}
		if step.xff != "" {
			h = append(h, "X-Forwarded-For", step.xff)
		}
		res := do(t, srv, "POST", "/todos", nil, h...)
		if res.Status != step.status || res.Header.Get("Retry-After") != step.retryAfter {
			t.Fatalf("request %d (%s) = %d, Retry-After %q; want %d, %q",
				i+1, step.user, res.Status, res.Header.Get("Retry-After"), step.status, step.retryAfter)
		}
		if step.status == 429 {
			if diff := cmp.Diff(tooMany, decodeProblem(t, res)); diff != "" {
				t.Errorf("request %d: problem (-want +got):\n%s", i+1, diff)
			}
		}
	}
	if n := rejected.Load(); n != 3 {
		t.Errorf("onReject ran %d times; want 3", n)
	}

	t.Run("without Authenticate it fails closed", func(t *testing.T) {
		log := slog.New(slog.DiscardHandler)
		r := newEngine(middleware.Problems(log), middleware.Recovery(log),
			middleware.UserRateLimit(ratelimit.NewKeyedRate(1, 2, clk.Now), nil))
		var ran atomic.Bool
		r.POST("/todos", func(c *gin.Context) { ran.Store(true) })
		res := do(t, serve(t, r), "POST", "/todos", nil)
		if res.Status != http.StatusInternalServerError || ran.Load() {
			t.Errorf("POST /todos = %d, handler ran %t; want a 500 and no handler", res.Status, ran.Load())
		}
	})
}

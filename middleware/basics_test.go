package middleware_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"

	"listo/httpx"
	"listo/middleware"
	"listo/models"
	"listo/problem"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	os.Exit(m.Run())
}

// newEngine is a bare Gin engine set up as the app sets its own (no
// redirects, 405 with the app's NoMethod), with mw applied to every route.
func newEngine(mw ...gin.HandlerFunc) *gin.Engine {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.ContextWithFallback = true
	r.NoMethod(func(c *gin.Context) {
		httpx.Fail(c, problem.New(http.StatusMethodNotAllowed, "This method is not allowed here; see the Allow header."))
	})
	r.Use(mw...)
	return r
}

// logBuffer collects what a logger writes; the server writes from its own
// goroutines. (apptest.Logs would do, but importing apptest links the store
// and the whole app into a unit test of the middleware.)
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newLog is a JSON logger into logs, at debug level so nothing is filtered.
func newLog(logs *logBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// logLines decodes every JSON line logged so far.
func logLines(t *testing.T, logs *logBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(logs.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// serve runs h on a real HTTP server on 127.0.0.1 for the test.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

type response struct {
	Status int
	Header http.Header
	Body   string
}

// newRequest builds a request to srv; headers are name, value pairs.
func newRequest(t *testing.T, srv *httptest.Server, method, path string, body io.Reader, headers ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	return req
}

// send sends req over the network and reads the whole answer.
func send(t *testing.T, srv *httptest.Server, req *http.Request) response {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// do is newRequest and send.
func do(t *testing.T, srv *httptest.Server, method, path string, body io.Reader, headers ...string) response {
	t.Helper()
	return send(t, srv, newRequest(t, srv, method, path, body, headers...))
}

// problemDoc is a problem response body as a client reads it.
type problemDoc struct {
	Type   string               `json:"type"`
	Title  string               `json:"title"`
	Status int                  `json:"status"`
	Detail string               `json:"detail"`
	Errors []problem.FieldError `json:"errors"`
}

// decodeProblem checks that res is an RFC 9457 problem, not cacheable, whose
// status field is the response's, and returns it.
func decodeProblem(t *testing.T, res response) problemDoc {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != problem.ContentType {
		t.Errorf("Content-Type = %q; want %q (body %s)", ct, problem.ContentType, res.Body)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", cc)
	}
	var p problemDoc
	dec := json.NewDecoder(strings.NewReader(res.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body %q: %v", res.Body, err)
	}
	if p.Status != res.Status {
		t.Errorf("problem status = %d; response status %d", p.Status, res.Status)
	}
	return p
}

// doc is the problem New(status, detail) renders.
func doc(status int, detail string) problemDoc {
	return problemDoc{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
}

func ok(c *gin.Context) { c.String(http.StatusOK, "ok") }

var generatedID = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestRequestID(t *testing.T) {
	r := newEngine(middleware.RequestID())
	r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, httpx.RequestID(c)) })
	srv := serve(t, r)

	for _, tc := range []struct {
		name, sent string
		echoed     bool
	}{
		{"none", "", false},
		{"uuid", "0b5f1c9e-4a7e-4c1e-9d1a-2f3e4d5c6b7a", true},
		{"every allowed character", "azAZ09-_.:", true},
		{"128 characters", strings.Repeat("a", 128), true},
		{"129 characters", strings.Repeat("a", 129), false},
		{"space", "a b", false},
		{"slash", "a/b", false},
		{"quote (log injection)", `a" level=ERROR msg="x`, false},
		{"markup", "<script>", false},
		{"non-ASCII", "réq", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h []string
			if tc.sent != "" {
				h = []string{"X-Request-ID", tc.sent}
			}
			res := do(t, srv, "GET", "/", nil, h...)
			got := res.Header.Get("X-Request-ID")
			if got != res.Body {
				t.Errorf("X-Request-ID %q, but the handler saw %q", got, res.Body)
			}
			if tc.echoed && got != tc.sent {
				t.Errorf("X-Request-ID = %q; want the client's %q echoed", got, tc.sent)
			}
			if !tc.echoed && !generatedID.MatchString(got) {
				t.Errorf("X-Request-ID = %q; want a new id of 24 hex digits", got)
			}
		})
	}

	a := do(t, srv, "GET", "/", nil).Header.Get("X-Request-ID")
	b := do(t, srv, "GET", "/", nil).Header.Get("X-Request-ID")
	if a == b {
		t.Errorf("two requests got the same new id %q", a)
	}
}

func TestAccessLog(t *testing.T) {
	logs := &logBuffer{}
	log := newLog(logs)
	r := newEngine(middleware.RequestID(), middleware.AccessLog(log), middleware.Problems(log))
	r.POST("/things/:id", func(c *gin.Context) {
		_, _ = io.ReadAll(c.Request.Body)
		c.String(http.StatusOK, "done")
	})
	r.GET("/fail", func(c *gin.Context) { httpx.Fail(c, errors.New("boom")) })
	srv := serve(t, r)

	t.Run("no query, header, cookie or body reaches the log", func(t *testing.T) {
		before := len(logs.String())
		res := do(t, srv, "POST", "/things/42?access_token=SECRET-QUERY&password=SECRET-QP",
			strings.NewReader(`{"password":"SECRET-BODY"}`),
			"Content-Type", "application/json",
			"Authorization", "Bearer SECRET-AUTH",
			"Cookie", "listo_access=SECRET-COOKIE; listo_csrf=SECRET-CSRF",
			"X-CSRF-Token", "SECRET-CSRF",
			"User-Agent", "SECRET-UA",
			"Referer", "https://example.com/?SECRET-REFERER",
			"X-Request-ID", "req-1")
		if res.Status != http.StatusOK {
			t.Fatalf("status = %d; want 200", res.Status)
		}
		logged := logs.String()[before:]
		if strings.Contains(logged, "SECRET") {
			t.Errorf("the access log holds a secret:\n%s", logged)
		}
		lines := logLines(t, logs)
		line := lines[len(lines)-1]
		if _, ok := line["duration"].(float64); !ok {
			t.Errorf("duration = %v; want a number", line["duration"])
		}
		delete(line, "time")
		delete(line, "duration")
		want := map[string]any{
			"level": "INFO", "msg": "request", "method": "POST", "path": "/things/42",
			"route": "/things/:id", "status": float64(200), "bytes": float64(4),
			"ip": "127.0.0.1", "request_id": "req-1",
		}
		if diff := cmp.Diff(want, line); diff != "" {
			t.Errorf("access log line (-want +got):\n%s", diff)
		}
	})

	for _, tc := range []struct {
		name, method, path string
		status             int
		level, route       string
	}{
		{"server error at ERROR", "GET", "/fail", 500, "ERROR", "/fail"},
		{"no route at INFO", "GET", "/nowhere?token=x", 404, "INFO", ""},
		{"no method at INFO", "DELETE", "/fail", 405, "INFO", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, srv, tc.method, tc.path, nil)
			if res.Status != tc.status {
				t.Fatalf("status = %d; want %d", res.Status, tc.status)
			}
			var got map[string]any
			for _, l := range logLines(t, logs) {
				if l["msg"] == "request" && l["request_id"] == res.Header.Get("X-Request-ID") {
					got = l
				}
			}
			if got == nil {
				t.Fatalf("no access log line for request %s", res.Header.Get("X-Request-ID"))
			}
			want := map[string]any{"level": tc.level, "status": float64(tc.status), "route": tc.route, "path": strings.Split(tc.path, "?")[0]}
			for k := range got {
				if _, ok := want[k]; !ok {
					delete(got, k)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("access log line (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProblems(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		want       problemDoc
		wantHeader map[string]string
		logged     bool
	}{
		{
			name: "a problem passes through",
			err:  problem.Field("/title", "must not be empty"),
			want: problemDoc{Type: "/problems/validation", Title: "Validation failed", Status: 422,
				Detail: "The request has an invalid field.", Errors: []problem.FieldError{{Field: "/title", Message: "must not be empty"}}},
		},
		{
			name:       "a problem's headers are sent",
			err:        problem.TooManyRequests(2500 * time.Millisecond),
			want:       doc(429, "Too many requests; try again later."),
			wantHeader: map[string]string{"Retry-After": "3"},
		},
		{
			name: "not found, wrapped",
			err:  fmt.Errorf("todo 7: %w", models.ErrNotFound),
			want: doc(404, "The resource does not exist."),
		},
		{
			name: "conflict",
			err:  models.ErrConflict,
			want: doc(409, "The request conflicts with the current state."),
		},
		{
			name: "precondition failed",
			err:  models.ErrPreconditionFailed,
			want: doc(412, "The resource has changed since you read it; reload it and try again."),
		},
		{
			name:       "unauthorized",
			err:        models.ErrUnauthorized,
			want:       doc(401, "Authentication is required."),
			wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="listo"`},
		},
		{
			name: "forbidden",
			err:  models.ErrForbidden,
			want: doc(403, "You may not do this."),
		},
		{
			name:       "unavailable",
			err:        fmt.Errorf("ping: %w", models.ErrUnavailable),
			want:       doc(503, "The database is unavailable; try again shortly."),
			wantHeader: map[string]string{"Retry-After": "5"},
			logged:     true,
		},
		{
			name:   "anything else is a 500 that reveals nothing",
			err:    errors.New("dial tcp 10.0.0.7:27017: SECRET-CAUSE"),
			want:   doc(500, "Something went wrong on our side."),
			logged: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &logBuffer{}
			r := newEngine(middleware.RequestID(), middleware.Problems(newLog(logs)))
			r.GET("/x", func(c *gin.Context) { httpx.Fail(c, tc.err) })
			res := do(t, serve(t, r), "GET", "/x", nil)

			if res.Status != tc.want.Status {
				t.Errorf("status = %d; want %d", res.Status, tc.want.Status)
			}
			if diff := cmp.Diff(tc.want, decodeProblem(t, res)); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
			for k, v := range tc.wantHeader {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s = %q; want %q", k, got, v)
				}
			}
			if strings.Contains(res.Body, "SECRET") {
				t.Errorf("the body reveals the cause: %s", res.Body)
			}
			var failed []map[string]any
			for _, l := range logLines(t, logs) {
				if l["msg"] == "request failed" {
					failed = append(failed, l)
				}
			}
			switch {
			case !tc.logged && len(failed) > 0:
				t.Errorf("a %d was logged as a failure: %v", tc.want.Status, failed)
			case tc.logged && len(failed) != 1:
				t.Errorf("logged %d failures; want 1", len(failed))
			case tc.logged:
				want := map[string]any{"level": "ERROR", "request_id": res.Header.Get("X-Request-ID"),
					"route": "/x", "status": float64(tc.want.Status), "error": tc.err.Error()}
				delete(failed[0], "time")
				delete(failed[0], "msg")
				if diff := cmp.Diff(want, failed[0]); diff != "" {
					t.Errorf("failure log line (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestProblemsLeavesWrittenResponses(t *testing.T) {
	r := newEngine(middleware.Problems(slog.New(slog.DiscardHandler)))
	r.GET("/written", func(c *gin.Context) {
		c.String(http.StatusOK, "partial")
		_ = c.Error(errors.New("too late"))
	})
	r.GET("/last", func(c *gin.Context) {
		_ = c.Error(problem.New(http.StatusBadRequest, "first"))
		httpx.Fail(c, problem.New(http.StatusConflict, "last"))
	})
	r.GET("/fine", ok)
	srv := serve(t, r)

	for _, tc := range []struct {
		path, body string
		status     int
	}{
		{"/written", "partial", 200},
		{"/fine", "ok", 200},
	} {
		if res := do(t, srv, "GET", tc.path, nil); res.Status != tc.status || res.Body != tc.body {
			t.Errorf("GET %s = %d %q; want %d %q", tc.path, res.Status, res.Body, tc.status, tc.body)
		}
	}
	res := do(t, srv, "GET", "/last", nil)
	if diff := cmp.Diff(doc(409, "last"), decodeProblem(t, res)); diff != "" {
		t.Errorf("with two errors, the last is rendered (-want +got):\n%s", diff)
	}
}

func TestRecovery(t *testing.T) {
	logs := &logBuffer{}
	log := newLog(logs)
	r := newEngine(middleware.RequestID(), middleware.Problems(log), middleware.Recovery(log))
	r.GET("/panic", func(c *gin.Context) { panic("SECRET panic value") })
	r.GET("/abort", func(c *gin.Context) { panic(http.ErrAbortHandler) })
	r.GET("/fine", ok)
	srv := serve(t, r)

	res := do(t, srv, "GET", "/panic", nil)
	if diff := cmp.Diff(doc(500, "Something went wrong on our side."), decodeProblem(t, res)); diff != "" {
		t.Errorf("a panic's problem (-want +got):\n%s", diff)
	}
	if strings.Contains(res.Body, "SECRET") || strings.Contains(res.Body, "goroutine") {
		t.Errorf("the body leaks the panic: %s", res.Body)
	}
	var panics []map[string]any
	for _, l := range logLines(t, logs) {
		if l["msg"] == "panic" {
			panics = append(panics, l)
		}
	}
	if len(panics) != 1 {
		t.Fatalf("logged %d panics; want 1:\n%s", len(panics), logs)
	}
	p := panics[0]
	if p["level"] != "ERROR" || p["panic"] != "SECRET panic value" || p["request_id"] != res.Header.Get("X-Request-ID") {
		t.Errorf("panic log = %v; want ERROR, the value and the request id %s", p, res.Header.Get("X-Request-ID"))
	}
	if stack, _ := p["stack"].(string); !strings.Contains(stack, "middleware_test.TestRecovery") {
		t.Errorf("panic log stack does not show the panicking handler:\n%s", stack)
	}

	// http.ErrAbortHandler is net/http's way to abort a response: it goes
	// on up, so the client sees the connection cut, not a 500.
	n := len(logLines(t, logs))
	resp, err := srv.Client().Get(srv.URL + "/abort")
	if err == nil {
		resp.Body.Close()
		t.Errorf("GET /abort = %d; want the connection aborted", resp.StatusCode)
	}
	if l := logLines(t, logs)[n:]; len(l) != 0 {
		t.Errorf("an aborted handler was logged: %v", l)
	}

	if res := do(t, srv, "GET", "/fine", nil); res.Status != http.StatusOK {
		t.Errorf("after the panics, GET /fine = %d; want 200", res.Status)
	}
}

// unsized hides a reader's length, so the client sends it chunked.
type unsized struct{ io.Reader }

func TestBodyLimit(t *testing.T) {
	const limit = 16
	var ran atomic.Int32
	r := newEngine(middleware.Problems(slog.New(slog.DiscardHandler)), middleware.BodyLimit(limit))
	r.POST("/", func(c *gin.Context) {
		ran.Add(1)
		b, err := httpx.ReadBody(c)
		if err != nil {
			httpx.Fail(c, err)
			return
		}
		c.String(http.StatusOK, "%d %d %s", len(b), c.Request.ContentLength, strings.Join(c.Request.TransferEncoding, ","))
	})
	srv := serve(t, r)

	tooBig := doc(413, "The request body must be at most 16 bytes.")
	for _, tc := range []struct {
		name     string
		size     int
		chunked  bool
		status   int
		body     string
		wantRuns int32
	}{
		{"empty", 0, false, 200, "0 0 ", 1},
		{"declared, at the limit", limit, false, 200, "16 16 ", 1},
		{"declared, one byte over: refused before the handler", limit + 1, false, 413, "", 0},
		{"declared, far over", 1 << 20, false, 413, "", 0},
		{"chunked, at the limit", limit, true, 200, "16 -1 chunked", 1},
		{"chunked, one byte over: refused while reading", limit + 1, true, 413, "", 1},
		{"chunked, far over", 1 << 20, true, 413, "", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ran.Store(0)
			var body io.Reader = strings.NewReader(strings.Repeat("x", tc.size))
			if tc.chunked {
				body = unsized{body}
			}
			res := do(t, srv, "POST", "/", body)
			if res.Status != tc.status {
				t.Fatalf("status = %d; want %d (%s)", res.Status, tc.status, res.Body)
			}
			if tc.status == 413 {
				if diff := cmp.Diff(tooBig, decodeProblem(t, res)); diff != "" {
					t.Errorf("problem (-want +got):\n%s", diff)
				}
			} else if res.Body != tc.body {
				t.Errorf("handler read %q; want %q (bytes, Content-Length, Transfer-Encoding)", res.Body, tc.body)
			}
			if got := ran.Load(); got != tc.wantRuns {
				t.Errorf("handler ran %d times; want %d", got, tc.wantRuns)
			}
		})
	}
}

func TestRequireJSON(t *testing.T) {
	r := newEngine(middleware.Problems(slog.New(slog.DiscardHandler)), middleware.RequireJSON())
	for _, m := range []string{"GET", "POST", "PATCH", "PUT", "DELETE"} {
		r.Handle(m, "/", ok)
	}
	srv := serve(t, r)

	const js = `{"a":1}`
	for _, tc := range []struct {
		name, method, contentType, body string
		chunked                         bool
		want                            int
	}{
		{"json", "POST", "application/json", js, false, 200},
		{"json with charset", "PATCH", "application/json; charset=utf-8", js, false, 200},
		{"media type in upper case", "PUT", "Application/JSON", js, false, 200},
		{"json, chunked", "POST", "application/json", js, true, 200},
		{"no body, no type", "POST", "", "", false, 200},
		{"no body, another type", "DELETE", "text/plain", "", false, 200},
		{"GET with a body of another type", "GET", "text/plain", "x", false, 200},
		{"text", "POST", "text/plain", js, false, 415},
		{"no type", "POST", "", js, false, 415},
		{"form", "POST", "application/x-www-form-urlencoded", "a=1", false, 415},
		{"multipart", "POST", "multipart/form-data; boundary=x", "--x--", false, 415},
		{"a json suffix type", "PATCH", "application/merge-patch+json", js, false, 415},
		{"malformed type", "POST", "application/json; charset", js, false, 415},
		{"another type, chunked", "PUT", "text/plain", js, true, 415},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
				if tc.chunked {
					body = unsized{body}
				}
			}
			req := newRequest(t, srv, tc.method, "/", body)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			res := send(t, srv, req)
			if res.Status != tc.want {
				t.Fatalf("status = %d; want %d (%s)", res.Status, tc.want, res.Body)
			}
			if tc.want != 415 {
				return
			}
			if diff := cmp.Diff(doc(415, "Send the request body as application/json."), decodeProblem(t, res)); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
			if got := res.Header.Get("Accept-Post"); got != "application/json" {
				t.Errorf("Accept-Post = %q; want application/json", got)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	base := map[string]string{
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "no-referrer",
		"X-Frame-Options":            "DENY",
		"Cross-Origin-Opener-Policy": "same-origin",
		"Strict-Transport-Security":  "",
	}
	for _, hsts := range []bool{false, true} {
		r := newEngine(middleware.SecurityHeaders(hsts), middleware.Problems(slog.New(slog.DiscardHandler)))
		r.GET("/ok", ok)
		r.GET("/fail", func(c *gin.Context) { httpx.Fail(c, models.ErrNotFound) })
		srv := serve(t, r)
		want := map[string]string{}
		for k, v := range base {
			want[k] = v
		}
		if hsts {
			want["Strict-Transport-Security"] = "max-age=31536000"
		}
		// Every answer carries them: a success, an error, and no route.
		for _, path := range []string{"/ok", "/fail", "/nowhere"} {
			t.Run(fmt.Sprintf("hsts=%t %s", hsts, path), func(t *testing.T) {
				res := do(t, srv, "GET", path, nil)
				got := map[string]string{}
				for k := range want {
					got[k] = res.Header.Get(k)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("GET %s = %d; headers (-want +got):\n%s", path, res.Status, diff)
				}
			})
		}
	}
}

// TestChainOrder runs the chain in the app's order and checks the pieces
// work together: a refused body is a problem carrying the request id and
// the security headers, logged once at INFO.
func TestChainOrder(t *testing.T) {
	logs := &logBuffer{}
	log := newLog(logs)
	r := newEngine(
		middleware.RequestID(), middleware.AccessLog(log), middleware.SecurityHeaders(false),
		middleware.Problems(log), middleware.Recovery(log),
		middleware.BodyLimit(8), middleware.RequireJSON(),
	)
	r.POST("/", ok)
	srv := serve(t, r)

	res := do(t, srv, "POST", "/", bytes.NewReader(make([]byte, 9)), "Content-Type", "application/json", "X-Request-ID", "chain-1")
	if diff := cmp.Diff(doc(413, "The request body must be at most 8 bytes."), decodeProblem(t, res)); diff != "" {
		t.Errorf("problem (-want +got):\n%s", diff)
	}
	if got := [2]string{res.Header.Get("X-Request-ID"), res.Header.Get("X-Content-Type-Options")}; got != [2]string{"chain-1", "nosniff"} {
		t.Errorf("X-Request-ID, X-Content-Type-Options = %q; want chain-1, nosniff", got)
	}
	lines := logLines(t, logs)
	if len(lines) != 1 || lines[0]["status"] != float64(413) || lines[0]["level"] != "INFO" || lines[0]["request_id"] != "chain-1" {
		t.Errorf("log = %v; want one INFO access line for the 413", lines)
	}
}

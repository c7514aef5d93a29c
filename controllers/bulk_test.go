package controllers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"

	"listo/apptest"
	"listo/auth"
	"listo/controllers"
	"listo/httpx"
	"listo/middleware"
	"listo/models"
	"listo/schemas"
)

// exchange is one request of a load test: sent without the testing.T
// helpers, so that any goroutine may send it.
type exchange struct {
	status int
	body   []byte
	took   time.Duration
	err    error
}

func send(srv *apptest.Server, token, method, path string, body any) exchange {
	var r io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, srv.URL()+path, r)
	if err != nil {
		return exchange{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return exchange{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return exchange{status: resp.StatusCode, body: b, took: time.Since(start), err: err}
}

// fatTodos are n todos with 10,000-character notes (the schema's most),
// every other one completed.
func fatTodos(n int) []models.Todo {
	notes := strings.Repeat("long notes ", 1000)[:10_000]
	now := time.Now()
	out := make([]models.Todo, n)
	for i := range out {
		out[i] = models.Todo{Title: fmt.Sprint("fat todo ", i), Notes: notes, Order: float64(i), Completed: i%2 == 0, CreatedAt: now, UpdatedAt: now}
	}
	return out
}

// bulkUntilDone sends a bulk change again after each 503 (which says how
// many todos it changed before it stopped) until it is done, and returns
// the total the answers counted (under key on 200, "changed" on 503).
func bulkUntilDone(srv *apptest.Server, token, method, path string, body any, key string) (int, error) {
	total := 0
	for range 100 {
		x := send(srv, token, method, path, body)
		if x.err != nil {
			return total, x.err
		}
		var m map[string]any
		if err := json.Unmarshal(x.body, &m); err != nil {
			return total, fmt.Errorf("%s %s = %d: %w: %s", method, path, x.status, err, x.body)
		}
		switch x.status {
		case http.StatusOK:
			n, _ := m[key].(float64)
			return total + int(n), nil
		case http.StatusServiceUnavailable:
			n, ok := m["changed"].(float64)
			if !ok {
				return total, fmt.Errorf("503 without changed: %s", x.body)
			}
			total += int(n)
		default:
			return total, fmt.Errorf("%s %s = %d: %s", method, path, x.status, x.body)
		}
	}
	return total, errors.New("still not done after 100 requests")
}

// Issue 12, item 1: while user A, at MAX_TODOS_PER_USER with
// 10,000-character notes, runs toggle-all and then clear-completed, user B
// creates todos and logs in, and every one of B's requests succeeds. On the
// embedded database B's write waits for one batch of A's at most (about
// 100 ms plus one of A's todos; BenchmarkBulkStall reports the figure);
// this test asserts success, not time.
//
// The cap is 100 here, not the default 5,000: every update or delete of one
// of A's todos costs in proportion to A's collection on the embedded
// database (FerretDB v1 has SQLite scan it), so at 5,000 todos of 10 KB a
// toggle-all takes minutes, and ten times that under -race on two cores.
// The shape (B's writes between A's batches) is the same at any size.
func TestBulkChangesDoNotStallOtherUsers(t *testing.T) {
	const limit = 100
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{
		"MAX_TODOS_PER_USER": fmt.Sprint(limit), "RATE_AUTH_PER_MINUTE": "0", "LOG_LEVEL": "warn",
	}})
	a, b := srv.NewUser(t), srv.NewUser(t)
	if _, err := srv.Store().ImportUserTodos(context.Background(), a.ID, fatTodos(limit), limit); err != nil {
		t.Fatal(err)
	}
	a.Do("POST", "/todos", map[string]any{"title": "one too many"}).Expect(t, http.StatusConflict)

	type result struct {
		updated, deleted int
		err              error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.updated, r.err = bulkUntilDone(srv, a.Token, "PATCH", "/todos", map[string]any{"completed": true}, "updated")
		if r.err == nil {
			r.deleted, r.err = bulkUntilDone(srv, a.Token, "DELETE", "/todos?completed=true", nil, "deleted")
		}
		done <- r
	}()

	var slowestCreate, slowestLogin time.Duration
	created, logins := 0, 0
	var aDone result
loop:
	for i := 0; ; i++ {
		select {
		case aDone = <-done:
			break loop
		default:
		}
		var x exchange
		if i%4 == 3 {
			x = send(srv, "", "POST", "/auth", map[string]any{"email": b.Email, "password": b.Password})
			if x.err != nil || x.status != http.StatusOK {
				t.Errorf("B's login during A's bulk change = %d, %v: %s", x.status, x.err, x.body)
			}
			logins++
			slowestLogin = max(slowestLogin, x.took)
		} else {
			x = send(srv, b.Token, "POST", "/todos", map[string]any{"title": fmt.Sprint("b ", i)})
			if x.err != nil || x.status != http.StatusCreated {
				t.Errorf("B's create during A's bulk change = %d, %v: %s", x.status, x.err, x.body)
			}
			created++
			slowestCreate = max(slowestCreate, x.took)
		}
	}
	if aDone.err != nil {
		t.Fatalf("A's bulk changes: %v", aDone.err)
	}
	t.Logf("during A's bulk changes B made %d creates (the slowest took %v) and %d logins (%v)", created, slowestCreate, logins, slowestLogin)
	if created == 0 {
		t.Error("B sent nothing while A's bulk changes ran")
	}
	if aDone.updated != limit/2 || aDone.deleted != limit {
		t.Errorf("A's toggle-all updated %d and clear-completed deleted %d; want %d and %d", aDone.updated, aDone.deleted, limit/2, limit)
	}
	if p := listTodos(t, a, ""); p.Total != 0 {
		t.Errorf("A holds %d todos after toggle-all and clear-completed; want 0", p.Total)
	}
	if p := listTodos(t, b, "?per_page=1"); p.Total != created {
		t.Errorf("B holds %d todos; want the %d created", p.Total, created)
	}
}

// bulkStore is a TodoStore whose bulk changes stop after changing n todos.
type bulkStore struct {
	controllers.TodoStore
	n   int
	err error
}

func (s bulkStore) SetAllTodosCompleted(context.Context, string, bool, time.Time) (int, error) {
	return s.n, s.err
}
func (s bulkStore) DeleteCompletedTodos(context.Context, string) (int, error) { return s.n, s.err }

// A bulk change that stops before it is done (its deadline passed, or the
// database is unavailable) is a 503 problem that says how many todos it
// changed, in "changed"; any other failure is the usual problem.
func TestBulkStoppedIs503WithChanged(t *testing.T) {
	validator, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	serve := func(st controllers.TodoStore, method, target, body string) *httptest.ResponseRecorder {
		h := &controllers.Todos{Store: st, Validate: validator, Now: time.Now, Log: slog.New(slog.DiscardHandler)}
		gin.SetMode(gin.ReleaseMode)
		r := gin.New()
		r.Use(middleware.Problems(slog.New(slog.DiscardHandler)), func(c *gin.Context) {
			httpx.SetPrincipal(c, auth.Principal{User: models.User{ID: "u"}})
		})
		r.PATCH("/todos", controllers.H(h.SetAllCompleted))
		r.DELETE("/todos", controllers.H(h.DeleteCompleted))
		w := httptest.NewRecorder()
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		r.ServeHTTP(w, req)
		return w
	}
	stopped := fmt.Errorf("set all todos completed (40 changed): db: %w: %w", models.ErrUnavailable, context.DeadlineExceeded)
	for _, req := range [][3]string{{"PATCH", "/todos", `{"completed":true}`}, {"DELETE", "/todos?completed=true", ""}} {
		w := serve(bulkStore{n: 40, err: stopped}, req[0], req[1], req[2])
		var got map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s %s: %v: %s", req[0], req[1], err, w.Body)
		}
		want := map[string]any{
			"type": "about:blank", "title": "Service Unavailable", "status": float64(503),
			"detail":  "The change stopped before it was complete, after 40 todos; send the same request again to continue.",
			"changed": float64(40),
		}
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Errorf("%s %s = %d, Retry-After %q; want 503 with Retry-After", req[0], req[1], w.Code, w.Header().Get("Retry-After"))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", req[0], req[1], diff)
		}
		// Any other error is not about progress.
		w = serve(bulkStore{n: 3, err: errors.New("boom")}, req[0], req[1], req[2])
		if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "changed") {
			t.Errorf("%s %s failing otherwise = %d %s; want a plain 500", req[0], req[1], w.Code, w.Body)
		}
	}
}

// BenchmarkBulkStall measures what issue 12 measured: user A holds 5,000
// todos with 10,000-character notes (MAX_TODOS_PER_USER's default) and
// sends one toggle-all, while user B creates todos (and logs in every
// fourth request) one after another for 15 seconds. It reports B's slowest
// request (slowest-ms; of each kind: slowest-create-ms, slowest-login-ms),
// how many of B's requests failed (b-failed), and
// A's answer, time and how many todos it says it changed.
//
//	go test -run '^$' -bench BulkStall -benchtime 1x -count 3 ./controllers/
func BenchmarkBulkStall(b *testing.B) {
	const todos, window = 5000, 15 * time.Second
	for b.Loop() {
		srv := apptest.Start(b, apptest.Options{Env: map[string]string{
			"MAX_TODOS_PER_USER": fmt.Sprint(todos), "RATE_AUTH_PER_MINUTE": "0", "LOG_LEVEL": "error", "DB_TIMEOUT": "3s",
		}})
		a, u := srv.NewUser(b), srv.NewUser(b)
		seed := fatTodos(todos)
		for i := range seed {
			seed[i].UserID = a.ID
		}
		if _, err := srv.Store().ImportTodos(context.Background(), seed); err != nil {
			b.Fatal(err)
		}
		aDone := make(chan exchange, 1)
		start := time.Now()
		go func() { aDone <- send(srv, a.Token, "PATCH", "/todos", map[string]any{"completed": true}) }()
		var took []time.Duration
		var slowestCreate, slowestLogin time.Duration
		failed := 0
		for i := 0; time.Since(start) < window; i++ {
			var x exchange
			if i%4 == 3 {
				x = send(srv, "", "POST", "/auth", map[string]any{"email": u.Email, "password": u.Password})
				slowestLogin = max(slowestLogin, x.took)
			} else {
				x = send(srv, u.Token, "POST", "/todos", map[string]any{"title": fmt.Sprint("b ", i)})
				slowestCreate = max(slowestCreate, x.took)
			}
			if x.err != nil || x.status >= 300 {
				failed++
			}
			took = append(took, x.took)
		}
		ax := <-aDone
		var answer struct {
			Changed int `json:"changed"`
			Updated int `json:"updated"`
		}
		_ = json.Unmarshal(ax.body, &answer)
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "slowest-ms")
		b.ReportMetric(float64(slowestCreate.Microseconds())/1000, "slowest-create-ms")
		b.ReportMetric(float64(slowestLogin.Microseconds())/1000, "slowest-login-ms")
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms")
		b.ReportMetric(float64(failed), "b-failed")
		b.ReportMetric(float64(len(took)), "b-requests")
		b.ReportMetric(float64(ax.status), "a-status")
		b.ReportMetric(ax.took.Seconds(), "a-s")
		b.ReportMetric(float64(answer.Changed+answer.Updated), "a-changed")
		srv.Stop()
	}
}

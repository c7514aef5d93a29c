package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"listo/app"
	"listo/apptest"
	"listo/config"
	"listo/models"
	"listo/store"
)

// BenchmarkTodoListHTTP measures GET /todos?per_page=50 through the real
// HTTP handler for one user while the todos collection holds 1k, 10k and
// 50k todos of 20 users (so the user has 50, 500 and 2,500 of them). It
// reports the median latency as median-ms. On the embedded FerretDB a list
// scans the user's own todos collection (one per user; FerretDB v1 scans a
// whole collection for any filter but {_id}); with LISTO_TEST_MONGODB_URI
// set it measures MongoDB instead.
//
//	go test -run '^$' -bench TodoListHTTP -benchtime 20x ./store/
func BenchmarkTodoListHTTP(b *testing.B) {
	ctx := context.Background()
	env := apptest.Env(b, b.TempDir())
	env["RATE_REGISTER_PER_MINUTE"], env["RATE_AUTH_PER_MINUTE"] = "0", "0"
	env["DB_TIMEOUT"] = "60s"
	env["LOG_LEVEL"] = "error"
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, store.Options{URI: cfg.MongoURI, Database: cfg.MongoDB, DataDir: cfg.DataDir, Timeout: cfg.DBTimeout})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close(ctx)
	if err := st.EnsureIndexes(ctx); err != nil {
		b.Fatal(err)
	}
	a, err := app.New(cfg, st, slog.New(slog.DiscardHandler), app.Options{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	post := func(path string, body any, out any) {
		j, _ := json.Marshal(body)
		resp, err := http.Post(srv.URL+path, "application/json", bytes.NewReader(j))
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			msg, _ := io.ReadAll(resp.Body)
			b.Fatalf("POST %s = %d: %s", path, resp.StatusCode, msg)
		}
		if out != nil {
			if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
				b.Fatal(err)
			}
		}
	}
	creds := map[string]any{"email": "bench@example.com", "password": "correct horse battery staple bench"}
	post("/register", creds, nil)
	var login struct {
		AccessToken string `json:"access_token"`
		User        struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	post("/auth", creds, &login)

	get := func() time.Duration {
		req, _ := http.NewRequest("GET", srv.URL+"/todos?per_page=50", nil)
		req.Header.Set("Authorization", "Bearer "+login.AccessToken)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var page models.Page[models.Todo]
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		d := time.Since(start)
		if err != nil || resp.StatusCode != http.StatusOK || len(page.Items) != 50 {
			b.Fatalf("GET /todos = %d, %d items, %v", resp.StatusCode, len(page.Items), err)
		}
		return d
	}

	const users = 20
	seeded := 0
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, total := range []int{1_000, 10_000, 50_000} {
		var batch []models.Todo
		for i := seeded; i < total; i++ {
			owner := fmt.Sprintf("%024x", i%users) // ids of users that need not exist
			if i%users == 0 {
				owner = login.User.ID
			}
			at := t0.Add(time.Duration(i) * time.Second)
			batch = append(batch, models.Todo{
				UserID: owner, Title: fmt.Sprintf("todo %d", i), Notes: "seeded for the benchmark",
				Order: float64(i), Completed: i%3 == 0, CreatedAt: at, UpdatedAt: at,
			})
		}
		if _, err := st.ImportTodos(ctx, batch); err != nil {
			b.Fatal(err)
		}
		seeded = total
		b.Run(fmt.Sprintf("todos=%d", total), func(b *testing.B) {
			get() // warm up
			var ds []time.Duration
			for b.Loop() {
				ds = append(ds, get())
			}
			slices.Sort(ds)
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "median-ms")
		})
	}
}

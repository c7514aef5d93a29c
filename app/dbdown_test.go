package app_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"

	"listo/apptest"
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestReadyzWhenDatabaseUnreachable(t *testing.T) {
	addr := freePort(t) // closed: nothing listens there
	srv := startWithoutWaiting(t, map[string]string{"MONGODB_URI": "mongodb://" + addr + "/", "DB_TIMEOUT": "500ms"})
	c := srv.Client()
	c.Do("GET", "/healthz", nil).Expect(t, http.StatusOK)
	start := time.Now()
	resp := c.Do("GET", "/readyz", nil).Expect(t, http.StatusServiceUnavailable)
	if time.Since(start) > 5*time.Second {
		t.Errorf("/readyz took %v", time.Since(start))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	// An API request that needs the database fails closed with 503.
	c.Do("POST", "/auth", map[string]any{"email": "a@example.com", "password": "whatever password"}).Expect(t, http.StatusServiceUnavailable)
	c.Do("GET", "/healthz", nil).Expect(t, http.StatusOK) // still alive
}

// startWithoutWaiting starts Listo without waiting for /readyz.
func startWithoutWaiting(t *testing.T, env map[string]string) *apptest.Server {
	t.Helper()
	return apptest.StartUnready(t, apptest.Options{Env: env})
}

// runFerret runs a FerretDB on addr with its files in dir until stop.
func runFerret(t *testing.T, addr, dir string) (stop func()) {
	t.Helper()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: addr}, Handler: "sqlite", SQLiteURL: "file:" + dir + "/",
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = f.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func TestDatabaseDownThenBack(t *testing.T) {
	addr, dir := freePort(t), t.TempDir()
	stopDB := runFerret(t, addr, dir)
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"MONGODB_URI": "mongodb://" + addr + "/", "SESSION_CACHE_TTL": "0s", "DB_TIMEOUT": "2s"}})
	u := srv.NewUser(t)
	u.Do("GET", "/user", nil).Expect(t, http.StatusOK)

	stopDB()
	for _, r := range []struct{ method, path string }{{"GET", "/user"}, {"GET", "/readyz"}, {"POST", "/logout"}} {
		start := time.Now()
		u.Do(r.method, r.path, nil).Expect(t, http.StatusServiceUnavailable)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s %s took %v with the database down; want < 5s", r.method, r.path, d)
		}
	}

	stopDB = runFerret(t, addr, dir)
	defer stopDB()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp := u.Do("GET", "/user", nil)
		if resp.Status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery: GET /user = %d %s", resp.Status, resp.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	srv.Stop() // disconnect before the database goes
}

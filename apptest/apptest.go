// Package apptest starts the real Listo for tests: the whole program
// in-process on 127.0.0.1:0, with an embedded FerretDB in a temporary folder
// (or, when LISTO_TEST_MONGODB_URI is set, a database of the test's own on
// that MongoDB, dropped when the test ends), and gives tests a small HTTP
// client.
package apptest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"listo/app"
	"listo/config"
	"listo/store"
)

// Clock is a settable clock for tests: no test sleeps to wait for expiry.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Logs collects everything the server logged.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns the log so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Server is a running Listo for one test.
type Server struct {
	*app.Server
	Config config.Config
	Logs   *Logs
	Clock  *Clock // nil unless Options.Clock was set
	t      testing.TB
}

// Options configure Start.
type Options struct {
	Env   map[string]string // extra environment, e.g. {"ACCESS_TOKEN_TTL": "5s"}
	Clock *Clock            // inject a clock
	// DataDir reuses a folder (restart tests); empty makes a new one.
	DataDir string
	// KeepRunning leaves the server running after the test (the caller
	// shuts it down).
	KeepRunning bool
}

// TestMongoURI is the environment variable that points the suite at a real
// MongoDB instead of the embedded FerretDB.
const TestMongoURI = "LISTO_TEST_MONGODB_URI"

// Env returns the environment Start uses for a test, before o.Env.
//
// With LISTO_TEST_MONGODB_URI set, the database belongs to dataDir as the
// embedded database's files do: its name is made from dataDir's path, so
// a restart, or a CLI run, on the same folder sees the same data, while
// every test's new temporary folder gets a database of its own. It is
// dropped when the test ends.
func Env(t testing.TB, dataDir string) map[string]string {
	env := map[string]string{
		"ENV":         "development",
		"HOST":        "127.0.0.1",
		"PORT":        "0",
		"DATA_DIR":    dataDir,
		"BCRYPT_COST": "10",
		// Generous bounds: the suite runs with -race, several packages at
		// once, on two shared cores.
		"DB_TIMEOUT":           "10s",
		"BCRYPT_QUEUE_TIMEOUT": "60s",
		"LOG_LEVEL":            "debug",
		"JWT_SECRET":           "test-secret-test-secret-test-secret-0123456789",
		// The per-user todo write limit is tested on its own; the other
		// tests write faster than a person.
		"RATE_TODO_WRITES_PER_SECOND": "0",
	}
	if uri := lookupEnv(TestMongoURI); uri != "" {
		db := testDatabase(t, dataDir)
		env["MONGODB_URI"] = uri
		env["MONGODB_DATABASE"] = db
		t.Cleanup(func() { dropDatabase(uri, db) })
	}
	return env
}

// testDatabase names the database of dataDir: "listo_test_" and 12 hex
// digits of a hash of its absolute path.
func testDatabase(t testing.TB, dataDir string) string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		t.Fatalf("data dir: %v", err)
	}
	sum := sha256.Sum256([]byte(abs))
	return "listo_test_" + hex.EncodeToString(sum[:6])
}

func dropDatabase(uri, db string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		return
	}
	defer c.Disconnect(ctx)
	_ = c.Database(db).Drop(ctx)
}

// Start runs Listo for the test, waits until /readyz answers 200, and stops
// it when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := StartUnready(t, o)
	s.waitReady()
	return s
}

// StartUnready is Start without waiting for the database.
func StartUnready(t testing.TB, o Options) *Server {
	t.Helper()
	dir := o.DataDir
	if dir == "" {
		dir = t.TempDir()
	}
	env := Env(t, dir)
	for k, v := range o.Env {
		env[k] = v
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &Logs{}
	var opts app.Options
	if o.Clock != nil {
		opts.Now = o.Clock.Now
	}
	s, err := app.Start(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), opts)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	srv := &Server{Server: s, Config: cfg, Logs: logs, Clock: o.Clock, t: t}
	if !o.KeepRunning {
		t.Cleanup(func() { srv.Stop() })
	}
	return srv
}

// Stop shuts the server down.
func (s *Server) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		s.t.Logf("shutdown: %v", err)
	}
}

func (s *Server) waitReady() {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("server at %s not ready after 10s: %s", s.URL(), s.Logs.String())
}

// Response is a finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic map (fails the test otherwise).
func (r *Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// Decode decodes the body into v.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, r.Body)
	}
}

// Client is an HTTP client for one test user agent, with its own cookie jar.
type Client struct {
	s      *Server
	HTTP   *http.Client
	Token  string            // sent as Bearer when set
	Header map[string]string // sent on every request
}

// Client returns a new client with an empty cookie jar. It waits longer
// than the server may queue a request for bcrypt (BCRYPT_QUEUE_TIMEOUT,
// 60s in Env) plus the hash itself, so on a loaded machine a slow answer is
// the server's answer, never the client giving up first.
func (s *Server) Client() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{s: s, HTTP: &http.Client{Jar: jar, Timeout: 90 * time.Second}, Header: map[string]string{}}
}

// Do sends a request; body may be nil, a string/[]byte (sent as is) or any
// value (sent as JSON). JSON content type is set for a non-nil body unless
// headers say otherwise. headers are "Key", "Value" pairs.
func (c *Client) Do(method, path string, body any, headers ...string) *Response {
	c.s.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.s.t.Fatalf("marshal: %v", err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.s.URL()+path, r)
	if err != nil {
		c.s.t.Fatalf("request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, v := range c.Header {
		req.Header.Set(k, v)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.s.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Expect fails the test unless the response has the status.
func (r *Response) Expect(t testing.TB, status int) *Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d; want %d; body: %s", r.Status, status, r.Body)
	}
	return r
}

// User is a registered, logged-in test user.
type User struct {
	ID, Email, Password, SessionID, RefreshToken string
	*Client
}

// NewUser registers a fresh user and logs them in with a Bearer token.
func (s *Server) NewUser(t testing.TB) *User {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	email := fmt.Sprintf("user-%s@example.com", hex.EncodeToString(b[:]))
	password := "correct horse battery staple " + hex.EncodeToString(b[:])
	return s.Register(t, email, password)
}

// Register creates the user and logs in.
func (s *Server) Register(t testing.TB, email, password string) *User {
	t.Helper()
	c := s.Client()
	c.Do("POST", "/register", map[string]any{"email": email, "password": password}).Expect(t, http.StatusCreated)
	return s.Login(t, email, password)
}

// Login logs an existing user in on a new client.
func (s *Server) Login(t testing.TB, email, password string) *User {
	t.Helper()
	c := s.Client()
	var out struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		SessionID    string `json:"session_id"`
		User         struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	c.Do("POST", "/auth", map[string]any{"email": email, "password": password, "device": "test"}).Expect(t, http.StatusOK).Decode(t, &out)
	c.Token = out.AccessToken
	return &User{ID: out.User.ID, Email: email, Password: password, SessionID: out.SessionID, RefreshToken: out.RefreshToken, Client: c}
}

// OpenStore opens a store for a store-level test, with its indexes: on a
// fresh embedded FerretDB in a temporary folder, or, when
// LISTO_TEST_MONGODB_URI is set, in a new database on that MongoDB, dropped
// afterwards (as Start does).
func OpenStore(t testing.TB) *store.Store {
	t.Helper()
	env := Env(t, t.TempDir())
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{URI: env["MONGODB_URI"], Database: cmp.Or(env["MONGODB_DATABASE"], "listo"), DataDir: env["DATA_DIR"], Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatalf("EnsureIndexes: %v", err)
	}
	return s
}

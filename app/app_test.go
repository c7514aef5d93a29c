package app_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"listo/app"
	"listo/apptest"
	"listo/models"
)

func TestFoundationHTTP(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	c := srv.Client()

	big := `{"email":"a@b.co","password":"` + strings.Repeat("x", 2<<20) + `"}`
	tests := []struct {
		name        string
		method, url string
		body        any
		headers     []string
		status      int
		contentType string
		contains    string
	}{
		{"healthz", "GET", "/healthz", nil, nil, 200, "application/json", `{"status":"ok"}`},
		{"readyz", "GET", "/readyz", nil, nil, 200, "application/json", `"ready"`},
		{"index", "GET", "/", nil, nil, 200, "text/html", "<html"},
		{"unknown API path", "GET", "/api/nothing", nil, nil, 404, "application/problem+json", `"status":404`},
		{"unknown path from a browser", "GET", "/nothing", nil, []string{"Accept", "text/html"}, 404, "text/html", "<html"},
		{"body too large", "POST", "/register", big, nil, 413, "application/problem+json", `"status":413`},
		{"wrong content type", "POST", "/register", `{"email":"a@b.co"}`, []string{"Content-Type", "text/plain"}, 415, "application/problem+json", `"status":415`},
		{"malformed JSON", "POST", "/register", `{"email":`, nil, 400, "application/problem+json", `"status":400`},
		{"schema violation", "POST", "/register", `{"email":"not-an-email","password":5,"extra":true}`, nil, 422, "application/problem+json", `"errors"`},
		{"wrong method", "PUT", "/healthz", nil, nil, 405, "application/problem+json", `"status":405`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := c.Do(tt.method, tt.url, tt.body, tt.headers...)
			if resp.Status != tt.status {
				t.Fatalf("%s %s = %d; want %d; body %.300s", tt.method, tt.url, resp.Status, tt.status, resp.Body)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type = %q; want %q", ct, tt.contentType)
			}
			if !bytes.Contains(resp.Body, []byte(tt.contains)) {
				t.Errorf("body %.300s does not contain %q", resp.Body, tt.contains)
			}
			if resp.Header.Get("X-Request-ID") == "" {
				t.Error("X-Request-ID missing")
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("security headers missing")
			}
		})
	}

	t.Run("405 lists Allow", func(t *testing.T) {
		resp := c.Do("DELETE", "/healthz", nil)
		if got := resp.Header.Get("Allow"); got != "GET" {
			t.Errorf("Allow = %q; want GET", got)
		}
	})
	t.Run("422 lists every failing field with words", func(t *testing.T) {
		resp := c.Do("POST", "/register", `{"email":"nope","password":5,"extra":1}`).Expect(t, 422)
		var p struct {
			Errors []struct{ Field, Message string }
		}
		resp.Decode(t, &p)
		got := map[string]string{}
		for _, e := range p.Errors {
			got[e.Field] = e.Message
		}
		want := map[string]string{"/email": "must be a valid email address", "/password": "must be a string", "/extra": "is not an allowed field"}
		for f, m := range want {
			if got[f] != m {
				t.Errorf("error for %s = %q; want %q (all: %v)", f, got[f], m, got)
			}
		}
	})
	t.Run("request id is echoed", func(t *testing.T) {
		resp := c.Do("GET", "/healthz", nil, "X-Request-ID", "abc-123")
		if got := resp.Header.Get("X-Request-ID"); got != "abc-123" {
			t.Errorf("X-Request-ID = %q; want abc-123", got)
		}
	})
	t.Run("index is revalidated, versioned assets are cached", func(t *testing.T) {
		resp := c.Do("GET", "/", nil).Expect(t, 200)
		if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("index Cache-Control = %q", cc)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("CSP = %q", csp)
		}
		build := srv.App.Build()
		if !bytes.Contains(resp.Body, []byte("/assets/"+build+"/")) {
			t.Fatalf("index does not reference /assets/%s/", build)
		}
		css := c.Do("GET", "/assets/"+build+"/app.css", nil).Expect(t, 200)
		if ct := css.Header.Get("Content-Type"); ct != "text/css; charset=utf-8" {
			t.Errorf("css Content-Type = %q", ct)
		}
		if cc := css.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("versioned asset Cache-Control = %q", cc)
		}
		c.Do("GET", "/assets/"+build+"/app.css", nil, "If-None-Match", css.Header.Get("ETag")).Expect(t, http.StatusNotModified)
		c.Do("GET", "/assets/nope.js", nil).Expect(t, 404)
	})
	t.Run("an invalid body writes nothing", func(t *testing.T) {
		c.Do("POST", "/register", map[string]any{"email": "valid@example.com", "password": "long enough password", "role": "admin"}).Expect(t, 422)
		if _, err := srv.Store().UserByEmail(context.Background(), "valid@example.com"); err == nil {
			t.Fatal("a user was stored from a rejected body")
		}
	})
}

func TestRestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	srv := apptest.Start(t, apptest.Options{DataDir: dir, KeepRunning: true})
	u := srv.NewUser(t)
	srv.Stop()

	srv2 := apptest.Start(t, apptest.Options{DataDir: dir})
	got, err := srv2.Store().UserByEmail(context.Background(), u.Email)
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if got.ID != u.ID {
		t.Errorf("after restart id = %s; want %s", got.ID, u.ID)
	}
	// The same account logs in on the new process.
	srv2.Login(t, u.Email, u.Password)
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"PORT": "http"}, "PORT"},
		{map[string]string{"PORT": "70000"}, "PORT"},
		{map[string]string{"LOG_FORMAT": "xml"}, "LOG_FORMAT"},
		{map[string]string{"ENV": "production"}, "JWT_SECRET is required"},
		{map[string]string{"JWT_SECRET": "short"}, "at least 32 bytes"},
		{map[string]string{"BCRYPT_COST": "4"}, "BCRYPT_COST"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		err := app.Run(context.Background(), nil, func(k string) string { return tt.env[k] }, strings.NewReader(""), &out, &errOut, "test")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Run with %v = %v; want an error mentioning %q", tt.env, err, tt.want)
		}
	}
}

func TestHelpListsVariables(t *testing.T) {
	var out bytes.Buffer
	if err := app.Run(context.Background(), []string{"--help"}, func(string) string { return "" }, nil, &out, &out, "test"); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"PORT", "HOST", "ENV", "MONGODB_URI", "MONGODB_DATABASE", "DATA_DIR", "LOG_LEVEL", "LOG_FORMAT", "JWT_SECRET", "CORS_ORIGINS", "TRUSTED_PROXIES"} {
		if !strings.Contains(out.String(), v) {
			t.Errorf("--help does not mention %s", v)
		}
	}
}

func TestCreateAdmin(t *testing.T) {
	dir := t.TempDir()
	env := apptest.Env(t, dir)
	getenv := func(k string) string { return env[k] }
	run := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := app.Run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &out, "test")
		return out.String(), err
	}
	if _, err := run("short\n", "create-admin", "root@example.com"); err == nil || !strings.Contains(err.Error(), "at least 8") {
		t.Errorf("weak password: err = %v", err)
	}
	if _, err := run("a good long password\n", "create-admin", "not an email"); err == nil || !strings.Contains(err.Error(), "not a valid email") {
		t.Errorf("bad email: err = %v", err)
	}
	out, err := run("a good long password\n", "create-admin", "Root@Example.com")
	if err != nil || !strings.Contains(out, "created admin root@example.com") {
		t.Fatalf("create-admin = %q, %v", out, err)
	}
	srv := apptest.Start(t, apptest.Options{DataDir: dir})
	admin := srv.Login(t, "root@example.com", "a good long password")
	var me models.User
	admin.Do("GET", "/user", nil).Expect(t, 200).Decode(t, &me)
	if me.Role != models.RoleAdmin {
		t.Errorf("role = %q; want admin", me.Role)
	}
}

func TestDevelopmentSecretIsGeneratedAndKept(t *testing.T) {
	dir := t.TempDir()
	srv := apptest.Start(t, apptest.Options{DataDir: dir, Env: map[string]string{"JWT_SECRET": ""}, KeepRunning: true})
	u := srv.NewUser(t)
	srv.Stop()
	info, err := os.Stat(filepath.Join(dir, "jwt-secret"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("jwt-secret mode = %v; want 0600", info.Mode().Perm())
	}
	// The token issued before the restart is still valid after it.
	srv2 := apptest.Start(t, apptest.Options{DataDir: dir, Env: map[string]string{"JWT_SECRET": ""}})
	c := srv2.Client()
	c.Token = u.Token
	c.Do("GET", "/user", nil).Expect(t, http.StatusOK)
}

package middleware_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"listo/auth"
	"listo/httpx"
	"listo/middleware"
	"listo/models"
	"listo/ratelimit"
)

// patSource is sessionSource with personal access tokens, by hash.
type patSource struct {
	*sessionSource
	mu   sync.Mutex
	pats map[string]models.PAT
}

func (s *patSource) PATByHash(_ context.Context, hash string) (models.PAT, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.pats[hash]
	if !ok {
		return models.PAT{}, fmt.Errorf("pat: %w", models.ErrNotFound)
	}
	return t, nil
}

func (s *patSource) TouchPAT(_ context.Context, hash string, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.pats[hash]
	t.LastUsedAt = &at
	s.pats[hash] = t
	return true, nil
}

// TestAuthenticatePAT: a personal access token is accepted on the routes
// whose scopes it has, refused with 403 insufficient-scope on the others
// (the routes PATAccess does not name among them), 401 when it is not
// live, 429 past its own budget; it is read from the Authorization header
// only.
func TestAuthenticatePAT(t *testing.T) {
	now := func() time.Time { return authT0 }
	src := &patSource{
		sessionSource: &sessionSource{users: map[string]models.User{
			"alice": {ID: "alice", Role: models.RoleAdmin},
			"bob":   {ID: "bob", Disabled: true},
		}},
		pats: map[string]models.PAT{},
	}
	token := func(userID string, expires time.Duration, scopes ...string) string {
		tok, hash := auth.NewPAT()
		t := models.PAT{ID: hash[:8], UserID: userID, Scopes: scopes, Hash: hash}
		if expires != 0 {
			at := authT0.Add(expires)
			t.ExpiresAt = &at
		}
		src.pats[hash] = t
		return tok
	}
	reader := token("alice", 0, models.ScopeTodosRead)
	writer := token("alice", time.Hour, models.ScopeTodosWrite, models.ScopeTodosRead)
	expired := token("alice", -time.Second, models.ScopeTodosRead)
	disabled := token("bob", 0, models.ScopeTodosRead)
	limited := token("alice", 0, models.ScopeTodosRead)
	revoked := token("alice", 0, models.ScopeTodosRead)
	unknown, _ := auth.NewPAT()

	checker := auth.NewChecker(src, time.Minute, now, 100)
	pats := middleware.PATAccess{
		Scopes: map[string][]string{
			"GET /todos":  {models.ScopeTodosRead},
			"POST /todos": {models.ScopeTodosWrite},
			"GET /both":   {models.ScopeTodosRead, models.ScopeTodosWrite},
		},
		Limit: ratelimit.NewKeyed(2, time.Minute, now),
	}
	tokens := auth.NewTokens([]byte(authKey), authIssuer, 15*time.Minute, now)
	engine := newEngine(middleware.Problems(slog.New(slog.DiscardHandler)), middleware.Authenticate(tokens, checker, auth.NewCSRF([]byte(authKey)), pats))
	who := func(c *gin.Context) {
		p := httpx.Principal(c)
		c.String(http.StatusOK, p.User.ID+" "+p.PAT.ID)
	}
	for _, r := range []string{"GET /todos", "POST /todos", "GET /both", "GET /users"} {
		method, path, _ := strings.Cut(r, " ")
		engine.Handle(method, path, who)
	}
	do := func(method, path, tok string, cookie bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		if cookie {
			req.AddCookie(&http.Cookie{Name: httpx.AccessCookie, Value: tok})
		} else {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		w := httptest.NewRecorder()
		engine.ServeHTTP(w, req)
		return w
	}
	tests := []struct {
		name, method, path, token string
		cookie                    bool
		status                    int
		problem                   string
	}{
		{"read on a read route", "GET", "/todos", reader, false, 200, ""},
		{"read on a write route", "POST", "/todos", reader, false, 403, "/problems/insufficient-scope"},
		{"read where both are needed", "GET", "/both", reader, false, 403, "/problems/insufficient-scope"},
		{"both where both are needed", "GET", "/both", writer, false, 200, ""},
		{"every scope on an unlisted route", "GET", "/users", writer, false, 403, "/problems/insufficient-scope"},
		{"expired", "GET", "/todos", expired, false, 401, ""},
		{"disabled user", "GET", "/todos", disabled, false, 401, ""},
		{"unknown", "GET", "/todos", unknown, false, 401, ""},
		{"in the cookie", "GET", "/todos", reader, true, 401, ""},
		{"budget 1", "GET", "/todos", limited, false, 200, ""},
		{"budget 2", "GET", "/todos", limited, false, 200, ""},
		{"budget spent", "GET", "/todos", limited, false, 429, ""},
		{"another token's budget", "GET", "/todos", reader, false, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(tt.method, tt.path, tt.token, tt.cookie)
			if w.Code != tt.status {
				t.Fatalf("%s %s = %d; want %d: %s", tt.method, tt.path, w.Code, tt.status, w.Body)
			}
			if tt.problem != "" && !strings.Contains(w.Body.String(), `"type":"`+tt.problem+`"`) {
				t.Errorf("body = %s; want type %s", w.Body, tt.problem)
			}
			if tt.status == 200 && !strings.HasPrefix(w.Body.String(), "alice ") {
				t.Errorf("principal = %q; want alice with the token", w.Body)
			}
		})
	}

	// A revoke reaches the cached check at once.
	do("GET", "/todos", revoked, false)
	hash := auth.PATHash(revoked)
	src.mu.Lock()
	delete(src.pats, hash)
	src.mu.Unlock()
	if w := do("GET", "/todos", revoked, false); w.Code != 200 {
		t.Fatalf("a cached token = %d; want 200 until it is forgotten", w.Code)
	}
	checker.ForgetPAT(hash)
	if w := do("GET", "/todos", revoked, false); w.Code != 401 {
		t.Errorf("a forgotten, deleted token = %d; want 401", w.Code)
	}
}

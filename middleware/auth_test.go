package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
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
)

var authT0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

const (
	authKey    = "middleware-test-key-middleware-test-key"
	authIssuer = "listo"
)

// sessionSource is an in-memory auth.SessionSource: this is a test of the
// middleware, not of the store.
type sessionSource struct {
	mu       sync.Mutex
	sessions map[string]models.Session
	users    map[string]models.User
	err      error // returned by every lookup when set
}

func (s *sessionSource) SessionByID(_ context.Context, id string) (models.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return models.Session{}, s.err
	}
	v, ok := s.sessions[id]
	if !ok {
		return models.Session{}, fmt.Errorf("session %s: %w", id, models.ErrNotFound)
	}
	return v, nil
}

func (s *sessionSource) UserByID(_ context.Context, id string) (models.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return models.User{}, s.err
	}
	v, ok := s.users[id]
	if !ok {
		return models.User{}, fmt.Errorf("user %s: %w", id, models.ErrNotFound)
	}
	return v, nil
}

func (s *sessionSource) setErr(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// authFixture is Authenticate with real tokens and a real checker (no
// cache) over an in-memory source holding:
//
//	alice (user): live session s-alice, revoked s-revoked, expired s-expired
//	root (admin): live session s-root
//	bob (disabled): live session s-bob
//	s-ghost: a live session whose user does not exist
type authFixture struct {
	tokens *auth.Tokens
	csrf   *auth.CSRF
	src    *sessionSource
	ran    atomic.Int32 // handler runs
	engine *gin.Engine
}

func newAuthFixture(t *testing.T, extra ...gin.HandlerFunc) *authFixture {
	t.Helper()
	now := func() time.Time { return authT0 }
	revoked := authT0.Add(-time.Minute)
	live := authT0.Add(24 * time.Hour)
	f := &authFixture{
		tokens: auth.NewTokens([]byte(authKey), authIssuer, 15*time.Minute, now),
		csrf:   auth.NewCSRF([]byte(authKey)),
		src: &sessionSource{
			users: map[string]models.User{
				"alice": {ID: "alice", Role: models.RoleUser},
				"root":  {ID: "root", Role: models.RoleAdmin},
				"bob":   {ID: "bob", Role: models.RoleUser, Disabled: true},
			},
			sessions: map[string]models.Session{
				"s-alice":   {ID: "s-alice", UserID: "alice", ExpiresAt: live},
				"s-revoked": {ID: "s-revoked", UserID: "alice", ExpiresAt: live, RevokedAt: &revoked},
				"s-expired": {ID: "s-expired", UserID: "alice", ExpiresAt: authT0.Add(-time.Second)},
				"s-root":    {ID: "s-root", UserID: "root", ExpiresAt: live},
				"s-bob":     {ID: "s-bob", UserID: "bob", ExpiresAt: live},
				"s-ghost":   {ID: "s-ghost", UserID: "ghost", ExpiresAt: live},
			},
		},
	}
	checker := auth.NewChecker(f.src, 0, now, 100)
	mw := append([]gin.HandlerFunc{middleware.Problems(slog.New(slog.DiscardHandler)), middleware.Authenticate(f.tokens, checker, f.csrf, middleware.PATAccess{})}, extra...)
	f.engine = newEngine(mw...)
	who := func(c *gin.Context) {
		f.ran.Add(1)
		p := httpx.Principal(c)
		c.String(http.StatusOK, p.User.ID+" "+p.SessionID)
	}
	for _, m := range []string{"GET", "HEAD", "OPTIONS", "POST", "PATCH", "PUT", "DELETE"} {
		f.engine.Handle(m, "/", who)
	}
	return f
}

// token issues an access token signed as Listo signs them.
func (f *authFixture) token(t *testing.T, userID, sessionID, role string) string {
	t.Helper()
	tok, err := f.tokens.Issue(userID, sessionID, role)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var unauthorized = doc(401, "A valid access token is required.")

func TestAuthenticateBearer(t *testing.T) {
	f := newAuthFixture(t)
	srv := serve(t, f.engine)

	alice := f.token(t, "alice", "s-alice", "user")
	otherKey, _ := auth.NewTokens([]byte("another-key-another-key-another-key!!"), authIssuer, 15*time.Minute,
		func() time.Time { return authT0 }).Issue("alice", "s-alice", "user")
	otherIssuer, _ := auth.NewTokens([]byte(authKey), "not-listo", 15*time.Minute,
		func() time.Time { return authT0 }).Issue("alice", "s-alice", "user")
	expired, _ := auth.NewTokens([]byte(authKey), authIssuer, 15*time.Minute,
		func() time.Time { return authT0.Add(-time.Hour) }).Issue("alice", "s-alice", "user")

	for _, tc := range []struct {
		name    string
		method  string
		headers []string
		want    string // "" for 401, else "user session" as the handler saw them
	}{
		{"valid", "GET", []string{"Authorization", "Bearer " + alice}, "alice s-alice"},
		{"scheme in lower case", "GET", []string{"Authorization", "bearer " + alice}, "alice s-alice"},
		{"scheme in upper case", "GET", []string{"Authorization", "BEARER " + alice}, "alice s-alice"},
		{"extra spaces", "GET", []string{"Authorization", "Bearer    " + alice + "  "}, "alice s-alice"},
		{"unsafe method needs no CSRF token", "DELETE", []string{"Authorization", "Bearer " + alice}, "alice s-alice"},
		{"no credentials", "GET", nil, ""},
		{"basic scheme", "GET", []string{"Authorization", "Basic YWxpY2U6cGFzc3dvcmQ="}, ""},
		{"token without scheme", "GET", []string{"Authorization", alice}, ""},
		{"scheme without token", "GET", []string{"Authorization", "Bearer"}, ""},
		{"tab after scheme", "GET", []string{"Authorization", "Bearer\t" + alice}, ""},
		{"bearer-like scheme", "GET", []string{"Authorization", "Bearerx " + alice}, ""},
		{"garbage", "GET", []string{"Authorization", "Bearer a.b.c"}, ""},
		{"another key", "GET", []string{"Authorization", "Bearer " + otherKey}, ""},
		{"another issuer", "GET", []string{"Authorization", "Bearer " + otherIssuer}, ""},
		{"expired token", "GET", []string{"Authorization", "Bearer " + expired}, ""},
		{"tampered signature", "GET", []string{"Authorization", "Bearer " + alice[:len(alice)-2] + "AA"}, ""},
		{"revoked session", "GET", []string{"Authorization", "Bearer " + f.token(t, "alice", "s-revoked", "user")}, ""},
		{"expired session", "GET", []string{"Authorization", "Bearer " + f.token(t, "alice", "s-expired", "user")}, ""},
		{"unknown session", "GET", []string{"Authorization", "Bearer " + f.token(t, "alice", "s-nope", "user")}, ""},
		{"another user's session", "GET", []string{"Authorization", "Bearer " + f.token(t, "alice", "s-root", "user")}, ""},
		{"disabled user", "GET", []string{"Authorization", "Bearer " + f.token(t, "bob", "s-bob", "user")}, ""},
		{"deleted user", "GET", []string{"Authorization", "Bearer " + f.token(t, "ghost", "s-ghost", "user")}, ""},
		{"a bad header is not rescued by a good cookie", "GET",
			[]string{"Authorization", "Basic x", "Cookie", httpx.AccessCookie + "=" + alice}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.ran.Store(0)
			res := do(t, srv, tc.method, "/", nil, tc.headers...)
			if tc.want != "" {
				if res.Status != http.StatusOK || res.Body != tc.want {
					t.Errorf("%s / = %d %q; want 200 %q", tc.method, res.Status, res.Body, tc.want)
				}
				if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control = %q; want no-store on every authenticated answer", cc)
				}
				return
			}
			if res.Status != http.StatusUnauthorized {
				t.Fatalf("status = %d; want 401 (%s)", res.Status, res.Body)
			}
			// Every refusal is the same 401: the reason is for the log.
			if diff := cmp.Diff(unauthorized, decodeProblem(t, res)); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
			if got := res.Header.Get("WWW-Authenticate"); got != `Bearer realm="listo"` {
				t.Errorf("WWW-Authenticate = %q; want %q", got, `Bearer realm="listo"`)
			}
			if n := f.ran.Load(); n != 0 {
				t.Errorf("the handler ran %d times after a 401", n)
			}
		})
	}
}

func TestAuthenticateCookieNeedsCSRFOnUnsafeMethods(t *testing.T) {
	f := newAuthFixture(t)
	srv := serve(t, f.engine)
	alice := f.token(t, "alice", "s-alice", "user")
	access := httpx.AccessCookie + "=" + alice
	csrf := func(v string) string { return access + "; " + httpx.CSRFCookie + "=" + v }
	signed := f.csrf.Issue("s-alice")
	forRoot := f.csrf.Issue("s-root")
	foreign := auth.NewCSRF([]byte("another-key-another-key-another-key!!")).Issue("s-alice")

	for _, tc := range []struct {
		name    string
		method  string
		headers []string
		want    int
	}{
		{"GET", "GET", []string{"Cookie", access}, 200},
		{"HEAD", "HEAD", []string{"Cookie", access}, 200},
		{"OPTIONS", "OPTIONS", []string{"Cookie", access}, 200},
		{"empty cookie", "GET", []string{"Cookie", httpx.AccessCookie + "="}, 401},
		{"bad cookie", "GET", []string{"Cookie", httpx.AccessCookie + "=x.y.z"}, 401},
		{"bad cookie on POST is a 401 first", "POST", []string{"Cookie", httpx.AccessCookie + "=x.y.z"}, 401},
		{"POST with the session's CSRF token", "POST", []string{"Cookie", csrf(signed), httpx.CSRFHeader, signed}, 200},
		{"DELETE with the session's CSRF token", "DELETE", []string{"Cookie", csrf(signed), httpx.CSRFHeader, signed}, 200},
		{"POST without a CSRF token", "POST", []string{"Cookie", access}, 403},
		{"PATCH without a CSRF token", "PATCH", []string{"Cookie", access}, 403},
		{"PUT without a CSRF token", "PUT", []string{"Cookie", access}, 403},
		{"DELETE without a CSRF token", "DELETE", []string{"Cookie", access}, 403},
		{"header without the cookie", "POST", []string{"Cookie", access, httpx.CSRFHeader, signed}, 403},
		{"cookie without the header", "POST", []string{"Cookie", csrf(signed)}, 403},
		{"header and cookie differ", "POST", []string{"Cookie", csrf(signed), httpx.CSRFHeader, f.csrf.Issue("s-alice")}, 403},
		{"both empty", "POST", []string{"Cookie", csrf(""), httpx.CSRFHeader, ""}, 403},
		// A planted cookie with a header to match is not enough: the
		// token must be signed for the access token's session.
		{"matching but unsigned", "POST", []string{"Cookie", csrf("c1"), httpx.CSRFHeader, "c1"}, 403},
		{"matching, signed for another session", "POST", []string{"Cookie", csrf(forRoot), httpx.CSRFHeader, forRoot}, 403},
		{"matching, signed with another key", "POST", []string{"Cookie", csrf(foreign), httpx.CSRFHeader, foreign}, 403},
		{"matching, signature cut off", "POST", []string{"Cookie", csrf(signed[:len(signed)-1]), httpx.CSRFHeader, signed[:len(signed)-1]}, 403},
		// A bearer token is not sent by a browser on its own: no CSRF.
		{"bearer POST needs none", "POST", []string{"Authorization", "Bearer " + alice}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.ran.Store(0)
			res := do(t, srv, tc.method, "/", nil, tc.headers...)
			if res.Status != tc.want {
				t.Fatalf("%s / = %d; want %d (%s)", tc.method, res.Status, tc.want, res.Body)
			}
			switch tc.want {
			case 200:
				if tc.method != "HEAD" && res.Body != "alice s-alice" {
					t.Errorf("handler saw %q; want alice s-alice", res.Body)
				}
				return
			case 401:
				if diff := cmp.Diff(unauthorized, decodeProblem(t, res)); diff != "" {
					t.Errorf("problem (-want +got):\n%s", diff)
				}
			case 403:
				want := doc(403, "The X-CSRF-Token header must match the listo_csrf cookie.")
				if diff := cmp.Diff(want, decodeProblem(t, res)); diff != "" {
					t.Errorf("problem (-want +got):\n%s", diff)
				}
			}
			if n := f.ran.Load(); n != 0 {
				t.Errorf("the handler ran %d times after a %d", n, tc.want)
			}
		})
	}
}

func TestAuthenticateDatabaseErrors(t *testing.T) {
	f := newAuthFixture(t)
	srv := serve(t, f.engine)
	alice := f.token(t, "alice", "s-alice", "user")

	for _, tc := range []struct {
		name       string
		err        error
		want       problemDoc
		retryAfter string
	}{
		// Nothing is accepted on a guess: the database cannot tell, so 503.
		{"unavailable", fmt.Errorf("find session: %w", models.ErrUnavailable),
			doc(503, "The database is unavailable; try again shortly."), "5"},
		{"anything else", errors.New("SECRET driver detail"),
			doc(500, "Something went wrong on our side."), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.src.setErr(tc.err)
			defer f.src.setErr(nil)
			f.ran.Store(0)
			res := do(t, srv, "GET", "/", nil, "Authorization", "Bearer "+alice)
			if diff := cmp.Diff(tc.want, decodeProblem(t, res)); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
			if got := res.Header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q; want %q", got, tc.retryAfter)
			}
			if strings.Contains(res.Body, "SECRET") {
				t.Errorf("the body reveals the cause: %s", res.Body)
			}
			if n := f.ran.Load(); n != 0 {
				t.Errorf("the handler ran %d times", n)
			}
		})
	}
	if res := do(t, srv, "GET", "/", nil, "Authorization", "Bearer "+alice); res.Status != http.StatusOK {
		t.Errorf("after the database is back, GET / = %d; want 200", res.Status)
	}
}

func TestRequireAdmin(t *testing.T) {
	f := newAuthFixture(t, middleware.RequireAdmin())
	srv := serve(t, f.engine)

	// The role comes from the user record, not from the token's claim, so a
	// demotion applies at once and a forged claim cannot promote.
	for _, tc := range []struct {
		name, user, session, claim string
		want                       int
	}{
		{"admin", "root", "s-root", "admin", 200},
		{"admin whose token still says user", "root", "s-root", "user", 200},
		{"user", "alice", "s-alice", "user", 403},
		{"user whose token says admin", "alice", "s-alice", "admin", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.ran.Store(0)
			res := do(t, srv, "DELETE", "/", nil, "Authorization", "Bearer "+f.token(t, tc.user, tc.session, tc.claim))
			if res.Status != tc.want {
				t.Fatalf("status = %d; want %d (%s)", res.Status, tc.want, res.Body)
			}
			if tc.want == 200 {
				return
			}
			if diff := cmp.Diff(doc(403, "Only admins may do this."), decodeProblem(t, res)); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
			if n := f.ran.Load(); n != 0 {
				t.Errorf("the handler ran %d times after a 403", n)
			}
		})
	}

	t.Run("without Authenticate it fails closed", func(t *testing.T) {
		log := slog.New(slog.DiscardHandler)
		r := newEngine(middleware.Problems(log), middleware.Recovery(log), middleware.RequireAdmin())
		var ran atomic.Bool
		r.GET("/", func(c *gin.Context) { ran.Store(true) })
		res := do(t, serve(t, r), "GET", "/", nil)
		if res.Status != http.StatusInternalServerError || ran.Load() {
			t.Errorf("GET / = %d, handler ran %t; want a 500 and no handler", res.Status, ran.Load())
		}
	})
}

func TestCrossOrigin(t *testing.T) {
	const trusted = "https://app.example.com"
	mw, err := middleware.CrossOrigin([]string{trusted})
	if err != nil {
		t.Fatal(err)
	}
	r := newEngine(middleware.Problems(slog.New(slog.DiscardHandler)), mw)
	for _, m := range []string{"GET", "HEAD", "OPTIONS", "POST", "PATCH", "PUT", "DELETE"} {
		r.Handle(m, "/", ok)
	}
	srv := serve(t, r)
	self := srv.URL // the Origin a same-origin browser request carries

	for _, tc := range []struct {
		name, method string
		headers      []string
		want         int
	}{
		{"no browser headers (curl, the CLI)", "POST", nil, 200},
		{"same-origin", "POST", []string{"Sec-Fetch-Site", "same-origin", "Origin", self}, 200},
		{"user-initiated", "DELETE", []string{"Sec-Fetch-Site", "none"}, 200},
		{"cross-site", "POST", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 403},
		{"same-site is not same-origin", "PATCH", []string{"Sec-Fetch-Site", "same-site", "Origin", "https://sub.example.com"}, 403},
		{"cross-site PUT", "PUT", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"cross-site DELETE", "DELETE", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"cross-site GET is safe", "GET", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 200},
		{"cross-site HEAD is safe", "HEAD", []string{"Sec-Fetch-Site", "cross-site"}, 200},
		{"cross-site OPTIONS is safe", "OPTIONS", []string{"Sec-Fetch-Site", "cross-site"}, 200},
		{"old browser, foreign Origin", "POST", []string{"Origin", "https://evil.example"}, 403},
		{"old browser, own Origin", "POST", []string{"Origin", self}, 200},
		{"trusted origin", "POST", []string{"Sec-Fetch-Site", "cross-site", "Origin", trusted}, 200},
		{"trusted origin on another port", "POST", []string{"Sec-Fetch-Site", "cross-site", "Origin", trusted + ":8443"}, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, srv, tc.method, "/", nil, tc.headers...)
			if res.Status != tc.want {
				t.Fatalf("%s / = %d; want %d", tc.method, res.Status, tc.want)
			}
			if tc.want == 403 {
				if diff := cmp.Diff(doc(403, "Cross-origin requests are not allowed."), decodeProblem(t, res)); diff != "" {
					t.Errorf("problem (-want +got):\n%s", diff)
				}
			}
		})
	}

	for _, bad := range []string{"app.example.com", "https://app.example.com/", "https://app.example.com/path", "https://", "://x"} {
		if _, err := middleware.CrossOrigin([]string{bad}); err == nil {
			t.Errorf("CrossOrigin([%q]) = nil error; want the origin refused", bad)
		}
	}
}

// corsHeaders picks the headers CORS may set.
func corsHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") || k == "Vary" || k == "Allow" {
			out[k] = strings.Join(v, ", ")
		}
	}
	return out
}

func TestCORS(t *testing.T) {
	const origin = "https://app.example.com"
	var ran atomic.Int32
	r := newEngine(middleware.Problems(slog.New(slog.DiscardHandler)), middleware.CORS([]string{origin, "http://localhost:5173"}))
	r.GET("/todos", func(c *gin.Context) { ran.Add(1); c.String(http.StatusOK, "list") })
	r.POST("/todos", func(c *gin.Context) { ran.Add(1); c.String(http.StatusCreated, "made") })
	r.GET("/fail", func(c *gin.Context) { ran.Add(1); httpx.Fail(c, models.ErrUnauthorized) })
	srv := serve(t, r)

	simple := map[string]string{
		"Access-Control-Allow-Origin":      origin,
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Expose-Headers":    "ETag, Location, Retry-After, X-Request-ID",
		"Vary":                             "Origin",
	}
	preflight := map[string]string{
		"Access-Control-Allow-Origin":      origin,
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET, POST, PATCH, PUT, DELETE",
		"Access-Control-Allow-Headers":     "Authorization, Content-Type, X-CSRF-Token, If-Match",
		"Access-Control-Max-Age":           "600",
		"Vary":                             "Origin",
	}
	for _, tc := range []struct {
		name, method, path string
		headers            []string
		status             int
		want               map[string]string
		ran                int32
	}{
		{"allowed origin", "GET", "/todos", []string{"Origin", origin}, 200, simple, 1},
		{"allowed origin, POST", "POST", "/todos", []string{"Origin", origin}, 201, simple, 1},
		{"an error is readable by the allowed origin", "GET", "/fail", []string{"Origin", origin}, 401, simple, 1},
		{"preflight: 204, no handler, no Allow", "OPTIONS", "/todos",
			[]string{"Origin", origin, "Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "authorization,if-match"},
			204, preflight, 0},
		{"preflight for a path with no such method", "OPTIONS", "/fail",
			[]string{"Origin", origin, "Access-Control-Request-Method", "DELETE"}, 204, preflight, 0},
		{"OPTIONS that is not a preflight", "OPTIONS", "/todos", []string{"Origin", origin}, 405,
			merge(simple, map[string]string{"Allow": "GET, POST"}), 0},
		{"no Origin", "GET", "/todos", nil, 200, map[string]string{}, 1},
		{"other origin", "GET", "/todos", []string{"Origin", "https://evil.example"}, 200, map[string]string{}, 1},
		{"origin differs in case", "GET", "/todos", []string{"Origin", "https://APP.example.com"}, 200, map[string]string{}, 1},
		{"origin with a trailing slash", "GET", "/todos", []string{"Origin", origin + "/"}, 200, map[string]string{}, 1},
		{"the string null", "GET", "/todos", []string{"Origin", "null"}, 200, map[string]string{}, 1},
		{"other origin's preflight is not answered", "OPTIONS", "/todos",
			[]string{"Origin", "https://evil.example", "Access-Control-Request-Method", "PATCH"}, 405,
			map[string]string{"Allow": "GET, POST"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ran.Store(0)
			res := do(t, srv, tc.method, tc.path, nil, tc.headers...)
			if res.Status != tc.status {
				t.Fatalf("%s %s = %d; want %d", tc.method, tc.path, res.Status, tc.status)
			}
			if diff := cmp.Diff(tc.want, corsHeaders(res.Header)); diff != "" {
				t.Errorf("CORS headers (-want +got):\n%s", diff)
			}
			if tc.status == 204 && res.Body != "" {
				t.Errorf("preflight body = %q; want none", res.Body)
			}
			if n := ran.Load(); n != tc.ran {
				t.Errorf("handler ran %d times; want %d", n, tc.ran)
			}
		})
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

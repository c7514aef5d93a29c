package controllers_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"listo/apptest"
	"listo/auth"
	"listo/models"
)

var patPattern = regexp.MustCompile(`^listo_pat_[A-Za-z0-9_-]{43}$`)

// patJSON is a token as the API answers it.
type patJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	Token      string     `json:"token"`
}

// newPAT creates a token of u with scopes (and the body's other members
// from extra pairs) and returns it.
func newPAT(t *testing.T, u *apptest.User, scopes []string, extra ...any) patJSON {
	t.Helper()
	body := map[string]any{"name": "cron " + strings.Join(scopes, "+"), "scopes": scopes, "current_password": u.Password}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	var p patJSON
	u.Do("POST", "/user/tokens", body).Expect(t, http.StatusCreated).Decode(t, &p)
	return p
}

// bearer is a client that sends token and no cookies.
func bearer(srv *apptest.Server, token string) *apptest.Client {
	c := srv.Client()
	c.Token = token
	return c
}

func listPATs(t *testing.T, u *apptest.User) []patJSON {
	t.Helper()
	var l struct {
		Items []patJSON `json:"items"`
	}
	resp := u.Do("GET", "/user/tokens", nil).Expect(t, http.StatusOK)
	if strings.Contains(string(resp.Body), "listo_pat_") || strings.Contains(string(resp.Body), `"token"`) {
		t.Errorf("GET /user/tokens shows a secret: %s", resp.Body)
	}
	resp.Decode(t, &l)
	return l.Items
}

func expectProblemType(t *testing.T, r *apptest.Response, want string) {
	t.Helper()
	if got, _ := r.JSON(t)["type"].(string); got != want {
		t.Errorf("problem type = %q; want %q (%s)", got, want, r.Body)
	}
}

func TestPATCreate(t *testing.T) {
	srv := startTodoServer(t, apptest.Options{})
	alice := srv.NewUser(t)

	bad := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"wrong password", map[string]any{"name": "x", "scopes": []string{"todos:read"}, "current_password": "nope"}, 403, "/current_password"},
		{"no password", map[string]any{"name": "x", "scopes": []string{"todos:read"}}, 422, "/current_password"},
		{"no scopes", map[string]any{"name": "x", "scopes": []string{}, "current_password": alice.Password}, 422, "/scopes"},
		{"unknown scope", map[string]any{"name": "x", "scopes": []string{"todos:read", "admin"}, "current_password": alice.Password}, 422, "/scopes/1"},
		{"blank name", map[string]any{"name": "  ", "scopes": []string{"todos:read"}, "current_password": alice.Password}, 422, "/name"},
		{"expiry 0 days", map[string]any{"name": "x", "scopes": []string{"todos:read"}, "expires_in_days": 0, "current_password": alice.Password}, 422, "/expires_in_days"},
		{"expiry past a year", map[string]any{"name": "x", "scopes": []string{"todos:read"}, "expires_in_days": 366, "current_password": alice.Password}, 422, "/expires_in_days"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var p problemBody
			alice.Do("POST", "/user/tokens", tt.body).Expect(t, tt.status).Decode(t, &p)
			if !slices.Contains(p.fields(), tt.field) {
				t.Errorf("fields = %v; want %s", p.fields(), tt.field)
			}
		})
	}

	now := srv.Clock.Now().UTC().Truncate(time.Millisecond)
	p := newPAT(t, alice, []string{"account:read", "todos:read", "todos:read"}, "name", "  Nightly backup ", "expires_in_days", 30)
	if !patPattern.MatchString(p.Token) {
		t.Errorf("token = %q; want listo_pat_ and 43 base64url characters", p.Token)
	}
	want := patJSON{ID: p.ID, Name: "Nightly backup", Scopes: []string{"todos:read", "account:read"}, CreatedAt: now, ExpiresAt: ptr(now.Add(30 * 24 * time.Hour)), Token: p.Token}
	if p.ID == "" || p.Name != want.Name || !slices.Equal(p.Scopes, want.Scopes) || !p.CreatedAt.Equal(now) ||
		p.ExpiresAt == nil || !p.ExpiresAt.Equal(*want.ExpiresAt) || p.LastUsedAt != nil {
		t.Errorf("created = %+v; want %+v", p, want)
	}
	// Only the hash is stored.
	stored, err := srv.Store().PATByHash(context.Background(), auth.PATHash(p.Token))
	if err != nil || stored.ID != p.ID || stored.UserID != alice.ID {
		t.Fatalf("stored token = %+v, %v", stored, err)
	}
	sum := sha256.Sum256([]byte(p.Token))
	if stored.Hash != hex.EncodeToString(sum[:]) {
		t.Errorf("stored hash = %s; want the SHA-256 of the token", stored.Hash)
	}
	never := newPAT(t, alice, []string{"events:read"})
	if never.ExpiresAt != nil {
		t.Errorf("a token without expires_in_days expires at %v; want never", never.ExpiresAt)
	}
	if never.Token == p.Token {
		t.Error("two tokens are the same")
	}

	list := listPATs(t, alice)
	if len(list) != 2 || list[0].ID != never.ID || list[1].ID != p.ID {
		t.Errorf("GET /user/tokens = %+v; want the two tokens, newest first", list)
	}
	if bob := srv.NewUser(t); len(listPATs(t, bob)) != 0 {
		t.Error("another user sees alice's tokens")
	}

	// A user holds at most models.MaxPATsPerUser.
	for i := len(list); i < models.MaxPATsPerUser; i++ {
		_, hash := auth.NewPAT()
		if _, err := srv.Store().CreatePAT(context.Background(), models.PAT{UserID: alice.ID, Name: "filler", Scopes: []string{"todos:read"}, Hash: hash, CreatedAt: now}, 0); err != nil {
			t.Fatal(err)
		}
	}
	r := alice.Do("POST", "/user/tokens", map[string]any{"name": "one too many", "scopes": []string{"todos:read"}, "current_password": alice.Password}).Expect(t, http.StatusConflict)
	expectProblemType(t, r, "/problems/limit-reached")
}

// TestPATScopes: a token is accepted exactly where its scopes allow, and
// refused with 403 insufficient-scope everywhere else, whatever its
// scopes; a refused request changes nothing.
func TestPATScopes(t *testing.T) {
	srv := startTodoServer(t, apptest.Options{})
	alice := srv.NewUser(t)
	makeAdmin(t, srv, alice)
	todo := createTodo(t, alice, map[string]any{"title": "Water the plants"})
	session := alice.SessionID

	read, write, events, account := "todos:read", "todos:write", "events:read", "account:read"
	type call struct {
		method, path string
		body         any
		need         []string // nil: no token is ever accepted
	}
	calls := []call{
		{"GET", "/todos", nil, []string{read}},
		{"GET", "/todos/" + todo.ID, nil, []string{read}},
		{"POST", "/todos", map[string]any{"title": "From a script"}, []string{write}},
		{"PATCH", "/todos/" + todo.ID, map[string]any{"notes": "weekly"}, []string{write}},
		{"PATCH", "/todos", map[string]any{"completed": false}, []string{write}},
		{"DELETE", "/todos?completed=true", nil, []string{write}},
		{"POST", "/todos/import", []map[string]any{{"title": "Imported"}}, []string{write}},
		{"GET", "/user", nil, []string{account}},
		{"GET", "/user/export", nil, []string{account, read}},
		{"PATCH", "/user", map[string]any{"name": "Mallory"}, nil},
		{"DELETE", "/user", map[string]any{"password": alice.Password}, nil},
		{"GET", "/user/sessions", nil, nil},
		{"DELETE", "/user/sessions/" + session, nil, nil},
		{"GET", "/user/tokens", nil, nil},
		{"POST", "/user/tokens", map[string]any{"name": "child", "scopes": []string{read}, "current_password": alice.Password}, nil},
		{"POST", "/logout?scope=global", nil, nil},
		{"GET", "/users", nil, nil},
		{"PATCH", "/users/" + alice.ID, map[string]any{"name": "Mallory"}, nil},
	}
	tokens := map[string]patJSON{}
	for _, scopes := range [][]string{{read}, {write}, {events}, {account}, {account, read}, {read, write, events, account}} {
		tokens[strings.Join(scopes, " ")] = newPAT(t, alice, scopes)
	}
	for name, p := range tokens {
		for _, c := range calls {
			t.Run(name+" "+c.method+" "+c.path, func(t *testing.T) {
				r := bearer(srv, p.Token).Do(c.method, c.path, c.body)
				allowed := c.need != nil
				for _, s := range c.need {
					allowed = allowed && slices.Contains(p.Scopes, s)
				}
				if !allowed {
					r.Expect(t, http.StatusForbidden)
					expectProblemType(t, r, "/problems/insufficient-scope")
					if h := r.Header.Get("WWW-Authenticate"); !strings.Contains(h, `error="insufficient_scope"`) {
						t.Errorf("WWW-Authenticate = %q; want error=\"insufficient_scope\"", h)
					}
					return
				}
				if r.Status >= 300 {
					t.Errorf("%s %s with scopes %v = %d; want success: %s", c.method, c.path, p.Scopes, r.Status, r.Body)
				}
			})
		}
		// GET /events streams: only its status is read.
		st, resp := tryEvents(t, bearer(srv, p.Token), srv.URL()+"/events")
		if want := slices.Contains(p.Scopes, events); (resp.StatusCode == http.StatusOK) != want {
			t.Errorf("GET /events with scopes %v = %d; want 200: %t", p.Scopes, resp.StatusCode, want)
		}
		if st != nil {
			st.Close()
		}
	}
	// The refused calls changed nothing: alice is still herself, with her
	// session, her name and every token.
	me := alice.Do("GET", "/user", nil).Expect(t, http.StatusOK).JSON(t)
	if me["name"] == "Mallory" {
		t.Error("a token changed the account")
	}
	if got := len(listPATs(t, alice)); got != len(tokens) {
		t.Errorf("alice has %d tokens; want %d", got, len(tokens))
	}

	// A token that is no token of Listo's is the 401 of any bad token.
	for _, tok := range []string{"listo_pat_", "listo_pat_" + strings.Repeat("A", 43), "listo_pat_" + strings.Repeat("!", 43), tokens[read].Token + "x"} {
		bearer(srv, tok).Do("GET", "/todos", nil).Expect(t, http.StatusUnauthorized)
	}
}

func TestPATRevokeAndExpiry(t *testing.T) {
	// The session cache is on (5 s, the default): a revoke is effective
	// on the very next request all the same.
	srv := startTodoServer(t, apptest.Options{})
	alice, bob := srv.NewUser(t), srv.NewUser(t)
	p := newPAT(t, alice, []string{"todos:read"})
	script := bearer(srv, p.Token)
	script.Do("GET", "/todos", nil).Expect(t, http.StatusOK)

	bob.Do("DELETE", "/user/tokens/"+p.ID, nil).Expect(t, http.StatusNotFound)
	alice.Do("DELETE", "/user/tokens/nope", nil).Expect(t, http.StatusNotFound)
	script.Do("GET", "/todos", nil).Expect(t, http.StatusOK)
	alice.Do("DELETE", "/user/tokens/"+p.ID, nil).Expect(t, http.StatusNoContent)
	script.Do("GET", "/todos", nil).Expect(t, http.StatusUnauthorized)
	alice.Do("DELETE", "/user/tokens/"+p.ID, nil).Expect(t, http.StatusNotFound)
	if _, err := srv.Store().PATByHash(context.Background(), auth.PATHash(p.Token)); err == nil {
		t.Error("the revoked token is still stored")
	}

	// Expiry: valid until expires_at, then refused.
	day := newPAT(t, alice, []string{"todos:read"}, "expires_in_days", 1)
	short := bearer(srv, day.Token)
	srv.Clock.Advance(24*time.Hour - time.Second)
	short.Do("GET", "/todos", nil).Expect(t, http.StatusOK)
	srv.Clock.Advance(time.Second)
	short.Do("GET", "/todos", nil).Expect(t, http.StatusUnauthorized)
	alice = srv.Login(t, alice.Email, alice.Password) // a day later: a new access token
	if got := listPATs(t, alice); len(got) != 1 || got[0].ID != day.ID {
		t.Errorf("tokens after expiry = %+v; want the expired one still listed", got)
	}
}

func TestPATLastUsed(t *testing.T) {
	srv := startTodoServer(t, apptest.Options{})
	alice := srv.NewUser(t)
	p := newPAT(t, alice, []string{"todos:read"})
	script := bearer(srv, p.Token)
	lastUsed := func() *time.Time {
		t.Helper()
		for _, l := range listPATs(t, alice) {
			if l.ID == p.ID {
				return l.LastUsedAt
			}
		}
		t.Fatal("token gone")
		return nil
	}
	if got := lastUsed(); got != nil {
		t.Errorf("last_used_at of an unused token = %v; want null", got)
	}
	first := srv.Clock.Now().UTC().Truncate(time.Millisecond)
	script.Do("GET", "/todos", nil).Expect(t, http.StatusOK)
	if got := lastUsed(); got == nil || !got.Equal(first) {
		t.Errorf("last_used_at = %v; want %v", got, first)
	}
	// Within the minute: not written again.
	srv.Clock.Advance(59 * time.Second)
	script.Do("GET", "/todos", nil).Expect(t, http.StatusOK)
	if got := lastUsed(); got == nil || !got.Equal(first) {
		t.Errorf("last_used_at after 59 s = %v; want still %v", got, first)
	}
	srv.Clock.Advance(time.Second)
	script.Do("GET", "/todos", nil).Expect(t, http.StatusOK)
	if got, want := lastUsed(), first.Add(time.Minute); got == nil || !got.Equal(want) {
		t.Errorf("last_used_at after a minute = %v; want %v", got, want)
	}
}

// TestPATsEndWithThePassword: a password change or reset, a disable and
// a deletion revoke every token of the user (and no one else's).
func TestPATsEndWithThePassword(t *testing.T) {
	srv := startTodoServer(t, apptest.Options{})
	root := srv.NewUser(t)
	makeAdmin(t, srv, root)
	ctx := context.Background()

	steps := []struct {
		name string
		do   func(t *testing.T, u *apptest.User)
	}{
		{"password change", func(t *testing.T, u *apptest.User) {
			u.Do("PATCH", "/user", map[string]any{"password": "a brand new passphrase", "current_password": u.Password}).Expect(t, http.StatusOK)
		}},
		{"password reset", func(t *testing.T, u *apptest.User) {
			var b [32]byte
			_, _ = rand.Read(b[:])
			raw := base64.RawURLEncoding.EncodeToString(b[:])
			sum := sha256.Sum256([]byte(raw))
			now := srv.Clock.Now()
			if err := srv.Store().CreateLinkToken(ctx, models.LinkToken{Hash: hex.EncodeToString(sum[:]), UserID: u.ID, Purpose: models.PurposeReset, Email: u.Email, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, true); err != nil {
				t.Fatal(err)
			}
			srv.Client().Do("POST", "/password/reset", map[string]any{"token": raw, "password": "a brand new passphrase"}).Expect(t, http.StatusNoContent)
		}},
		{"admin sets the password", func(t *testing.T, u *apptest.User) {
			root.Do("PATCH", "/users/"+u.ID, map[string]any{"password": "a brand new passphrase"}).Expect(t, http.StatusOK)
		}},
		{"disable", func(t *testing.T, u *apptest.User) {
			root.Do("PATCH", "/users/"+u.ID, map[string]any{"disabled": true}).Expect(t, http.StatusOK)
			// Enabled again, the tokens stay revoked.
			root.Do("PATCH", "/users/"+u.ID, map[string]any{"disabled": false}).Expect(t, http.StatusOK)
		}},
		{"delete by the user", func(t *testing.T, u *apptest.User) {
			u.Do("DELETE", "/user", map[string]any{"password": u.Password}).Expect(t, http.StatusNoContent)
		}},
		{"delete by an admin", func(t *testing.T, u *apptest.User) {
			root.Do("DELETE", "/users/"+u.ID, nil).Expect(t, http.StatusNoContent)
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			u, other := srv.NewUser(t), srv.NewUser(t)
			tokens := []patJSON{newPAT(t, u, []string{"todos:read"}), newPAT(t, u, []string{"account:read"}, "expires_in_days", 7)}
			theirs := newPAT(t, other, []string{"todos:read"})
			for _, p := range tokens {
				bearer(srv, p.Token).Do("GET", "/user", nil) // cached now
			}
			s.do(t, u)
			for _, p := range tokens {
				bearer(srv, p.Token).Do("GET", "/todos", nil).Expect(t, http.StatusUnauthorized)
			}
			if left, err := srv.Store().ListPATs(ctx, u.ID); err != nil || len(left) != 0 {
				t.Errorf("tokens left after %s: %d, %v", s.name, len(left), err)
			}
			bearer(srv, theirs.Token).Do("GET", "/todos", nil).Expect(t, http.StatusOK)
		})
	}
}

func TestPATRateLimit(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"RATE_PAT_PER_MINUTE": "3"}, Clock: apptest.NewClock(todoT0)})
	alice := srv.NewUser(t)
	a, b := newPAT(t, alice, []string{"todos:read"}), newPAT(t, alice, []string{"todos:read"})
	script := bearer(srv, a.Token)
	for range 3 {
		script.Do("GET", "/todos", nil).Expect(t, http.StatusOK)
	}
	r := script.Do("GET", "/todos", nil).Expect(t, http.StatusTooManyRequests)
	if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q; want seconds", ra)
	}
	// The budget is the token's: another token and the session go on.
	bearer(srv, b.Token).Do("GET", "/todos", nil).Expect(t, http.StatusOK)
	alice.Do("GET", "/todos", nil).Expect(t, http.StatusOK)
	srv.Clock.Advance(time.Minute)
	script.Do("GET", "/todos", nil).Expect(t, http.StatusOK)
}

// TestPATEvents: an events:read token streams the user's changes, and its
// stream ends as soon as the token is revoked, one by one or with all of
// them by a new password: the keep-alive, whose liveness check would end
// it too, is an hour away.
func TestPATEvents(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: eventsEnv("EVENTS_PING_INTERVAL", "1h")})
	alice := srv.NewUser(t)
	p := newPAT(t, alice, []string{"events:read"})
	st := openEvents(t, bearer(srv, p.Token), srv.URL()+"/events")
	st.Position(5 * time.Second)
	createTodo(t, alice, map[string]any{"title": "Seen by the script"})
	if e := st.Next(5 * time.Second); e.Name != "todo.created" || !strings.Contains(e.Data, "Seen by the script") {
		t.Errorf("event = %s %s; want todo.created", e.Name, e.Data)
	}
	// Logging out everywhere ends sessions, not tokens.
	alice.Do("POST", "/logout?scope=global", nil).Expect(t, http.StatusNoContent)
	if st.Ended(500 * time.Millisecond) {
		t.Fatal("a logout ended the token's stream")
	}
	other := srv.Login(t, alice.Email, alice.Password)
	kept := newPAT(t, other, []string{"events:read"})
	keptStream := openEvents(t, bearer(srv, kept.Token), srv.URL()+"/events")
	keptStream.Position(5 * time.Second)
	other.Do("DELETE", "/user/tokens/"+p.ID, nil).Expect(t, http.StatusNoContent)
	if !st.Ended(5 * time.Second) {
		t.Error("the stream of a revoked token did not end")
	}
	if keptStream.Ended(500 * time.Millisecond) {
		t.Fatal("revoking one token ended another token's stream")
	}
	// A new password revokes every token, and their streams end.
	other.Do("PATCH", "/user", map[string]any{"password": "a new long passphrase 42", "current_password": alice.Password}).Expect(t, http.StatusOK)
	if !keptStream.Ended(5 * time.Second) {
		t.Error("a token's stream went on after a new password revoked the token")
	}
}

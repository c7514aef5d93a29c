package controllers_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"listo/apptest"
	"listo/models"
)

const hashPrefix = "$2a$"

func makeAdmin(t *testing.T, srv *apptest.Server, u *apptest.User) {
	t.Helper()
	role := models.RoleAdmin
	if _, err := srv.Store().UpdateUser(context.Background(), u.ID, models.UserPatch{Role: &role}, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestRegister(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	c := srv.Client()

	resp := c.Do("POST", "/register", map[string]any{"email": "  Alice@Example.COM ", "password": "a fine long passphrase"})
	// Surrounding spaces are not a valid email for the schema.
	resp.Expect(t, http.StatusUnprocessableEntity)

	resp = c.Do("POST", "/register", map[string]any{"email": "Alice@Example.COM", "password": "a fine long passphrase", "name": "Alice"}).Expect(t, http.StatusCreated)
	body := resp.JSON(t)
	for _, k := range []string{"id", "email", "name", "role", "created_at", "updated_at"} {
		if _, ok := body[k]; !ok {
			t.Errorf("register body lacks %q: %s", k, resp.Body)
		}
	}
	if body["email"] != "alice@example.com" || body["role"] != "user" || body["name"] != "Alice" {
		t.Errorf("register body = %s", resp.Body)
	}
	if bytes.Contains(resp.Body, []byte(hashPrefix)) || bytes.Contains(resp.Body, []byte("password")) {
		t.Errorf("register body leaks the password hash: %s", resp.Body)
	}
	stored, err := srv.Store().UserByEmail(context.Background(), "alice@example.com")
	if err != nil || !strings.HasPrefix(stored.PasswordHash, hashPrefix) {
		t.Fatalf("stored user = %+v, %v", stored, err)
	}

	tests := []struct {
		name     string
		body     any
		status   int
		field    string
		contains string
	}{
		{"duplicate in other case", map[string]any{"email": "ALICE@example.com", "password": "another long passphrase"}, 409, "/email", "already"},
		{"short password", map[string]any{"email": "b@example.com", "password": "1234567"}, 422, "/password", "at least 8"},
		{"73-byte password", map[string]any{"email": "b@example.com", "password": strings.Repeat("a", 73)}, 422, "/password", "72 bytes"},
		{"common password", map[string]any{"email": "b@example.com", "password": "password"}, 422, "/password", "common"},
		{"common password in capitals", map[string]any{"email": "b@example.com", "password": "PASSWORD1"}, 422, "/password", "common"},
		{"operator as email", map[string]any{"email": map[string]any{"$ne": nil}, "password": "a fine long passphrase"}, 422, "/email", "string"},
		{"missing password", map[string]any{"email": "b@example.com"}, 422, "/password", "required"},
		{"unknown field", map[string]any{"email": "b@example.com", "password": "a fine long passphrase", "role": "admin"}, 422, "/role", "not an allowed field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := c.Do("POST", "/register", tt.body).Expect(t, tt.status)
			var p struct {
				Errors []struct{ Field, Message string }
			}
			resp.Decode(t, &p)
			found := false
			for _, e := range p.Errors {
				found = found || (e.Field == tt.field && strings.Contains(e.Message, tt.contains))
			}
			if !found {
				t.Errorf("no error on %s containing %q: %s", tt.field, tt.contains, resp.Body)
			}
			if _, err := srv.Store().UserByEmail(context.Background(), "b@example.com"); err == nil {
				t.Errorf("a rejected registration stored a user")
			}
		})
	}
}

func TestRegisterConcurrentlyOneWins(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"RATE_REGISTER_PER_MINUTE": "0"}})
	var wg sync.WaitGroup
	statuses := make(chan int, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := "race@example.com"
			if i%2 == 1 {
				email = "RACE@example.com"
			}
			statuses <- srv.Client().Do("POST", "/register", map[string]any{"email": email, "password": "a fine long passphrase"}).Status
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[201] != 1 || count[409] != 19 {
		t.Errorf("statuses = %v; want one 201 and nineteen 409", count)
	}
}

func TestLogin(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	u := srv.NewUser(t)
	c := srv.Client()

	t.Run("success shape", func(t *testing.T) {
		resp := c.Do("POST", "/auth", map[string]any{"email": strings.ToUpper(u.Email), "password": u.Password, "device": "Laptop"}).Expect(t, 200)
		m := resp.JSON(t)
		for _, k := range []string{"access_token", "token_type", "expires_in", "refresh_token", "session_id", "user"} {
			if _, ok := m[k]; !ok {
				t.Errorf("auth body lacks %q", k)
			}
		}
		if m["token_type"] != "Bearer" || m["expires_in"] != float64(900) {
			t.Errorf("token_type/expires_in = %v/%v", m["token_type"], m["expires_in"])
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q; want no-store", cc)
		}
	})

	t.Run("unknown email and wrong password look the same", func(t *testing.T) {
		wrong := c.Do("POST", "/auth", map[string]any{"email": u.Email, "password": "not the password"}).Expect(t, 401)
		unknown := c.Do("POST", "/auth", map[string]any{"email": "nobody@example.com", "password": "not the password"}).Expect(t, 401)
		if !bytes.Equal(wrong.Body, unknown.Body) {
			t.Errorf("bodies differ:\n%s\n%s", wrong.Body, unknown.Body)
		}
		if wrong.Header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
	})

	t.Run("73-byte password whose prefix is the 72-byte password", func(t *testing.T) {
		pw72 := strings.Repeat("k", 60) + "-twelve-char"
		if len(pw72) != 72 {
			t.Fatal(len(pw72))
		}
		v := srv.Register(t, "long@example.com", pw72)
		_ = v
		c.Do("POST", "/auth", map[string]any{"email": "long@example.com", "password": pw72 + "x"}).Expect(t, 401)
		c.Do("POST", "/register", map[string]any{"email": "long2@example.com", "password": pw72 + "x"}).Expect(t, 422)
	})

	t.Run("disabled account is 403 after a correct password", func(t *testing.T) {
		d := srv.NewUser(t)
		disabled := true
		if _, err := srv.Store().UpdateUser(context.Background(), d.ID, models.UserPatch{Disabled: &disabled}, time.Now()); err != nil {
			t.Fatal(err)
		}
		c.Do("POST", "/auth", map[string]any{"email": d.Email, "password": "wrong password!"}).Expect(t, 401)
		c.Do("POST", "/auth", map[string]any{"email": d.Email, "password": d.Password}).Expect(t, 403)
	})

	t.Run("operator injection is a validation error", func(t *testing.T) {
		c.Do("POST", "/auth", `{"email": {"$ne": null}, "password": "x"}`).Expect(t, 422)
	})
}

func sign(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAccessTokenChecks(t *testing.T) {
	clock := apptest.NewClock(time.Now())
	srv := apptest.Start(t, apptest.Options{Clock: clock})
	u := srv.NewUser(t)
	secret := []byte(srv.Config.JWTSecret)
	now := clock.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "listo", "aud": []string{"listo"}, "sub": u.ID, "sid": u.SessionID, "role": "user",
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": "x"}
		if mod != nil {
			mod(c)
		}
		return c
	}
	at := map[string]any{"typ": "at+jwt"}
	good := sign(t, jwt.SigningMethodHS256, secret, at, claims(nil))
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	var payload map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(raw, &payload)
	payload["role"] = "admin"
	tampered, _ := json.Marshal(payload)
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`))

	tests := []struct {
		name  string
		token string
		want  int
	}{
		{"valid", good, 200},
		{"alg none", noneHeader + "." + parts[1] + ".", 401},
		{"RS256 signed with another key", sign(t, jwt.SigningMethodRS256, rsaKey, at, claims(nil)), 401},
		{"HS512", sign(t, jwt.SigningMethodHS512, secret, at, claims(nil)), 401},
		{"wrong key", sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-0123456789"), at, claims(nil)), 401},
		{"missing exp", sign(t, jwt.SigningMethodHS256, secret, at, claims(func(c jwt.MapClaims) { delete(c, "exp") })), 401},
		{"wrong iss", sign(t, jwt.SigningMethodHS256, secret, at, claims(func(c jwt.MapClaims) { c["iss"] = "evil" })), 401},
		{"wrong aud", sign(t, jwt.SigningMethodHS256, secret, at, claims(func(c jwt.MapClaims) { c["aud"] = []string{"other"} })), 401},
		{"wrong typ", sign(t, jwt.SigningMethodHS256, secret, map[string]any{"typ": "JWT"}, claims(nil)), 401},
		{"tampered payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString(tampered) + "." + parts[2], 401},
		{"unknown session", sign(t, jwt.SigningMethodHS256, secret, at, claims(func(c jwt.MapClaims) { c["sid"] = "0123456789abcdef01234567" })), 401},
		{"refresh token as bearer", u.RefreshToken, 401},
		{"garbage", "garbage", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := srv.Client()
			c.Token = tt.token
			resp := c.Do("GET", "/user", nil).Expect(t, tt.want)
			if tt.want == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}

	t.Run("access token sent to /refresh", func(t *testing.T) {
		srv.Client().Do("POST", "/refresh", map[string]any{"refresh_token": good}).Expect(t, 401)
	})
	t.Run("huge Authorization header is refused fast", func(t *testing.T) {
		c := srv.Client()
		c.Token = strings.Repeat("A", 1<<20)
		start := time.Now()
		resp := c.Do("GET", "/user", nil)
		if resp.Status != 401 && resp.Status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status = %d; want 401 or 431", resp.Status)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("expired token", func(t *testing.T) {
		clock.Advance(16 * time.Minute)
		u.Do("GET", "/user", nil).Expect(t, 401)
	})
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	SessionID    string `json:"session_id"`
}

func refresh(t *testing.T, srv *apptest.Server, token string, want int) tokens {
	t.Helper()
	var out tokens
	resp := srv.Client().Do("POST", "/refresh", map[string]any{"refresh_token": token}).Expect(t, want)
	if want == 200 {
		resp.Decode(t, &out)
	}
	return out
}

func TestRefreshRotationAndReuse(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	for _, back := range []int{1, 10} {
		t.Run(fmt.Sprintf("reuse of the token from %d rotations ago", back), func(t *testing.T) {
			u := srv.NewUser(t)
			issued := []string{u.RefreshToken}
			var last tokens
			for range back {
				last = refresh(t, srv, issued[len(issued)-1], 200)
				if last.RefreshToken == issued[len(issued)-1] || last.SessionID != u.SessionID {
					t.Fatalf("refresh did not rotate within the session: %+v", last)
				}
				issued = append(issued, last.RefreshToken)
			}
			c := srv.Client()
			c.Token = last.AccessToken
			c.Do("GET", "/user", nil).Expect(t, 200)

			refresh(t, srv, issued[len(issued)-1-back], 401) // reuse
			refresh(t, srv, last.RefreshToken, 401)          // the newest died with its session
			c.Do("GET", "/user", nil).Expect(t, 401)         // and so did its access token
			u.Do("GET", "/user", nil).Expect(t, 401)
			s, err := srv.Store().SessionByID(context.Background(), u.SessionID)
			if err != nil || s.RevokedAt == nil {
				t.Errorf("session after reuse = %+v, %v; want revoked", s, err)
			}
		})
	}
	t.Run("expired session", func(t *testing.T) {
		clock := apptest.NewClock(time.Now())
		srv := apptest.Start(t, apptest.Options{Clock: clock, Env: map[string]string{"REFRESH_TOKEN_TTL": "1h"}})
		u := srv.NewUser(t)
		clock.Advance(61 * time.Minute)
		refresh(t, srv, u.RefreshToken, 401)
	})
	t.Run("malformed token", func(t *testing.T) {
		refresh(t, srv, "abc", 401)
		srv.Client().Do("POST", "/refresh", nil).Expect(t, 401)
	})
}

func TestConcurrentRefreshOneWins(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"RATE_REFRESH_PER_MINUTE": "0"}})
	for round := range 5 {
		u := srv.NewUser(t)
		const n = 8
		var wg sync.WaitGroup
		results := make(chan int, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results <- srv.Client().Do("POST", "/refresh", map[string]any{"refresh_token": u.RefreshToken}).Status
			}()
		}
		wg.Wait()
		close(results)
		ok := 0
		for s := range results {
			if s == 200 {
				ok++
			} else if s != 401 {
				t.Errorf("round %d: status %d", round, s)
			}
		}
		if ok != 1 {
			t.Errorf("round %d: %d refreshes succeeded; want exactly 1", round, ok)
		}
	}
}

func TestLogoutScopes(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	u := srv.NewUser(t)
	other := srv.Login(t, u.Email, u.Password)
	third := srv.Login(t, u.Email, u.Password)

	u.Do("POST", "/logout", nil).Expect(t, 204)
	u.Do("GET", "/user", nil).Expect(t, 401)
	refresh(t, srv, u.RefreshToken, 401)
	other.Do("GET", "/user", nil).Expect(t, 200)

	other.Do("POST", "/logout?scope=others", nil).Expect(t, 204)
	other.Do("GET", "/user", nil).Expect(t, 200)
	third.Do("GET", "/user", nil).Expect(t, 401)

	fourth := srv.Login(t, u.Email, u.Password)
	other.Do("POST", "/logout?scope=global", nil).Expect(t, 204)
	other.Do("GET", "/user", nil).Expect(t, 401)
	fourth.Do("GET", "/user", nil).Expect(t, 401)
	other.Do("POST", "/logout?scope=bogus", nil).Expect(t, 401)
}

func TestDevices(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	a1 := srv.NewUser(t)
	a2 := srv.Login(t, a1.Email, a1.Password)
	b := srv.NewUser(t)

	var list struct {
		Items []struct {
			ID, Device, UserAgent, IP string
			Current                   bool
		}
	}
	a2.Do("GET", "/user/sessions", nil).Expect(t, 200).Decode(t, &list)
	if len(list.Items) != 2 {
		t.Fatalf("sessions = %+v; want 2", list.Items)
	}
	for _, s := range list.Items {
		if s.Current != (s.ID == a2.SessionID) {
			t.Errorf("current flag wrong on %+v", s)
		}
		if s.Device != "test" || s.IP != "127.0.0.1" {
			t.Errorf("session = %+v", s)
		}
	}
	// B can neither see nor revoke A's sessions.
	b.Do("DELETE", "/user/sessions/"+a1.SessionID, nil).Expect(t, 404)
	b.Do("DELETE", "/user/sessions/not-an-id", nil).Expect(t, 404)
	var bl struct{ Items []struct{ ID string } }
	b.Do("GET", "/user/sessions", nil).Expect(t, 200).Decode(t, &bl)
	if len(bl.Items) != 1 || bl.Items[0].ID != b.SessionID {
		t.Errorf("B sees %+v", bl.Items)
	}
	a1.Do("GET", "/user", nil).Expect(t, 200)

	// A revokes one device: only that one is logged out, at once.
	a2.Do("DELETE", "/user/sessions/"+a1.SessionID, nil).Expect(t, 204)
	a1.Do("GET", "/user", nil).Expect(t, 401)
	a2.Do("GET", "/user", nil).Expect(t, 200)
	b.Do("GET", "/user", nil).Expect(t, 200)
	a2.Do("DELETE", "/user/sessions/"+a1.SessionID, nil).Expect(t, 404)
}

func TestUpdateMe(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	u := srv.NewUser(t)
	other := srv.Login(t, u.Email, u.Password)
	taken := srv.NewUser(t)

	var me models.User
	u.Do("PATCH", "/user", map[string]any{"name": "  New Name "}).Expect(t, 200).Decode(t, &me)
	if me.Name != "New Name" {
		t.Errorf("name = %q", me.Name)
	}
	u.Do("PATCH", "/user", map[string]any{"email": "x@example.com"}).Expect(t, 422)
	u.Do("PATCH", "/user", map[string]any{"email": "x@example.com", "current_password": "wrong password"}).Expect(t, 403)
	u.Do("PATCH", "/user", map[string]any{"email": strings.ToUpper(taken.Email), "current_password": u.Password}).Expect(t, 409)
	u.Do("PATCH", "/user", map[string]any{"password": "short", "current_password": u.Password}).Expect(t, 422)
	u.Do("PATCH", "/user", map[string]any{}).Expect(t, 422)

	// The password changes at once; the email only once confirmed from the
	// new address (see TestEmailChange).
	u.Do("PATCH", "/user", map[string]any{"email": "New@Example.com", "password": "a brand new passphrase", "current_password": u.Password}).Expect(t, 200).Decode(t, &me)
	if me.Email != u.Email || me.PendingEmail != "new@example.com" {
		t.Errorf("email = %q, pending %q; want %q pending new@example.com", me.Email, me.PendingEmail, u.Email)
	}
	// A password change revokes every other session and keeps this one.
	other.Do("GET", "/user", nil).Expect(t, 401)
	u.Do("GET", "/user", nil).Expect(t, 200)
	srv.Client().Do("POST", "/auth", map[string]any{"email": u.Email, "password": u.Password}).Expect(t, 401)
	srv.Login(t, u.Email, "a brand new passphrase")
}

func TestDeleteMe(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	u := srv.NewUser(t)
	other := srv.Login(t, u.Email, u.Password)
	u.Do("DELETE", "/user", map[string]any{"password": "wrong password"}).Expect(t, 403)
	u.Do("DELETE", "/user", map[string]any{}).Expect(t, 422)
	u.Do("GET", "/user", nil).Expect(t, 200)
	u.Do("DELETE", "/user", map[string]any{"password": u.Password}).Expect(t, 204)
	u.Do("GET", "/user", nil).Expect(t, 401)
	other.Do("GET", "/user", nil).Expect(t, 401)
	srv.Client().Do("POST", "/auth", map[string]any{"email": u.Email, "password": u.Password}).Expect(t, 401)
	if _, err := srv.Store().SessionByID(context.Background(), u.SessionID); err == nil {
		t.Error("sessions of a deleted user remain")
	}
}

func TestAdmin(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	admin := srv.NewUser(t)
	makeAdmin(t, srv, admin)
	plain := srv.NewUser(t)

	for _, r := range []struct{ method, path string }{{"GET", "/users"}, {"POST", "/users"}, {"GET", "/users/" + admin.ID}, {"PATCH", "/users/" + admin.ID}, {"DELETE", "/users/" + admin.ID}} {
		var body any
		if r.method == "POST" || r.method == "PATCH" {
			body = map[string]any{"name": "x"}
		}
		plain.Do(r.method, r.path, body).Expect(t, 403)
	}

	var created models.User
	admin.Do("POST", "/users", map[string]any{"email": "Made.By+Admin@example.com", "password": "a fine long passphrase", "name": "Made (by) admin"}).Expect(t, 201).Decode(t, &created)
	admin.Do("POST", "/users", map[string]any{"email": "made.by+admin@example.com", "password": "a fine long passphrase"}).Expect(t, 409)
	admin.Do("POST", "/users", map[string]any{"email": "z@example.com", "password": "a fine long passphrase", "role": "root"}).Expect(t, 422)

	var page models.Page[models.User]
	admin.Do("GET", "/users?q=made.by%2Badmin", nil).Expect(t, 200).Decode(t, &page)
	if page.Total != 1 || page.Items[0].ID != created.ID {
		t.Errorf("search = %+v", page)
	}
	admin.Do("GET", "/users?q=.*", nil).Expect(t, 200).Decode(t, &page)
	if page.Total != 0 {
		t.Errorf("q=.* matched %d users; want 0 (plain text)", page.Total)
	}
	admin.Do("GET", "/users?q=(by)", nil).Expect(t, 200).Decode(t, &page)
	if page.Total != 1 {
		t.Errorf("q=(by) matched %d; want 1", page.Total)
	}
	admin.Do("GET", "/users?per_page=2&page=1", nil).Expect(t, 200).Decode(t, &page)
	if page.Total != 3 || len(page.Items) != 2 || page.PerPage != 2 {
		t.Errorf("page = %+v", page)
	}
	admin.Do("GET", "/users?per_page=201", nil).Expect(t, 422)
	admin.Do("GET", "/users/"+created.ID, nil).Expect(t, 200)
	admin.Do("GET", "/users/nope", nil).Expect(t, 404)

	// Disabling revokes the user's sessions at once.
	made := srv.Login(t, "made.by+admin@example.com", "a fine long passphrase")
	made.Do("GET", "/user", nil).Expect(t, 200)
	admin.Do("PATCH", "/users/"+created.ID, map[string]any{"disabled": true}).Expect(t, 200)
	made.Do("GET", "/user", nil).Expect(t, 401)
	srv.Client().Do("POST", "/auth", map[string]any{"email": "made.by+admin@example.com", "password": "a fine long passphrase"}).Expect(t, 403)
	admin.Do("PATCH", "/users/"+created.ID, map[string]any{"disabled": false}).Expect(t, 200)

	// A password reset revokes sessions too.
	made = srv.Login(t, "made.by+admin@example.com", "a fine long passphrase")
	admin.Do("PATCH", "/users/"+created.ID, map[string]any{"password": "reset by the admin 42"}).Expect(t, 200)
	made.Do("GET", "/user", nil).Expect(t, 401)
	srv.Login(t, "made.by+admin@example.com", "reset by the admin 42")

	// Promotion applies at once (the role is read from the user record).
	admin.Do("PATCH", "/users/"+plain.ID, map[string]any{"role": "admin"}).Expect(t, 200)
	plain.Do("GET", "/users", nil).Expect(t, 200)
	admin.Do("PATCH", "/users/"+plain.ID, map[string]any{"role": "user"}).Expect(t, 200)
	plain.Do("GET", "/users", nil).Expect(t, 403)

	// The last admin cannot be demoted, disabled or deleted.
	admin.Do("PATCH", "/users/"+admin.ID, map[string]any{"role": "user"}).Expect(t, 409)
	admin.Do("PATCH", "/users/"+admin.ID, map[string]any{"disabled": true}).Expect(t, 409)
	admin.Do("DELETE", "/users/"+admin.ID, nil).Expect(t, 409)
	admin.Do("DELETE", "/user", map[string]any{"password": admin.Password}).Expect(t, 409)
	if u, _ := srv.Store().UserByID(context.Background(), admin.ID); u.Role != models.RoleAdmin || u.Disabled {
		t.Errorf("last admin changed: %+v", u)
	}
	// With a second admin, the first may step down.
	admin.Do("PATCH", "/users/"+plain.ID, map[string]any{"role": "admin"}).Expect(t, 200)
	admin.Do("PATCH", "/users/"+admin.ID, map[string]any{"role": "user"}).Expect(t, 200)

	plain.Do("DELETE", "/users/"+created.ID, nil).Expect(t, 204)
	plain.Do("DELETE", "/users/"+created.ID, nil).Expect(t, 404)
}

func cookieNamed(resp *apptest.Response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: resp.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestCookieModeAndCSRF(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"CORS_ORIGINS": "https://app.example.com"}})
	u := srv.NewUser(t)
	c := srv.Client()
	resp := c.Do("POST", "/auth", map[string]any{"email": u.Email, "password": u.Password, "cookie": true}).Expect(t, 200)
	body := resp.JSON(t)
	if _, ok := body["access_token"]; ok {
		t.Error("cookie mode returned the access token in the body")
	}
	if _, ok := body["refresh_token"]; ok {
		t.Error("cookie mode returned the refresh token in the body")
	}
	csrf, _ := body["csrf_token"].(string)
	for _, want := range []struct {
		name, path string
		httpOnly   bool
	}{{"listo_access", "/", true}, {"listo_refresh", "/refresh", true}, {"listo_csrf", "/", false}} {
		ck := cookieNamed(resp, want.name)
		if ck == nil {
			t.Fatalf("cookie %s not set", want.name)
		}
		if ck.Path != want.path || ck.HttpOnly != want.httpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure {
			t.Errorf("cookie %s = %+v", want.name, ck)
		}
	}
	if cookieNamed(resp, "listo_csrf").Value != csrf {
		t.Error("csrf_token differs from the listo_csrf cookie")
	}

	c.Do("GET", "/user", nil).Expect(t, 200)
	c.Do("PATCH", "/user", map[string]any{"name": "x"}).Expect(t, 403)
	c.Do("PATCH", "/user", map[string]any{"name": "x"}, "X-CSRF-Token", "wrong").Expect(t, 403)
	c.Do("PATCH", "/user", map[string]any{"name": "x"}, "X-CSRF-Token", csrf).Expect(t, 200)
	c.Do("PATCH", "/user", map[string]any{"name": "x"}, "X-CSRF-Token", csrf, "Sec-Fetch-Site", "cross-site").Expect(t, 403)
	c.Do("PATCH", "/user", map[string]any{"name": "x"}, "X-CSRF-Token", csrf, "Origin", "https://evil.example").Expect(t, 403)
	c.Do("PATCH", "/user", map[string]any{"name": "x"}, "X-CSRF-Token", csrf, "Origin", "https://app.example.com").Expect(t, 200)
	// Bearer needs no CSRF token.
	u.Do("PATCH", "/user", map[string]any{"name": "y"}).Expect(t, 200)

	// Refresh from the cookie needs the CSRF header too, and rotates the cookies.
	c.Do("POST", "/refresh", nil).Expect(t, 403)
	r := c.Do("POST", "/refresh", nil, "X-CSRF-Token", csrf).Expect(t, 200)
	if cookieNamed(r, "listo_refresh") == nil || r.JSON(t)["csrf_token"] == "" {
		t.Errorf("cookie refresh did not set new cookies: %v", r.Header)
	}
	csrf = cookieNamed(r, "listo_csrf").Value
	c.Do("POST", "/logout", nil, "X-CSRF-Token", csrf).Expect(t, 204)
	c.Do("GET", "/user", nil).Expect(t, 401)
}

func TestCORS(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"CORS_ORIGINS": "https://app.example.com"}})
	c := srv.Client()
	pre := c.Do("OPTIONS", "/todos", nil, "Origin", "https://app.example.com", "Access-Control-Request-Method", "PATCH", "Access-Control-Request-Headers", "authorization,if-match").Expect(t, 204)
	if pre.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || pre.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("preflight headers = %v", pre.Header)
	}
	for _, h := range []string{"Authorization", "Content-Type", "X-CSRF-Token", "If-Match"} {
		if !strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), h) {
			t.Errorf("Allow-Headers lacks %s", h)
		}
	}
	get := c.Do("GET", "/healthz", nil, "Origin", "https://app.example.com").Expect(t, 200)
	if get.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || !strings.Contains(get.Header.Get("Vary"), "Origin") {
		t.Errorf("headers = %v", get.Header)
	}
	bad := c.Do("GET", "/healthz", nil, "Origin", "https://evil.example").Expect(t, 200)
	for k := range bad.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("disallowed origin got %s", k)
		}
	}
	badPre := c.Do("OPTIONS", "/todos", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "PATCH")
	if badPre.Status == 204 || badPre.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("disallowed preflight = %d %v", badPre.Status, badPre.Header)
	}
}

func TestLoginRateLimits(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	u := srv.NewUser(t)
	c := srv.Client()
	for i := range 5 {
		c.Do("POST", "/auth", map[string]any{"email": u.Email, "password": "wrong password"}, "X-Forwarded-For", fmt.Sprintf("10.0.0.%d", i)).Expect(t, 401)
	}
	resp := c.Do("POST", "/auth", map[string]any{"email": u.Email, "password": u.Password}, "X-Forwarded-For", "10.9.9.9").Expect(t, 429)
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Another email from the same IP is not locked by the email lock...
	other := srv.NewUser(t)
	c.Do("POST", "/auth", map[string]any{"email": other.Email, "password": other.Password}).Expect(t, 200)
	// ...but the per-IP limit (20/min) counts every /auth, and a spoofed
	// X-Forwarded-For does not reset it.
	statuses := map[int]int{}
	for i := range 20 {
		statuses[c.Do("POST", "/auth", map[string]any{"email": "nobody@example.com", "password": "wrong password"}, "X-Forwarded-For", fmt.Sprintf("192.0.2.%d", i)).Status]++
	}
	if statuses[429] == 0 {
		t.Errorf("no 429 after 28 logins from one IP: %v", statuses)
	}
}

func TestNoPasswordHashInResponsesOrLogs(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	admin := srv.NewUser(t)
	makeAdmin(t, srv, admin)
	u := srv.NewUser(t)
	var bodies [][]byte
	for _, r := range []*apptest.Response{
		admin.Do("GET", "/users", nil),
		admin.Do("GET", "/users/"+u.ID, nil),
		admin.Do("PATCH", "/users/"+u.ID, map[string]any{"name": "n"}),
		u.Do("GET", "/user", nil),
		u.Do("PATCH", "/user", map[string]any{"password": "another fine passphrase", "current_password": u.Password}),
		srv.Client().Do("POST", "/auth", map[string]any{"email": u.Email, "password": "another fine passphrase"}),
	} {
		bodies = append(bodies, r.Body)
	}
	for _, b := range bodies {
		if bytes.Contains(b, []byte(hashPrefix)) || bytes.Contains(b, []byte("password_hash")) {
			t.Errorf("response leaks a hash: %s", b)
		}
	}
	logs := srv.Logs.String()
	for _, secret := range []string{hashPrefix, u.Password, "another fine passphrase", u.RefreshToken, u.Token} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a secret (%.12s...)", secret)
		}
	}
}

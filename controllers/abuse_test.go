package controllers_test

// Reproductions of the abuse findings (issue 12): each test failed before
// its fix.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"listo/apptest"
	"listo/models"
)

// A stolen session must not be an oracle for the password: wrong current
// passwords count toward the same per-email lock as logins, and the
// session survives the lock.
func TestCurrentPasswordChecksShareTheLoginLock(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"AUTH_FAILURE_MAX": "5", "RATE_AUTH_PER_MINUTE": "0"}})
	for _, tc := range []struct {
		name, method string
		body         func(guess string) map[string]any
	}{
		{"PATCH /user email", "PATCH", func(g string) map[string]any {
			return map[string]any{"email": "thief@example.com", "current_password": g}
		}},
		{"PATCH /user password", "PATCH", func(g string) map[string]any {
			return map[string]any{"password": "a new long passphrase 42", "current_password": g}
		}},
		{"DELETE /user", "DELETE", func(g string) map[string]any { return map[string]any{"password": g} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := srv.NewUser(t)
			for i := range 5 {
				u.Do(tc.method, "/user", tc.body("wrong guess "+string(rune('a'+i)))).Expect(t, http.StatusForbidden)
			}
			r := u.Do(tc.method, "/user", tc.body(u.Password)).Expect(t, http.StatusTooManyRequests)
			if r.Header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
			// The lock is the login's: the right password is refused there too.
			srv.Client().Do("POST", "/auth", map[string]any{"email": u.Email, "password": u.Password}).Expect(t, http.StatusTooManyRequests)
			// The session lives on, and nothing changed.
			u.Do("GET", "/user", nil).Expect(t, http.StatusOK)
			stored, err := srv.Store().UserByID(context.Background(), u.ID)
			if err != nil || stored.Email != u.Email {
				t.Errorf("stored user = %+v, %v; want unchanged", stored, err)
			}
		})
	}
}

// One user holds at most one bcrypt slot: concurrent password checks of
// one user beyond the first are refused with 429, so they cannot starve
// another user's login.
func TestOneUserHoldsOneBcryptSlot(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{
		"AUTH_FAILURE_MAX": "0", "BCRYPT_COST": "12", "BCRYPT_CONCURRENCY": "4", "RATE_AUTH_PER_MINUTE": "0",
	}})
	u := srv.NewUser(t)
	other := srv.NewUser(t)
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			statuses[i] = u.Do("DELETE", "/user", map[string]any{"password": "wrong"}).Status
		})
	}
	// Another user's login meanwhile succeeds.
	srv.Client().Do("POST", "/auth", map[string]any{"email": other.Email, "password": other.Password}).Expect(t, http.StatusOK)
	wg.Wait()
	var refused int
	for _, s := range statuses {
		switch s {
		case http.StatusTooManyRequests:
			refused++
		case http.StatusForbidden:
		default:
			t.Errorf("concurrent wrong checks answered %v; want only 403 and 429", statuses)
		}
	}
	if refused == 0 {
		t.Errorf("statuses %v: no concurrent check was refused", statuses)
	}
}

// A refresh token Listo never issued is not reuse: it must not revoke the
// session whose (public) id it names.
func TestForgedRefreshTokenDoesNotRevoke(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"RATE_REFRESH_PER_MINUTE": "0"}})
	victim := srv.NewUser(t)
	newest := refresh(t, srv, victim.RefreshToken, 200) // the session is at generation 1
	forged := victim.SessionID + ".0." + strings.Repeat("A", 43)
	refresh(t, srv, forged, 401)
	// The victim's newest tokens still work.
	c := srv.Client()
	c.Token = newest.AccessToken
	c.Do("GET", "/user", nil).Expect(t, 200)
	refresh(t, srv, newest.RefreshToken, 200)
}

// Every authenticated JSON answer is private: admin lists carry emails and
// roles.
func TestAuthenticatedResponsesAreNotStored(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	admin := srv.NewUser(t)
	makeAdmin(t, srv, admin)
	for _, path := range []string{"/users", "/users/" + admin.ID, "/user", "/user/sessions", "/todos"} {
		r := admin.Do("GET", path, nil).Expect(t, 200)
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s: Cache-Control = %q; want no-store", path, got)
		}
	}
}

// The CSRF token is bound to the session: an attacker who can plant a
// listo_csrf cookie cannot pair it with a header of their choosing.
func TestCSRFTokenIsBoundToTheSession(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	u := srv.NewUser(t)
	victim := srv.Client()
	victim.Do("POST", "/auth", map[string]any{"email": u.Email, "password": u.Password, "cookie": true}).Expect(t, 200)
	access := cookieValue(t, srv, victim, "listo_access")
	planted := strings.Repeat("x", 43)
	attacker := srv.Client()
	r := attacker.Do("POST", "/todos", map[string]any{"title": "csrf"},
		"Cookie", "listo_access="+access+"; listo_csrf="+planted, "X-CSRF-Token", planted)
	r.Expect(t, http.StatusForbidden)
	// The real pair still works.
	csrf := cookieValue(t, srv, victim, "listo_csrf")
	victim.Do("POST", "/todos", map[string]any{"title": "mine"}, "X-CSRF-Token", csrf).Expect(t, http.StatusCreated)
	// Another session's genuine token does not fit this session.
	other := srv.Client()
	other.Do("POST", "/auth", map[string]any{"email": u.Email, "password": u.Password, "cookie": true}).Expect(t, 200)
	otherCSRF := cookieValue(t, srv, other, "listo_csrf")
	attacker.Do("POST", "/todos", map[string]any{"title": "csrf"},
		"Cookie", "listo_access="+access+"; listo_csrf="+otherCSRF, "X-CSRF-Token", otherCSRF).Expect(t, http.StatusForbidden)
}

func cookieValue(t *testing.T, srv *apptest.Server, c *apptest.Client, name string) string {
	t.Helper()
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	t.Fatalf("no cookie %s", name)
	return ""
}

// Control characters and bidi overrides would let names spoof entries in
// the devices and admin lists.
func TestControlCharactersAreRefused(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	u := srv.NewUser(t)
	for _, tc := range []struct {
		method, path, field string
		body                map[string]any
	}{
		{"PATCH", "/user", "/name", map[string]any{"name": "Ann\u0000"}},
		{"PATCH", "/user", "/name", map[string]any{"name": "evil\u202Egnp.exe"}},
		{"PATCH", "/user", "/name", map[string]any{"name": "two\nlines"}},
		{"POST", "/todos", "/title", map[string]any{"title": "t\u0007"}},
		{"POST", "/todos", "/title", map[string]any{"title": "a\u2066b"}},
		{"POST", "/todos", "/notes", map[string]any{"title": "t", "notes": "bell\u0007"}},
		{"POST", "/todos", "/notes", map[string]any{"title": "t", "notes": "c1\u0085"}},
		{"POST", "/auth", "/device", map[string]any{"email": u.Email, "password": u.Password, "device": "phone\u202E"}},
		{"POST", "/register", "/name", map[string]any{"email": "x@example.com", "password": "a long passphrase 1", "name": "\u0001"}},
		{"POST", "/register", "/password", map[string]any{"email": "y@example.com", "password": "a long passphrase\u0000"}},
	} {
		r := u.Do(tc.method, tc.path, tc.body).Expect(t, http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), `"field":"`+tc.field+`"`) {
			t.Errorf("%s %s %q: body %s does not name %s", tc.method, tc.path, tc.body, r.Body, tc.field)
		}
	}
	// Tabs are fine everywhere, newlines in notes.
	u.Do("POST", "/todos", map[string]any{"title": "a\tb", "notes": "line 1\nline 2\tend"}).Expect(t, http.StatusCreated)
	u.Do("PATCH", "/user", map[string]any{"name": "Ann\tLee"}).Expect(t, http.StatusOK)
}

// Query text that is not valid UTF-8 or holds control characters is a 422,
// not a 500.
func TestQueryTextMustBePlain(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	admin := srv.NewUser(t)
	makeAdmin(t, srv, admin)
	for _, q := range []string{"%00", "%ff%fe", "a%0Ab", "%C2%85"} {
		for _, path := range []string{"/todos?q=", "/users?q="} {
			r := admin.Do("GET", path+q, nil).Expect(t, http.StatusUnprocessableEntity)
			if !strings.Contains(string(r.Body), `"field":"q"`) {
				t.Errorf("GET %s%s: %s does not name q", path, q, r.Body)
			}
		}
	}
}

// A due date must be a real date in years 0001 to 9999 once in UTC; and one
// bad stored value must not break the whole list.
func TestDueOutOfRange(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	u := srv.NewUser(t)
	for _, due := range []string{"9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+23:59", "0001-01-01T00:00:00+01:00"} {
		u.Do("POST", "/todos", map[string]any{"title": "t", "due": due}).Expect(t, http.StatusUnprocessableEntity)
	}
	u.Do("GET", "/todos", nil).Expect(t, http.StatusOK)
	// A value stored before this check (or by another writer) is left out
	// of the answer, not fatal to it.
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Now()
	if _, err := srv.Store().ImportTodos(context.Background(), []models.Todo{{UserID: u.ID, Title: "far", Due: &far, CreatedAt: now, UpdatedAt: now}}); err != nil {
		t.Fatal(err)
	}
	list := u.Do("GET", "/todos", nil).Expect(t, http.StatusOK).JSON(t)
	if list["total"] != float64(1) {
		t.Errorf("list with a bad stored due = %v", list)
	}
	r := u.Do("POST", "/todos", map[string]any{"title": "t", "due": "2026-12-31T18:00:00+01:00"}).Expect(t, http.StatusCreated)
	if got := r.JSON(t)["due"]; got != "2026-12-31T17:00:00Z" {
		t.Errorf("due = %v; want it in UTC: 2026-12-31T17:00:00Z", got)
	}
}

// One user's todo writes are limited per second (with a burst), whatever
// IPs they come from; reads are not.
func TestTodoWritesAreRateLimitedPerUser(t *testing.T) {
	clock := apptest.NewClock(time.Now())
	srv := apptest.Start(t, apptest.Options{Clock: clock, Env: map[string]string{
		"RATE_TODO_WRITES_PER_SECOND": "1", "RATE_TODO_WRITES_BURST": "3",
	}})
	u := srv.NewUser(t)
	other := srv.NewUser(t)
	for range 3 {
		u.Do("POST", "/todos", map[string]any{"title": "t"}).Expect(t, http.StatusCreated)
	}
	r := u.Do("POST", "/todos", map[string]any{"title": "t"}).Expect(t, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q; want 1", r.Header.Get("Retry-After"))
	}
	u.Do("PATCH", "/todos", map[string]any{"completed": true}).Expect(t, http.StatusTooManyRequests)
	u.Do("GET", "/todos", nil).Expect(t, http.StatusOK)
	// Another user has a budget of their own.
	other.Do("POST", "/todos", map[string]any{"title": "t"}).Expect(t, http.StatusCreated)
	clock.Advance(time.Second)
	u.Do("POST", "/todos", map[string]any{"title": "t"}).Expect(t, http.StatusCreated)
	if n := len(listAll(t, u)); n != 4 {
		t.Errorf("stored %d todos; want 4", n)
	}
}

// A user cannot hold more todos than MAX_TODOS_PER_USER: the next create is
// 409 limit-reached, naming the limit, and nothing is stored.
func TestTodosPerUserCap(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"MAX_TODOS_PER_USER": "3"}})
	u := srv.NewUser(t)
	for range 3 {
		u.Do("POST", "/todos", map[string]any{"title": "t"}).Expect(t, http.StatusCreated)
	}
	r := u.Do("POST", "/todos", map[string]any{"title": "one too many"}).Expect(t, http.StatusConflict)
	body := r.JSON(t)
	if body["type"] != "/problems/limit-reached" || !strings.Contains(body["detail"].(string), "3") {
		t.Errorf("over the cap: %s", r.Body)
	}
	if n := len(listAll(t, u)); n != 3 {
		t.Errorf("stored %d todos; want 3", n)
	}
	// Deleting one makes room again.
	id := listAll(t, u)[0]["id"].(string)
	u.Do("DELETE", "/todos/"+id, nil).Expect(t, http.StatusNoContent)
	u.Do("POST", "/todos", map[string]any{"title": "room again"}).Expect(t, http.StatusCreated)
}

func listAll(t *testing.T, u *apptest.User) []map[string]any {
	t.Helper()
	var page struct {
		Items []map[string]any `json:"items"`
	}
	u.Do("GET", "/todos?per_page=200", nil).Expect(t, http.StatusOK).Decode(t, &page)
	return page.Items
}

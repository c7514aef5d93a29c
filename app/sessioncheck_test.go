package app_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"listo/apptest"
)

// On the embedded database, whose only writer is this process, the
// session check of an active user costs no lookup however long ago it was
// cached, and every change still takes effect on the very next request. On
// MongoDB a cached answer lasts SESSION_CACHE_TTL (other instances may
// write).
func TestSessionCheckCacheLifetime(t *testing.T) {
	clock := apptest.NewClock(time.Now())
	srv := apptest.Start(t, apptest.Options{Clock: clock, Env: map[string]string{
		"METRICS_ADDR": "127.0.0.1:0", "SESSION_CACHE_TTL": "5s", "ACCESS_TOKEN_TTL": "1h",
	}})
	lookups := func() int {
		samples, _ := scrape(t, "http://"+srv.MetricsAddr+"/metrics")
		n := 0
		for _, op := range []string{"sessions.by_id", "users.by_id"} {
			v, _ := strconv.Atoi(samples[`listo_db_operation_duration_seconds_count{op="`+op+`",result="ok"}`])
			n += v
		}
		return n
	}
	u := srv.NewUser(t)
	other := srv.Login(t, u.Email, u.Password)
	u.Do("GET", "/user", nil).Expect(t, http.StatusOK)
	other.Do("GET", "/user", nil).Expect(t, http.StatusOK)
	before := lookups()
	clock.Advance(50 * time.Minute) // ten times the TTL, within the tokens' hour
	u.Do("GET", "/todos", nil).Expect(t, http.StatusOK)
	other.Do("GET", "/todos", nil).Expect(t, http.StatusOK)
	got := lookups() - before
	if srv.Store().SoleWriter() {
		if got != 0 {
			t.Errorf("embedded: %d session or user lookups for two sessions checked 50 minutes ago; want 0", got)
		}
	} else if got == 0 {
		t.Errorf("MongoDB: no lookup for sessions checked past SESSION_CACHE_TTL; want a fresh check")
	}

	// Changes still count at once: a revoked device, a new password.
	u.Do("DELETE", "/user/sessions/"+other.SessionID, nil).Expect(t, http.StatusNoContent)
	other.Do("GET", "/todos", nil).Expect(t, http.StatusUnauthorized)
	u.Do("PATCH", "/user", map[string]any{"name": "Ada"}).Expect(t, http.StatusOK)
	var me struct {
		Name string `json:"name"`
	}
	u.Do("GET", "/user", nil).Expect(t, http.StatusOK).Decode(t, &me)
	if me.Name != "Ada" {
		t.Errorf("GET /user after a rename: name %q; want Ada", me.Name)
	}
	u.Do("POST", "/logout", nil).Expect(t, http.StatusNoContent)
	u.Do("GET", "/todos", nil).Expect(t, http.StatusUnauthorized)
}

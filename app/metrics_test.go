package app_test

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"

	"listo/apptest"
)

// scrape fetches url and returns every sample line as "name{labels}" ->
// value, and the raw body.
func scrape(t *testing.T, url string) (map[string]string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status = %d; want 200: %s", url, resp.StatusCode, b)
	}
	samples := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		samples[line[:i]] = line[i+1:]
	}
	return samples, string(b)
}

func TestMetricsListener(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{
		"METRICS_ADDR":            "127.0.0.1:0",
		"PPROF":                   "true",
		"RATE_REFRESH_PER_MINUTE": "2",
	}})
	if srv.MetricsAddr == "" {
		t.Fatal("MetricsAddr is empty with METRICS_ADDR set")
	}
	base := "http://" + srv.MetricsAddr

	u := srv.NewUser(t)                        // register + login: session 1
	other := srv.Login(t, u.Email, u.Password) // login: session 2
	u.Do("GET", "/user", nil).Expect(t, http.StatusOK)
	u.Do("DELETE", "/user/sessions/"+other.SessionID, nil).Expect(t, http.StatusNoContent)
	var rotated struct {
		RefreshToken string `json:"refresh_token"`
	}
	srv.Client().Do("POST", "/refresh", map[string]any{"refresh_token": u.RefreshToken}).Expect(t, http.StatusOK).Decode(t, &rotated)
	// The rotated-away token again: reuse, which revokes session 1.
	srv.Client().Do("POST", "/refresh", map[string]any{"refresh_token": u.RefreshToken}).Expect(t, http.StatusUnauthorized)
	// Third refresh in the minute: rate limited.
	srv.Client().Do("POST", "/refresh", map[string]any{"refresh_token": rotated.RefreshToken}).Expect(t, http.StatusTooManyRequests)
	srv.Client().Do("GET", "/no/such/path", nil).Expect(t, http.StatusNotFound)

	samples, body := scrape(t, base+"/metrics")
	for _, tc := range []struct{ series, want string }{
		{`listo_http_requests_total{method="POST",route="/register",status="201"}`, "1"},
		{`listo_http_requests_total{method="POST",route="/auth",status="200"}`, "2"},
		{`listo_http_requests_total{method="GET",route="/user",status="200"}`, "1"},
		{`listo_http_requests_total{method="DELETE",route="/user/sessions/:id",status="204"}`, "1"},
		{`listo_http_requests_total{method="POST",route="/refresh",status="200"}`, "1"},
		{`listo_http_requests_total{method="POST",route="/refresh",status="401"}`, "1"},
		{`listo_http_requests_total{method="POST",route="/refresh",status="429"}`, "1"},
		{`listo_http_requests_total{method="GET",route="unmatched",status="404"}`, "1"},
		{`listo_http_request_duration_seconds_count{method="GET",route="/user",status="200"}`, "1"},
		{`listo_http_requests_in_flight`, "0"},
		{`listo_bcrypt_queue_wait_seconds_count`, "3"}, // register hash + two logins
		{`listo_bcrypt_running`, "0"},
		{`listo_sessions_created_total`, "2"},
		{`listo_sessions_revoked_total`, "2"}, // the revoke and the reuse
		{`listo_refresh_token_reuse_detected_total`, "1"},
		{`listo_rate_limited_total`, "1"},
		{`listo_db_operation_duration_seconds_count{op="users.insert",result="ok"}`, "1"},
		{`listo_db_operation_duration_seconds_count{op="sessions.insert",result="ok"}`, "2"},
		{`listo_db_operation_duration_seconds_count{op="sessions.rotate",result="ok"}`, "1"},
	} {
		if got, ok := samples[tc.series]; !ok {
			t.Errorf("series %s missing from the scrape", tc.series)
		} else if got != tc.want {
			t.Errorf("%s = %s; want %s", tc.series, got, tc.want)
		}
	}
	for _, k := range []string{`listo_http_request_duration_seconds_bucket{method="GET",route="/user",status="200",le="0.005"}`, "go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := samples[k]; !ok {
			t.Errorf("series %s missing from the scrape", k)
		}
	}
	for name, secret := range map[string]string{
		"email": u.Email, "user id": u.ID, "session id": u.SessionID, "other session id": other.SessionID,
		"access token": u.Token, "refresh token": u.RefreshToken, "rotated refresh token": rotated.RefreshToken,
	} {
		if secret != "" && strings.Contains(body, secret) {
			t.Errorf("the scrape contains the %s %q", name, secret)
		}
	}

	resp, err := http.Get(base + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /debug/pprof/ = %d; want 200", resp.StatusCode)
	}
	// The public listener serves neither.
	srv.Client().Do("GET", "/metrics", nil).Expect(t, http.StatusNotFound)
	srv.Client().Do("GET", "/debug/pprof/", nil).Expect(t, http.StatusNotFound)
}

func TestMetricsOffByDefault(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	if srv.MetricsAddr != "" {
		t.Errorf("MetricsAddr = %q with METRICS_ADDR unset; want no listener", srv.MetricsAddr)
	}
	srv.Client().Do("GET", "/metrics", nil).Expect(t, http.StatusNotFound)
}

// pprof is off unless PPROF=true: a DNS-rebinding page in an operator's
// browser must not reach the profiles of a loopback metrics listener.
func TestPprofOffByDefault(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"METRICS_ADDR": "127.0.0.1:0"}})
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/profile?seconds=1", "/debug/pprof/cmdline"} {
		resp, err := http.Get("http://" + srv.MetricsAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d with PPROF unset; want 404", path, resp.StatusCode)
		}
	}
	resp, err := http.Get("http://" + srv.MetricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /metrics = %d; want 200", resp.StatusCode)
	}
}

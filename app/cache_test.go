package app_test

import (
	"net/http"
	"os"
	"strconv"
	"testing"

	"listo/apptest"
)

// The embedded database's todo cache: lists of a user after the first are
// answered from memory, and /metrics shows its size and hit ratio;
// EMBEDDED_CACHE_MB=0 turns it off (no such metrics, lists the same).
func TestEmbeddedCacheMetrics(t *testing.T) {
	if os.Getenv(apptest.TestMongoURI) != "" {
		t.Skip("MongoDB has no todo cache")
	}
	for _, mb := range []string{"64", "0"} {
		t.Run("EMBEDDED_CACHE_MB="+mb, func(t *testing.T) {
			srv := apptest.Start(t, apptest.Options{Env: map[string]string{"METRICS_ADDR": "127.0.0.1:0", "EMBEDDED_CACHE_MB": mb}})
			u := srv.NewUser(t)
			for _, title := range []string{"one", "two"} {
				u.Do("POST", "/todos", map[string]any{"title": title}).Expect(t, http.StatusCreated)
			}
			for range 3 {
				var page struct {
					Total int `json:"total"`
				}
				u.Do("GET", "/todos", nil).Expect(t, http.StatusOK).Decode(t, &page)
				if page.Total != 2 {
					t.Fatalf("GET /todos total = %d; want 2", page.Total)
				}
			}
			samples, body := scrape(t, "http://"+srv.MetricsAddr+"/metrics")
			ratio, ok := samples["listo_embedded_cache_hit_ratio"]
			if mb == "0" {
				if ok {
					t.Errorf("with the cache off /metrics shows listo_embedded_cache_hit_ratio %s", ratio)
				}
				return
			}
			// The first create loaded the user (a miss); the second
			// create and the three lists were hits.
			if r, err := strconv.ParseFloat(ratio, 64); err != nil || r < 0.7 || r >= 1 {
				t.Errorf("listo_embedded_cache_hit_ratio = %q; want 0.8:\n%s", ratio, body)
			}
			for series, want := range map[string]string{
				`listo_embedded_cache_users`:                      "1",
				`listo_embedded_cache_limit_bytes`:                "6.7108864e+07",
				`listo_embedded_cache_reads_total{result="miss"}`: "1",
				`listo_embedded_cache_reads_total{result="hit"}`:  "4",
			} {
				if got := samples[series]; got != want {
					t.Errorf("%s = %q; want %q", series, got, want)
				}
			}
			if b, _ := strconv.ParseFloat(samples["listo_embedded_cache_bytes"], 64); b <= 0 {
				t.Errorf("listo_embedded_cache_bytes = %q; want above 0", samples["listo_embedded_cache_bytes"])
			}
		})
	}
}

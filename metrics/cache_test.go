package metrics_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"listo/metrics"
)

// The embedded cache's size and hit ratio are read from the cache at each
// scrape.
func TestWatchEmbeddedCache(t *testing.T) {
	m := metrics.New()
	stats := metrics.CacheStats{LimitBytes: 64 << 20, Bytes: 1 << 20, Users: 3, Hits: 9, Misses: 1, Evictions: 2}
	if err := m.WatchEmbeddedCache(func() metrics.CacheStats { return stats }); err != nil {
		t.Fatal(err)
	}
	if err := m.WatchEmbeddedCache(func() metrics.CacheStats { return stats }); err == nil {
		t.Error("a second WatchEmbeddedCache was accepted")
	}
	scrape := func() string {
		rec := httptest.NewRecorder()
		m.Handler(false).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	body := scrape()
	for _, line := range []string{
		"listo_embedded_cache_bytes 1.048576e+06",
		"listo_embedded_cache_limit_bytes 6.7108864e+07",
		"listo_embedded_cache_users 3",
		`listo_embedded_cache_reads_total{result="hit"} 9`,
		`listo_embedded_cache_reads_total{result="miss"} 1`,
		"listo_embedded_cache_evictions_total 2",
		"listo_embedded_cache_hit_ratio 0.9",
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics lacks %q:\n%s", line, body)
		}
	}
	stats = metrics.CacheStats{}
	if body := scrape(); !strings.Contains(body, "listo_embedded_cache_hit_ratio 0\n") {
		t.Errorf("with no reads yet /metrics shows:\n%s", body)
	}
}

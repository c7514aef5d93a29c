package metrics

import "github.com/prometheus/client_golang/prometheus"

// CacheStats is what the embedded database's todo cache reports
// (store.Store.CacheStats; the app converts one into the other).
type CacheStats struct {
	LimitBytes int64  // the bound (EMBEDDED_CACHE_MB)
	Bytes      int64  // what the cached todos take, as the cache estimates it
	Users      int    // users whose todos are cached
	Hits       uint64 // reads answered from memory
	Misses     uint64 // reads that loaded the user first
	Evictions  uint64 // users dropped to stay under the bound
}

// WatchEmbeddedCache exports the embedded todo cache, reading stats once
// per scrape:
//
//	listo_embedded_cache_bytes, listo_embedded_cache_limit_bytes and
//	listo_embedded_cache_users (gauges);
//	listo_embedded_cache_reads_total{result="hit"|"miss"} and
//	listo_embedded_cache_evictions_total (counters);
//	listo_embedded_cache_hit_ratio (a gauge: hits over reads since the
//	start, 0 before the first; rate() of the counters gives it over a
//	window).
//
// The app calls it once, in embedded mode; a second call is an error.
func (m *Metrics) WatchEmbeddedCache(stats func() CacheStats) error {
	return m.reg.Register(cacheCollector{stats: stats})
}

type cacheCollector struct {
	stats func() CacheStats
}

func cacheDescs() (bytes, limit, users, reads, evictions, ratio *prometheus.Desc) {
	return prometheus.NewDesc("listo_embedded_cache_bytes", "What the embedded database's todo cache holds, in bytes (its estimate).", nil, nil),
		prometheus.NewDesc("listo_embedded_cache_limit_bytes", "The bound of the embedded database's todo cache (EMBEDDED_CACHE_MB), in bytes.", nil, nil),
		prometheus.NewDesc("listo_embedded_cache_users", "Users whose todos the embedded database's cache holds.", nil, nil),
		prometheus.NewDesc("listo_embedded_cache_reads_total", "Todo reads (lists, reads by id, the last order of a create) by whether the cache held the user (hit) or loaded it first (miss).", []string{"result"}, nil),
		prometheus.NewDesc("listo_embedded_cache_evictions_total", "Users dropped from the embedded database's todo cache to stay under its bound.", nil, nil),
		prometheus.NewDesc("listo_embedded_cache_hit_ratio", "Hits over reads of the embedded database's todo cache since the start (0 before the first read).", nil, nil)
}

func (c cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	bytes, limit, users, reads, evictions, ratio := cacheDescs()
	for _, d := range []*prometheus.Desc{bytes, limit, users, reads, evictions, ratio} {
		ch <- d
	}
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	bytes, limit, users, reads, evictions, ratio := cacheDescs()
	r := 0.0
	if n := s.Hits + s.Misses; n > 0 {
		r = float64(s.Hits) / float64(n)
	}
	ch <- prometheus.MustNewConstMetric(bytes, prometheus.GaugeValue, float64(s.Bytes))
	ch <- prometheus.MustNewConstMetric(limit, prometheus.GaugeValue, float64(s.LimitBytes))
	ch <- prometheus.MustNewConstMetric(users, prometheus.GaugeValue, float64(s.Users))
	ch <- prometheus.MustNewConstMetric(reads, prometheus.CounterValue, float64(s.Hits), "hit")
	ch <- prometheus.MustNewConstMetric(reads, prometheus.CounterValue, float64(s.Misses), "miss")
	ch <- prometheus.MustNewConstMetric(evictions, prometheus.CounterValue, float64(s.Evictions))
	ch <- prometheus.MustNewConstMetric(ratio, prometheus.GaugeValue, r)
}

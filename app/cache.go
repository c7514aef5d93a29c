package app

import (
	"log/slog"

	"listo/metrics"
	"listo/store"
)

// watchCache exports the embedded database's todo cache (its size and hit
// ratio) on m, read from st at each scrape.
func watchCache(m *metrics.Metrics, st *store.Store, log *slog.Logger) {
	err := m.WatchEmbeddedCache(func() metrics.CacheStats {
		s := st.CacheStats()
		return metrics.CacheStats{
			LimitBytes: s.LimitBytes, Bytes: s.Bytes, Users: s.Users,
			Hits: s.Hits, Misses: s.Misses, Evictions: s.Evictions,
		}
	})
	if err != nil {
		log.Warn("the embedded cache's metrics are not exported", "error", err.Error())
	}
}

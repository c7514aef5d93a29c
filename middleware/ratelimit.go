package middleware

import (
	"github.com/gin-gonic/gin"

	"listo/httpx"
	"listo/problem"
	"listo/ratelimit"
)

// RateLimit refuses a client IP over its budget with 429 and Retry-After.
// The IP is gin's ClientIP, which believes X-Forwarded-For only from the
// configured trusted proxies, so a spoofed header cannot dodge the limit.
// IPv6 clients are keyed by their /64, which one client usually holds whole.
func RateLimit(l *ratelimit.Keyed, onReject func()) gin.HandlerFunc {
	return func(c *gin.Context) {
		if ok, wait := l.Allow(ratelimit.IPKey(c.ClientIP())); !ok {
			if onReject != nil {
				onReject()
			}
			httpx.Fail(c, problem.TooManyRequests(wait))
			return
		}
		c.Next()
	}
}

// UserRateLimit refuses an authenticated user over their budget with 429
// and Retry-After: a per-user limit, so one account cannot flood a shared
// resource (the todo writes) whatever IPs it comes from. It runs after
// Authenticate.
func UserRateLimit(l *ratelimit.Keyed, onReject func()) gin.HandlerFunc {
	return func(c *gin.Context) {
		if ok, wait := l.Allow(httpx.Principal(c).User.ID); !ok {
			if onReject != nil {
				onReject()
			}
			httpx.Fail(c, problem.TooManyRequests(wait))
			return
		}
		c.Next()
	}
}

package middleware

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

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
			Fail(c, TooManyRequests(wait))
			return
		}
		c.Next()
	}
}

// TooManyRequests is the 429 problem with its Retry-After in whole seconds.
func TooManyRequests(wait time.Duration) *problem.Problem {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return problem.New(http.StatusTooManyRequests, "Too many requests; try again later.").
		WithHeader("Retry-After", strconv.Itoa(secs))
}

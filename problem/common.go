package problem

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Unauthorized is the one 401 every refused token gets, whatever the reason
// (the reason is kept for the log only).
func Unauthorized(cause error) *Problem {
	p := New(http.StatusUnauthorized, "A valid access token is required.")
	p.Cause = cause
	return p.WithHeader("WWW-Authenticate", `Bearer realm="listo"`)
}

// TooManyRequests is the 429 problem with its Retry-After in whole seconds
// (at least one).
func TooManyRequests(wait time.Duration) *Problem {
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	return New(http.StatusTooManyRequests, "Too many requests; try again later.").
		WithHeader("Retry-After", strconv.Itoa(secs))
}

// CSRFMismatch is the 403 of an unsafe cookie-authenticated request whose
// X-CSRF-Token header does not match its session's CSRF token.
func CSRFMismatch() *Problem {
	return New(http.StatusForbidden, "The X-CSRF-Token header must match the listo_csrf cookie.")
}

// LimitReached is the 409 of a per-user limit, naming it: the create (or
// import) that would pass it changes nothing.
func LimitReached(detail string) *Problem {
	p := New(http.StatusConflict, detail)
	p.Type = "/problems/limit-reached"
	p.Title = "Limit reached"
	return p
}

// InsufficientScope is the 403 of a personal access token on a route its
// scopes do not allow (RFC 6750's insufficient_scope, which the
// WWW-Authenticate header names with the scopes the route needs; none for
// a route that takes no token).
func InsufficientScope(detail string, need []string) *Problem {
	p := New(http.StatusForbidden, detail)
	p.Type = "/problems/insufficient-scope"
	p.Title = "Insufficient scope"
	challenge := `Bearer realm="listo", error="insufficient_scope"`
	if len(need) > 0 {
		challenge += `, scope="` + strings.Join(need, " ") + `"`
	}
	return p.WithHeader("WWW-Authenticate", challenge)
}

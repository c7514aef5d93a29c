package problem

import (
	"math"
	"net/http"
	"strconv"
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

// Package httpx holds the request helpers that both middleware and handlers
// need: the authenticated principal, the request id, body reading, problem
// writing and the cookie names of cookie mode. It has no middleware of its
// own and knows no handler.
package httpx

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"listo/auth"
	"listo/problem"
)

// Cookie and header names of cookie mode.
const (
	AccessCookie  = "listo_access"
	RefreshCookie = "listo_refresh"
	CSRFCookie    = "listo_csrf"
	CSRFHeader    = "X-CSRF-Token"
)

const (
	principalKey = "listo.principal"
	requestIDKey = "listo.request_id"
)

// SetPrincipal records who the request acts for (middleware.Authenticate).
func SetPrincipal(c *gin.Context, p auth.Principal) { c.Set(principalKey, p) }

// Principal returns the principal Authenticate stored. It panics when
// called on a route without Authenticate: a wiring bug, caught by any test.
func Principal(c *gin.Context) auth.Principal {
	p, ok := c.Get(principalKey)
	if !ok {
		panic(fmt.Sprintf("no principal on route %s: Authenticate missing", c.FullPath()))
	}
	return p.(auth.Principal)
}

// SetRequestID records the request id (middleware.RequestID).
func SetRequestID(c *gin.Context, id string) { c.Set(requestIDKey, id) }

// RequestID returns the request id, "" before middleware.RequestID ran.
func RequestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// ReadBody reads the whole (limited) request body; a body over the limit is
// a 413 problem.
func ReadBody(c *gin.Context) ([]byte, error) {
	b, err := c.GetRawData()
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, problem.New(http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body must be at most %d bytes.", tooBig.Limit))
	}
	if err != nil {
		return nil, problem.New(http.StatusBadRequest, "The request body could not be read.")
	}
	return b, nil
}

// WriteProblem writes p as the response now.
func WriteProblem(c *gin.Context, p *problem.Problem) {
	for k, vs := range p.Headers {
		for _, v := range vs {
			c.Writer.Header().Add(k, v)
		}
	}
	c.Header("Content-Type", problem.ContentType)
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(p.Status, p)
}

// Fail records err for middleware.Problems, which renders it, and stops the
// chain.
func Fail(c *gin.Context, err error) {
	_ = c.Error(err)
	c.Abort()
}

// NoStore marks a response as private to this request: never cached by a
// browser or a proxy (every authenticated JSON answer).
func NoStore(c *gin.Context) { c.Header("Cache-Control", "no-store") }

// CSRFToken returns the X-CSRF-Token header when it equals the listo_csrf
// cookie (double-submit, compared in constant time); whether the token was
// issued for the request's session is the caller's check (auth.CSRF).
func CSRFToken(r *http.Request) (string, bool) {
	ck, err := r.Cookie(CSRFCookie)
	h := r.Header.Get(CSRFHeader)
	if err != nil || ck.Value == "" || h == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(h)) != 1 {
		return "", false
	}
	return h, true
}

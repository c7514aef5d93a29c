package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"listo/auth"
	"listo/httpx"
	"listo/models"
	"listo/problem"
)

// Authenticate requires a valid access token, from "Authorization: Bearer"
// or the listo_access cookie, whose session is live. A cookie-authenticated
// unsafe request must also carry X-CSRF-Token equal to the listo_csrf
// cookie, and that token must be signed for the access token's session.
// A bearer personal access token ("listo_pat_...") is accepted instead
// where pats allows it (see PATAccess). Every answer behind it is private
// to the caller: Cache-Control: no-store.
func Authenticate(tokens *auth.Tokens, checker *auth.Checker, csrf *auth.CSRF, pats PATAccess) gin.HandlerFunc {
	return func(c *gin.Context) {
		httpx.NoStore(c)
		token, fromCookie, err := accessToken(c.Request)
		if err != nil {
			httpx.Fail(c, problem.Unauthorized(err))
			return
		}
		if !fromCookie && auth.IsPAT(token) {
			pats.authenticate(c, checker, token)
			return
		}
		claims, err := tokens.Verify(token)
		if err != nil {
			httpx.Fail(c, problem.Unauthorized(err))
			return
		}
		if fromCookie && unsafeMethod(c.Request.Method) {
			if tok, ok := httpx.CSRFToken(c.Request); !ok || !csrf.Valid(claims.SessionID, tok) {
				httpx.Fail(c, problem.CSRFMismatch())
				return
			}
		}
		p, err := checker.Check(c.Request.Context(), claims)
		if errors.Is(err, models.ErrUnauthorized) {
			httpx.Fail(c, problem.Unauthorized(err))
			return
		}
		if err != nil {
			httpx.Fail(c, err)
			return
		}
		httpx.SetPrincipal(c, p)
		c.Next()
	}
}

func accessToken(r *http.Request) (token string, fromCookie bool, err error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		tok = strings.TrimSpace(tok)
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return "", false, errors.New("authorization header is not a bearer token")
		}
		return tok, false, nil
	}
	if ck, err := r.Cookie(httpx.AccessCookie); err == nil && ck.Value != "" {
		return ck.Value, true, nil
	}
	return "", false, errors.New("no access token")
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// RequireAdmin lets only admins through (403 otherwise). The role is read
// from the user record, not the token, so a demotion applies at once.
func RequireAdmin() gin.HandlerFunc {
	return func(c *gin.Context) {
		if httpx.Principal(c).User.Role != models.RoleAdmin {
			httpx.Fail(c, problem.New(http.StatusForbidden, "Only admins may do this."))
			return
		}
		c.Next()
	}
}

// CrossOrigin refuses unsafe requests that a browser marks as cross-site or
// whose Origin is neither Listo's own nor a trusted one (403), using Go's
// http.CrossOriginProtection.
func CrossOrigin(trusted []string) (gin.HandlerFunc, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("cross-origin protection: %w", err)
		}
	}
	return func(c *gin.Context) {
		if err := cop.Check(c.Request); err != nil {
			httpx.Fail(c, problem.New(http.StatusForbidden, "Cross-origin requests are not allowed."))
			return
		}
		c.Next()
	}, nil
}

// CORS answers browsers calling from the configured origins: the origin is
// echoed with credentials allowed, and preflights get 204. Other origins get
// no CORS headers at all.
func CORS(origins []string) gin.HandlerFunc {
	allowed := map[string]bool{}
	for _, o := range origins {
		allowed[o] = true
	}
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		if origin == "" || !allowed[origin] {
			c.Next()
			return
		}
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
		if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
			h.Del("Allow")
			h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, PUT, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-CSRF-Token, If-Match")
			h.Set("Access-Control-Max-Age", "600")
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", "ETag, Location, Retry-After, X-Request-ID")
		c.Next()
	}
}

package middleware

import (
	"errors"
	"strings"

	"github.com/gin-gonic/gin"

	"listo/auth"
	"listo/httpx"
	"listo/models"
	"listo/problem"
	"listo/ratelimit"
)

// PATAccess is where Authenticate accepts personal access tokens. The zero
// value accepts them nowhere.
type PATAccess struct {
	// Scopes names, per route ("GET /todos/:id", the method and the path
	// as they are routed), every scope a token needs there. A route it
	// does not name refuses every token, whatever its scopes: a new
	// route takes no token until it is listed.
	Scopes map[string][]string
	// Limit is every token's own request budget; nil is none.
	Limit *ratelimit.Keyed
	// OnLimited, when set, is called for each request Limit refuses.
	OnLimited func()
}

// RouteKey is how PATAccess.Scopes names the route of c.
func RouteKey(c *gin.Context) string { return c.Request.Method + " " + c.FullPath() }

// authenticate checks a personal access token: an unknown, revoked or
// expired one, or one of a disabled or deleted user, is the 401 of any bad
// token; a live one without the route's scopes is 403
// /problems/insufficient-scope; one past its budget is 429.
func (a PATAccess) authenticate(c *gin.Context, checker *auth.Checker, token string) {
	p, err := checker.CheckPAT(c.Request.Context(), token)
	if errors.Is(err, models.ErrUnauthorized) {
		httpx.Fail(c, problem.Unauthorized(err))
		return
	}
	if err != nil {
		httpx.Fail(c, err)
		return
	}
	need := a.Scopes[RouteKey(c)]
	if !p.PAT.Allows(need) {
		detail := "A personal access token cannot be used here: account changes, sessions, tokens and users need a signed-in session."
		if len(need) > 0 {
			detail = "This personal access token lacks the scope needed here: " + strings.Join(need, " and ") + "."
		}
		httpx.Fail(c, problem.InsufficientScope(detail, need))
		return
	}
	if a.Limit != nil {
		if ok, wait := a.Limit.Allow("pat:" + p.PAT.ID); !ok {
			if a.OnLimited != nil {
				a.OnLimited()
			}
			httpx.Fail(c, problem.TooManyRequests(wait))
			return
		}
	}
	httpx.SetPrincipal(c, p)
	c.Next()
}

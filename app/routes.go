package app

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"listo/controllers"
	"listo/httpx"
	"listo/middleware"
	"listo/models"
	"listo/problem"
)

// routes is Listo's table of contents: every route, its middleware and its
// handler.
func (a *App) routes(r *gin.Engine) {
	h := controllers.H
	authn := middleware.Authenticate(a.tokens, a.checker, a.csrf, a.patAccess())
	limit := func(l limiter) gin.HandlerFunc { return middleware.RateLimit(l, a.events.RateLimited) }

	hs := a.handlers

	r.GET("/healthz", hs.health.Live)
	r.GET("/readyz", h(hs.health.Ready))

	r.POST("/register", limit(a.limits.register), h(hs.register.Handle))
	r.POST("/auth", limit(a.limits.auth), h(hs.login.Handle))
	r.POST("/auth/mfa", limit(a.limits.auth), h(hs.secondStep.Handle))
	r.POST("/auth/mfa/passkey/options", limit(a.limits.auth), h(hs.passkeyIn.MFAOptions))
	r.POST("/auth/passkey/options", limit(a.limits.auth), h(hs.passkeyIn.Options))
	r.POST("/auth/passkey", limit(a.limits.auth), h(hs.passkeyIn.Handle))
	r.POST("/refresh", limit(a.limits.refresh), h(hs.refresh.Handle))
	r.POST("/logout", authn, h(hs.logout.Handle))

	r.POST("/password/forgot", limit(a.limits.forgot), h(hs.recovery.Forgot))
	r.POST("/password/reset", limit(a.limits.refresh), h(hs.recovery.Reset))
	r.POST("/email/verify", limit(a.limits.refresh), h(hs.emailLinks.Verify))
	r.POST("/email/verify/resend", limit(a.limits.forgot), h(hs.recovery.Resend))
	r.POST("/email/change/confirm", limit(a.limits.refresh), h(hs.emailLinks.ConfirmChange))

	me := r.Group("/user", authn)
	me.GET("", h(hs.me.Get))
	me.PATCH("", h(hs.me.Update))
	me.DELETE("", h(hs.me.Delete))
	me.GET("/sessions", h(hs.devices.List))
	me.DELETE("/sessions/:id", h(hs.devices.Revoke))
	me.GET("/tokens", h(hs.pats.List))
	me.POST("/tokens", h(hs.pats.Create))
	me.DELETE("/tokens/:id", h(hs.pats.Revoke))
	me.GET("/export", h(hs.export.Export))
	me.POST("/mfa/totp", h(hs.mfa.SetupTOTP))
	me.POST("/mfa/totp/confirm", h(hs.mfa.ConfirmTOTP))
	me.DELETE("/mfa/totp", h(hs.mfa.DisableTOTP))
	me.POST("/mfa/recovery-codes", h(hs.mfa.RecoveryCodes))
	me.POST("/passkeys/options", h(hs.passkeys.Options))
	me.POST("/passkeys", h(hs.passkeys.Create))
	me.GET("/passkeys", h(hs.passkeys.List))
	me.PATCH("/passkeys/:id", h(hs.passkeys.Rename))
	me.DELETE("/passkeys/:id", h(hs.passkeys.Delete))

	r.GET("/events", authn, h(hs.events.Stream))

	admin := r.Group("/users", authn, middleware.RequireAdmin())
	admin.GET("", h(hs.usersAdmin.List))
	admin.POST("", h(hs.usersAdmin.Create))
	admin.GET("/:id", h(hs.usersAdmin.Get))
	admin.PATCH("/:id", h(hs.usersAdmin.Update))
	admin.DELETE("/:id", h(hs.usersAdmin.Delete))
	admin.DELETE("/:id/mfa", h(hs.mfaAdmin.Remove))

	todos := r.Group("/todos", authn)
	writes := middleware.UserRateLimit(a.limits.todoWrites, a.events.RateLimited)
	todos.GET("", h(hs.todos.List))
	todos.POST("", writes, h(hs.todos.Create))
	todos.PATCH("", writes, h(hs.todos.SetAllCompleted))
	todos.DELETE("", writes, h(hs.todos.DeleteCompleted))
	todos.GET("/:id", h(hs.todos.Get))
	todos.PATCH("/:id", writes, h(hs.todos.Update))
	todos.DELETE("/:id", writes, h(hs.todos.Delete))
	todos.POST("/import", writes, h(hs.imports.Import))

	r.GET("/", a.static.Index)
	r.HEAD("/", a.static.Index)
	r.GET("/index.html", a.static.Index)
	serveAsset := func(c *gin.Context) {
		if !a.static.Asset(c) {
			a.notFound(c)
		}
	}
	r.GET("/assets/*path", serveAsset)
	r.HEAD("/assets/*path", serveAsset)
	r.GET("/openapi.json", hs.apiDocs.Document)
	r.GET("/docs", hs.apiDocs.Page)

	r.NoRoute(a.notFound)
	r.NoMethod(func(c *gin.Context) {
		httpx.Fail(c, problem.New(http.StatusMethodNotAllowed, "This method is not allowed here; see the Allow header."))
	})
}

// PATScopes is where personal access tokens are accepted: per route, every
// scope a token needs there. Every other route refuses a token (403
// /problems/insufficient-scope) whatever its scopes: changes to the
// account, its sessions and tokens, logout and the admin routes need a
// signed-in session. A scope allows its own routes only (todos:write does
// not read todos, except for the todo each write answers with); the event
// stream carries the todos and the account as they change, so events:read
// is a read of both from then on; the export holds the account and every
// todo, so it needs account:read and todos:read.
func PATScopes() map[string][]string {
	read, write := []string{models.ScopeTodosRead}, []string{models.ScopeTodosWrite}
	return map[string][]string{
		"GET /todos":         read,
		"GET /todos/:id":     read,
		"POST /todos":        write,
		"PATCH /todos":       write,
		"DELETE /todos":      write,
		"PATCH /todos/:id":   write,
		"DELETE /todos/:id":  write,
		"POST /todos/import": write,
		"GET /events":        {models.ScopeEventsRead},
		"GET /user":          {models.ScopeAccountRead},
		"GET /user/export":   {models.ScopeAccountRead, models.ScopeTodosRead},
	}
}

// patAccess is where Authenticate accepts personal access tokens, and each
// token's request budget (RATE_PAT_PER_MINUTE).
func (a *App) patAccess() middleware.PATAccess {
	return middleware.PATAccess{Scopes: PATScopes(), Limit: a.limits.pats, OnLimited: a.events.RateLimited}
}

// bodyLimits are the routes whose bodies may be larger (or must be
// smaller) than MaxBodyBytes.
func bodyLimits() map[string]int64 {
	return map[string]int64{"POST /todos/import": controllers.MaxImportBytes}
}

// notFound answers a browser with the 404 page and an API client with a
// problem.
func (a *App) notFound(c *gin.Context) {
	if controllers.WantsHTML(c.Request) {
		a.static.NotFoundPage(c)
		c.Abort()
		return
	}
	httpx.Fail(c, problem.New(http.StatusNotFound, "There is nothing at this path."))
}

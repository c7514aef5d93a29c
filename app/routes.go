package app

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"listo/controllers"
	"listo/middleware"
	"listo/problem"
)

// routes is Listo's table of contents: every route, its middleware and its
// handler.
func (a *App) routes(r *gin.Engine) {
	h := controllers.H
	authn := middleware.Authenticate(a.tokens, a.checker)
	limit := func(l limiter) gin.HandlerFunc { return middleware.RateLimit(l, a.events.RateLimited) }

	r.GET("/healthz", a.health.Live)
	r.GET("/readyz", h(a.health.Ready))

	r.POST("/register", limit(a.limits.register), h(a.accounts.Register))
	r.POST("/auth", limit(a.limits.auth), h(a.accounts.Login))
	r.POST("/refresh", limit(a.limits.refresh), h(a.accounts.Refresh))
	r.POST("/logout", authn, h(a.accounts.Logout))

	me := r.Group("/user", authn)
	me.GET("", h(a.accounts.Me))
	me.PATCH("", h(a.accounts.UpdateMe))
	me.DELETE("", h(a.accounts.DeleteMe))
	me.GET("/sessions", h(a.accounts.Sessions))
	me.DELETE("/sessions/:id", h(a.accounts.RevokeSession))

	admin := r.Group("/users", authn, middleware.RequireAdmin())
	admin.GET("", h(a.accounts.ListUsers))
	admin.POST("", h(a.accounts.CreateUser))
	admin.GET("/:id", h(a.accounts.GetUser))
	admin.PATCH("/:id", h(a.accounts.UpdateUser))
	admin.DELETE("/:id", h(a.accounts.DeleteUser))

	a.todoRoutes(r.Group("/todos", authn))

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

	r.NoRoute(a.notFound)
	r.NoMethod(func(c *gin.Context) {
		middleware.Fail(c, problem.New(http.StatusMethodNotAllowed, "This method is not allowed here; see the Allow header."))
	})
}

// notFound answers a browser with the 404 page and an API client with a
// problem.
func (a *App) notFound(c *gin.Context) {
	if controllers.WantsHTML(c.Request) {
		a.static.NotFoundPage(c)
		c.Abort()
		return
	}
	middleware.Fail(c, problem.New(http.StatusNotFound, "There is nothing at this path."))
}

//go:build bench

package app

import (
	"github.com/gin-gonic/gin"

	"listo/middleware"
)

// CeilingBody is what GET /bench/ceiling answers; the harness's bare Gin
// handler answers the same bytes.
const CeilingBody = `{"ok":true}`

// benchRoutes adds GET /bench/ceiling, compiled in only with -tags bench: the
// whole middleware chain and access-token verification, with the session
// check served from its cache, and no database: Listo's own per-request cost.
func (a *App) benchRoutes(r *gin.Engine) {
	r.GET("/bench/ceiling", middleware.Authenticate(a.tokens, a.checker, a.csrf, a.patAccess()), func(c *gin.Context) {
		c.Data(200, "application/json; charset=utf-8", []byte(CeilingBody))
	})
}

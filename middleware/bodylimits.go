package middleware

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"listo/httpx"
	"listo/problem"
)

// BodyLimits is BodyLimit with limits of their own on some routes, named
// as PATAccess names them ("POST /todos/import"): an endpoint that takes
// large bodies is named, and every other keeps def.
func BodyLimits(def int64, routes map[string]int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		max := def
		if n, ok := routes[RouteKey(c)]; ok {
			max = n
		}
		if c.Request.ContentLength > max {
			httpx.Fail(c, problem.New(http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body must be at most %d bytes.", max)))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		c.Next()
	}
}

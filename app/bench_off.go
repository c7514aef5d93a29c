//go:build !bench

package app

import "github.com/gin-gonic/gin"

// benchRoutes adds nothing: the benchmark-only routes exist with -tags bench
// (see bench_on.go).
func (a *App) benchRoutes(*gin.Engine) {}

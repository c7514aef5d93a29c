package controllers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"listo/problem"
)

// Readier answers whether the database is usable.
type Readier interface {
	Ready(ctx context.Context) error
}

// Health serves the liveness and readiness probes.
type Health struct {
	DB Readier
}

// Live handles GET /healthz: the process is alive.
func (h *Health) Live(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// Ready handles GET /readyz: 200 when the database answers within a second.
func (h *Health) Ready(c *gin.Context) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), time.Second)
	defer cancel()
	if err := h.DB.Ready(ctx); err != nil {
		p := problem.New(http.StatusServiceUnavailable, "The database is not reachable.")
		p.Cause = err
		return p.WithHeader("Retry-After", "5")
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
	return nil
}

package app

import (
	"github.com/gin-gonic/gin"

	"listo/controllers"
)

// todoRoutes registers /todos; g is already behind authentication.
func (a *App) todoRoutes(g *gin.RouterGroup) {
	h := controllers.H
	g.GET("", h(a.todos.List))
	g.POST("", h(a.todos.Create))
	g.PATCH("", h(a.todos.SetAllCompleted))
	g.DELETE("", h(a.todos.DeleteCompleted))
	g.GET("/:id", h(a.todos.Get))
	g.PATCH("/:id", h(a.todos.Update))
	g.DELETE("/:id", h(a.todos.Delete))
}

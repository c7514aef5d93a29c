package app

import "github.com/gin-gonic/gin"

// todoRoutes registers /todos (filled in by the todos work).
func (a *App) todoRoutes(g *gin.RouterGroup) {}

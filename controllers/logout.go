package controllers

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"listo/account"
	"listo/auth"
	"listo/httpx"
	"listo/problem"
)

// SessionEnder logs people out.
type SessionEnder interface {
	Logout(ctx context.Context, p auth.Principal, scope account.Scope) error
}

// Logout handles logouts.
type Logout struct {
	Accounts SessionEnder
	Cookies  Cookies
}

// Handle handles POST /logout: it revokes this session, or with
// ?scope=others every other session of the user, or with ?scope=global all.
// The cookies are cleared unless this session lives on.
func (h *Logout) Handle(c *gin.Context) error {
	scope := account.Scope(c.Query("scope"))
	if scope == "" {
		scope = account.ScopeLocal
	}
	switch scope {
	case account.ScopeLocal, account.ScopeOthers, account.ScopeGlobal:
	default:
		return problem.Validation("Unknown logout scope.", problem.FieldError{Field: "scope", Message: `must be "local", "others" or "global"`})
	}
	if err := h.Accounts.Logout(c.Request.Context(), httpx.Principal(c), scope); err != nil {
		return err
	}
	if scope != account.ScopeOthers {
		h.Cookies.clear(c)
	}
	c.Status(http.StatusNoContent)
	return nil
}

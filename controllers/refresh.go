package controllers

import (
	"context"
	"errors"

	"github.com/gin-gonic/gin"

	"listo/account"
	"listo/auth"
	"listo/httpx"
	"listo/problem"
	"listo/schemas"
)

// SessionRefresher rotates refresh tokens.
type SessionRefresher interface {
	Refresh(ctx context.Context, presented string, cl account.Client) (account.Grant, error)
}

// Refresh handles refresh-token rotation.
type Refresh struct {
	Accounts SessionRefresher
	Validate *schemas.Validator
	Cookies  Cookies
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// Handle handles POST /refresh: the refresh token from the body, or from
// its cookie with a matching X-CSRF-Token; the answer has the shape of the
// login's, in the same mode.
func (h *Refresh) Handle(c *gin.Context) error {
	var req refreshRequest
	if err := bindOptional(c, h.Validate, "refresh", &req); err != nil {
		return err
	}
	presented, cookie := req.RefreshToken, false
	if presented == "" {
		ck, err := c.Request.Cookie(httpx.RefreshCookie)
		if err != nil || ck.Value == "" {
			return problem.Unauthorized(errors.New("no refresh token"))
		}
		// The CSRF token is signed for the session the refresh token
		// names; a malformed token names none and is refused below.
		if rt, err := auth.ParseRefreshToken(ck.Value); err == nil && !h.Cookies.csrfValid(c.Request, rt.SessionID) {
			return problem.CSRFMismatch()
		}
		presented, cookie = ck.Value, true
	}
	g, err := h.Accounts.Refresh(c.Request.Context(), presented, client(c))
	if err != nil {
		return err
	}
	h.Cookies.sendGrant(c, g, cookie)
	return nil
}

package controllers

import (
	"context"

	"github.com/gin-gonic/gin"

	"listo/account"
	"listo/schemas"
)

// SessionStarter logs people in.
type SessionStarter interface {
	Login(ctx context.Context, cr account.Credentials) (account.Grant, error)
}

// Login handles password logins.
type Login struct {
	Accounts SessionStarter
	Validate *schemas.Validator
	Cookies  Cookies
}

type authRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Device   string `json:"device"`
	Cookie   bool   `json:"cookie"`
}

// Handle handles POST /auth: a new session and its tokens, in the body or
// (with "cookie": true) in cookies. A user with a second factor gets an
// mfa_token instead, for POST /auth/mfa.
func (h *Login) Handle(c *gin.Context) error {
	var req authRequest
	if err := bind(c, h.Validate, "auth", &req); err != nil {
		return err
	}
	g, err := h.Accounts.Login(c.Request.Context(), account.Credentials{
		Email: req.Email, Password: req.Password, Device: req.Device, Client: client(c), Cookie: req.Cookie,
	})
	if sendMFARequired(c, err) {
		return nil
	}
	if err != nil {
		return err
	}
	h.Cookies.sendGrant(c, g, req.Cookie)
	return nil
}

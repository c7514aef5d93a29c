package controllers

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"listo/models"
	"listo/schemas"
)

// Recoverer runs the mailed-link flows of an account.
type Recoverer interface {
	ForgotPassword(email string)
	ResetPassword(ctx context.Context, token, password string) error
	ResendVerification(email string) error
}

// Recovery handles password recovery and verification mails.
type Recovery struct {
	Accounts Recoverer
	Validate *schemas.Validator
}

type emailRequest struct {
	Email string `json:"email"`
}

type resetRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// accepted is the one answer of the requests that must not tell whether an
// address has an account.
func accepted(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusAccepted, gin.H{"status": "accepted"})
}

// Forgot handles POST /password/forgot: 202 whatever the address; a known,
// enabled account gets a reset link by mail.
func (h *Recovery) Forgot(c *gin.Context) error {
	var req emailRequest
	if err := bind(c, h.Validate, "password_forgot", &req); err != nil {
		return err
	}
	h.Accounts.ForgotPassword(req.Email)
	accepted(c)
	return nil
}

// Reset handles POST /password/reset: 204 with the new password set and
// every session of the account ended.
func (h *Recovery) Reset(c *gin.Context) error {
	var req resetRequest
	if err := bind(c, h.Validate, "password_reset", &req); err != nil {
		return err
	}
	if err := h.Accounts.ResetPassword(c.Request.Context(), req.Token, req.Password); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// Resend handles POST /email/verify/resend: 202 whatever the address; an
// unverified account gets a new verification link.
func (h *Recovery) Resend(c *gin.Context) error {
	var req emailRequest
	if err := bind(c, h.Validate, "email_resend", &req); err != nil {
		return err
	}
	if err := h.Accounts.ResendVerification(req.Email); err != nil {
		return err
	}
	accepted(c)
	return nil
}

// EmailConfirmer follows the links that prove an address.
type EmailConfirmer interface {
	VerifyEmail(ctx context.Context, token string) (models.User, error)
	ConfirmEmailChange(ctx context.Context, token string) (models.User, error)
}

// EmailLinks handles the links mailed to an address.
type EmailLinks struct {
	Accounts EmailConfirmer
	Validate *schemas.Validator
}

type tokenRequest struct {
	Token string `json:"token"`
}

// Verify handles POST /email/verify: 200 with the user, now verified.
func (h *EmailLinks) Verify(c *gin.Context) error {
	return h.follow(c, h.Accounts.VerifyEmail)
}

// ConfirmChange handles POST /email/change/confirm: 200 with the user at
// the new address; 409 when it was taken meanwhile.
func (h *EmailLinks) ConfirmChange(c *gin.Context) error {
	return h.follow(c, h.Accounts.ConfirmEmailChange)
}

func (h *EmailLinks) follow(c *gin.Context, f func(context.Context, string) (models.User, error)) error {
	var req tokenRequest
	if err := bind(c, h.Validate, "email_token", &req); err != nil {
		return err
	}
	u, err := f(c.Request.Context(), req.Token)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, u)
	return nil
}

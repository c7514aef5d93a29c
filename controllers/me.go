package controllers

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"listo/account"
	"listo/auth"
	"listo/httpx"
	"listo/models"
	"listo/schemas"
)

// SelfService is what a person may do to their own account.
type SelfService interface {
	UpdateSelf(ctx context.Context, p auth.Principal, up account.SelfUpdate) (models.User, error)
	DeleteSelf(ctx context.Context, userID, password string) error
}

// MFAStatusReader says which second factors a user has.
type MFAStatusReader interface {
	MFAStatus(ctx context.Context, userID string) (models.MFAStatus, error)
}

// Me handles the caller's own account.
type Me struct {
	Accounts SelfService
	MFA      MFAStatusReader
	Validate *schemas.Validator
	Cookies  Cookies
}

// meResponse is the caller with their second factors.
type meResponse struct {
	models.User
	MFA models.MFAStatus `json:"mfa"`
}

// Get handles GET /user: the caller, and which second factors they have.
func (h *Me) Get(c *gin.Context) error {
	u := httpx.Principal(c).User
	status, err := h.MFA.MFAStatus(c.Request.Context(), u.ID)
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, meResponse{User: u, MFA: status})
	return nil
}

type userPatchRequest struct {
	Name            *string `json:"name"`
	Email           *string `json:"email"`
	Password        *string `json:"password"`
	CurrentPassword *string `json:"current_password"`
}

// Update handles PATCH /user. Changing the email or the password needs the
// current password; a new password revokes every other session.
func (h *Me) Update(c *gin.Context) error {
	var req userPatchRequest
	if err := bind(c, h.Validate, "user_patch", &req); err != nil {
		return err
	}
	u, err := h.Accounts.UpdateSelf(c.Request.Context(), httpx.Principal(c), account.SelfUpdate{
		Name: req.Name, Email: req.Email, Password: req.Password, CurrentPassword: req.CurrentPassword,
	})
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, u)
	return nil
}

type userDeleteRequest struct {
	Password string `json:"password"`
}

// Delete handles DELETE /user: with the password, it deletes the account,
// its sessions and its todos.
func (h *Me) Delete(c *gin.Context) error {
	var req userDeleteRequest
	if err := bind(c, h.Validate, "user_delete", &req); err != nil {
		return err
	}
	if err := h.Accounts.DeleteSelf(c.Request.Context(), httpx.Principal(c).User.ID, req.Password); err != nil {
		return err
	}
	h.Cookies.clear(c)
	c.Status(http.StatusNoContent)
	return nil
}

package controllers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"listo/account"
	"listo/auth"
	"listo/httpx"
	"listo/models"
	"listo/schemas"
)

// PATService creates, lists and revokes personal access tokens
// (account.Service).
type PATService interface {
	CreatePAT(ctx context.Context, p auth.Principal, n account.NewPAT) (models.PAT, string, error)
	ListPATs(ctx context.Context, userID string) ([]models.PAT, error)
	RevokePAT(ctx context.Context, userID, id string) error
}

// PATs handles the caller's personal access tokens (/user/tokens).
type PATs struct {
	Accounts PATService
	Validate *schemas.Validator
}

type patCreateRequest struct {
	Name            string   `json:"name"`
	Scopes          []string `json:"scopes"`
	ExpiresInDays   *int     `json:"expires_in_days"`
	CurrentPassword string   `json:"current_password"`
}

// patJSON is a token as the API shows it: never its secret, nor its hash.
type patJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func toPATJSON(t models.PAT) patJSON {
	return patJSON{ID: t.ID, Name: t.Name, Scopes: t.Scopes, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt}
}

// patCreated is the answer to a create: the token itself, this once.
type patCreated struct {
	patJSON
	Token string `json:"token"`
}

// Create handles POST /user/tokens: with the current password, a new
// token of the scopes asked for, expiring after expires_in_days (none:
// never). 201 with the token, shown this once.
func (h *PATs) Create(c *gin.Context) error {
	var req patCreateRequest
	if err := bind(c, h.Validate, "pat_create", &req); err != nil {
		return err
	}
	n := account.NewPAT{Name: req.Name, Scopes: req.Scopes, CurrentPassword: req.CurrentPassword}
	if req.ExpiresInDays != nil {
		n.ExpiresInDays = *req.ExpiresInDays
	}
	t, token, err := h.Accounts.CreatePAT(c.Request.Context(), httpx.Principal(c), n)
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	c.Header("Pragma", "no-cache")
	c.JSON(http.StatusCreated, patCreated{patJSON: toPATJSON(t), Token: token})
	return nil
}

// List handles GET /user/tokens: the caller's tokens, newest first,
// without their secrets.
func (h *PATs) List(c *gin.Context) error {
	list, err := h.Accounts.ListPATs(c.Request.Context(), httpx.Principal(c).User.ID)
	if err != nil {
		return err
	}
	items := make([]patJSON, 0, len(list))
	for _, t := range list {
		items = append(items, toPATJSON(t))
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

// Revoke handles DELETE /user/tokens/{id}: 204, and the token is refused
// from the next request on; another user's or an unknown token is 404.
func (h *PATs) Revoke(c *gin.Context) error {
	if err := h.Accounts.RevokePAT(c.Request.Context(), httpx.Principal(c).User.ID, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

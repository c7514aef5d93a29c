package controllers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"listo/models"
	"listo/problem"
)

// ListUsers handles GET /users (admin): ?q= is plain text matched against
// email and name.
func (h *Accounts) ListUsers(c *gin.Context) error {
	page, perPage, err := PageParams(c)
	if err != nil {
		return err
	}
	q := strings.TrimSpace(c.Query("q"))
	if len(q) > 200 {
		return problem.Field("q", "must be at most 200 characters")
	}
	res, err := h.Store.ListUsers(c.Request.Context(), models.UserQuery{Q: q, Page: page, PerPage: perPage})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

type adminCreateRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
	Role     string `json:"role"`
}

// CreateUser handles POST /users (admin).
func (h *Accounts) CreateUser(c *gin.Context) error {
	var req adminCreateRequest
	if err := bind(c, h.Validate, "users_create", &req); err != nil {
		return err
	}
	if req.Role == "" {
		req.Role = models.RoleUser
	}
	u, err := h.createUser(c.Request.Context(), req.Email, req.Password, req.Name, req.Role)
	if err != nil {
		return err
	}
	c.Header("Location", "/users/"+u.ID)
	c.JSON(http.StatusCreated, u)
	return nil
}

// GetUser handles GET /users/{id} (admin).
func (h *Accounts) GetUser(c *gin.Context) error {
	u, err := h.Store.UserByID(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

type adminPatchRequest struct {
	Name     *string `json:"name"`
	Email    *string `json:"email"`
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
	Password *string `json:"password"`
}

// UpdateUser handles PATCH /users/{id} (admin). Disabling a user or setting
// their password revokes all their sessions; the last admin cannot be
// demoted or disabled (409).
func (h *Accounts) UpdateUser(c *gin.Context) error {
	var req adminPatchRequest
	if err := bind(c, h.Validate, "users_patch", &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	patch := models.UserPatch{Role: req.Role, Disabled: req.Disabled}
	if req.Name != nil {
		name := strings.TrimSpace(*req.Name)
		patch.Name = &name
	}
	if req.Email != nil {
		email := models.NormalizeEmail(*req.Email)
		patch.Email = &email
	}
	if req.Password != nil {
		if err := h.checkPassword("/password", *req.Password); err != nil {
			return err
		}
		hash, err := h.Hasher.Hash(ctx, *req.Password)
		if err != nil {
			return busyOr(err)
		}
		patch.PasswordHash = &hash
	}
	id := c.Param("id")
	u, err := h.Store.UpdateUser(ctx, id, patch, h.Now())
	switch {
	case errors.Is(err, models.ErrLastAdmin):
		return lastAdmin(err)
	case errors.Is(err, models.ErrConflict):
		return emailTaken()
	case err != nil:
		return err
	}
	h.Checker.ForgetUser(u.ID)
	if (req.Disabled != nil && *req.Disabled) || req.Password != nil {
		n, err := h.Store.RevokeUserSessions(ctx, u.ID, "", h.Now())
		if err != nil {
			return err
		}
		h.Checker.ForgetUser(u.ID)
		if h.Events.SessionsRevoked != nil {
			h.Events.SessionsRevoked(n)
		}
	}
	c.JSON(http.StatusOK, u)
	return nil
}

// DeleteUser handles DELETE /users/{id} (admin).
func (h *Accounts) DeleteUser(c *gin.Context) error {
	id := c.Param("id")
	if err := h.Store.DeleteUser(c.Request.Context(), id); err != nil {
		return lastAdminOr(err)
	}
	h.Checker.ForgetUser(id)
	c.Status(http.StatusNoContent)
	return nil
}

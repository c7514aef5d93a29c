package controllers

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"listo/account"
	"listo/models"
	"listo/problem"
	"listo/schemas"
)

// UserReader reads users for the admin screens.
type UserReader interface {
	UserByID(ctx context.Context, id string) (models.User, error)
	ListUsers(ctx context.Context, q models.UserQuery) (models.Page[models.User], error)
}

// UserAdmin is what an admin may do to users.
type UserAdmin interface {
	Register(ctx context.Context, n account.NewUser) (models.User, error)
	UpdateUser(ctx context.Context, id string, up account.AdminUpdate) (models.User, error)
	DeleteUser(ctx context.Context, id string) error
}

// UsersAdmin handles the admin's user management (/users).
type UsersAdmin struct {
	Users    UserReader
	Accounts UserAdmin
	Validate *schemas.Validator
}

// List handles GET /users (admin): ?q= is plain text matched against email
// and name.
func (h *UsersAdmin) List(c *gin.Context) error {
	page, perPage, err := PageParams(c)
	if err != nil {
		return err
	}
	q, bad := searchText(c.Query("q"))
	if bad != nil {
		return problem.Validation("The query has invalid parameters.", *bad)
	}
	res, err := h.Users.ListUsers(c.Request.Context(), models.UserQuery{Q: q, Page: page, PerPage: perPage})
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

// Create handles POST /users (admin).
func (h *UsersAdmin) Create(c *gin.Context) error {
	var req adminCreateRequest
	if err := bind(c, h.Validate, "users_create", &req); err != nil {
		return err
	}
	u, err := h.Accounts.Register(c.Request.Context(), account.NewUser{
		Email: req.Email, Password: req.Password, Name: req.Name, Role: req.Role, Verified: true,
	})
	if err != nil {
		return err
	}
	c.Header("Location", "/users/"+u.ID)
	c.JSON(http.StatusCreated, u)
	return nil
}

// Get handles GET /users/{id} (admin).
func (h *UsersAdmin) Get(c *gin.Context) error {
	u, err := h.Users.UserByID(c.Request.Context(), c.Param("id"))
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

// Update handles PATCH /users/{id} (admin). Disabling a user or setting
// their password revokes all their sessions; the last admin cannot be
// demoted or disabled (409).
func (h *UsersAdmin) Update(c *gin.Context) error {
	var req adminPatchRequest
	if err := bind(c, h.Validate, "users_patch", &req); err != nil {
		return err
	}
	u, err := h.Accounts.UpdateUser(c.Request.Context(), c.Param("id"), account.AdminUpdate{
		Name: req.Name, Email: req.Email, Role: req.Role, Disabled: req.Disabled, Password: req.Password,
	})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

// Delete handles DELETE /users/{id} (admin).
func (h *UsersAdmin) Delete(c *gin.Context) error {
	if err := h.Accounts.DeleteUser(c.Request.Context(), c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

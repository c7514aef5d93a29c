package controllers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"listo/middleware"
	"listo/models"
	"listo/problem"
)

// Me handles GET /user.
func (h *Accounts) Me(c *gin.Context) error {
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, middleware.PrincipalFrom(c).User)
	return nil
}

type userPatchRequest struct {
	Name            *string `json:"name"`
	Email           *string `json:"email"`
	Password        *string `json:"password"`
	CurrentPassword *string `json:"current_password"`
}

func wrongPassword(field string) *problem.Problem {
	p := problem.New(http.StatusForbidden, "The current password is incorrect.")
	p.Errors = []problem.FieldError{{Field: field, Message: "is incorrect"}}
	return p
}

// UpdateMe handles PATCH /user. Changing the email or the password needs the
// current password; a new password revokes every other session.
func (h *Accounts) UpdateMe(c *gin.Context) error {
	var req userPatchRequest
	if err := bind(c, h.Validate, "user_patch", &req); err != nil {
		return err
	}
	p := middleware.PrincipalFrom(c)
	ctx := c.Request.Context()
	var patch models.UserPatch
	if req.Name != nil {
		name := strings.TrimSpace(*req.Name)
		patch.Name = &name
	}
	if req.Email != nil || req.Password != nil {
		if req.CurrentPassword == nil || *req.CurrentPassword == "" {
			return problem.Field("/current_password", "is required to change the email or the password")
		}
		if err := h.verifyPassword(c, p.User.ID, *req.CurrentPassword, "/current_password"); err != nil {
			return err
		}
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
	u, err := h.Store.UpdateUser(ctx, p.User.ID, patch, h.Now())
	if errors.Is(err, models.ErrConflict) {
		return emailTaken()
	}
	if err != nil {
		return err
	}
	h.Checker.ForgetUser(u.ID)
	if patch.PasswordHash != nil {
		n, err := h.Store.RevokeUserSessions(ctx, u.ID, p.SessionID, h.Now())
		if err != nil {
			return err
		}
		h.Checker.ForgetUser(u.ID)
		if h.Events.SessionsRevoked != nil {
			h.Events.SessionsRevoked(n)
		}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, u)
	return nil
}

// verifyPassword re-reads the user (the cached principal may be seconds
// old) and checks the password: wrong is 403 on the named field.
func (h *Accounts) verifyPassword(c *gin.Context, userID, password, field string) error {
	u, err := h.Store.UserByID(c.Request.Context(), userID)
	if err != nil {
		return err
	}
	ok, err := h.Hasher.Compare(c.Request.Context(), u.PasswordHash, password)
	if err != nil {
		return busyOr(err)
	}
	if !ok {
		return wrongPassword(field)
	}
	return nil
}

type userDeleteRequest struct {
	Password string `json:"password"`
}

// DeleteMe handles DELETE /user: with the password, it deletes the account,
// its sessions and its todos.
func (h *Accounts) DeleteMe(c *gin.Context) error {
	var req userDeleteRequest
	if err := bind(c, h.Validate, "user_delete", &req); err != nil {
		return err
	}
	p := middleware.PrincipalFrom(c)
	if err := h.verifyPassword(c, p.User.ID, req.Password, "/password"); err != nil {
		return err
	}
	if err := h.Store.DeleteUser(c.Request.Context(), p.User.ID); err != nil {
		return lastAdminOr(err)
	}
	h.Checker.ForgetUser(p.User.ID)
	h.clearCookies(c)
	c.Status(http.StatusNoContent)
	return nil
}

func lastAdminOr(err error) error {
	if errors.Is(err, models.ErrLastAdmin) {
		return lastAdmin(err)
	}
	return err
}

func lastAdmin(cause error) *problem.Problem {
	p := problem.New(http.StatusConflict, "The last admin cannot be demoted, disabled or deleted; make another admin first.")
	p.Cause = cause
	return p
}

type sessionJSON struct {
	ID         string    `json:"id"`
	Device     string    `json:"device"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Current    bool      `json:"current"`
}

// Sessions handles GET /user/sessions: the caller's live sessions (devices).
func (h *Accounts) Sessions(c *gin.Context) error {
	p := middleware.PrincipalFrom(c)
	list, err := h.Store.ListSessions(c.Request.Context(), p.User.ID, h.Now())
	if err != nil {
		return err
	}
	items := make([]sessionJSON, 0, len(list))
	for _, s := range list {
		items = append(items, sessionJSON{
			ID: s.ID, Device: s.Device, UserAgent: s.UserAgent, IP: s.IP,
			CreatedAt: s.CreatedAt, LastUsedAt: s.LastUsedAt, ExpiresAt: s.ExpiresAt,
			Current: s.ID == p.SessionID,
		})
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

// RevokeSession handles DELETE /user/sessions/{id}: another user's or an
// unknown session is 404.
func (h *Accounts) RevokeSession(c *gin.Context) error {
	p := middleware.PrincipalFrom(c)
	id := c.Param("id")
	if err := h.Store.RevokeSession(c.Request.Context(), p.User.ID, id, h.Now()); err != nil {
		return err
	}
	h.Checker.ForgetSession(id)
	if h.Events.SessionsRevoked != nil {
		h.Events.SessionsRevoked(1)
	}
	c.Status(http.StatusNoContent)
	return nil
}

// PageParams reads ?page= (default 1) and ?per_page= (default 50, at most
// 200); bad values are a 422 naming the parameter.
func PageParams(c *gin.Context) (page, perPage int, err error) {
	var errs []problem.FieldError
	page, perPage = 1, models.DefaultPerPage
	if v, ok := c.GetQuery("page"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			errs = append(errs, problem.FieldError{Field: "page", Message: "must be a whole number from 1"})
		}
		page = n
	}
	if v, ok := c.GetQuery("per_page"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > models.MaxPerPage {
			errs = append(errs, problem.FieldError{Field: "per_page", Message: fmt.Sprintf("must be a whole number from 1 to %d", models.MaxPerPage)})
		}
		perPage = n
	}
	if len(errs) > 0 {
		return 0, 0, problem.Validation("The query has invalid parameters.", errs...)
	}
	return page, perPage, nil
}

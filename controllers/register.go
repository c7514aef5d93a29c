package controllers

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"listo/account"
	"listo/models"
	"listo/schemas"
)

// Registrar creates accounts.
type Registrar interface {
	Register(ctx context.Context, n account.NewUser) (models.User, error)
}

// Register handles sign-up.
type Register struct {
	Accounts Registrar
	Validate *schemas.Validator
}

type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// Handle handles POST /register: 201 with the user.
func (h *Register) Handle(c *gin.Context) error {
	var req registerRequest
	if err := bind(c, h.Validate, "register", &req); err != nil {
		return err
	}
	u, err := h.Accounts.Register(c.Request.Context(), account.NewUser{Email: req.Email, Password: req.Password, Name: req.Name})
	if err != nil {
		return err
	}
	c.Header("Location", "/user")
	c.JSON(http.StatusCreated, u)
	return nil
}

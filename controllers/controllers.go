// Package controllers holds Listo's HTTP handlers, one file per feature.
// Each handler struct keeps its dependencies as a small interface declared
// beside it; a handler decodes and validates its input, calls the account
// service or the store, and encodes the answer. Every state change of an
// account or a session goes through the account service, which also
// invalidates the session cache and records the event. Handlers return
// errors, and middleware.Problems renders them, so no handler can forget to
// stop after an error.
package controllers

import (
	"github.com/gin-gonic/gin"

	"listo/httpx"
	"listo/schemas"
)

// Handler is a Gin handler that returns its error instead of writing it.
type Handler func(c *gin.Context) error

// H adapts a Handler: a returned error goes to middleware.Problems.
func H(f Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := f(c); err != nil {
			httpx.Fail(c, err)
		}
	}
}

// bind reads the body, validates it against the named schema and decodes it
// into dst, before any handler logic runs.
func bind(c *gin.Context, v *schemas.Validator, schema string, dst any) error {
	body, err := httpx.ReadBody(c)
	if err != nil {
		return err
	}
	return v.Decode(schema, body, dst)
}

// bindOptional is bind for endpoints whose body may be empty.
func bindOptional(c *gin.Context, v *schemas.Validator, schema string, dst any) error {
	body, err := httpx.ReadBody(c)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return nil
	}
	return v.Decode(schema, body, dst)
}

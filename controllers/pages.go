package controllers

import (
	"fmt"
	"strconv"

	"github.com/gin-gonic/gin"

	"listo/models"
	"listo/problem"
)

// PageParams reads ?page= (default 1) and ?per_page= (default
// models.DefaultPerPage, at most models.MaxPerPage); bad values are a 422
// naming the parameter.
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

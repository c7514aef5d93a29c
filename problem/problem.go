// Package problem implements RFC 9457 problem details: the one error shape
// every Listo API response uses.
package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"listo/models"
)

// ContentType is the media type of a problem document.
const ContentType = "application/problem+json"

// FieldError is one failing field of a request body, located by a JSON
// pointer ("/title") or a query parameter name ("?per_page").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problem is an RFC 9457 problem document. It is also an error, so handlers
// can return it; Cause is logged but never serialised.
type Problem struct {
	Type    string       `json:"type"`
	Title   string       `json:"title"`
	Status  int          `json:"status"`
	Detail  string       `json:"detail,omitempty"`
	Errors  []FieldError `json:"errors,omitempty"`
	Headers http.Header  `json:"-"`
	Cause   error        `json:"-"`
	// Extra holds extension members (RFC 9457, 3.2), serialised beside
	// the standard ones; a key that names a member above is ignored.
	Extra map[string]any `json:"-"`
}

// MarshalJSON writes the standard members, then Extra's in key order.
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem // the same fields without this method
	b, err := json.Marshal(plain(p))
	if err != nil || len(p.Extra) == 0 {
		return b, err
	}
	extra := make(map[string]any, len(p.Extra))
	for k, v := range p.Extra {
		switch k {
		case "type", "title", "status", "detail", "errors":
		default:
			extra[k] = v
		}
	}
	if len(extra) == 0 {
		return b, nil
	}
	e, err := json.Marshal(extra)
	if err != nil {
		return nil, err
	}
	return append(append(b[:len(b)-1], ','), e[1:]...), nil
}

func (p *Problem) Error() string {
	if p.Cause != nil {
		return fmt.Sprintf("%d %s: %s: %v", p.Status, p.Title, p.Detail, p.Cause)
	}
	return fmt.Sprintf("%d %s: %s", p.Status, p.Title, p.Detail)
}

func (p *Problem) Unwrap() error { return p.Cause }

// New returns a problem with the standard title for status.
func New(status int, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
}

// WithHeader sets a response header to send with the problem and returns p.
func (p *Problem) WithHeader(key, value string) *Problem {
	if p.Headers == nil {
		p.Headers = http.Header{}
	}
	p.Headers.Set(key, value)
	return p
}

// Validation returns a 422 problem listing every failing field.
func Validation(detail string, errs ...FieldError) *Problem {
	p := New(http.StatusUnprocessableEntity, detail)
	p.Type = "/problems/validation"
	p.Title = "Validation failed"
	p.Errors = errs
	return p
}

// Field returns a 422 problem for a single field.
func Field(field, message string) *Problem {
	return Validation("The request has an invalid field.", FieldError{Field: field, Message: message})
}

// From turns any error into the problem to send. Problems pass through;
// model sentinel errors map to their status; anything else is a 500 whose
// detail reveals nothing (the cause is kept for the log).
func From(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var status int
	var detail string
	switch {
	case errors.Is(err, models.ErrNotFound):
		status, detail = http.StatusNotFound, "The resource does not exist."
	case errors.Is(err, models.ErrConflict):
		status, detail = http.StatusConflict, "The request conflicts with the current state."
	case errors.Is(err, models.ErrPreconditionFailed):
		status, detail = http.StatusPreconditionFailed, "The resource has changed since you read it; reload it and try again."
	case errors.Is(err, models.ErrUnavailable):
		status, detail = http.StatusServiceUnavailable, "The database is unavailable; try again shortly."
	case errors.Is(err, models.ErrUnauthorized):
		status, detail = http.StatusUnauthorized, "Authentication is required."
	case errors.Is(err, models.ErrForbidden):
		status, detail = http.StatusForbidden, "You may not do this."
	default:
		status, detail = http.StatusInternalServerError, "Something went wrong on our side."
	}
	p = New(status, detail)
	p.Cause = err
	if status == http.StatusServiceUnavailable {
		p.WithHeader("Retry-After", "5")
	}
	if status == http.StatusUnauthorized {
		p.WithHeader("WWW-Authenticate", `Bearer realm="listo"`)
	}
	return p
}

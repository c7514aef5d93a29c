package problem_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"listo/models"
	"listo/problem"
)

// ignoreCause compares problems without their cause, which is checked on its
// own (errors are not comparable field by field).
var ignoreCause = cmpopts.IgnoreFields(problem.Problem{}, "Cause")

// wire marshals p as the client receives it and decodes it back into a
// generic value, so a test sees exactly the keys that are sent.
func wire(t *testing.T, p *problem.Problem) (map[string]any, string) {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("json.Marshal(%v) = %v", p, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("json.Unmarshal(%s) = %v", b, err)
	}
	return m, string(b)
}

func TestFromMapsModelErrors(t *testing.T) {
	tests := []struct {
		name     string
		sentinel error
		want     problem.Problem
	}{
		{"not found", models.ErrNotFound, problem.Problem{
			Type: "about:blank", Title: "Not Found", Status: http.StatusNotFound,
			Detail: "The resource does not exist.",
		}},
		{"conflict", models.ErrConflict, problem.Problem{
			Type: "about:blank", Title: "Conflict", Status: http.StatusConflict,
			Detail: "The request conflicts with the current state.",
		}},
		{"precondition failed", models.ErrPreconditionFailed, problem.Problem{
			Type: "about:blank", Title: "Precondition Failed", Status: http.StatusPreconditionFailed,
			Detail: "The resource has changed since you read it; reload it and try again.",
		}},
		{"unavailable", models.ErrUnavailable, problem.Problem{
			Type: "about:blank", Title: "Service Unavailable", Status: http.StatusServiceUnavailable,
			Detail:  "The database is unavailable; try again shortly.",
			Headers: http.Header{"Retry-After": {"5"}},
		}},
		{"unauthorized", models.ErrUnauthorized, problem.Problem{
			Type: "about:blank", Title: "Unauthorized", Status: http.StatusUnauthorized,
			Detail:  "Authentication is required.",
			Headers: http.Header{"Www-Authenticate": {`Bearer realm="listo"`}},
		}},
		{"forbidden", models.ErrForbidden, problem.Problem{
			Type: "about:blank", Title: "Forbidden", Status: http.StatusForbidden,
			Detail: "You may not do this.",
		}},
		// ErrLastAdmin is an ErrConflict: From gives the generic 409. A
		// handler that wants the specific detail returns its own problem,
		// which passes through (TestFromPassesProblemsThrough).
		{"last admin", models.ErrLastAdmin, problem.Problem{
			Type: "about:blank", Title: "Conflict", Status: http.StatusConflict,
			Detail: "The request conflicts with the current state.",
		}},
	}
	for _, tt := range tests {
		wraps := map[string]error{
			"bare":         tt.sentinel,
			"wrapped":      fmt.Errorf("store: get todo 42: %w", tt.sentinel),
			"wrapped-deep": fmt.Errorf("controllers: %w", fmt.Errorf("store: %w", tt.sentinel)),
			"joined":       errors.Join(errors.New("first"), fmt.Errorf("second: %w", tt.sentinel)),
		}
		for how, err := range wraps {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				p := problem.From(err)
				if diff := cmp.Diff(&tt.want, p, ignoreCause); diff != "" {
					t.Errorf("From(%v) (-want +got):\n%s", err, diff)
				}
				if p.Cause != err {
					t.Errorf("From(%v).Cause = %v; want the error itself", err, p.Cause)
				}
				if !errors.Is(p, tt.sentinel) {
					t.Errorf("errors.Is(From(%v), %v) = false; want true", err, tt.sentinel)
				}
				m, raw := wire(t, p)
				if diff := cmp.Diff(map[string]any{
					"type": tt.want.Type, "title": tt.want.Title,
					"status": float64(tt.want.Status), "detail": tt.want.Detail,
				}, m); diff != "" {
					t.Errorf("JSON of From(%v) (-want +got):\n%s", err, diff)
				}
				leaks := []string{"store", "42", "first", "second", "controllers", "admin"}
				if err != tt.sentinel {
					leaks = append(leaks, err.Error())
				}
				for _, leak := range leaks {
					if strings.Contains(raw, leak) {
						t.Errorf("JSON of From(%v) = %s; it reveals %q", err, raw, leak)
					}
				}
			})
		}
	}
}

// dbError is an error type the problem package knows nothing about.
type dbError struct{ host string }

func (e dbError) Error() string { return "dial " + e.host + ": connection refused" }

func TestFromUnknownErrorRevealsNothing(t *testing.T) {
	const internal = "mongo: auth failed for user listo on db-7.internal:27017"
	for _, err := range []error{
		errors.New(internal),
		fmt.Errorf("store: insert todo: %w", errors.New(internal)),
		dbError{host: "db-7.internal"},
	} {
		p := problem.From(err)
		want := &problem.Problem{
			Type: "about:blank", Title: "Internal Server Error", Status: http.StatusInternalServerError,
			Detail: "Something went wrong on our side.",
		}
		if diff := cmp.Diff(want, p, ignoreCause); diff != "" {
			t.Errorf("From(%v) (-want +got):\n%s", err, diff)
		}
		if p.Cause != err {
			t.Errorf("From(%v).Cause = %v; want the error kept for the log", err, p.Cause)
		}
		if !strings.Contains(p.Error(), err.Error()) {
			t.Errorf("From(%v).Error() = %q; want it to carry the cause for the log", err, p.Error())
		}
		m, raw := wire(t, p)
		if diff := cmp.Diff(map[string]any{
			"type": "about:blank", "title": "Internal Server Error", "status": float64(500),
			"detail": "Something went wrong on our side.",
		}, m); diff != "" {
			t.Errorf("JSON of From(%v) (-want +got):\n%s", err, diff)
		}
		for _, leak := range []string{err.Error(), "mongo", "db-7", "store", "listo"} {
			if strings.Contains(raw, leak) {
				t.Errorf("JSON of From(%v) = %s; it reveals %q", err, raw, leak)
			}
		}
	}
}

func TestFromPassesProblemsThrough(t *testing.T) {
	// A problem whose cause is a sentinel keeps its own status and detail:
	// this is how a handler gives ErrLastAdmin its specific message.
	custom := problem.New(http.StatusConflict, "The last admin cannot be demoted.").WithHeader("X-Reason", "last-admin")
	custom.Cause = fmt.Errorf("store: %w", models.ErrLastAdmin)
	notFoundAsTeapot := problem.New(http.StatusTeapot, "brewing")
	notFoundAsTeapot.Cause = models.ErrNotFound
	field := problem.Field("/title", "must not be empty")

	for _, p := range []*problem.Problem{custom, notFoundAsTeapot, field} {
		for how, err := range map[string]error{
			"bare":         p,
			"wrapped":      fmt.Errorf("controllers: update: %w", p),
			"wrapped-deep": fmt.Errorf("a: %w", fmt.Errorf("b: %w", p)),
		} {
			if got := problem.From(err); got != p {
				t.Errorf("From(%s %v) = %v; want the same *Problem %v", how, err, got, p)
			}
		}
	}
	if got := problem.From(custom); got.Status != http.StatusConflict || got.Detail != "The last admin cannot be demoted." || got.Headers.Get("X-Reason") != "last-admin" {
		t.Errorf("From(custom) = %+v; want it unchanged", got)
	}
}

func TestValidationAndFieldJSON(t *testing.T) {
	tests := []struct {
		name string
		p    *problem.Problem
		want map[string]any
	}{
		{
			name: "Field",
			p:    problem.Field("/title", "must not be empty"),
			want: map[string]any{
				"type": "/problems/validation", "title": "Validation failed", "status": float64(422),
				"detail": "The request has an invalid field.",
				"errors": []any{map[string]any{"field": "/title", "message": "must not be empty"}},
			},
		},
		{
			name: "Field on a query parameter",
			p:    problem.Field("?per_page", "must be from 1 to 100"),
			want: map[string]any{
				"type": "/problems/validation", "title": "Validation failed", "status": float64(422),
				"detail": "The request has an invalid field.",
				"errors": []any{map[string]any{"field": "?per_page", "message": "must be from 1 to 100"}},
			},
		},
		{
			name: "Validation keeps every field in order",
			p: problem.Validation("The request body has invalid fields.",
				problem.FieldError{Field: "/password", Message: "must be at least 8 characters"},
				problem.FieldError{Field: "/email", Message: "must be an email address"},
			),
			want: map[string]any{
				"type": "/problems/validation", "title": "Validation failed", "status": float64(422),
				"detail": "The request body has invalid fields.",
				"errors": []any{
					map[string]any{"field": "/password", "message": "must be at least 8 characters"},
					map[string]any{"field": "/email", "message": "must be an email address"},
				},
			},
		},
		{
			name: "Validation without fields omits errors",
			p:    problem.Validation("The request body is not valid."),
			want: map[string]any{
				"type": "/problems/validation", "title": "Validation failed", "status": float64(422),
				"detail": "The request body is not valid.",
			},
		},
		{
			name: "New without detail omits detail",
			p:    problem.New(http.StatusTooManyRequests, ""),
			want: map[string]any{"type": "about:blank", "title": "Too Many Requests", "status": float64(429)},
		},
		{
			name: "New",
			p:    problem.New(http.StatusRequestEntityTooLarge, "The request body must be at most 65536 bytes."),
			want: map[string]any{
				"type": "about:blank", "title": "Request Entity Too Large", "status": float64(413),
				"detail": "The request body must be at most 65536 bytes.",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, raw := wire(t, tt.p)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("JSON %s (-want +got):\n%s", raw, diff)
			}
			if tt.p.Status != int(tt.want["status"].(float64)) {
				t.Errorf("Status = %d; want %v", tt.p.Status, tt.want["status"])
			}
		})
	}
}

func TestWithHeaderIsKeptButNotSerialised(t *testing.T) {
	p := problem.New(http.StatusTooManyRequests, "Slow down.")
	if got := p.WithHeader("Retry-After", "30"); got != p {
		t.Fatalf("WithHeader returned %p; want the receiver %p", got, p)
	}
	p.WithHeader("retry-after", "60").WithHeader("X-RateLimit-Limit", "20")
	want := http.Header{"Retry-After": {"60"}, "X-Ratelimit-Limit": {"20"}}
	if diff := cmp.Diff(want, p.Headers); diff != "" {
		t.Errorf("Headers (-want +got):\n%s", diff)
	}
	p.Cause = errors.New("limiter: bucket 10.0.0.7 empty")
	m, raw := wire(t, p)
	if diff := cmp.Diff(map[string]any{
		"type": "about:blank", "title": "Too Many Requests", "status": float64(429), "detail": "Slow down.",
	}, m); diff != "" {
		t.Errorf("JSON %s (-want +got):\n%s", raw, diff)
	}
	for _, leak := range []string{"Retry-After", "60", "X-Ratelimit", "Headers", "Cause", "10.0.0.7", "bucket"} {
		if strings.Contains(raw, leak) {
			t.Errorf("JSON = %s; want no %q", raw, leak)
		}
	}
}

func TestErrorAndUnwrap(t *testing.T) {
	cause := errors.New("db down")
	tests := []struct {
		name      string
		p         *problem.Problem
		want      string
		wantCause error
	}{
		{"without cause", problem.New(http.StatusNotFound, "No such todo."), "404 Not Found: No such todo.", nil},
		{"with cause", &problem.Problem{Title: "Service Unavailable", Status: 503, Detail: "Try later.", Cause: cause}, "503 Service Unavailable: Try later.: db down", cause},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Error(); got != tt.want {
				t.Errorf("Error() = %q; want %q", got, tt.want)
			}
			if got := errors.Unwrap(tt.p); got != tt.wantCause {
				t.Errorf("Unwrap() = %v; want %v", got, tt.wantCause)
			}
		})
	}
}

func TestContentType(t *testing.T) {
	if problem.ContentType != "application/problem+json" {
		t.Errorf("ContentType = %q; want application/problem+json", problem.ContentType)
	}
}

func TestCommonProblems(t *testing.T) {
	cause := errors.New("token expired at 12:00")
	tests := []struct {
		name string
		p    *problem.Problem
		want problem.Problem
	}{
		{"Unauthorized", problem.Unauthorized(cause), problem.Problem{
			Type: "about:blank", Title: "Unauthorized", Status: http.StatusUnauthorized,
			Detail:  "A valid access token is required.",
			Headers: http.Header{"Www-Authenticate": {`Bearer realm="listo"`}},
		}},
		{"TooManyRequests rounds up", problem.TooManyRequests(1200 * time.Millisecond), problem.Problem{
			Type: "about:blank", Title: "Too Many Requests", Status: http.StatusTooManyRequests,
			Detail:  "Too many requests; try again later.",
			Headers: http.Header{"Retry-After": {"2"}},
		}},
		{"TooManyRequests waits at least a second", problem.TooManyRequests(0), problem.Problem{
			Type: "about:blank", Title: "Too Many Requests", Status: http.StatusTooManyRequests,
			Detail:  "Too many requests; try again later.",
			Headers: http.Header{"Retry-After": {"1"}},
		}},
		{"TooManyRequests whole seconds", problem.TooManyRequests(30 * time.Second), problem.Problem{
			Type: "about:blank", Title: "Too Many Requests", Status: http.StatusTooManyRequests,
			Detail:  "Too many requests; try again later.",
			Headers: http.Header{"Retry-After": {"30"}},
		}},
		{"CSRFMismatch", problem.CSRFMismatch(), problem.Problem{
			Type: "about:blank", Title: "Forbidden", Status: http.StatusForbidden,
			Detail: "The X-CSRF-Token header must match the listo_csrf cookie.",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(&tt.want, tt.p, ignoreCause); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	p := problem.Unauthorized(cause)
	if p.Cause != cause {
		t.Errorf("Unauthorized(cause).Cause = %v; want %v", p.Cause, cause)
	}
	if _, raw := wire(t, p); strings.Contains(raw, "expired") {
		t.Errorf("JSON of Unauthorized(cause) = %s; it reveals the cause", raw)
	}
}

// Extension members (RFC 9457, 3.2) are serialised beside the standard
// ones, which they cannot replace.
func TestExtraMembers(t *testing.T) {
	p := problem.New(http.StatusServiceUnavailable, "Stopped after 40 todos.")
	p.Extra = map[string]any{"changed": 40, "status": 200, "type": "/evil", "retry": map[string]any{"after": "1s"}}
	p.Cause = errors.New("deadline")
	m, raw := wire(t, p)
	want := map[string]any{
		"type": "about:blank", "title": "Service Unavailable", "status": float64(503),
		"detail": "Stopped after 40 todos.", "changed": float64(40), "retry": map[string]any{"after": "1s"},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("JSON %s (-want +got):\n%s", raw, diff)
	}
	// As a value too (gin renders what it is given).
	b, err := json.Marshal(*p)
	if err != nil || string(b) != raw {
		t.Errorf("json.Marshal(value) = %s, %v; want %s", b, err, raw)
	}
	// Without extras, or with reserved keys only, nothing changes.
	for _, extra := range []map[string]any{nil, {"detail": "x"}} {
		q := problem.Validation("Bad.", problem.FieldError{Field: "/title", Message: "must not be empty"})
		q.Extra = extra
		_, got := wire(t, q)
		if want := `{"type":"/problems/validation","title":"Validation failed","status":422,"detail":"Bad.","errors":[{"field":"/title","message":"must not be empty"}]}`; got != want {
			t.Errorf("JSON with Extra %v = %s; want %s", extra, got, want)
		}
	}
	// An extra that cannot be encoded is an error, not a broken document.
	p.Extra = map[string]any{"bad": make(chan int)}
	if _, err := json.Marshal(p); err == nil {
		t.Error("json.Marshal with an unencodable extra = nil error")
	}
}

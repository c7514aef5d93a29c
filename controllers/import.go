package controllers

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"listo/httpx"
	"listo/models"
	"listo/problem"
	"listo/schemas"
)

// Limits of POST /todos/import.
const (
	// MaxImportBytes is the largest body the import reads (the route's
	// own limit; every other route has app.MaxBodyBytes).
	MaxImportBytes = 5 << 20
	// MaxImportTodos is the most todos one import takes (the schema's
	// maxItems).
	MaxImportTodos = 10_000
	// maxImportErrors is the most field errors a refused import lists.
	maxImportErrors = 100
)

// ImportStore is what POST /todos/import needs: where the caller's list
// ends, and an all-or-nothing insert under the per-user cap.
type ImportStore interface {
	MaxTodoOrder(ctx context.Context, userID string) (float64, error)
	ImportUserTodos(ctx context.Context, userID string, todos []models.Todo, limit int) (int, error)
}

// Import handles POST /todos/import.
type Import struct {
	Store    ImportStore
	Validate *schemas.Validator
	Now      func() time.Time
	// MaxTodos is how many todos one user may hold (MAX_TODOS_PER_USER);
	// 0: no limit.
	MaxTodos int
	// Changes hears of an import, for the owner's live clients.
	Changes ChangeNotifier
}

// importItem is one todo of an import, of either form.
type importItem struct {
	Title       string   `json:"title"`
	Notes       string   `json:"notes"`
	Completed   bool     `json:"completed"`
	Order       *float64 `json:"order"`
	Due         *string  `json:"due"`
	CreatedAt   *string  `json:"created_at"`
	CompletedAt *string  `json:"completed_at"`
}

// importRequest is the body of an import: Listo's export document, whose
// todos it takes, or a TodoMVC localStorage array. The schema
// (todos_import) has checked it; the decoding ignores every member it does
// not use.
type importRequest struct {
	// Prefix names the items' place in the body, for field errors:
	// "/todos" (export) or "" (array).
	Prefix string
	Items  []importItem
}

func (r *importRequest) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '[' {
		// TodoMVC: the title and completed alone; its id and order are
		// its own, and the array's order is the list's.
		var items []struct {
			Title     string `json:"title"`
			Completed bool   `json:"completed"`
		}
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		r.Prefix, r.Items = "", make([]importItem, len(items))
		for i, it := range items {
			r.Items[i] = importItem{Title: it.Title, Completed: it.Completed}
		}
		return nil
	}
	var doc struct {
		Todos []importItem `json:"todos"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	r.Prefix, r.Items = "/todos", doc.Todos
	return nil
}

// Import handles POST /todos/import: the todos of an export document or of
// a TodoMVC array, added after the caller's own. Titles and notes are kept
// exactly as they are; an export's todos keep the order of their order
// (those without one last, in the document's order), an array's its own;
// an export's due dates, creation and completion times are kept. Every
// todo is checked before any is written: a bad one is a 422 naming its
// index, and nothing is stored; so is an import that would take the
// caller past MaxTodos (409). 200 {imported: n}, and one todos.changed
// event.
func (h *Import) Import(c *gin.Context) error {
	var req importRequest
	if err := bind(c, h.Validate, "todos_import", &req); err != nil {
		return capErrors(err)
	}
	userID := httpx.Principal(c).User.ID
	now := h.Now().UTC()
	todos, err := importTodos(req, userID, now)
	if err != nil {
		return capErrors(err)
	}
	if len(todos) == 0 {
		httpx.NoStore(c)
		c.JSON(http.StatusOK, gin.H{"imported": 0})
		return nil
	}
	if h.MaxTodos > 0 && len(todos) > h.MaxTodos {
		return h.limitReached(len(todos))
	}
	ctx := c.Request.Context()
	top, err := h.Store.MaxTodoOrder(ctx, userID)
	if err != nil {
		return err
	}
	for i := range todos {
		todos[i].Order = top + float64(i+1)
	}
	n, err := h.Store.ImportUserTodos(ctx, userID, todos, h.MaxTodos)
	if errors.Is(err, models.ErrLimitReached) {
		return h.limitReached(len(todos))
	}
	if err != nil {
		return err
	}
	if h.Changes != nil {
		h.Changes.Apply(models.Change{Kind: models.TodosChanged, UserID: userID, Reason: models.ReasonImport})
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, gin.H{"imported": n})
	return nil
}

func (h *Import) limitReached(n int) error {
	return problem.LimitReached(fmt.Sprintf("You can keep at most %d todos; importing these %d would pass that, so nothing was imported. Delete some todos first.", h.MaxTodos, n))
}

// importTodos turns the items into todos of userID, in the order they go
// into the list, and checks what the schema cannot: the times. Every bad
// time is reported, by the item's index.
func importTodos(req importRequest, userID string, now time.Time) ([]models.Todo, error) {
	type placed struct {
		at   int
		todo models.Todo
	}
	var errs []problem.FieldError
	out := make([]placed, 0, len(req.Items))
	for i, it := range req.Items {
		at := fmt.Sprintf("%s/%d", req.Prefix, i)
		when := func(field string, s *string) *time.Time {
			if s == nil {
				return nil
			}
			t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(*s))
			if err != nil || !models.TimeInRange(t) {
				errs = append(errs, problem.FieldError{Field: at + "/" + field, Message: "must be a date and time like 2026-12-31T17:00:00Z, between the years 0001 and 9999 in UTC"})
				return nil
			}
			t = t.UTC()
			return &t
		}
		t := models.Todo{UserID: userID, Title: it.Title, Notes: it.Notes, Completed: it.Completed,
			Due: when("due", it.Due), CreatedAt: now, UpdatedAt: now, Version: 1}
		if created := when("created_at", it.CreatedAt); created != nil {
			t.CreatedAt = *created
		}
		if completedAt := when("completed_at", it.CompletedAt); t.Completed {
			t.CompletedAt = cmp.Or(completedAt, &now)
		}
		out = append(out, placed{at: i, todo: t})
	}
	if len(errs) > 0 {
		return nil, problem.Validation("Some todos are invalid; nothing was imported.", errs...)
	}
	if req.Prefix != "" {
		// An export's todos come in no particular order: their order
		// field says where each was.
		slices.SortStableFunc(out, func(a, b placed) int {
			oa, ob := req.Items[a.at].Order, req.Items[b.at].Order
			switch {
			case oa == nil && ob == nil:
				return 0
			case oa == nil:
				return 1
			case ob == nil:
				return -1
			}
			return cmp.Compare(*oa, *ob)
		})
	}
	todos := make([]models.Todo, len(out))
	for i, p := range out {
		todos[i] = p.todo
	}
	return todos, nil
}

// capErrors keeps a refused import's answer short: at most
// maxImportErrors field errors, the detail saying how many there were.
func capErrors(err error) error {
	var p *problem.Problem
	if !errors.As(err, &p) || len(p.Errors) <= maxImportErrors {
		return err
	}
	p.Detail = fmt.Sprintf("%d fields are invalid; the first %d are listed. Nothing was imported.", len(p.Errors), maxImportErrors)
	p.Errors = p.Errors[:maxImportErrors]
	return p
}

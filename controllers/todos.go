package controllers

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"listo/httpx"
	"listo/models"
	"listo/problem"
	"listo/schemas"
)

// TodoStore is the storage the todo handlers need. Every method is scoped
// to one user: another user's todo is models.ErrNotFound, like an unknown
// one. A todo whose version does not meet pre is
// models.ErrPreconditionFailed. A create that would give the user more
// than limit todos is models.ErrLimitReached. The bulk changes return how
// many todos they changed also with an error: when ctx ends first, that
// error wraps models.ErrUnavailable and the same call again continues.
type TodoStore interface {
	CreateTodo(ctx context.Context, t models.Todo, last bool, limit int) (models.Todo, error)
	TodoByID(ctx context.Context, userID, id string) (models.Todo, error)
	ListTodos(ctx context.Context, userID string, q models.TodoQuery) (models.Page[models.Todo], error)
	UpdateTodo(ctx context.Context, userID, id string, p models.TodoPatch, pre models.Precondition, now time.Time) (models.Todo, error)
	DeleteTodo(ctx context.Context, userID, id string, pre models.Precondition) error
	SetAllTodosCompleted(ctx context.Context, userID string, completed bool, now time.Time) (int, error)
	DeleteCompletedTodos(ctx context.Context, userID string) (int, error)
}

// Todos handles /todos.
type Todos struct {
	Store    TodoStore
	Validate *schemas.Validator
	Now      func() time.Time
	Log      *slog.Logger
	// MaxTodos is how many todos one user may hold (MAX_TODOS_PER_USER);
	// 0: no limit.
	MaxTodos int
	// BulkTimeout bounds a bulk change (toggle-all, clear-completed);
	// 0 is DefaultBulkTimeout.
	BulkTimeout time.Duration
	// Changes hears of every successful write, for the owner's live
	// clients (GET /events); nil: nobody is told.
	Changes ChangeNotifier
}

// changed tells the owner's live clients of c.
func (h *Todos) changed(c models.Change) {
	if h.Changes != nil {
		h.Changes.Apply(c)
	}
}

// DefaultBulkTimeout is how long a bulk change may run before it stops
// with 503 and how many todos it changed: well within the server's write
// timeout (30 s). On MongoDB it finishes thousands of todos in that time;
// on the embedded database a user near the cap with long notes may need a
// few requests (see bulkStopped).
const DefaultBulkTimeout = 10 * time.Second

type todoCreateRequest struct {
	Title     string   `json:"title"`
	Notes     string   `json:"notes"`
	Completed bool     `json:"completed"`
	Order     *float64 `json:"order"`
	Due       *string  `json:"due"`
}

type todoPatchRequest struct {
	Title     *string     `json:"title"`
	Notes     *string     `json:"notes"`
	Completed *bool       `json:"completed"`
	Order     *float64    `json:"order"`
	Due       optionalDue `json:"due"`
}

// optionalDue tells an absent "due" (Set false) from "due": null (Set
// true, Value nil).
type optionalDue struct {
	Set   bool
	Value *string
}

func (o *optionalDue) UnmarshalJSON(b []byte) error {
	o.Set = true
	return json.Unmarshal(b, &o.Value)
}

type todosPatchAllRequest struct {
	Completed bool `json:"completed"`
}

// parseDue turns a validated date-time into a time; the schema's format
// check is looser than Go's parser in corners (a leap second), which are
// reported on the field too.
func parseDue(s *string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, strings.ToUpper(*s))
	if err != nil {
		return nil, problem.Field("/due", "must be a date and time like 2026-12-31T17:00:00Z")
	}
	t = t.UTC()
	if !models.TimeInRange(t) {
		return nil, problem.Field("/due", "must be between the years 0001 and 9999 in UTC")
	}
	return &t, nil
}

// searchText checks the plain text of a ?q= search, as sent, and returns
// it trimmed.
func searchText(q string) (string, *problem.FieldError) {
	if msg := models.TextProblem(models.TextPlain, q); msg != "" {
		return "", &problem.FieldError{Field: "q", Message: msg}
	}
	q = strings.TrimSpace(q)
	if utf8.RuneCountInString(q) > 200 {
		return "", &problem.FieldError{Field: "q", Message: "must be at most 200 characters"}
	}
	return q, nil
}

// etag is the entity tag of a todo at version v: its version, quoted.
func etag(v int) string { return `"` + strconv.Itoa(v) + `"` }

// ifMatch reads If-Match (RFC 9110, 13.1.1) as a precondition: none when
// the header is absent or exactly "*" (an unknown todo is still 404).
// Otherwise the versions named by its strong entity tags, comma-separated;
// a weak tag (W/"3") never matches under the strong comparison If-Match
// uses, and a tag Listo never issues or a malformed header names no
// version: the condition fails, so the request is 412 (404 when the todo
// does not exist) and nothing changes.
func ifMatch(r *http.Request) models.Precondition {
	lines := r.Header.Values("If-Match")
	if len(lines) == 0 {
		return models.NoPrecondition()
	}
	if len(lines) == 1 && strings.TrimSpace(lines[0]) == "*" {
		return models.NoPrecondition()
	}
	var versions []int
	for _, line := range lines {
		for tag := range strings.SplitSeq(line, ",") {
			tag = strings.TrimSpace(tag)
			if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' || !allDigits(tag[1:len(tag)-1]) {
				continue
			}
			// Strong comparison is of the tags as written: only Listo's
			// own spelling of a version matches ("07" is not "7").
			if v, err := strconv.Atoi(tag[1 : len(tag)-1]); err == nil && v > 0 && etag(v) == tag {
				versions = append(versions, v)
			}
		}
	}
	return models.IfVersion(versions...)
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// todoQuery reads and checks the query of GET /todos; every invalid
// parameter is reported at once, named by its bare name.
func todoQuery(c *gin.Context) (models.TodoQuery, error) {
	var q models.TodoQuery
	var errs []problem.FieldError
	page, perPage, err := PageParams(c)
	if err != nil {
		var p *problem.Problem
		if !errors.As(err, &p) {
			return q, err
		}
		errs = append(errs, p.Errors...)
	}
	q.Page, q.PerPage = page, perPage
	if v, ok := c.GetQuery("completed"); ok {
		switch v {
		case "true", "false":
			b := v == "true"
			q.Completed = &b
		default:
			errs = append(errs, problem.FieldError{Field: "completed", Message: "must be true or false"})
		}
	}
	var bad *problem.FieldError
	if q.Q, bad = searchText(c.Query("q")); bad != nil {
		errs = append(errs, *bad)
	}
	if v, ok := c.GetQuery("due_before"); ok {
		t, err := parseDateOrTime(v)
		if err != nil {
			errs = append(errs, problem.FieldError{Field: "due_before", Message: "must be a date like 2026-12-31 or a date and time like 2026-12-31T17:00:00Z"})
		} else {
			q.DueBefore = &t
		}
	}
	q.Sort = models.TodoSortOrder
	if v, ok := c.GetQuery("sort"); ok {
		if !slices.Contains(models.TodoSorts(), v) {
			errs = append(errs, problem.FieldError{Field: "sort", Message: "must be one of " + strings.Join(models.TodoSorts(), ", ")})
		}
		q.Sort = v
	}
	if len(errs) > 0 {
		return q, problem.Validation("The query has invalid parameters.", errs...)
	}
	return q, nil
}

// parseDateOrTime reads an RFC 3339 date-time, or a date (midnight UTC).
func parseDateOrTime(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, strings.ToUpper(s))
}

// repair makes a stored todo encodable: a time outside the years JSON
// dates can carry (stored before due dates were checked, or by another
// writer) is dropped and logged, so one bad value cannot break a whole
// list.
func (h *Todos) repair(c *gin.Context, t *models.Todo) {
	if t.Due != nil && !models.TimeInRange(*t.Due) {
		h.Log.LogAttrs(c.Request.Context(), slog.LevelError, "todo with an unencodable due date; answered without it",
			slog.String("todo_id", t.ID), slog.String("request_id", httpx.RequestID(c)))
		t.Due = nil
	}
	if t.CompletedAt != nil && !models.TimeInRange(*t.CompletedAt) {
		t.CompletedAt = nil
	}
}

func sendTodo(c *gin.Context, status int, t models.Todo) {
	c.Header("ETag", etag(t.Version))
	httpx.NoStore(c)
	c.JSON(status, t)
}

// List handles GET /todos: one page of the caller's todos, filtered by
// completed, q (plain text in title or notes, any case) and due_before,
// sorted by order (default), -created_at or due (todos without due last).
func (h *Todos) List(c *gin.Context) error {
	q, err := todoQuery(c)
	if err != nil {
		return err
	}
	page, err := h.Store.ListTodos(c.Request.Context(), httpx.Principal(c).User.ID, q)
	if err != nil {
		return err
	}
	for i := range page.Items {
		h.repair(c, &page.Items[i])
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, page)
	return nil
}

// Create handles POST /todos: 201 with Location and ETag. A missing order
// puts the todo after the caller's others.
func (h *Todos) Create(c *gin.Context) error {
	var req todoCreateRequest
	if err := bind(c, h.Validate, "todo_create", &req); err != nil {
		return err
	}
	due, err := parseDue(req.Due)
	if err != nil {
		return err
	}
	t := models.Todo{
		UserID: httpx.Principal(c).User.ID, Title: strings.TrimSpace(req.Title), Notes: req.Notes,
		Completed: req.Completed, Due: due, CreatedAt: h.Now(),
	}
	if req.Order != nil {
		t.Order = *req.Order
	}
	t, err = h.Store.CreateTodo(c.Request.Context(), t, req.Order == nil, h.MaxTodos)
	if errors.Is(err, models.ErrLimitReached) {
		return problem.LimitReached(fmt.Sprintf("You can keep at most %d todos; delete some to add more.", h.MaxTodos))
	}
	if err != nil {
		return err
	}
	h.changed(models.Change{Kind: models.TodoCreated, UserID: t.UserID, Todo: t})
	c.Header("Location", "/todos/"+t.ID)
	sendTodo(c, http.StatusCreated, t)
	return nil
}

// Get handles GET /todos/{id}: 200 with ETag; an unknown, malformed or
// another user's id is 404, all with the same body.
func (h *Todos) Get(c *gin.Context) error {
	t, err := h.Store.TodoByID(c.Request.Context(), httpx.Principal(c).User.ID, c.Param("id"))
	if err != nil {
		return err
	}
	sendTodo(c, http.StatusOK, t)
	return nil
}

// Update handles PATCH /todos/{id}: 200 with the todo and its new ETag, or
// 412 when If-Match names another version (see ifMatch); the check and the
// write are one conditional update.
func (h *Todos) Update(c *gin.Context) error {
	var req todoPatchRequest
	if err := bind(c, h.Validate, "todo_patch", &req); err != nil {
		return err
	}
	p := models.TodoPatch{Notes: req.Notes, Completed: req.Completed, Order: req.Order}
	if req.Title != nil {
		title := strings.TrimSpace(*req.Title)
		p.Title = &title
	}
	if req.Due.Set {
		due, err := parseDue(req.Due.Value)
		if err != nil {
			return err
		}
		p.Due, p.SetDue = due, true
	}
	userID := httpx.Principal(c).User.ID
	t, err := h.Store.UpdateTodo(c.Request.Context(), userID, c.Param("id"), p, ifMatch(c.Request), h.Now())
	if err != nil {
		return err
	}
	h.changed(models.Change{Kind: models.TodoUpdated, UserID: userID, Todo: t})
	sendTodo(c, http.StatusOK, t)
	return nil
}

// Delete handles DELETE /todos/{id}: 204, honouring If-Match as Update does.
func (h *Todos) Delete(c *gin.Context) error {
	userID := httpx.Principal(c).User.ID
	err := h.Store.DeleteTodo(c.Request.Context(), userID, c.Param("id"), ifMatch(c.Request))
	if err != nil {
		return err
	}
	h.changed(models.Change{Kind: models.TodoDeleted, UserID: userID, ID: strings.ToLower(c.Param("id"))})
	c.Status(http.StatusNoContent)
	return nil
}

// bulkContext is the context of a bulk change: the request's, ending
// after BulkTimeout at the latest.
func (h *Todos) bulkContext(c *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), cmp.Or(h.BulkTimeout, DefaultBulkTimeout))
}

// bulkStopped is the answer to a bulk change that stopped before it was
// done, having changed n todos: when the database was unavailable or the
// change ran out of time, a 503 (with Retry-After) that says how far it
// got, with n in the member "changed". What it changed stays changed; the
// same request again continues (both bulk changes are idempotent). By
// design the change does not go on in the background after the answer.
func bulkStopped(err error, n int) error {
	if !errors.Is(err, models.ErrUnavailable) {
		return err
	}
	p := problem.From(err)
	p.Detail = fmt.Sprintf("The change stopped before it was complete, after %d todos; send the same request again to continue.", n)
	p.Extra = map[string]any{"changed": n}
	return p
}

// SetAllCompleted handles PATCH /todos {completed}: marks all the caller's
// todos ("toggle all") and answers {updated: n}, n counting the todos that
// changed; 503 with "changed" when it stops first (see bulkStopped).
func (h *Todos) SetAllCompleted(c *gin.Context) error {
	var req todosPatchAllRequest
	if err := bind(c, h.Validate, "todos_patch_all", &req); err != nil {
		return err
	}
	ctx, cancel := h.bulkContext(c)
	defer cancel()
	userID := httpx.Principal(c).User.ID
	n, err := h.Store.SetAllTodosCompleted(ctx, userID, req.Completed, h.Now())
	if n > 0 { // also when it stopped part way: what it changed stays changed
		h.changed(models.Change{Kind: models.TodosChanged, UserID: userID, Reason: models.ReasonToggleAll})
	}
	if err != nil {
		return bulkStopped(err, n)
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, gin.H{"updated": n})
	return nil
}

// DeleteCompleted handles DELETE /todos?completed=true: deletes the
// caller's completed todos and answers {deleted: n}; 503 with "changed"
// when it stops first (see bulkStopped). Without completed=true it is a
// 422 on "completed", so a bare DELETE /todos never empties a list.
func (h *Todos) DeleteCompleted(c *gin.Context) error {
	if c.Query("completed") != "true" {
		return problem.Validation("The query has invalid parameters.",
			problem.FieldError{Field: "completed", Message: "must be true: only completed todos can be cleared"})
	}
	ctx, cancel := h.bulkContext(c)
	defer cancel()
	userID := httpx.Principal(c).User.ID
	n, err := h.Store.DeleteCompletedTodos(ctx, userID)
	if n > 0 {
		h.changed(models.Change{Kind: models.TodosChanged, UserID: userID, Reason: models.ReasonClearCompleted})
	}
	if err != nil {
		return bulkStopped(err, n)
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, gin.H{"deleted": n})
	return nil
}

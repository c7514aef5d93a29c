package controllers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"listo/apptest"
	"listo/models"
	"listo/store"
)

var todoT0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// startTodoServer runs Listo with a settable clock and without the
// register/login rate limits (the tests sign many users up from one IP).
func startTodoServer(t *testing.T, o apptest.Options) *apptest.Server {
	t.Helper()
	if o.Clock == nil {
		o.Clock = apptest.NewClock(todoT0)
	}
	o.Env = map[string]string{"RATE_REGISTER_PER_MINUTE": "0", "RATE_AUTH_PER_MINUTE": "0"}
	return apptest.Start(t, o)
}

type todoPage struct {
	Items   []models.Todo `json:"items"`
	Page    int           `json:"page"`
	PerPage int           `json:"per_page"`
	Total   int           `json:"total"`
}

type problemBody struct {
	Status int `json:"status"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (p problemBody) fields() []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func createTodo(t *testing.T, u *apptest.User, body any) models.Todo {
	t.Helper()
	var todo models.Todo
	u.Do("POST", "/todos", body).Expect(t, http.StatusCreated).Decode(t, &todo)
	return todo
}

func getTodo(t *testing.T, u *apptest.User, id string) models.Todo {
	t.Helper()
	var todo models.Todo
	u.Do("GET", "/todos/"+id, nil).Expect(t, http.StatusOK).Decode(t, &todo)
	return todo
}

func listTodos(t *testing.T, u *apptest.User, query string) todoPage {
	t.Helper()
	var p todoPage
	u.Do("GET", "/todos"+query, nil).Expect(t, http.StatusOK).Decode(t, &p)
	return p
}

func titles(todos []models.Todo) []string {
	out := []string{}
	for _, t := range todos {
		out = append(out, t.Title)
	}
	return out
}

// expectUnchanged re-reads a todo and fails if it differs from before.
func expectUnchanged(t *testing.T, u *apptest.User, before models.Todo) {
	t.Helper()
	if diff := cmp.Diff(before, getTodo(t, u, before.ID)); diff != "" {
		t.Errorf("todo changed (-before +after):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }

func TestTodoCRUD(t *testing.T) {
	srv := startTodoServer(t, apptest.Options{})
	u := srv.NewUser(t)
	now := srv.Clock.Now

	// Create: title trimmed, order last, 201 + Location + ETag.
	resp := u.Do("POST", "/todos", map[string]any{"title": "  Buy milk \n", "notes": "2 litres"}).Expect(t, http.StatusCreated)
	var milk models.Todo
	resp.Decode(t, &milk)
	want := models.Todo{
		ID: milk.ID, Title: "Buy milk", Notes: "2 litres", Order: 1,
		CreatedAt: todoT0, UpdatedAt: todoT0, Version: 1,
	}
	if diff := cmp.Diff(want, milk); diff != "" {
		t.Errorf("POST /todos body (-want +got):\n%s", diff)
	}
	if got := resp.Header.Get("Location"); got != "/todos/"+milk.ID {
		t.Errorf("Location = %q; want /todos/%s", got, milk.ID)
	}
	if got := resp.Header.Get("ETag"); got != `"1"` {
		t.Errorf("ETag = %q; want %q", got, `"1"`)
	}
	for _, k := range []string{"id", "title", "notes", "completed", "order", "due", "created_at", "updated_at", "completed_at", "version"} {
		if _, ok := resp.JSON(t)[k]; !ok {
			t.Errorf("todo JSON lacks %q: %s", k, resp.Body)
		}
	}

	srv.Clock.Advance(time.Second)
	bread := createTodo(t, u, map[string]any{"title": "Bread"})
	if bread.Order != 2 {
		t.Errorf("second todo without order: order = %v; want 2 (last)", bread.Order)
	}
	between := createTodo(t, u, map[string]any{"title": "Between", "order": 1.5})
	if between.Order != 1.5 {
		t.Errorf("explicit order = %v; want 1.5", between.Order)
	}
	due := time.Date(2026, 3, 5, 17, 30, 0, 0, time.UTC)
	done := createTodo(t, u, map[string]any{"title": "Done already", "completed": true, "due": "2026-03-05T18:30:00+01:00"})
	if !done.Completed || done.CompletedAt == nil || !done.CompletedAt.Equal(now()) {
		t.Errorf("created completed: completed=%v completed_at=%v; want true, %v", done.Completed, done.CompletedAt, now())
	}
	if done.Due == nil || !done.Due.Equal(due) || done.Order != 3 {
		t.Errorf("created with due: due=%v order=%v; want %v, 3", done.Due, done.Order, due)
	}
	// Titles count characters, not bytes: 500 of "é" is allowed.
	long := createTodo(t, u, map[string]any{"title": strings.Repeat("é", 500), "notes": strings.Repeat("n", 10000)})

	// Read back: the stored todo is what POST returned.
	resp = u.Do("GET", "/todos/"+milk.ID, nil).Expect(t, http.StatusOK)
	if got := resp.Header.Get("ETag"); got != `"1"` {
		t.Errorf("GET ETag = %q; want %q", got, `"1"`)
	}
	var got models.Todo
	resp.Decode(t, &got)
	if diff := cmp.Diff(milk, got); diff != "" {
		t.Errorf("GET /todos/{id} (-created +read):\n%s", diff)
	}
	if p := listTodos(t, u, ""); !slices.Equal(titles(p.Items), []string{"Buy milk", "Between", "Bread", "Done already", long.Title}) || p.Total != 5 {
		t.Errorf("list = %q (total %d); want by order", titles(p.Items), p.Total)
	}

	// Update: completing sets completed_at, a new ETag, updated_at.
	srv.Clock.Advance(time.Minute)
	t1 := now()
	resp = u.Do("PATCH", "/todos/"+milk.ID, map[string]any{"title": " Buy oat milk ", "completed": true, "due": "2026-03-02T08:00:00Z", "order": 7}).Expect(t, http.StatusOK)
	if got := resp.Header.Get("ETag"); got != `"2"` {
		t.Errorf("PATCH ETag = %q; want %q", got, `"2"`)
	}
	var patched models.Todo
	resp.Decode(t, &patched)
	want = milk
	want.Title, want.Completed, want.CompletedAt, want.Due, want.Order = "Buy oat milk", true, &t1, ptr(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)), 7
	want.UpdatedAt, want.Version = t1, 2
	if diff := cmp.Diff(want, patched); diff != "" {
		t.Errorf("PATCH (-want +got):\n%s", diff)
	}
	expectUnchanged(t, u, patched)

	// Completing again keeps the first completed_at; other fields stay.
	srv.Clock.Advance(time.Minute)
	again := models.Todo{}
	u.Do("PATCH", "/todos/"+milk.ID, map[string]any{"completed": true, "notes": ""}).Expect(t, http.StatusOK).Decode(t, &again)
	want.Notes, want.UpdatedAt, want.Version = "", now(), 3
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("PATCH completed again (-want +got):\n%s", diff)
	}

	// Reopening clears completed_at; "due": null clears the due date.
	reopened := models.Todo{}
	u.Do("PATCH", "/todos/"+milk.ID, map[string]any{"completed": false, "due": nil}).Expect(t, http.StatusOK).Decode(t, &reopened)
	want.Completed, want.CompletedAt, want.Due, want.Version = false, nil, nil, 4
	if diff := cmp.Diff(want, reopened); diff != "" {
		t.Errorf("PATCH reopen (-want +got):\n%s", diff)
	}
	expectUnchanged(t, u, reopened)

	// Delete: 204, then gone.
	resp = u.Do("DELETE", "/todos/"+bread.ID, nil).Expect(t, http.StatusNoContent)
	if len(resp.Body) != 0 {
		t.Errorf("DELETE body = %q; want empty", resp.Body)
	}
	u.Do("GET", "/todos/"+bread.ID, nil).Expect(t, http.StatusNotFound)
	u.Do("DELETE", "/todos/"+bread.ID, nil).Expect(t, http.StatusNotFound)
	if p := listTodos(t, u, ""); p.Total != 4 || slices.Contains(titles(p.Items), "Bread") {
		t.Errorf("after delete: list = %q (total %d)", titles(p.Items), p.Total)
	}

	t.Run("needs authentication", func(t *testing.T) {
		anon := srv.Client()
		for _, r := range []struct{ method, path string }{
			{"GET", "/todos"}, {"POST", "/todos"}, {"GET", "/todos/" + milk.ID}, {"PATCH", "/todos/" + milk.ID},
			{"DELETE", "/todos/" + milk.ID}, {"PATCH", "/todos"}, {"DELETE", "/todos?completed=true"},
		} {
			var body any
			if r.method == "POST" || r.method == "PATCH" {
				body = map[string]any{"title": "x", "completed": true}
			}
			if got := anon.Do(r.method, r.path, body).Status; got != http.StatusUnauthorized {
				t.Errorf("%s %s without a token = %d; want 401", r.method, r.path, got)
			}
		}
		expectUnchanged(t, u, reopened)
	})
}

func TestTodoValidation(t *testing.T) {
	srv := startTodoServer(t, apptest.Options{})
	u := srv.NewUser(t)
	other := srv.NewUser(t)
	otherTodo := createTodo(t, other, map[string]any{"title": "other's", "completed": true})

	t.Run("POST /todos", func(t *testing.T) {
		tests := []struct {
			name   string
			body   string
			fields []string
		}{
			{"missing title", `{"notes":"n"}`, []string{"/title"}},
			{"empty title", `{"title":""}`, []string{"/title"}},
			{"whitespace title", `{"title":" \t\n "}`, []string{"/title"}},
			{"501-character title", `{"title":"` + strings.Repeat("é", 501) + `"}`, []string{"/title"}},
			{"title not a string", `{"title":5}`, []string{"/title"}},
			{"completed not a boolean", `{"title":"t","completed":"yes"}`, []string{"/completed"}},
			{"order not a number", `{"title":"t","order":"1"}`, []string{"/order"}},
			{"order out of range", `{"title":"t","order":1e400}`, []string{"/order"}},
			{"due not a date-time", `{"title":"t","due":"tomorrow"}`, []string{"/due"}},
			{"due a bare date", `{"title":"t","due":"2026-03-01"}`, []string{"/due"}},
			{"notes too long", `{"title":"t","notes":"` + strings.Repeat("n", 10001) + `"}`, []string{"/notes"}},
			{"unknown field", `{"title":"t","user_id":"` + other.ID + `"}`, []string{"/user_id"}},
			{"every field wrong", `{"title":" ","notes":1,"completed":null,"order":true,"due":3,"id":"x"}`,
				[]string{"/completed", "/due", "/id", "/notes", "/order", "/title"}},
			{"not an object", `["title"]`, []string{"/"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var p problemBody
				u.Do("POST", "/todos", tt.body).Expect(t, http.StatusUnprocessableEntity).Decode(t, &p)
				if diff := cmp.Diff(tt.fields, p.fields()); diff != "" {
					t.Errorf("POST %.60s: error fields (-want +got):\n%s", tt.body, diff)
				}
			})
		}
		t.Run("blank title message", func(t *testing.T) {
			var p problemBody
			u.Do("POST", "/todos", `{"title":"   "}`).Expect(t, http.StatusUnprocessableEntity).Decode(t, &p)
			if len(p.Errors) != 1 || p.Errors[0].Message != "must not be blank" {
				t.Errorf("errors = %+v; want /title must not be blank", p.Errors)
			}
		})
		u.Do("POST", "/todos", `{"title":`).Expect(t, http.StatusBadRequest)
		u.Do("POST", "/todos", `{"title":"t"}`, "Content-Type", "text/plain").Expect(t, http.StatusUnsupportedMediaType)
		if p := listTodos(t, u, ""); p.Total != 0 {
			t.Errorf("after invalid creates: total = %d; want 0 (nothing written): %q", p.Total, titles(p.Items))
		}
	})

	todo := createTodo(t, u, map[string]any{"title": "keep me", "notes": "as is", "due": "2026-04-01T00:00:00Z"})

	t.Run("PATCH /todos/{id}", func(t *testing.T) {
		tests := []struct {
			name   string
			body   string
			fields []string
		}{
			{"empty object", `{}`, []string{"/"}},
			{"empty title", `{"title":""}`, []string{"/title"}},
			{"whitespace title", `{"title":"   "}`, []string{"/title"}},
			{"501-character title", `{"title":"` + strings.Repeat("x", 501) + `"}`, []string{"/title"}},
			{"title null", `{"title":null}`, []string{"/title"}},
			{"completed not a boolean", `{"completed":1}`, []string{"/completed"}},
			{"order not a number", `{"order":[1]}`, []string{"/order"}},
			{"due not a date-time", `{"due":"soon"}`, []string{"/due"}},
			{"unknown field", `{"version":9}`, []string{"/version"}},
			{"valid and invalid fields", `{"notes":"changed","title":""}`, []string{"/title"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var p problemBody
				u.Do("PATCH", "/todos/"+todo.ID, tt.body, "If-Match", `"1"`).Expect(t, http.StatusUnprocessableEntity).Decode(t, &p)
				if diff := cmp.Diff(tt.fields, p.fields()); diff != "" {
					t.Errorf("PATCH %.60s: error fields (-want +got):\n%s", tt.body, diff)
				}
				expectUnchanged(t, u, todo)
			})
		}
		u.Do("PATCH", "/todos/"+todo.ID, `{"title":`).Expect(t, http.StatusBadRequest)
		expectUnchanged(t, u, todo)
	})

	t.Run("GET /todos query", func(t *testing.T) {
		tests := []struct {
			query  string
			fields []string
		}{
			{"?per_page=201", []string{"per_page"}},
			{"?per_page=0", []string{"per_page"}},
			{"?per_page=ten", []string{"per_page"}},
			{"?page=0", []string{"page"}},
			{"?completed=yes", []string{"completed"}},
			{"?completed=", []string{"completed"}},
			{"?sort=title", []string{"sort"}},
			{"?sort=created_at", []string{"sort"}},
			{"?due_before=next+week", []string{"due_before"}},
			{"?due_before=2026-13-01", []string{"due_before"}},
			{"?q=" + strings.Repeat("q", 201), []string{"q"}},
			{"?per_page=201&page=-1&completed=1&sort=x&due_before=x", []string{"completed", "due_before", "page", "per_page", "sort"}},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				var p problemBody
				u.Do("GET", "/todos"+tt.query, nil).Expect(t, http.StatusUnprocessableEntity).Decode(t, &p)
				if diff := cmp.Diff(tt.fields, p.fields()); diff != "" {
					t.Errorf("GET /todos%.60s: error fields (-want +got):\n%s", tt.query, diff)
				}
			})
		}
		for _, q := range []string{"?per_page=200", "?per_page=1&page=3", "?completed=false&sort=due&due_before=2026-05-01", "?sort=-created_at&due_before=2026-05-01T10:00:00%2B02:00", "?q=keep"} {
			if p := listTodos(t, u, q); p.Total != 1 {
				t.Errorf("GET /todos%s: total = %d; want 1", q, p.Total)
			}
		}
	})

	t.Run("PATCH /todos and DELETE /todos", func(t *testing.T) {
		tests := []struct {
			method, path, body string
			fields             []string
		}{
			{"PATCH", "/todos", `{}`, []string{"/completed"}},
			{"PATCH", "/todos", `{"completed":"true"}`, []string{"/completed"}},
			{"PATCH", "/todos", `{"completed":true,"title":"x"}`, []string{"/title"}},
			{"DELETE", "/todos", "", []string{"completed"}},
			{"DELETE", "/todos?completed=false", "", []string{"completed"}},
			{"DELETE", "/todos?completed=yes", "", []string{"completed"}},
		}
		for _, tt := range tests {
			var body any
			if tt.body != "" {
				body = tt.body
			}
			var p problemBody
			u.Do(tt.method, tt.path, body).Expect(t, http.StatusUnprocessableEntity).Decode(t, &p)
			if diff := cmp.Diff(tt.fields, p.fields()); diff != "" {
				t.Errorf("%s %s %s: error fields (-want +got):\n%s", tt.method, tt.path, tt.body, diff)
			}
		}
		expectUnchanged(t, u, todo)
		expectUnchanged(t, other, otherTodo)
	})
}

func TestTodoOtherUsersGet404(t *testing.T) {
	srv := startTodoServer(t, apptest.Options{})
	alice, bob := srv.NewUser(t), srv.NewUser(t)
	todo := createTodo(t, alice, map[string]any{"title": "alice's secret", "notes": "n"})

	unknown := "0123456789abcdef01234567"
	var reference []byte
	for _, id := range []string{todo.ID, unknown, "not-an-id", "%2e%2e"} {
		for _, r := range []struct {
			method string
			body   any
			header []string
		}{
			{"GET", nil, nil},
			{"PATCH", map[string]any{"title": "bob was here", "completed": true}, nil},
			{"PATCH", map[string]any{"title": "bob was here"}, []string{"If-Match", `"1"`}},
			{"PATCH", map[string]any{"title": "bob was here"}, []string{"If-Match", `"9"`}},
			{"DELETE", nil, nil},
			{"DELETE", nil, []string{"If-Match", "*"}},
		} {
			resp := bob.Do(r.method, "/todos/"+id, r.body, r.header...)
			if resp.Status != http.StatusNotFound {
				t.Errorf("bob %s /todos/%s %v = %d; want 404: %s", r.method, id, r.header, resp.Status, resp.Body)
				continue
			}
			// The same body whatever the id: nothing reveals that the todo exists.
			if reference == nil {
				reference = resp.Body
			} else if string(resp.Body) != string(reference) {
				t.Errorf("bob %s /todos/%s body = %s; want the same as for any other id: %s", r.method, id, resp.Body, reference)
			}
		}
	}
	expectUnchanged(t, alice, todo)
	if p := listTodos(t, bob, ""); p.Total != 0 {
		t.Errorf("bob's list = %q; want empty", titles(p.Items))
	}
	if p := listTodos(t, alice, ""); p.Total != 1 {
		t.Errorf("alice's total = %d; want 1", p.Total)
	}
}

func TestTodoListQueries(t *testing.T) {
	srv := startTodoServer(t, apptest.Options{})
	u := srv.NewUser(t)
	other := srv.NewUser(t)
	createTodo(t, other, map[string]any{"title": "other .* todo"})

	// Created one second apart, so created_at orders them.
	for _, body := range []map[string]any{
		{"title": "a literal .* in the title", "order": 3, "due": "2026-03-10T12:00:00Z"},
		{"title": "anything", "notes": "matches everything as a regex", "order": 1, "completed": true},
		{"title": "in the notes", "notes": "see .* here", "order": 2, "due": "2026-03-02T12:00:00Z"},
		{"title": "UPPER case Milk", "order": 2, "completed": true, "due": "2026-04-01T00:00:00Z"},
		{"title": "a+b (c) [d]", "order": 5},
		{"title": "dot star without the dot: *", "order": 4, "completed": true, "due": "2026-03-01T00:00:00Z"},
		{"title": "last, placed automatically"},
	} {
		createTodo(t, u, body)
		srv.Clock.Advance(time.Second)
	}

	byOrder := []string{"anything", "in the notes", "UPPER case Milk", "a literal .* in the title", "dot star without the dot: *", "a+b (c) [d]", "last, placed automatically"}
	tests := []struct {
		query string
		want  []string
		total int
	}{
		{"", byOrder, 7},
		{"?sort=order&page=1&per_page=50", byOrder, 7},
		{"?q=.*", []string{"in the notes", "a literal .* in the title"}, 2},
		{"?q=" + url.QueryEscape("a+b (c) [d]"), []string{"a+b (c) [d]"}, 1},
		{"?q=milk", []string{"UPPER case Milk"}, 1},
		{"?q=MILK", []string{"UPPER case Milk"}, 1},
		{"?q=" + url.QueryEscape("$where"), []string{}, 0},
		{"?q=^a", []string{}, 0},
		{"?completed=true", []string{"anything", "UPPER case Milk", "dot star without the dot: *"}, 3},
		{"?completed=false", []string{"in the notes", "a literal .* in the title", "a+b (c) [d]", "last, placed automatically"}, 4},
		{"?completed=false&q=.*", []string{"in the notes", "a literal .* in the title"}, 2},
		{"?sort=-created_at", []string{"last, placed automatically", "dot star without the dot: *", "a+b (c) [d]", "UPPER case Milk", "in the notes", "anything", "a literal .* in the title"}, 7},
		// Todos without due come last, in manual order.
		{"?sort=due", []string{"dot star without the dot: *", "in the notes", "a literal .* in the title", "UPPER case Milk", "anything", "a+b (c) [d]", "last, placed automatically"}, 7},
		{"?sort=due&due_before=2026-03-10", []string{"dot star without the dot: *", "in the notes"}, 2},
		{"?sort=due&due_before=2026-03-10T12:00:00.001Z", []string{"dot star without the dot: *", "in the notes", "a literal .* in the title"}, 3},
		{"?due_before=2026-03-10T13:00:00%2B01:00", []string{"in the notes", "dot star without the dot: *"}, 2},
		{"?per_page=3", byOrder[:3], 7},
		{"?per_page=3&page=2", byOrder[3:6], 7},
		{"?per_page=3&page=3", byOrder[6:], 7},
		{"?per_page=3&page=4", []string{}, 7},
		{"?per_page=2&page=2&completed=true", []string{"dot star without the dot: *"}, 3},
		{"?per_page=1&page=2&sort=-created_at", []string{"dot star without the dot: *"}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			p := listTodos(t, u, tt.query)
			if diff := cmp.Diff(tt.want, titles(p.Items)); diff != "" {
				t.Errorf("GET /todos%s titles (-want +got):\n%s", tt.query, diff)
			}
			if p.Total != tt.total {
				t.Errorf("GET /todos%s total = %d; want %d", tt.query, p.Total, tt.total)
			}
		})
	}
	t.Run("page fields", func(t *testing.T) {
		p := listTodos(t, u, "?per_page=3&page=2")
		if p.Page != 2 || p.PerPage != 3 {
			t.Errorf("page, per_page = %d, %d; want 2, 3", p.Page, p.PerPage)
		}
		p = listTodos(t, u, "")
		if p.Page != 1 || p.PerPage != 50 {
			t.Errorf("defaults: page, per_page = %d, %d; want 1, 50", p.Page, p.PerPage)
		}
	})
}

func TestTodoIfMatch(t *testing.T) {
	srv := startTodoServer(t, apptest.Options{})
	u := srv.NewUser(t)

	// Each case starts from a todo at version 2 (created, then patched once).
	tests := []struct {
		name    string
		ifMatch []string // header lines; nil sends none
		status  int
	}{
		{"no If-Match", nil, http.StatusOK},
		{"current version", []string{`"2"`}, http.StatusOK},
		{"any version", []string{`*`}, http.StatusOK},
		{"list holding the current version", []string{`"1", "2"`}, http.StatusOK},
		{"current version in a second header line", []string{`"1"`, `"2"`}, http.StatusOK},
		{"stale version", []string{`"1"`}, http.StatusPreconditionFailed},
		{"future version", []string{`"3"`}, http.StatusPreconditionFailed},
		{"weak tag", []string{`W/"2"`}, http.StatusPreconditionFailed},
		{"unquoted", []string{`2`}, http.StatusPreconditionFailed},
		{"not a version", []string{`"abc"`}, http.StatusPreconditionFailed},
		{"signed", []string{`"+2"`}, http.StatusPreconditionFailed},
		{"empty", []string{``}, http.StatusPreconditionFailed},
		{"star in a list", []string{`*, "1"`}, http.StatusPreconditionFailed},
	}
	// apptest.Client sets one value per header; several If-Match lines
	// need a raw request.
	send := func(method, id string, body any, lines []string) *apptest.Response {
		t.Helper()
		h := http.Header{}
		for _, l := range lines {
			h.Add("If-Match", l)
		}
		return rawDo(t, srv, u, method, "/todos/"+id, body, h)
	}
	for _, method := range []string{"PATCH", "DELETE"} {
		for _, tt := range tests {
			t.Run(method+" "+tt.name, func(t *testing.T) {
				todo := createTodo(t, u, map[string]any{"title": "v1"})
				u.Do("PATCH", "/todos/"+todo.ID, map[string]any{"title": "v2"}).Expect(t, http.StatusOK)
				before := getTodo(t, u, todo.ID)
				var body any
				if method == "PATCH" {
					body = map[string]any{"title": "v3", "completed": true}
				}
				resp := send(method, todo.ID, body, tt.ifMatch)
				want := tt.status
				if method == "DELETE" && want == http.StatusOK {
					want = http.StatusNoContent
				}
				if resp.Status != want {
					t.Fatalf("%s with If-Match %q = %d; want %d: %s", method, tt.ifMatch, resp.Status, want, resp.Body)
				}
				switch {
				case tt.status == http.StatusPreconditionFailed:
					var p problemBody
					resp.Decode(t, &p)
					if p.Status != 412 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
						t.Errorf("412 body = %s; want a problem", resp.Body)
					}
					expectUnchanged(t, u, before)
				case method == "PATCH":
					after := getTodo(t, u, todo.ID)
					if after.Title != "v3" || after.Version != 3 || resp.Header.Get("ETag") != `"3"` {
						t.Errorf("after PATCH: title %q version %d ETag %s; want v3, 3, \"3\"", after.Title, after.Version, resp.Header.Get("ETag"))
					}
				default:
					u.Do("GET", "/todos/"+todo.ID, nil).Expect(t, http.StatusNotFound)
				}
			})
		}
	}
	t.Run("unknown todo with If-Match is 404", func(t *testing.T) {
		for _, h := range []string{`"1"`, "*", "garbage"} {
			u.Do("PATCH", "/todos/0123456789abcdef01234567", map[string]any{"title": "x"}, "If-Match", h).Expect(t, http.StatusNotFound)
			u.Do("DELETE", "/todos/0123456789abcdef01234567", nil, "If-Match", h).Expect(t, http.StatusNotFound)
		}
	})
	t.Run("ETag round trip", func(t *testing.T) {
		resp := u.Do("POST", "/todos", map[string]any{"title": "round trip"}).Expect(t, http.StatusCreated)
		id := resp.JSON(t)["id"].(string)
		tag := resp.Header.Get("ETag")
		for i := range 3 {
			resp = u.Do("PATCH", "/todos/"+id, map[string]any{"order": i}, "If-Match", tag).Expect(t, http.StatusOK)
			tag = resp.Header.Get("ETag")
		}
		if tag != `"4"` {
			t.Errorf("ETag after 3 conditional PATCHes = %s; want \"4\"", tag)
		}
		u.Do("DELETE", "/todos/"+id, nil, "If-Match", `"3"`).Expect(t, http.StatusPreconditionFailed)
		u.Do("DELETE", "/todos/"+id, nil, "If-Match", tag).Expect(t, http.StatusNoContent)
	})
}

// rawDo sends a request with several values per header, which
// apptest.Client cannot.
func rawDo(t *testing.T, srv *apptest.Server, u *apptest.User, method, path string, body any, h http.Header) *apptest.Response {
	t.Helper()
	resp, err := rawRequest(srv, u, method, path, body, h)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// rawRequest sends one request as u; unlike apptest.Client it never calls
// t.Fatal, so goroutines may use it.
func rawRequest(srv *apptest.Server, u *apptest.User, method, path string, body any, h http.Header) (*apptest.Response, error) {
	var r io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, srv.URL()+path, r)
	if err != nil {
		return nil, err
	}
	for k, vs := range h {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+u.Token)
	resp, err := u.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

func TestTodoConcurrentPatchWithOneIfMatch(t *testing.T) {
	srv := startTodoServer(t, apptest.Options{})
	u := srv.NewUser(t)
	const rounds = 20
	for round := range rounds {
		todo := createTodo(t, u, map[string]any{"title": "start"})
		start := make(chan struct{})
		var wg sync.WaitGroup
		type result struct {
			title  string
			status int
			err    error
		}
		results := make([]result, 2)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				title := fmt.Sprintf("writer %d", i)
				<-start
				resp, err := rawRequest(srv, u, "PATCH", "/todos/"+todo.ID, map[string]any{"title": title, "completed": i == 1},
					http.Header{"If-Match": {`"1"`}})
				status := 0
				if err == nil {
					status = resp.Status
				}
				results[i] = result{title, status, err}
			}()
		}
		close(start)
		wg.Wait()
		var statuses []int
		winner := ""
		for _, r := range results {
			if r.err != nil {
				t.Fatalf("round %d: %v", round, r.err)
			}
			statuses = append(statuses, r.status)
			if r.status == http.StatusOK {
				winner = r.title
			}
		}
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{http.StatusOK, http.StatusPreconditionFailed}) {
			t.Fatalf("round %d: statuses = %v; want exactly one 200 and one 412", round, statuses)
		}
		got := getTodo(t, u, todo.ID)
		if got.Version != 2 || got.Title != winner || got.Completed != (winner == "writer 1") {
			t.Fatalf("round %d: stored %+v; want version 2 with the winner's (%s) whole change", round, got, winner)
		}
	}
}

func TestTodoBulkOnlyTouchCaller(t *testing.T) {
	srv := startTodoServer(t, apptest.Options{})
	alice, bob := srv.NewUser(t), srv.NewUser(t)
	for _, c := range []bool{false, true, false} {
		createTodo(t, alice, map[string]any{"title": "alice", "completed": c})
	}
	bobOpen := createTodo(t, bob, map[string]any{"title": "bob open"})
	bobDone := createTodo(t, bob, map[string]any{"title": "bob done", "completed": true})
	srv.Clock.Advance(time.Minute)
	t1 := srv.Clock.Now()

	counts := func(r *apptest.Response) map[string]int {
		t.Helper()
		var m map[string]int
		r.Decode(t, &m)
		return m
	}
	res := counts(alice.Do("PATCH", "/todos", map[string]any{"completed": true}).Expect(t, http.StatusOK))
	if diff := cmp.Diff(map[string]int{"updated": 2}, res); diff != "" {
		t.Errorf("toggle all on (-want +got):\n%s", diff)
	}
	p := listTodos(t, alice, "")
	versions := []int{}
	for _, td := range p.Items {
		versions = append(versions, td.Version)
		if !td.Completed || td.CompletedAt == nil {
			t.Errorf("after toggle all: %+v; want completed with completed_at", td)
		}
	}
	if !slices.Equal(versions, []int{2, 1, 2}) {
		t.Errorf("versions after toggle all = %v; want [2 1 2] (only changed todos bumped)", versions)
	}
	if !p.Items[0].CompletedAt.Equal(t1) || !p.Items[1].CompletedAt.Equal(todoT0) {
		t.Errorf("completed_at = %v, %v; want %v (newly completed), %v (kept)", p.Items[0].CompletedAt, p.Items[1].CompletedAt, t1, todoT0)
	}
	expectUnchanged(t, bob, bobOpen)
	expectUnchanged(t, bob, bobDone)

	res = counts(alice.Do("PATCH", "/todos", map[string]any{"completed": true}).Expect(t, http.StatusOK))
	if res["updated"] != 0 {
		t.Errorf("toggle all on again: updated = %d; want 0", res["updated"])
	}
	res = counts(alice.Do("PATCH", "/todos", map[string]any{"completed": false}).Expect(t, http.StatusOK))
	if res["updated"] != 3 {
		t.Errorf("toggle all off: updated = %d; want 3", res["updated"])
	}
	for _, td := range listTodos(t, alice, "").Items {
		if td.Completed || td.CompletedAt != nil {
			t.Errorf("after toggle all off: %+v; want open without completed_at", td)
		}
	}
	expectUnchanged(t, bob, bobDone)

	// Clear completed: only the caller's completed todos go.
	first := listTodos(t, alice, "").Items[0]
	alice.Do("PATCH", "/todos/"+first.ID, map[string]any{"completed": true}).Expect(t, http.StatusOK)
	res = counts(alice.Do("DELETE", "/todos?completed=true", nil).Expect(t, http.StatusOK))
	if diff := cmp.Diff(map[string]int{"deleted": 1}, res); diff != "" {
		t.Errorf("clear completed (-want +got):\n%s", diff)
	}
	if p := listTodos(t, alice, ""); p.Total != 2 || slices.ContainsFunc(p.Items, func(td models.Todo) bool { return td.Completed }) {
		t.Errorf("alice after clear: %+v; want 2 open todos", p)
	}
	res = counts(alice.Do("DELETE", "/todos?completed=true", nil).Expect(t, http.StatusOK))
	if res["deleted"] != 0 {
		t.Errorf("clear completed again: deleted = %d; want 0", res["deleted"])
	}
	expectUnchanged(t, bob, bobOpen)
	expectUnchanged(t, bob, bobDone)
	if p := listTodos(t, bob, "?completed=true"); p.Total != 1 {
		t.Errorf("bob's completed todos = %d; want 1", p.Total)
	}
}

func TestTodosGoWithTheAccount(t *testing.T) {
	dir := t.TempDir()
	srv := startTodoServer(t, apptest.Options{DataDir: dir, KeepRunning: true})
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			srv.Stop()
		}
	})
	alice, bob := srv.NewUser(t), srv.NewUser(t)
	for i := range 3 {
		createTodo(t, alice, map[string]any{"title": fmt.Sprint("alice ", i), "completed": i == 0})
	}
	for i := range 2 {
		createTodo(t, bob, map[string]any{"title": fmt.Sprint("bob ", i)})
	}
	alice.Do("DELETE", "/user", map[string]any{"password": alice.Password}).Expect(t, http.StatusNoContent)
	if p := listTodos(t, bob, ""); p.Total != 2 {
		t.Errorf("bob's todos after alice left = %d; want 2", p.Total)
	}
	srv.Stop()
	stopped = true

	// Look in the database itself: the todos are gone, not just hidden.
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{
		URI: srv.Config.MongoURI, Database: srv.Config.MongoDB, DataDir: srv.Config.DataDir, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close(ctx)
	for _, c := range []struct {
		who  *apptest.User
		want int
	}{{alice, 0}, {bob, 2}} {
		p, err := st.ListTodos(ctx, c.who.ID, models.TodoQuery{Page: 1, PerPage: 10})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total != c.want {
			t.Errorf("stored todos of %s = %d; want %d", c.who.Email, p.Total, c.want)
		}
	}
}

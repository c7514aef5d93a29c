package controllers_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"listo/apptest"
	"listo/models"
)

func importTodos(t *testing.T, u *apptest.User, body any, status int) *apptest.Response {
	t.Helper()
	return u.Do("POST", "/todos/import", body).Expect(t, status)
}

func allTodos(t *testing.T, u *apptest.User) []models.Todo {
	t.Helper()
	return listTodos(t, u, "?per_page=200").Items
}

func TestImportTodoMVC(t *testing.T) {
	srv := startTodoServer(t, apptest.Options{})
	alice := srv.NewUser(t)
	createTodo(t, alice, map[string]any{"title": "Already here", "order": 7.5})
	now := srv.Clock.Now()

	// TodoMVC's localStorage: ids and orders of its own, which go.
	body := `[{"id":1712,"title":"  Buy milk  ","completed":false,"order":"z"},
	          {"id":"b","title":"Call «Mum» 📞","completed":true,"editing":false},
	          {"title":"Tab\there"}]`
	r := importTodos(t, alice, body, http.StatusOK)
	if got := r.JSON(t)["imported"]; got != float64(3) {
		t.Errorf("imported = %v; want 3", got)
	}
	list := allTodos(t, alice)
	if want := []string{"Already here", "  Buy milk  ", "Call «Mum» 📞", "Tab\there"}; !slices.Equal(titles(list), want) {
		t.Fatalf("titles = %q; want %q (kept exactly, after the others, in the array's order)", titles(list), want)
	}
	for i, td := range list[1:] {
		if td.Order <= list[i].Order {
			t.Errorf("order of %q = %v; want more than %v", td.Title, td.Order, list[i].Order)
		}
		if td.Version != 1 || !td.CreatedAt.Equal(now) || td.Notes != "" || td.Due != nil {
			t.Errorf("imported %+v", td)
		}
	}
	if done := list[2]; !done.Completed || done.CompletedAt == nil || !done.CompletedAt.Equal(now) {
		t.Errorf("completed import = %+v; want completed now", done)
	}
	// An empty array imports nothing.
	importTodos(t, alice, `[]`, http.StatusOK)
	if n := len(allTodos(t, alice)); n != 4 {
		t.Errorf("%d todos after an empty import; want 4", n)
	}
}

// TestImportExport: an export imported into another account gives the
// same list: titles, notes, due dates, completion and creation kept, in
// the same order, after that account's own todos.
func TestImportExport(t *testing.T) {
	srv := startTodoServer(t, apptest.Options{})
	alice, bob := srv.NewUser(t), srv.NewUser(t)
	createTodo(t, alice, map[string]any{"title": "Third", "order": 30})
	createTodo(t, alice, map[string]any{"title": "First", "notes": "line one\nline two\twith a tab ", "due": "2030-12-31T17:00:00.5Z", "order": -1})
	srv.Clock.Advance(5 * time.Minute)
	createTodo(t, alice, map[string]any{"title": "Second", "completed": true, "order": 2})
	createTodo(t, bob, map[string]any{"title": "Bob's own", "order": 100})
	export := alice.Do("GET", "/user/export", nil).Expect(t, http.StatusOK)
	srv.Clock.Advance(5 * time.Minute)

	importTodos(t, bob, export.Body, http.StatusOK)
	mine, theirs := allTodos(t, alice), allTodos(t, bob)
	if want := []string{"Bob's own", "First", "Second", "Third"}; !slices.Equal(titles(theirs), want) {
		t.Fatalf("bob's titles = %q; want %q", titles(theirs), want)
	}
	for i, got := range theirs[1:] {
		was := mine[i]
		if got.ID == was.ID || got.Order <= theirs[i].Order || got.Version != 1 {
			t.Errorf("imported %+v: want a new id, after the last, version 1", got)
		}
		same := got.Title == was.Title && got.Notes == was.Notes && got.Completed == was.Completed &&
			got.CreatedAt.Equal(was.CreatedAt) && fmt.Sprint(got.Due) == fmt.Sprint(was.Due) && fmt.Sprint(got.CompletedAt) == fmt.Sprint(was.CompletedAt)
		if !same {
			t.Errorf("imported %+v; want the content of %+v", got, was)
		}
	}
}

// TestImportIsAllOrNothing: every todo is checked first; one bad todo, too
// many todos, a body too large or a user over the cap, and nothing is
// stored.
func TestImportIsAllOrNothing(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"MAX_TODOS_PER_USER": "12000"}, Clock: apptest.NewClock(todoT0)})
	alice := srv.NewUser(t)
	createTodo(t, alice, map[string]any{"title": "Mine"})
	doc := func(todos ...map[string]any) map[string]any {
		return map[string]any{"format": "listo-export", "version": 1, "exported_at": todoT0, "user": map[string]any{}, "sessions": []any{}, "todos": todos}
	}
	many := func(n int, item string) string {
		return "[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]"
	}
	tests := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"blank and missing titles", `[{"title":"fine"},{"title":"  "},{"completed":true},{"title":"ok","completed":"yes"}]`, 422, []string{"/1/title", "/2/title", "/3/completed"}},
		{"a control character", `[{"title":"fine"},{"title":"bell\u0007"}]`, 422, []string{"/1/title"}},
		{"a title too long", []map[string]any{{"title": strings.Repeat("x", 501)}}, 422, []string{"/0/title"}},
		{"export: bad due", doc(map[string]any{"title": "a"}, map[string]any{"title": "b", "due": "tomorrow"}), 422, []string{"/todos/1/due"}},
		{"export: due out of range", doc(map[string]any{"title": "a", "due": "0000-06-01T00:00:00Z"}), 422, []string{"/todos/0/due"}},
		{"export: notes too long", doc(map[string]any{"title": "a", "notes": strings.Repeat("n", 10001)}), 422, []string{"/todos/0/notes"}},
		{"export: another format", map[string]any{"format": "todoist", "version": 1, "todos": []any{}}, 422, []string{"/format"}},
		{"export: another version", map[string]any{"format": "listo-export", "version": 2, "todos": []any{}}, 422, []string{"/version"}},
		{"export: no todos", map[string]any{"format": "listo-export", "version": 1}, 422, []string{"/todos"}},
		{"neither form", `"todos"`, 422, []string{"/"}},
		{"not JSON", `[{"title":`, 400, nil},
		{"10,001 todos", many(10_001, `{"title":"x"}`), 422, []string{"/"}},
		{"10,001 todos in an export", `{"format":"listo-export","version":1,"todos":` + many(10_001, `{"title":"x"}`) + `}`, 422, []string{"/todos"}},
		{"over 5 MiB", `{"format":"listo-export","version":1,"todos":` + many(5<<20/9000+1, `{"title":"x","notes":"`+strings.Repeat("n", 9000)+`"}`) + `}`, 413, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p problemBody
			importTodos(t, alice, tt.body, tt.status).Decode(t, &p)
			if tt.fields != nil && !slices.Equal(p.fields(), tt.fields) {
				t.Errorf("fields = %v; want %v", p.fields(), tt.fields)
			}
			if n := listTodos(t, alice, "?per_page=1").Total; n != 1 {
				t.Errorf("%d todos after a refused import; want 1", n)
			}
		})
	}

	// Many bad todos: the answer lists the first 100 of them.
	var p struct {
		Detail string `json:"detail"`
		Errors []any  `json:"errors"`
	}
	importTodos(t, alice, many(500, `{"title":""}`), http.StatusUnprocessableEntity).Decode(t, &p)
	if len(p.Errors) != 100 || !strings.Contains(p.Detail, "500") {
		t.Errorf("%d errors, detail %q; want the first 100 and the count", len(p.Errors), p.Detail)
	}

	// Up to 5 MiB and 10,000 todos is fine (the other routes keep 1 MiB).
	big := many(10_000, `{"title":"`+strings.Repeat("y", 110)+`"}`)
	if len(big) <= 1<<20 || len(big) > 5<<20 {
		t.Fatalf("the big import has %d bytes", len(big))
	}
	importTodos(t, alice, big, http.StatusOK)
	if n := listTodos(t, alice, "?per_page=1").Total; n != 10_001 {
		t.Errorf("%d todos after importing 10,000; want 10,001", n)
	}
	alice.Do("POST", "/todos", `{"title":"`+strings.Repeat("z", 1<<20)+`"}`).Expect(t, http.StatusRequestEntityTooLarge)
}

func TestImportCap(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"MAX_TODOS_PER_USER": "5"}})
	alice := srv.NewUser(t)
	for i := range 3 {
		createTodo(t, alice, map[string]any{"title": fmt.Sprint("todo ", i)})
	}
	r := importTodos(t, alice, `[{"title":"a"},{"title":"b"},{"title":"c"}]`, http.StatusConflict)
	var p struct {
		Type, Detail string
	}
	r.Decode(t, &p)
	if p.Type != "/problems/limit-reached" || !strings.Contains(p.Detail, "5") {
		t.Errorf("problem = %+v; want limit-reached naming 5", p)
	}
	if n := len(allTodos(t, alice)); n != 3 {
		t.Errorf("%d todos after a refused import; want 3", n)
	}
	importTodos(t, alice, `[{"title":"a"},{"title":"b"}]`, http.StatusOK)
	importTodos(t, alice, `[{"title":"one more"}]`, http.StatusConflict)
}

// TestImportEvent: one import is one todos.changed {reason: import} for
// the user's other devices, not an event per todo.
func TestImportEvent(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: eventsEnv()})
	alice := srv.NewUser(t)
	phone := second(t, srv, alice)
	st := openEvents(t, phone.Client, srv.URL()+"/events")
	st.Position(5 * time.Second)
	importTodos(t, alice, `[{"title":"a"},{"title":"b"},{"title":"c"}]`, http.StatusOK)
	st.Expect(5*time.Second, "todos.changed", `{"reason":"import"}`)
	st.Quiet(300 * time.Millisecond)
	// A refused import tells no one.
	importTodos(t, alice, `[{"title":""}]`, http.StatusUnprocessableEntity)
	st.Quiet(300 * time.Millisecond)
}

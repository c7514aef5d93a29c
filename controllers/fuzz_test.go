package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"

	"listo/auth"
	"listo/httpx"
	"listo/middleware"
	"listo/models"
	"listo/problem"
	"listo/schemas"
)

// decodeTarget is how a handler binds one schema: into which request type,
// and whether an empty body is allowed (bindOptional).
type decodeTarget struct {
	new      func() any
	optional bool
}

// decodeTargets maps every schema in schemas/ to the request type its
// handler decodes into. TestDecodeTargets keeps it complete and true.
func decodeTargets() map[string]decodeTarget {
	return map[string]decodeTarget{
		"auth":             {new: func() any { return new(authRequest) }},
		"auth_mfa":         {new: func() any { return new(authMFARequest) }},
		"auth_passkey":     {new: func() any { return new(authPasskeyRequest) }},
		"current_password": {new: func() any { return new(currentPasswordRequest) }},
		"email_resend":     {new: func() any { return new(emailRequest) }},
		"email_token":      {new: func() any { return new(tokenRequest) }},
		"mfa_token":        {new: func() any { return new(mfaTokenRequest) }},
		"passkey_create":   {new: func() any { return new(passkeyCreateRequest) }},
		"passkey_patch":    {new: func() any { return new(passkeyPatchRequest) }},
		"password_forgot":  {new: func() any { return new(emailRequest) }},
		"password_reset":   {new: func() any { return new(resetRequest) }},
		"refresh":          {new: func() any { return new(refreshRequest) }, optional: true},
		"register":         {new: func() any { return new(registerRequest) }},
		"todo_create":      {new: func() any { return new(todoCreateRequest) }},
		"todo_patch":       {new: func() any { return new(todoPatchRequest) }},
		"todos_patch_all":  {new: func() any { return new(todosPatchAllRequest) }},
		"totp_confirm":     {new: func() any { return new(codeRequest) }},
		"totp_delete":      {new: func() any { return new(totpDeleteRequest) }},
		"user_delete":      {new: func() any { return new(userDeleteRequest) }},
		"user_patch":       {new: func() any { return new(userPatchRequest) }},
		"users_create":     {new: func() any { return new(adminCreateRequest) }},
		"users_patch":      {new: func() any { return new(adminPatchRequest) }},
		"pat_create":       {new: func() any { return new(patCreateRequest) }},
		"todos_import":     {new: func() any { return new(importRequest) }},
	}
}

// binding is what a bind call in a handler names: the request type and
// whether it is bindOptional.
type binding struct {
	Type     string
	Optional bool
}

// handlerBindings reads every bind and bindOptional call in the package's
// handlers: schema name -> the type of the variable it decodes into.
func handlerBindings(t *testing.T) map[string]binding {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	out := map[string]binding{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			vars := map[string]string{} // variable -> type, from "var req T"
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.ValueSpec:
					if id, ok := n.Type.(*ast.Ident); ok {
						for _, v := range n.Names {
							vars[v.Name] = id.Name
						}
					}
				case *ast.CallExpr:
					id, ok := n.Fun.(*ast.Ident)
					if !ok || (id.Name != "bind" && id.Name != "bindOptional") {
						return true
					}
					schema, typ := "", ""
					if len(n.Args) == 4 {
						if lit, ok := n.Args[2].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							schema, _ = strconv.Unquote(lit.Value)
						}
						if u, ok := n.Args[3].(*ast.UnaryExpr); ok && u.Op == token.AND {
							if x, ok := u.X.(*ast.Ident); ok {
								typ = vars[x.Name]
							}
						}
					}
					if schema == "" || typ == "" {
						t.Errorf("%s: %s call this test cannot read: want %s(c, v, \"schema\", &req) with var req T", fset.Position(n.Pos()), id.Name, id.Name)
						return true
					}
					b := binding{Type: typ, Optional: id.Name == "bindOptional"}
					if prev, ok := out[schema]; ok && prev != b {
						t.Errorf("%s: schema %q bound as %+v and as %+v", fset.Position(n.Pos()), schema, prev, b)
					}
					out[schema] = b
				}
				return true
			})
		}
	}
	return out
}

// TestDecodeTargets: FuzzBind covers every schema file, with the type and
// the bind function its handler really uses. A new schema, or a handler
// that changes its request type, fails here until decodeTargets follows.
func TestDecodeTargets(t *testing.T) {
	files, err := filepath.Glob("../schemas/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var schemaNames []string
	for _, f := range files {
		schemaNames = append(schemaNames, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	targets := decodeTargets()
	if diff := cmp.Diff(schemaNames, slices.Sorted(maps.Keys(targets))); diff != "" {
		t.Errorf("schemas in schemas/ (-) and in decodeTargets (+) differ:\n%s", diff)
	}

	want := map[string]binding{}
	for name, tg := range targets {
		want[name] = binding{Type: reflect.TypeOf(tg.new()).Elem().Name(), Optional: tg.optional}
	}
	if diff := cmp.Diff(handlerBindings(t), want); diff != "" {
		t.Errorf("the handlers' bind calls (-) and decodeTargets (+) differ:\n%s", diff)
	}
}

// bodyContext is a gin context for a POST of body, limited to limit bytes
// as middleware.BodyLimit limits it.
func bodyContext(engine *gin.Engine, body string, limit int64) *gin.Context {
	w := httptest.NewRecorder()
	c := gin.CreateTestContextOnly(w, engine)
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Body = http.MaxBytesReader(w, req.Body, limit)
	c.Request = req
	return c
}

// FuzzBind runs every body through every schema's real bind: the body read
// under a limit, the JSON Schema check and the decode into the handler's
// own request type. The answer is a value or a 400/413/415/422 problem;
// any other error would reach the client as a 500. A body over the limit
// is always 413 and one within it never is. A due date that passes the
// schema but not the handler's parser is a 422 on /due.
func FuzzBind(f *testing.F) {
	gin.SetMode(gin.TestMode)
	v, err := schemas.New()
	if err != nil {
		f.Fatal(err)
	}
	targets := decodeTargets()
	names := slices.Sorted(maps.Keys(targets))
	engine := gin.New()
	f.Fuzz(func(t *testing.T, body string, limit uint16) {
		for _, name := range names {
			tg := targets[name]
			dst := tg.new()
			bindFn := bind
			if tg.optional {
				bindFn = bindOptional
			}
			err := bindFn(bodyContext(engine, body, int64(limit)), v, name, dst)
			var p *problem.Problem
			if err != nil && (!errors.As(err, &p) || !slices.Contains([]int{400, 413, 415, 422}, p.Status)) {
				t.Fatalf("bind(%s, %q) = %v; want nil or a 400/413/415/422 problem", name, body, err)
			}
			if tooBig := len(body) > int(limit); tooBig != (p != nil && p.Status == 413) {
				t.Fatalf("bind(%s, %d bytes) with a limit of %d = %v", name, len(body), limit, err)
			}
			if err != nil {
				continue
			}
			var due *string
			switch req := dst.(type) {
			case *todoCreateRequest:
				due = req.Due
			case *todoPatchRequest:
				due = req.Due.Value
			}
			if _, err := parseDue(due); err != nil {
				var dp *problem.Problem
				if !errors.As(err, &dp) || dp.Status != 422 || len(dp.Errors) != 1 || dp.Errors[0].Field != "/due" {
					t.Fatalf("bind(%s, %q) passed, then parseDue = %v; want nil or a 422 on /due", name, body, err)
				}
			}
		}
	})
}

// FuzzIfMatch: whatever If-Match lines a request carries (the input split
// on newlines), ifMatch never panics; it sets no condition only for no
// header or a lone "*"; and the versions it allows are exactly the ones
// named by a strong tag, a quoted positive number, that the header holds
// as one of its comma-separated elements: a weak tag or a malformed one
// allows nothing.
func FuzzIfMatch(f *testing.F) {
	f.Fuzz(func(t *testing.T, header string) {
		r := &http.Request{Header: http.Header{}}
		var lines []string
		if header != "" {
			lines = strings.Split(header, "\n")
		}
		for _, l := range lines {
			r.Header.Add("If-Match", l)
		}
		p := ifMatch(r)

		star := len(lines) == 1 && strings.TrimSpace(lines[0]) == "*"
		if p.Required() == (len(lines) == 0 || star) {
			t.Fatalf("ifMatch(%q).Required() = %t", lines, p.Required())
		}
		named := map[int]bool{}
		for _, l := range lines {
			for el := range strings.SplitSeq(l, ",") {
				el = strings.TrimSpace(el)
				if len(el) < 3 || el[0] != '"' || el[len(el)-1] != '"' {
					continue
				}
				// Only Listo's own spelling of a version names it: etag(v).
				if v, err := strconv.Atoi(el[1 : len(el)-1]); err == nil && v > 0 && etag(v) == el {
					named[v] = true
				}
			}
		}
		for _, v := range p.Versions() {
			if !named[v] {
				t.Errorf("ifMatch(%q) allows version %d, which no strong tag in it names", lines, v)
			}
		}
		if !p.Required() {
			return
		}
		for v := range named {
			if !p.Allows(v) {
				t.Errorf("ifMatch(%q) refuses version %d, which the tag %s names", lines, v, etag(v))
			}
		}
	})
}

// queryEngine runs h behind Problems, for a caller who is signed in.
func queryEngine(path string, h Handler) *gin.Engine {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(middleware.Problems(slog.New(slog.DiscardHandler)), func(c *gin.Context) {
		httpx.SetPrincipal(c, auth.Principal{User: models.User{ID: "u1", Role: models.RoleAdmin}, SessionID: "s1"})
	})
	r.GET(path, H(h))
	return r
}

// getQuery sends GET path?raw, the raw query as the client sent it.
func getQuery(r *gin.Engine, path, raw string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.URL.RawQuery = raw
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// checkQueryProblem checks a 422 from a list query: a validation problem
// naming only the given parameters.
func checkQueryProblem(t *testing.T, raw string, w *httptest.ResponseRecorder, params ...string) {
	t.Helper()
	var p problem.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("?%s: 422 body %q: %v", raw, w.Body, err)
	}
	if p.Type != "/problems/validation" || len(p.Errors) == 0 {
		t.Fatalf("?%s: 422 = %+v; want a validation problem naming the parameters", raw, p)
	}
	for _, e := range p.Errors {
		if !slices.Contains(params, e.Field) || e.Message == "" {
			t.Errorf("?%s: 422 names %+v; want one of %v with a message", raw, e, params)
		}
	}
}

// checkSearch checks a ?q= the handler passed on: trimmed, at most 200
// characters, valid UTF-8 without control characters (a tab aside), which
// the store could not search for (a NUL or invalid UTF-8 was a 500).
func checkSearch(t *testing.T, raw, q string) {
	t.Helper()
	control := func(r rune) bool { return r != '\t' && unicode.IsControl(r) }
	if q != strings.TrimSpace(q) || utf8.RuneCountInString(q) > 200 || !utf8.ValidString(q) || strings.ContainsFunc(q, control) {
		t.Errorf("?%s: q = %q reached the store; want it trimmed, at most 200 characters, UTF-8 text without controls, or a 422", raw, q)
	}
}

// listTodosOnly is a TodoStore that only lists, recording the query.
type listTodosOnly struct {
	TodoStore
	got *models.TodoQuery
}

func (s *listTodosOnly) ListTodos(_ context.Context, _ string, q models.TodoQuery) (models.Page[models.Todo], error) {
	s.got = &q
	return models.Page[models.Todo]{Items: []models.Todo{}, Page: q.Page, PerPage: q.PerPage}, nil
}

// FuzzTodoListQuery sends any raw query to GET /todos through the real
// handler: the answer is 200 with a query the store can run, or a 422
// naming the bad parameters; never a panic or a 500.
func FuzzTodoListQuery(f *testing.F) {
	st := &listTodosOnly{}
	h := &Todos{Store: st, Now: time.Now, Log: slog.New(slog.DiscardHandler)}
	r := queryEngine("/todos", h.List)
	f.Fuzz(func(t *testing.T, raw string) {
		st.got = nil
		w := getQuery(r, "/todos", raw)
		switch w.Code {
		case http.StatusUnprocessableEntity:
			if st.got != nil {
				t.Errorf("?%s: 422, but the store was asked", raw)
			}
			checkQueryProblem(t, raw, w, "page", "per_page", "completed", "q", "due_before", "sort")
			return
		case http.StatusOK:
		default:
			t.Fatalf("GET /todos?%s = %d %s; want 200 or 422", raw, w.Code, w.Body)
		}
		q := st.got
		if q == nil {
			t.Fatalf("?%s: 200, but the store was not asked", raw)
		}
		vals, _ := url.ParseQuery(raw)
		if q.Page < 1 || q.Page > 1_000_000 || q.PerPage < 1 || q.PerPage > models.MaxPerPage {
			t.Errorf("?%s: page %d, per_page %d reached the store", raw, q.Page, q.PerPage)
		}
		if !vals.Has("page") && q.Page != 1 || !vals.Has("per_page") && q.PerPage != models.DefaultPerPage {
			t.Errorf("?%s: page %d, per_page %d; want the defaults 1, %d", raw, q.Page, q.PerPage, models.DefaultPerPage)
		}
		want := models.TodoSortOrder
		if vals.Has("sort") {
			want = vals.Get("sort")
		}
		if q.Sort != want || !slices.Contains(models.TodoSorts(), q.Sort) {
			t.Errorf("?%s: sort %q reached the store; want %q", raw, q.Sort, want)
		}
		if (q.Completed != nil) != vals.Has("completed") || q.Completed != nil && strconv.FormatBool(*q.Completed) != vals.Get("completed") {
			t.Errorf("?%s: completed %v reached the store", raw, q.Completed)
		}
		if (q.DueBefore != nil) != vals.Has("due_before") {
			t.Errorf("?%s: due_before %v reached the store", raw, q.DueBefore)
		}
		checkSearch(t, raw, q.Q)
	})
}

// listUsersOnly is a UserReader that only lists, recording the query.
type listUsersOnly struct {
	UserReader
	got *models.UserQuery
}

func (s *listUsersOnly) ListUsers(_ context.Context, q models.UserQuery) (models.Page[models.User], error) {
	s.got = &q
	return models.Page[models.User]{Items: []models.User{}, Page: q.Page, PerPage: q.PerPage}, nil
}

// FuzzUserListQuery is FuzzTodoListQuery for the admin's GET /users.
func FuzzUserListQuery(f *testing.F) {
	st := &listUsersOnly{}
	h := &UsersAdmin{Users: st}
	r := queryEngine("/users", h.List)
	f.Fuzz(func(t *testing.T, raw string) {
		st.got = nil
		w := getQuery(r, "/users", raw)
		switch w.Code {
		case http.StatusUnprocessableEntity:
			if st.got != nil {
				t.Errorf("?%s: 422, but the store was asked", raw)
			}
			checkQueryProblem(t, raw, w, "page", "per_page", "q")
			return
		case http.StatusOK:
		default:
			t.Fatalf("GET /users?%s = %d %s; want 200 or 422", raw, w.Code, w.Body)
		}
		q := st.got
		if q == nil {
			t.Fatalf("?%s: 200, but the store was not asked", raw)
		}
		if q.Page < 1 || q.Page > 1_000_000 || q.PerPage < 1 || q.PerPage > models.MaxPerPage {
			t.Errorf("?%s: page %d, per_page %d reached the store", raw, q.Page, q.PerPage)
		}
		checkSearch(t, raw, q.Q)
	})
}

package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"listo/apptest"
	"listo/apptest/softauthn"
	"listo/mailtest"
	"listo/models"
)

// contract sends real requests to a real server and checks every answer
// against the document the server serves.
type contract struct {
	srv  *apptest.Server
	smtp *mailtest.Server
	doc  *openapi3.T
	// succeeded records the operations answered with a 2xx at least once;
	// seen, every status of every operation.
	succeeded map[string]bool
	seen      map[string]map[int]bool
}

// request is one request of a step; as nil is an anonymous client.
type request struct {
	as      *apptest.Client
	path    string
	body    any
	headers []string
}

// step is one row of the contract table: a request to an operation and
// the status it must get.
type step struct {
	name   string
	op     string // "PATCH /todos/{id}", as the document writes it
	status int
	req    func(t *testing.T) request
	// then, when set, reads what later steps need from the answer.
	then func(t *testing.T, r *apptest.Response)
	// upTo > 0 repeats the request until it gets status, at most upTo
	// times (exhausting a rate limit); every answer is checked.
	upTo int
}

// strict makes the response schemas refuse members the document does not
// name: the document may let clients expect more members in the future,
// but the server must not send any it does not document.
func strict(doc *openapi3.T) {
	no := false
	for name, ref := range doc.Components.Schemas {
		s := ref.Value
		if name == "OpenAPI" || s == nil || s.Type == nil || !s.Type.Is("object") || len(s.Properties) == 0 {
			continue
		}
		if s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
			s.AdditionalProperties.Has = &no
		}
	}
}

func newContract(t *testing.T, env map[string]string) *contract {
	t.Helper()
	smtp := mailtest.NewServer(t, mailtest.Options{})
	e := map[string]string{"SMTP_URL": smtp.URL()}
	for k, v := range env {
		e[k] = v
	}
	srv := apptest.Start(t, apptest.Options{Env: e, Clock: apptest.NewClock(time.Now())})
	doc, _ := served(t, srv)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the served document is not valid: %v", err)
	}
	strict(doc)
	return &contract{srv: srv, smtp: smtp, doc: doc, succeeded: map[string]bool{}, seen: map[string]map[int]bool{}}
}

// route finds the document's operation of key and the path parameters of
// path, which must match its template.
func (k *contract) route(t *testing.T, key, path string) (*routers.Route, map[string]string) {
	t.Helper()
	method, tmpl, _ := strings.Cut(key, " ")
	item := k.doc.Paths.Find(tmpl)
	if item == nil || item.GetOperation(method) == nil {
		t.Fatalf("the document has no operation %s", key)
	}
	path, _, _ = strings.Cut(path, "?")
	want, got := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(want) != len(got) {
		t.Fatalf("path %s does not match %s", path, tmpl)
	}
	params := map[string]string{}
	for i, w := range want {
		if strings.HasPrefix(w, "{") {
			params[strings.Trim(w, "{}")] = got[i]
		} else if w != got[i] {
			t.Fatalf("path %s does not match %s", path, tmpl)
		}
	}
	return &routers.Route{Spec: k.doc, Path: tmpl, PathItem: item, Method: method, Operation: item.GetOperation(method)}, params
}

// call sends the request to the operation and checks the answer against
// the document: a documented status, the headers it requires, a body of
// the documented media type and schema, and no body where none is
// documented. A request the server accepts is checked too.
func (k *contract) call(t *testing.T, op string, r request) *apptest.Response {
	t.Helper()
	route, params := k.route(t, op, r.path)
	c := r.as
	if c == nil {
		c = k.srv.Client()
	}
	resp := c.Do(route.Method, r.path, r.body, r.headers...)
	if k.seen[op] == nil {
		k.seen[op] = map[int]bool{}
	}
	k.seen[op][resp.Status] = true
	if resp.Status >= 200 && resp.Status < 300 {
		k.succeeded[op] = true
	}

	req := k.rebuild(t, c, route.Method, r)
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true, IncludeResponseStatus: true, MultiError: true},
	}
	ctx := context.Background()
	if resp.Status < 400 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s %s: the request the server accepted does not match the document: %v", route.Method, r.path, err)
		}
	}
	documented := route.Operation.Responses.Status(resp.Status)
	if documented == nil {
		t.Errorf("%s %s = %d, which %s does not document; body %.300s", route.Method, r.path, resp.Status, op, resp.Body)
		return resp
	}
	if len(documented.Value.Content) == 0 && len(resp.Body) > 0 {
		t.Errorf("%s %s = %d with a body, where the document has none: %.300s", route.Method, r.path, resp.Status, resp.Body)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.Status, Header: resp.Header, Options: in.Options}
	out.SetBodyBytes(resp.Body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s %s = %d does not match the document: %v\nheaders: %v\nbody: %.600s", route.Method, r.path, resp.Status, err, resp.Header, resp.Body)
	}
	return resp
}

// rebuild makes the http.Request the client sent, for request validation.
func (k *contract) rebuild(t *testing.T, c *apptest.Client, method string, r request) *http.Request {
	t.Helper()
	var body []byte
	switch b := r.body.(type) {
	case nil:
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, k.srv.URL()+r.path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for h, v := range c.Header {
		req.Header.Set(h, v)
	}
	for i := 0; i+1 < len(r.headers); i += 2 {
		req.Header.Set(r.headers[i], r.headers[i+1])
	}
	if c.HTTP.Jar != nil {
		for _, ck := range c.HTTP.Jar.Cookies(req.URL) {
			req.AddCookie(ck)
		}
	}
	return req
}

var linkToken = regexp.MustCompile(`#/([a-z-]+)\?token=([A-Za-z0-9_-]{43})`)

// link waits for the mail to `to` whose link opens screen and returns its
// token; other mails to `to` on the way (notices) are skipped.
func (k *contract) link(t *testing.T, to, screen string) string {
	t.Helper()
	for range 5 {
		m := k.smtp.WaitFor(t, to, 10*time.Second)
		if match := linkToken.FindStringSubmatch(m.Text); match != nil && match[1] == screen {
			return match[2]
		}
	}
	t.Fatalf("no %s link mailed to %s", screen, to)
	return ""
}

// user is a verified, logged-in user of the contract test.
type user struct {
	*apptest.Client
	id, email, password, sessionID, refresh string
}

// newUser registers, verifies and logs in a user, through the checked
// operations.
func (k *contract) newUser(t *testing.T, name string) *user {
	t.Helper()
	u := &user{email: name + "@example.com", password: "a long passphrase for " + name}
	k.call(t, "POST /register", request{path: "/register", body: map[string]any{"email": u.email, "password": u.password, "name": name}}).Expect(t, http.StatusCreated)
	tok := k.link(t, u.email, "verify-email")
	k.call(t, "POST /email/verify", request{path: "/email/verify", body: map[string]any{"token": tok}}).Expect(t, http.StatusOK)
	k.login(t, u)
	return u
}

// login starts a new session of u on a new client.
func (k *contract) login(t *testing.T, u *user) {
	t.Helper()
	var g struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		SessionID    string `json:"session_id"`
		User         struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	k.call(t, "POST /auth", request{path: "/auth", body: map[string]any{"email": u.email, "password": u.password, "device": "contract test"}}).Expect(t, http.StatusOK).Decode(t, &g)
	u.Client = k.srv.Client()
	u.Token, u.id, u.sessionID, u.refresh = g.AccessToken, g.User.ID, g.SessionID, g.RefreshToken
}

func (k *contract) run(t *testing.T, steps []step) {
	t.Helper()
	for i, s := range steps {
		t.Run(fmt.Sprintf("%02d %s %s", i, s.op, s.name), func(t *testing.T) {
			r := s.req(t)
			n := max(s.upTo, 1)
			var resp *apptest.Response
			for range n {
				if resp = k.call(t, s.op, r); resp.Status == s.status {
					break
				}
			}
			if resp.Status != s.status {
				t.Fatalf("%s %s = %d; want %d; body %.300s", s.op, r.path, resp.Status, s.status, resp.Body)
			}
			if s.then != nil {
				s.then(t, resp)
			}
		})
	}
}

// TestContract sends real requests for every operation, with its success
// and its common failures, and checks every answer against the document:
// the document cannot drift from what the server does.
func TestContract(t *testing.T) {
	k := newContract(t, map[string]string{
		"REQUIRE_VERIFIED_EMAIL":      "true",
		"MAX_TODOS_PER_USER":          "3",
		"NOTIFY_NEW_DEVICE":           "false",
		"RATE_TODO_WRITES_PER_SECOND": "1", // the clock stands still: a budget of 30 writes per user
		"RATE_TODO_WRITES_BURST":      "30",
		"RATE_AUTH_PER_MINUTE":        "0",
		"RATE_REGISTER_PER_MINUTE":    "20",
		"RATE_REFRESH_PER_MINUTE":     "40",
		"RATE_FORGOT_PER_HOUR":        "4",
	})

	t.Run("the check refuses undocumented members", func(t *testing.T) {
		route, _ := k.route(t, "GET /user", "/user")
		req, _ := http.NewRequest("GET", k.srv.URL()+"/user", nil)
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route},
			Status:                 200, Header: http.Header{"Content-Type": {"application/json"}},
		}
		in.SetBodyBytes([]byte(`{"id":"1","email":"a@example.com","name":"","role":"user","email_verified":true,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","password_hash":"x"}`))
		if err := openapi3filter.ValidateResponse(context.Background(), in); err == nil {
			t.Fatal("a user with an undocumented member passed the check")
		}
	})

	alice := k.newUser(t, "alice")
	bob := k.newUser(t, "bob")
	carol := k.newUser(t, "carol")
	erin := k.newUser(t, "erin")
	dave := k.newUser(t, "dave")
	root := k.newUser(t, "root")
	frank := k.newUser(t, "frank")
	gina := k.newUser(t, "gina")
	role := models.RoleAdmin
	if _, err := k.srv.Store().UpdateUser(context.Background(), root.id, models.UserPatch{Role: &role}, time.Now()); err != nil {
		t.Fatal(err)
	}
	alice2 := &user{email: alice.email, password: alice.password}
	k.login(t, alice2)
	browser := k.srv.Client() // cookie mode
	var csrf string
	var todoID, etag, madeID, pageETag, docETag, resetToken, changeToken string
	as := func(u *user, path string, body any, headers ...string) func(*testing.T) request {
		return func(*testing.T) request { return request{as: u.Client, path: path, body: body, headers: headers} }
	}
	anon := func(path string, body any, headers ...string) func(*testing.T) request {
		return func(*testing.T) request { return request{path: path, body: body, headers: headers} }
	}
	withCSRF := func(path string, body any) func(*testing.T) request {
		return func(*testing.T) request {
			return request{as: browser, path: path, body: body, headers: []string{"X-CSRF-Token", csrf}}
		}
	}
	todo := func(u *user, method string, extra ...string) func(*testing.T) request {
		return func(*testing.T) request {
			var body any
			if method == "PATCH" {
				body = map[string]any{"completed": true, "due": nil}
			}
			return request{as: u.Client, path: "/todos/" + todoID, body: body, headers: extra}
		}
	}
	ulla := "ulla@example.com"
	script := k.srv.Client() // with bob's personal access token
	var patID string
	withPAT := func(path string, body any) func(*testing.T) request {
		return func(*testing.T) request { return request{as: script, path: path, body: body} }
	}
	_, port, _ := strings.Cut(strings.TrimPrefix(k.srv.URL(), "http://"), ":")
	authenticator := softauthn.New("http://localhost:" + port)
	var creationOptions, requestOptions []byte
	var passkeyID, challengeID, ginaToken string
	var assertion json.RawMessage
	keepOptions := func(dst *[]byte) func(*testing.T, *apptest.Response) {
		return func(t *testing.T, r *apptest.Response) { *dst = r.Body }
	}
	getAssertion := func(t *testing.T, options []byte) json.RawMessage {
		b, err := authenticator.Get(options, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var totpSecret, mfaToken string
	var frankCodes []string
	codes := func(t *testing.T, r *apptest.Response) {
		var rc struct {
			RecoveryCodes []string `json:"recovery_codes"`
		}
		r.Decode(t, &rc)
		frankCodes = rc.RecoveryCodes
	}
	// totpCode is frank's app's code now, or (wrong) one that is none
	// of the codes the server accepts now.
	totpCode := func(t *testing.T, wrong bool) string {
		opts := totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
		near := map[string]bool{}
		for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
			c, err := totp.GenerateCodeCustom(totpSecret, k.srv.Clock.Now().Add(d), opts)
			if err != nil {
				t.Fatal(err)
			}
			near[c] = true
			if !wrong && d == 0 {
				return c
			}
		}
		for i := 0; ; i++ {
			if c := fmt.Sprintf("%06d", i); !near[c] {
				return c
			}
		}
	}
	big := `{"email":"a@example.com","password":"` + strings.Repeat("x", 2<<20) + `"}`

	k.run(t, []step{
		// Health and the web app.
		{name: "alive", op: "GET /healthz", status: 200, req: anon("/healthz", nil)},
		{name: "ready", op: "GET /readyz", status: 200, req: anon("/readyz", nil)},
		{name: "app", op: "GET /", status: 200, req: anon("/", nil), then: func(t *testing.T, r *apptest.Response) { pageETag = r.Header.Get("ETag") }},
		{name: "app unchanged", op: "GET /", status: 304, req: func(*testing.T) request { return request{path: "/", headers: []string{"If-None-Match", pageETag}} }},
		{name: "app headers", op: "HEAD /", status: 200, req: anon("/", nil)},
		{name: "index", op: "GET /index.html", status: 200, req: anon("/index.html", nil)},
		{name: "asset", op: "GET /assets/{path}", status: 200, req: anon("/assets/app.css", nil)},
		{name: "asset headers", op: "HEAD /assets/{path}", status: 200, req: anon("/assets/app.css", nil)},
		{name: "no such asset", op: "GET /assets/{path}", status: 404, req: anon("/assets/nope.css", nil)},
		{name: "no such asset, for a browser", op: "GET /assets/{path}", status: 404, req: anon("/assets/nope.css", nil, "Accept", "text/html")},
		{name: "no such asset, headers", op: "HEAD /assets/{path}", status: 404, req: anon("/assets/nope.css", nil)},
		{name: "document", op: "GET /openapi.json", status: 200, req: anon("/openapi.json", nil), then: func(t *testing.T, r *apptest.Response) { docETag = r.Header.Get("ETag") }},
		{name: "document unchanged", op: "GET /openapi.json", status: 304, req: func(*testing.T) request {
			return request{path: "/openapi.json", headers: []string{"If-None-Match", docETag}}
		}},
		{name: "reference", op: "GET /docs", status: 200, req: anon("/docs", nil)},

		// Sign-up and login.
		{name: "email taken", op: "POST /register", status: 409, req: anon("/register", map[string]any{"email": "ALICE@example.com", "password": "another long passphrase"})},
		{name: "weak password", op: "POST /register", status: 422, req: anon("/register", map[string]any{"email": "weak@example.com", "password": "password"})},
		{name: "malformed JSON", op: "POST /register", status: 400, req: anon("/register", `{"email":`)},
		{name: "not JSON", op: "POST /register", status: 415, req: anon("/register", `email=a`, "Content-Type", "application/x-www-form-urlencoded")},
		{name: "too large", op: "POST /register", status: 413, req: anon("/register", big)},
		{name: "unverified", op: "POST /register", status: 201, req: anon("/register", map[string]any{"email": ulla, "password": "ulla's long passphrase"})},
		{name: "unverified", op: "POST /auth", status: 403, req: anon("/auth", map[string]any{"email": ulla, "password": "ulla's long passphrase"}),
			then: func(t *testing.T, r *apptest.Response) { expectType(t, r, "/problems/email-unverified") }},
		{name: "resend", op: "POST /email/verify/resend", status: 202, req: anon("/email/verify/resend", map[string]any{"email": ulla})},
		{name: "wrong password", op: "POST /auth", status: 401, req: anon("/auth", map[string]any{"email": alice.email, "password": "not the password"})},
		{name: "cookie mode", op: "POST /auth", status: 200, req: func(*testing.T) request {
			return request{as: browser, path: "/auth", body: map[string]any{"email": bob.email, "password": bob.password, "cookie": true}}
		}, then: func(t *testing.T, r *apptest.Response) { csrf, _ = r.JSON(t)["csrf_token"].(string) }},
		{name: "cookie mode", op: "GET /user", status: 200, req: func(*testing.T) request { return request{as: browser, path: "/user"} }},
		{name: "cookie mode without CSRF", op: "PATCH /user", status: 403, req: func(*testing.T) request {
			return request{as: browser, path: "/user", body: map[string]any{"name": "Bob"}}
		}},
		{name: "cookie mode", op: "PATCH /user", status: 200, req: withCSRF("/user", map[string]any{"name": "Bob"})},
		{name: "cookie without CSRF", op: "POST /refresh", status: 403, req: func(*testing.T) request { return request{as: browser, path: "/refresh"} }},
		{name: "cookie", op: "POST /refresh", status: 200, req: withCSRF("/refresh", nil)},
		{name: "body", op: "POST /refresh", status: 200, req: func(*testing.T) request {
			return request{path: "/refresh", body: map[string]any{"refresh_token": carol.refresh}}
		}},
		{name: "reused", op: "POST /refresh", status: 401, req: func(*testing.T) request {
			return request{path: "/refresh", body: map[string]any{"refresh_token": carol.refresh}}
		}},

		// The mailed links.
		{name: "used link", op: "POST /email/verify", status: 400, req: anon("/email/verify", map[string]any{"token": strings.Repeat("A", 43)}),
			then: func(t *testing.T, r *apptest.Response) { expectType(t, r, "/problems/invalid-token") }},
		{name: "forgot", op: "POST /password/forgot", status: 202, req: anon("/password/forgot", map[string]any{"email": carol.email})},
		{name: "weak password", op: "POST /password/reset", status: 422, req: func(t *testing.T) request {
			resetToken = k.link(t, carol.email, "reset-password")
			return request{path: "/password/reset", body: map[string]any{"token": resetToken, "password": "password"}}
		}},
		{name: "reset", op: "POST /password/reset", status: 204, req: func(*testing.T) request {
			return request{path: "/password/reset", body: map[string]any{"token": resetToken, "password": "carol's brand new passphrase"}}
		}},
		{name: "used link", op: "POST /password/reset", status: 400, req: func(*testing.T) request {
			return request{path: "/password/reset", body: map[string]any{"token": resetToken, "password": "carol's other passphrase"}}
		}},

		// The account.
		{name: "", op: "GET /user", status: 200, req: as(alice, "/user", nil)},
		{name: "no token", op: "GET /user", status: 401, req: anon("/user", nil)},
		{name: "name", op: "PATCH /user", status: 200, req: as(alice, "/user", map[string]any{"name": "Alice"})},
		{name: "email without password", op: "PATCH /user", status: 422, req: as(bob, "/user", map[string]any{"email": "robert@example.com"})},
		{name: "wrong current password", op: "PATCH /user", status: 403, req: as(bob, "/user", map[string]any{"email": "robert@example.com", "current_password": "nope"})},
		{name: "email taken", op: "PATCH /user", status: 409, req: as(bob, "/user", map[string]any{"email": alice.email, "current_password": bob.password})},
		{name: "email change", op: "PATCH /user", status: 200, req: as(bob, "/user", map[string]any{"email": "robert@example.com", "current_password": bob.password})},
		{name: "confirm", op: "POST /email/change/confirm", status: 200, req: func(t *testing.T) request {
			changeToken = k.link(t, "robert@example.com", "confirm-email")
			return request{path: "/email/change/confirm", body: map[string]any{"token": changeToken}}
		}},
		{name: "used link", op: "POST /email/change/confirm", status: 400, req: func(*testing.T) request {
			return request{path: "/email/change/confirm", body: map[string]any{"token": changeToken}}
		}},
		{name: "", op: "GET /user/sessions", status: 200, req: as(alice, "/user/sessions", nil), then: func(t *testing.T, r *apptest.Response) {
			if n := len(r.JSON(t)["items"].([]any)); n != 2 {
				t.Errorf("alice has %d sessions; want 2", n)
			}
		}},
		{name: "", op: "DELETE /user/sessions/{id}", status: 204, req: func(*testing.T) request {
			return request{as: alice.Client, path: "/user/sessions/" + alice2.sessionID}
		}},
		{name: "unknown", op: "DELETE /user/sessions/{id}", status: 404, req: func(*testing.T) request {
			return request{as: alice.Client, path: "/user/sessions/" + alice2.sessionID}
		}},
		{name: "ended session", op: "GET /user", status: 401, req: as(alice2, "/user", nil)},
		// Second factors: an authenticator app, then a login with it.
		{name: "wrong password", op: "POST /user/mfa/totp", status: 403, req: as(frank, "/user/mfa/totp", map[string]any{"current_password": "nope"})},
		{name: "", op: "POST /user/mfa/totp", status: 200, req: as(frank, "/user/mfa/totp", map[string]any{"current_password": frank.password}),
			then: func(t *testing.T, r *apptest.Response) { totpSecret, _ = r.JSON(t)["secret"].(string) }},
		{name: "wrong code", op: "POST /user/mfa/totp/confirm", status: 422, req: func(t *testing.T) request {
			return request{as: frank.Client, path: "/user/mfa/totp/confirm", body: map[string]any{"code": totpCode(t, true)}}
		}},
		{name: "", op: "POST /user/mfa/totp/confirm", status: 200, req: func(t *testing.T) request {
			return request{as: frank.Client, path: "/user/mfa/totp/confirm", body: map[string]any{"code": totpCode(t, false)}}
		}, then: codes},
		{name: "nothing pending", op: "POST /user/mfa/totp/confirm", status: 409, req: func(t *testing.T) request {
			return request{as: frank.Client, path: "/user/mfa/totp/confirm", body: map[string]any{"code": totpCode(t, false)}}
		}},
		{name: "already on", op: "POST /user/mfa/totp", status: 409, req: as(frank, "/user/mfa/totp", map[string]any{"current_password": frank.password})},
		{name: "with factors", op: "GET /user", status: 200, req: as(frank, "/user", nil)},
		{name: "second step needed", op: "POST /auth", status: 200, req: anon("/auth", map[string]any{"email": frank.email, "password": frank.password}),
			then: func(t *testing.T, r *apptest.Response) { mfaToken, _ = r.JSON(t)["mfa_token"].(string) }},
		{name: "wrong code", op: "POST /auth/mfa", status: 401, req: func(t *testing.T) request {
			return request{path: "/auth/mfa", body: map[string]any{"mfa_token": mfaToken, "code": totpCode(t, true)}}
		}},
		{name: "two answers", op: "POST /auth/mfa", status: 422, req: func(t *testing.T) request {
			return request{path: "/auth/mfa", body: map[string]any{"mfa_token": mfaToken, "code": "123456", "recovery_code": "AAAAA-AAAAA"}}
		}},
		{name: "recovery code", op: "POST /auth/mfa", status: 200, req: func(t *testing.T) request {
			return request{path: "/auth/mfa", body: map[string]any{"mfa_token": mfaToken, "recovery_code": frankCodes[0]}}
		}},
		{name: "used token", op: "POST /auth/mfa", status: 401, req: func(t *testing.T) request {
			return request{path: "/auth/mfa", body: map[string]any{"mfa_token": mfaToken, "recovery_code": frankCodes[1]}}
		}, then: func(t *testing.T, r *apptest.Response) { expectType(t, r, "/problems/mfa-token-invalid") }},
		{name: "no second factor", op: "POST /user/mfa/recovery-codes", status: 409, req: as(bob, "/user/mfa/recovery-codes", map[string]any{"current_password": bob.password})},
		{name: "", op: "POST /user/mfa/recovery-codes", status: 200, req: as(frank, "/user/mfa/recovery-codes", map[string]any{"current_password": frank.password}), then: codes},
		{name: "wrong code", op: "DELETE /user/mfa/totp", status: 403, req: as(frank, "/user/mfa/totp", map[string]any{"current_password": frank.password, "code": "AAAAA-AAAAA"})},
		{name: "", op: "DELETE /user/mfa/totp", status: 204, req: func(*testing.T) request {
			return request{as: frank.Client, path: "/user/mfa/totp", body: map[string]any{"current_password": frank.password, "code": frankCodes[0]}}
		}},
		{name: "not on", op: "DELETE /user/mfa/totp", status: 409, req: as(frank, "/user/mfa/totp", map[string]any{"current_password": frank.password, "code": "123456"})},

		// Passkeys: add one, log in with it alone and as a second step.
		{name: "", op: "POST /user/passkeys/options", status: 200, req: as(gina, "/user/passkeys/options", nil), then: keepOptions(&creationOptions)},
		{name: "not a credential", op: "POST /user/passkeys", status: 422, req: as(gina, "/user/passkeys", map[string]any{"name": "Laptop", "credential": map[string]any{"id": "x"}})},
		{name: "", op: "POST /user/passkeys", status: 201, req: func(t *testing.T) request {
			cred, _, err := authenticator.Create(creationOptions)
			if err != nil {
				t.Fatal(err)
			}
			return request{as: gina.Client, path: "/user/passkeys", body: map[string]any{"name": "Laptop", "credential": json.RawMessage(cred)}}
		}, then: func(t *testing.T, r *apptest.Response) { passkeyID, _ = r.JSON(t)["id"].(string) }},
		{name: "", op: "GET /user/passkeys", status: 200, req: as(gina, "/user/passkeys", nil)},
		{name: "", op: "PATCH /user/passkeys/{id}", status: 200, req: func(*testing.T) request {
			return request{as: gina.Client, path: "/user/passkeys/" + passkeyID, body: map[string]any{"name": "Work laptop"}}
		}},
		{name: "unknown", op: "PATCH /user/passkeys/{id}", status: 404, req: as(gina, "/user/passkeys/nope", map[string]any{"name": "x"})},
		{name: "", op: "POST /auth/passkey/options", status: 200, req: anon("/auth/passkey/options", nil), then: func(t *testing.T, r *apptest.Response) {
			var o struct {
				ChallengeID string          `json:"challenge_id"`
				PublicKey   json.RawMessage `json:"publicKey"`
			}
			r.Decode(t, &o)
			challengeID, requestOptions = o.ChallengeID, []byte(`{"publicKey":`+string(o.PublicKey)+`}`)
		}},
		{name: "", op: "POST /auth/passkey", status: 200, req: func(t *testing.T) request {
			assertion = getAssertion(t, requestOptions)
			return request{path: "/auth/passkey", body: map[string]any{"challenge_id": challengeID, "credential": assertion, "device": "Laptop"}}
		}},
		{name: "replayed", op: "POST /auth/passkey", status: 401, req: func(*testing.T) request {
			return request{path: "/auth/passkey", body: map[string]any{"challenge_id": challengeID, "credential": assertion}}
		}},
		{name: "not an assertion", op: "POST /auth/passkey", status: 422, req: anon("/auth/passkey", map[string]any{"challenge_id": "x", "credential": map[string]any{"id": "x"}})},
		{name: "passkey as second step", op: "POST /auth", status: 200, req: anon("/auth", map[string]any{"email": gina.email, "password": gina.password}),
			then: func(t *testing.T, r *apptest.Response) { ginaToken, _ = r.JSON(t)["mfa_token"].(string) }},
		{name: "unknown token", op: "POST /auth/mfa/passkey/options", status: 401, req: anon("/auth/mfa/passkey/options", map[string]any{"mfa_token": "nope"})},
		{name: "", op: "POST /auth/mfa/passkey/options", status: 200, req: func(*testing.T) request {
			return request{path: "/auth/mfa/passkey/options", body: map[string]any{"mfa_token": ginaToken}}
		}, then: keepOptions(&requestOptions)},
		{name: "passkey", op: "POST /auth/mfa", status: 200, req: func(t *testing.T) request {
			return request{path: "/auth/mfa", body: map[string]any{"mfa_token": ginaToken, "credential": getAssertion(t, requestOptions)}}
		}},
		{name: "wrong password", op: "DELETE /user/passkeys/{id}", status: 403, req: func(*testing.T) request {
			return request{as: gina.Client, path: "/user/passkeys/" + passkeyID, body: map[string]any{"current_password": "nope"}}
		}},
		{name: "", op: "DELETE /user/passkeys/{id}", status: 204, req: func(*testing.T) request {
			return request{as: gina.Client, path: "/user/passkeys/" + passkeyID, body: map[string]any{"current_password": gina.password}}
		}},
		{name: "gone", op: "DELETE /user/passkeys/{id}", status: 404, req: func(*testing.T) request {
			return request{as: gina.Client, path: "/user/passkeys/" + passkeyID, body: map[string]any{"current_password": gina.password}}
		}},

		{name: "wrong password", op: "DELETE /user", status: 403, req: as(erin, "/user", map[string]any{"password": "nope"})},
		{name: "", op: "DELETE /user", status: 204, req: as(erin, "/user", map[string]any{"password": erin.password})},

		// Todos.
		{name: "no token", op: "GET /todos", status: 401, req: anon("/todos", nil)},
		{name: "", op: "POST /todos", status: 201, req: as(alice, "/todos", map[string]any{"title": "Buy milk", "notes": "two litres\nsemi-skimmed", "due": "2030-12-31T17:00:00Z"}),
			then: func(t *testing.T, r *apptest.Response) {
				todoID, _ = r.JSON(t)["id"].(string)
				etag = r.Header.Get("ETag")
			}},
		{name: "empty title", op: "POST /todos", status: 422, req: as(alice, "/todos", map[string]any{"title": ""})},
		{name: "cross-origin", op: "POST /todos", status: 403, req: as(alice, "/todos", map[string]any{"title": "x"}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")},
		{name: "second", op: "POST /todos", status: 201, req: as(alice, "/todos", map[string]any{"title": "Call Bob", "order": 5})},
		{name: "third", op: "POST /todos", status: 201, req: as(alice, "/todos", map[string]any{"title": "Done already", "completed": true})},
		{name: "over the cap", op: "POST /todos", status: 409, req: as(alice, "/todos", map[string]any{"title": "One too many"}),
			then: func(t *testing.T, r *apptest.Response) { expectType(t, r, "/problems/limit-reached") }},
		{name: "", op: "GET /todos", status: 200, req: as(alice, "/todos", nil)},
		{name: "filtered", op: "GET /todos", status: 200, req: as(alice, "/todos?completed=false&q=milk&due_before=2031-01-01&sort=due&page=1&per_page=10", nil)},
		{name: "bad parameters", op: "GET /todos", status: 422, req: as(alice, "/todos?per_page=500&sort=nope", nil)},
		{name: "", op: "GET /todos/{id}", status: 200, req: todo(alice, "GET")},
		{name: "another user's", op: "GET /todos/{id}", status: 404, req: todo(bob, "GET")},
		{name: "changed", op: "PATCH /todos/{id}", status: 200, req: func(t *testing.T) request { return todo(alice, "PATCH", "If-Match", etag)(t) },
			then: func(t *testing.T, r *apptest.Response) {
				if r.Header.Get("ETag") == etag {
					t.Errorf("ETag %s did not change", etag)
				}
			}},
		{name: "stale If-Match", op: "PATCH /todos/{id}", status: 412, req: func(t *testing.T) request { return todo(alice, "PATCH", "If-Match", etag)(t) }},
		{name: "another user's", op: "PATCH /todos/{id}", status: 404, req: todo(bob, "PATCH")},
		{name: "toggle all", op: "PATCH /todos", status: 200, req: as(alice, "/todos", map[string]any{"completed": false})},
		{name: "clear completed", op: "DELETE /todos", status: 200, req: as(alice, "/todos?completed=true", nil)},
		{name: "without completed=true", op: "DELETE /todos", status: 422, req: as(alice, "/todos", nil)},
		{name: "stale If-Match", op: "DELETE /todos/{id}", status: 412, req: todo(alice, "DELETE", "If-Match", `"999"`)},
		{name: "", op: "DELETE /todos/{id}", status: 204, req: todo(alice, "DELETE")},
		{name: "gone", op: "DELETE /todos/{id}", status: 404, req: todo(alice, "DELETE")},
		{name: "write budget spent", op: "POST /todos", status: 429, upTo: 31, req: as(dave, "/todos", map[string]any{"title": ""})},

		// Personal access tokens, export and import.
		{name: "wrong password", op: "POST /user/tokens", status: 403, req: as(bob, "/user/tokens", map[string]any{"name": "cron", "scopes": []string{"todos:read"}, "current_password": "nope"})},
		{name: "unknown scope", op: "POST /user/tokens", status: 422, req: as(bob, "/user/tokens", map[string]any{"name": "cron", "scopes": []string{"admin"}, "current_password": bob.password})},
		{name: "", op: "POST /user/tokens", status: 201, req: as(bob, "/user/tokens", map[string]any{"name": "cron", "scopes": []string{"todos:read", "todos:write", "account:read"}, "expires_in_days": 30, "current_password": bob.password}),
			then: func(t *testing.T, r *apptest.Response) {
				j := r.JSON(t)
				script.Token, _ = j["token"].(string)
				patID, _ = j["id"].(string)
			}},
		{name: "", op: "GET /user/tokens", status: 200, req: as(bob, "/user/tokens", nil)},
		{name: "token", op: "GET /todos", status: 200, req: withPAT("/todos", nil)},
		{name: "token", op: "GET /user", status: 200, req: withPAT("/user", nil)},
		{name: "token without the scope", op: "GET /events", status: 403, req: withPAT("/events", nil),
			then: func(t *testing.T, r *apptest.Response) { expectType(t, r, "/problems/insufficient-scope") }},
		{name: "token, never", op: "PATCH /user", status: 403, req: withPAT("/user", map[string]any{"name": "Mallory"}),
			then: func(t *testing.T, r *apptest.Response) { expectType(t, r, "/problems/insufficient-scope") }},
		{name: "token, never", op: "GET /user/tokens", status: 403, req: withPAT("/user/tokens", nil)},
		{name: "TodoMVC, token", op: "POST /todos/import", status: 200, req: withPAT("/todos/import", []map[string]any{{"id": 1, "title": "From TodoMVC", "completed": true}})},
		{name: "export form", op: "POST /todos/import", status: 200, req: as(bob, "/todos/import", map[string]any{"format": "listo-export", "version": 1, "todos": []map[string]any{{"title": "Restored", "notes": "kept", "due": "2030-01-01T00:00:00Z", "order": 1}}})},
		{name: "bad todo", op: "POST /todos/import", status: 422, req: as(bob, "/todos/import", []map[string]any{{"title": "fine"}, {"title": ""}})},
		{name: "over the cap", op: "POST /todos/import", status: 409, req: as(bob, "/todos/import", []map[string]any{{"title": "a"}, {"title": "b"}}),
			then: func(t *testing.T, r *apptest.Response) { expectType(t, r, "/problems/limit-reached") }},
		{name: "", op: "GET /user/export", status: 200, req: as(bob, "/user/export", nil)},
		{name: "token", op: "GET /user/export", status: 200, req: withPAT("/user/export", nil)},
		{name: "another user's", op: "DELETE /user/tokens/{id}", status: 404, req: func(*testing.T) request { return request{as: alice.Client, path: "/user/tokens/" + patID} }},
		{name: "", op: "DELETE /user/tokens/{id}", status: 204, req: func(*testing.T) request { return request{as: bob.Client, path: "/user/tokens/" + patID} }},
		{name: "revoked token", op: "GET /todos", status: 401, req: withPAT("/todos", nil)},

		// Users, for admins.
		{name: "not an admin", op: "GET /users", status: 403, req: as(alice, "/users", nil)},
		{name: "", op: "GET /users", status: 200, req: as(root, "/users?q=example&page=1&per_page=5", nil)},
		{name: "bad parameters", op: "GET /users", status: 422, req: as(root, "/users?per_page=0", nil)},
		{name: "", op: "POST /users", status: 201, req: as(root, "/users", map[string]any{"email": "made@example.com", "password": "a made-up passphrase", "role": "user"}),
			then: func(t *testing.T, r *apptest.Response) { madeID, _ = r.JSON(t)["id"].(string) }},
		{name: "email taken", op: "POST /users", status: 409, req: as(root, "/users", map[string]any{"email": "MADE@example.com", "password": "a made-up passphrase"})},
		{name: "", op: "GET /users/{id}", status: 200, req: func(*testing.T) request { return request{as: root.Client, path: "/users/" + madeID} }},
		{name: "unknown", op: "GET /users/{id}", status: 404, req: as(root, "/users/nope", nil)},
		{name: "", op: "PATCH /users/{id}", status: 200, req: func(*testing.T) request {
			return request{as: root.Client, path: "/users/" + madeID, body: map[string]any{"name": "Made", "disabled": true}}
		}},
		{name: "last admin", op: "PATCH /users/{id}", status: 409, req: func(*testing.T) request {
			return request{as: root.Client, path: "/users/" + root.id, body: map[string]any{"role": "user"}}
		}},
		{name: "", op: "DELETE /users/{id}", status: 204, req: func(*testing.T) request { return request{as: root.Client, path: "/users/" + madeID} }},
		{name: "unknown", op: "DELETE /users/{id}", status: 404, req: func(*testing.T) request { return request{as: root.Client, path: "/users/" + madeID} }},
		{name: "last admin", op: "DELETE /users/{id}", status: 409, req: func(*testing.T) request { return request{as: root.Client, path: "/users/" + root.id} }},
		{name: "", op: "DELETE /users/{id}/mfa", status: 204, req: func(*testing.T) request { return request{as: root.Client, path: "/users/" + frank.id + "/mfa"} }},
		{name: "unknown", op: "DELETE /users/{id}/mfa", status: 404, req: func(*testing.T) request { return request{as: root.Client, path: "/users/" + madeID + "/mfa"} }},
		{name: "not an admin", op: "DELETE /users/{id}/mfa", status: 403, req: func(*testing.T) request { return request{as: alice.Client, path: "/users/" + frank.id + "/mfa"} }},

		// Logout.
		{name: "unknown scope", op: "POST /logout", status: 422, req: as(dave, "/logout?scope=everything", nil)},
		{name: "others", op: "POST /logout", status: 204, req: as(dave, "/logout?scope=others", nil)},
		{name: "", op: "POST /logout", status: 204, req: as(dave, "/logout", nil)},
		{name: "logged out", op: "GET /user", status: 401, req: as(dave, "/user", nil)},

		// Rate limits, last: they spend the budgets.
		{name: "locked email", op: "POST /auth", status: 429, upTo: 6, req: anon("/auth", map[string]any{"email": "locked@example.com", "password": "guess"})},
		{name: "IP limit", op: "POST /register", status: 429, upTo: 21, req: anon("/register", map[string]any{"email": "x"})},
		{name: "IP limit", op: "POST /password/forgot", status: 429, upTo: 5, req: anon("/password/forgot", map[string]any{"email": "nobody@example.com"})},
		{name: "IP limit", op: "POST /refresh", status: 429, upTo: 41, req: anon("/refresh", map[string]any{"refresh_token": "x"})},
	})

	// GET /events streams until its session ends: only its head is
	// checked here (the events are tested in controllers).
	k.stream(t, "GET /events", alice.Client, "/events")

	var missing []string
	for p, item := range k.doc.Paths.Map() {
		for method := range item.Operations() {
			if key := method + " " + p; !k.succeeded[key] {
				missing = append(missing, key)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("operations the contract test never saw succeed: %v", missing)
	}
	if testing.Verbose() {
		var lines []string
		for op, statuses := range k.seen {
			var ss []string
			for s := range statuses {
				ss = append(ss, fmt.Sprint(s))
			}
			sort.Strings(ss)
			lines = append(lines, op+": "+strings.Join(ss, " "))
		}
		sort.Strings(lines)
		t.Logf("statuses checked:\n%s", strings.Join(lines, "\n"))
	}
}

func expectType(t *testing.T, r *apptest.Response, want string) {
	t.Helper()
	if got := r.JSON(t)["type"]; got != want {
		t.Errorf("problem type = %v; want %s", got, want)
	}
}

// stream checks the head of a streaming answer (text/event-stream) against
// the document, reads its first bytes and hangs up: call would wait for
// the end of a stream that does not end.
func (k *contract) stream(t *testing.T, op string, c *apptest.Client, path string) {
	t.Helper()
	route, _ := k.route(t, op, path)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := k.rebuild(t, c, route.Method, request{as: c, path: path}).WithContext(ctx)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	defer resp.Body.Close()
	if k.seen[op] == nil {
		k.seen[op] = map[int]bool{}
	}
	k.seen[op][resp.StatusCode] = true
	documented := route.Operation.Responses.Status(resp.StatusCode)
	if resp.StatusCode != http.StatusOK || documented == nil {
		t.Errorf("%s = %d; want a documented 200", op, resp.StatusCode)
		return
	}
	media := strings.TrimSpace(strings.Split(resp.Header.Get("Content-Type"), ";")[0])
	if documented.Value.Content.Get(media) == nil {
		t.Errorf("%s: Content-Type %q is not documented", op, media)
	}
	if _, err := resp.Body.Read(make([]byte, 64)); err != nil {
		t.Errorf("%s: no first bytes: %v", op, err)
	}
	k.succeeded[op] = true
}

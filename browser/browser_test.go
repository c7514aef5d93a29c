// Package browser_test drives the SPA in dist/ with a real headless Chromium
// (through chromedp) against the real Listo server with an embedded
// database: the five scenarios of issue 7.
//
// Without chromium the tests skip and say how to install it; with
// LISTO_BROWSER_TESTS=require (set by .ci/run) they fail instead. Every test
// saves a PNG of its final screen to LISTO_SCREENSHOTS, or to screenshots/
// at the repository root, and logs the path.
package browser_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"listo/apptest"
)

// stepTimeout bounds every browser step (an action or a wait).
const stepTimeout = 20 * time.Second

// startServer runs Listo for the test with the rate limits off, once it
// knows there is a browser to drive it with.
func startServer(t *testing.T, env map[string]string) *apptest.Server {
	t.Helper()
	chromiumPath(t) // skip (or fail) before starting anything
	all := map[string]string{
		"RATE_REGISTER_PER_MINUTE": "0",
		"RATE_AUTH_PER_MINUTE":     "0",
		"RATE_REFRESH_PER_MINUTE":  "0",
	}
	for k, v := range env {
		all[k] = v
	}
	return apptest.Start(t, apptest.Options{Env: all})
}

// chromiumPath finds Debian's chromium, or skips (fails when
// LISTO_BROWSER_TESTS=require).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("LISTO_BROWSER_TESTS") == "require" {
		t.Fatal("chromium not found and LISTO_BROWSER_TESTS=require; install it with: apt-get install chromium")
	}
	t.Skip("chromium not found; install it with: apt-get install chromium (or set LISTO_BROWSER_TESTS=require to make this a failure)")
	return ""
}

// browser is one headless Chromium process (its own profile, so its own
// cookies) with one tab on the app.
type browser struct {
	t    *testing.T
	name string
	base string
	ctx  context.Context
}

// newBrowser starts a fresh Chromium for the test; it is closed when the
// test ends.
func newBrowser(t *testing.T, base, name string) *browser {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	b := &browser{t: t, name: name, base: base, ctx: ctx}
	// The first Do starts the browser; it must not run under a step
	// timeout, or the browser would end with that step.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: start chromium: %v", name, err)
	}
	b.watchConsole()
	return b
}

// watchConsole logs the page's uncaught exceptions and console errors, so
// a failing test shows what went wrong inside the SPA.
func (b *browser) watchConsole() {
	// Events can arrive while the test ends; t.Logf then would panic.
	var mu sync.Mutex
	done := false
	b.t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		done = true
	})
	prefix := "page"
	if b.name != "" {
		prefix = b.name + " page"
	}
	_ = chromedp.Listen(b.ctx, func(ev any) {
		data, err := json.Marshal(ev)
		if err != nil {
			return
		}
		s := string(data)
		var kind string
		switch {
		case strings.Contains(s, `"exceptionDetails"`):
			kind = "exception"
		case strings.Contains(s, `"type":"error"`) && strings.Contains(s, `"args"`):
			kind = "console error"
		default:
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !done {
			b.t.Logf("%s %s: %.500s", prefix, kind, s)
		}
	})
}

// do runs steps with a bounded wait; on failure it saves a screenshot and
// fails the test.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail("%s: %v", what, err)
	}
}

// fail saves a screenshot of the current screen and fails the test.
func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	b.screenshot("failed")
	hash, _ := b.tryEval("location.hash")
	b.t.Fatalf("%s (at %s): %s", b.name, hash, msg)
}

func (b *browser) tryEval(expr string) (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[string](`String(`+expr+`)`))
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// waitUntil waits (bounded) until the JavaScript expression is truthy.
func (b *browser) waitUntil(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingTimeout(stepTimeout), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		b.fail("waiting for %s (%s): %v", what, expr, err)
	}
}

// hover moves the mouse over the first element matching sel, as a person
// does before clicking a control that appears on hover.
func (b *browser) hover(sel string) {
	b.t.Helper()
	pt := eval[struct{ X, Y float64 }](b, fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		el.scrollIntoView({block: 'center'});
		const r = el.getBoundingClientRect();
		return {X: r.left + r.width / 2, Y: r.top + r.height / 2};
	})()`, sel))
	b.do("hover "+sel, chromedp.MouseEvent(chromedp.MouseMoved, pt.X, pt.Y))
}

// screenshotDir is LISTO_SCREENSHOTS or screenshots/ at the repository root.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LISTO_SCREENSHOTS")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatalf("getwd: %v", err)
		}
		root := wd
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				root = wd
				break
			}
			root = parent
		}
		dir = filepath.Join(root, "screenshots")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatalf("screenshot folder %q: %v", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		t.Fatalf("screenshot folder: %v", err)
	}
	return abs
}

// screenshot saves a full-page PNG named after the test (and suffix) and
// logs its path.
func (b *browser) screenshot(suffix string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("%s: screenshot: %v", b.name, err)
		return
	}
	name := strings.NewReplacer("/", "-", " ", "_").Replace(b.t.Name())
	if b.name != "" {
		name += "-" + b.name
	}
	if suffix != "" {
		name += "-" + suffix
	}
	path := filepath.Join(screenshotDir(b.t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("%s: write screenshot: %v", b.name, err)
		return
	}
	b.t.Logf("screenshot: %s", path)
}

// ---- SPA steps --------------------------------------------------------

const (
	todoItems   = `document.querySelectorAll('ul.todo-list > li')`
	todosLoaded = `document.querySelector('section.todoapp[data-loaded="true"]') !== null`
	// settled: the list is loaded, nothing is waiting to be saved.
	settled = `(document.querySelector('section.todoapp[data-loaded="true"][data-busy="false"]') !== null && document.querySelectorAll('ul.todo-list > li.pending').length === 0)`
)

// open loads the app at hash.
func (b *browser) open(hash string) {
	b.t.Helper()
	b.do("open "+hash, chromedp.Navigate(b.base+"/"+hash))
}

// signUp fills and sends the sign-up form (the page must show it).
func (b *browser) signUp(email, password, device string) {
	b.t.Helper()
	b.do("sign up",
		chromedp.WaitVisible(`#signup-form`),
		chromedp.SendKeys(`#signup-email`, email),
		chromedp.SendKeys(`#signup-password`, password),
		chromedp.SetValue(`#signup-device`, device),
		chromedp.Click(`#signup-form button[type="submit"]`),
	)
}

// logIn opens the login screen and logs in; it waits for the todo list.
func (b *browser) logIn(email, password, device string) {
	b.t.Helper()
	b.open("#/login")
	b.do("log in",
		chromedp.WaitVisible(`#login-form`),
		chromedp.SendKeys(`#login-email`, email),
		chromedp.SendKeys(`#login-password`, password),
		chromedp.SetValue(`#login-device`, device),
		chromedp.Click(`#login-form button[type="submit"]`),
		chromedp.WaitVisible(`input.new-todo`),
	)
	b.waitUntil("the todo list to load", todosLoaded)
}

// addTodo types title into the new-todo box and presses Enter.
func (b *browser) addTodo(title string) {
	b.t.Helper()
	b.do("add "+title, chromedp.SendKeys(`input.new-todo`, title+"\n"))
}

func (b *browser) hash() string { return eval[string](b, `location.hash`) }
func (b *browser) countText() string {
	return eval[string](b, `document.querySelector('.todo-count').textContent.trim()`)
}
func (b *browser) labels() []string {
	return eval[[]string](b, `[...`+todoItems+`].map((li) => li.querySelector('label').textContent)`)
}

// ---- API checks -------------------------------------------------------

type todo struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Completed bool   `json:"completed"`
	Version   int    `json:"version"`
}

// serverTodos lists the user's todos through the API.
func serverTodos(t *testing.T, u *apptest.User) []todo {
	t.Helper()
	var page struct {
		Items []todo `json:"items"`
	}
	u.Do("GET", "/todos?sort=order&per_page=100", nil).Expect(t, http.StatusOK).Decode(t, &page)
	return page.Items
}

func titles(ts []todo) []string {
	out := make([]string, len(ts))
	for i, td := range ts {
		out[i] = td.Title
		if td.Completed {
			out[i] += " (completed)"
		}
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// register creates an account through the API without logging in (so no
// session is added).
func register(t *testing.T, srv *apptest.Server, email, password string) {
	t.Helper()
	srv.Client().Do("POST", "/register", map[string]any{"email": email, "password": password}).Expect(t, http.StatusCreated)
}

// fieldMessage returns the message a problem response gives for field, and
// fails the test when it gives none.
func fieldMessage(t *testing.T, resp *apptest.Response, field string) string {
	t.Helper()
	var problem struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	resp.Decode(t, &problem)
	for _, e := range problem.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	t.Fatalf("no error for %s in %s", field, resp.Body)
	return ""
}

func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%d@example.com", prefix, time.Now().UnixNano())
}

// ---- scenarios --------------------------------------------------------

// TestBrowserTodoFlow is scenario 1: sign up, log in, add three todos,
// complete one, filter, reload, edit, delete, clear completed.
func TestBrowserTodoFlow(t *testing.T) {
	srv := startServer(t, nil)
	b := newBrowser(t, srv.URL(), "")
	email, password := uniqueEmail("flow"), "a long enough password 42"

	// Sign up: the SPA logs in right away and shows the (empty) list.
	b.open("#/signup")
	b.signUp(email, password, "Test laptop")
	b.do("see the todo list after sign-up", chromedp.WaitVisible(`input.new-todo`))
	b.waitUntil("the empty list", todosLoaded)
	if got := b.hash(); got != "#/" {
		b.fail("hash after sign-up = %q; want #/", got)
	}

	// Log out, then log in.
	b.do("log out", chromedp.Click(`#nav-logout`), chromedp.WaitVisible(`#login-form`))
	b.logIn(email, password, "Test laptop")
	u := srv.Login(t, email, password) // an API client for checking the server

	// Add three todos.
	for _, title := range []string{"Buy milk", "Write report", "Walk the dog"} {
		b.addTodo(title)
	}
	b.waitUntil("three saved todos", todoItems+`.length === 3 && `+settled)
	if got, want := b.labels(), []string{"Buy milk", "Write report", "Walk the dog"}; !equal(got, want) {
		b.fail("labels = %q; want %q", got, want)
	}

	// Complete the second.
	b.do("complete Write report", chromedp.Click(`ul.todo-list > li:nth-child(2) input.toggle`))
	b.waitUntil("one completed todo", `document.querySelectorAll('ul.todo-list > li.completed').length === 1 && `+settled)
	if got := eval[string](b, `document.querySelector('.todo-count strong').textContent`); got != "2" {
		b.fail(".todo-count strong = %q; want 2", got)
	}
	if got := b.countText(); got != "2 items left" {
		b.fail(".todo-count = %q; want %q", got, "2 items left")
	}
	if got, want := titles(serverTodos(t, u)), []string{"Buy milk", "Write report (completed)", "Walk the dog"}; !equal(got, want) {
		t.Fatalf("server todos = %q; want %q", got, want)
	}

	// Filters.
	b.do("filter Active", chromedp.Click(`ul.filters a[href="#/active"]`))
	b.waitUntil("the Active filter", `location.hash === '#/active' && `+todoItems+`.length === 2`)
	if got := eval[string](b, `document.querySelector('ul.filters a.selected').textContent`); got != "Active" {
		b.fail("selected filter = %q; want Active", got)
	}
	if got, want := b.labels(), []string{"Buy milk", "Walk the dog"}; !equal(got, want) {
		b.fail("active labels = %q; want %q", got, want)
	}
	b.do("filter Completed", chromedp.Click(`ul.filters a[href="#/completed"]`))
	b.waitUntil("the Completed filter", `location.hash === '#/completed' && `+todoItems+`.length === 1`)
	if got := eval[string](b, `document.querySelector('ul.filters a.selected').textContent`); got != "Completed" {
		b.fail("selected filter = %q; want Completed", got)
	}
	if got := eval[bool](b, `document.querySelector('ul.todo-list > li').classList.contains('completed')`); !got {
		b.fail("the todo under Completed has no .completed class")
	}

	// Reload: still logged in, still on Completed, everything still there.
	b.do("reload", chromedp.Reload())
	b.waitUntil("the list after reload", todosLoaded+` && `+todoItems+`.length === 1`)
	if got := b.hash(); got != "#/completed" {
		b.fail("hash after reload = %q; want #/completed", got)
	}
	if got, want := b.labels(), []string{"Write report"}; !equal(got, want) {
		b.fail("completed labels after reload = %q; want %q", got, want)
	}
	// Cookie mode: no token in web storage, and the access cookie is
	// HttpOnly (not visible to scripts).
	if got := eval[string](b, `JSON.stringify([{...localStorage}, {...sessionStorage}, document.cookie])`); strings.Contains(got, "eyJ") || strings.Contains(got, "listo_access") || strings.Contains(got, "listo_refresh") {
		b.fail("a token is visible to scripts: %s", got)
	}
	b.do("filter All", chromedp.Click(`ul.filters a[href="#/"]`))
	b.waitUntil("the All filter", `location.hash === '#/' && `+todoItems+`.length === 3`)
	if got := eval[string](b, `document.querySelector('ul.filters a.selected').textContent`); got != "All" {
		b.fail("selected filter = %q; want All", got)
	}
	if got := b.countText(); got != "2 items left" {
		b.fail(".todo-count after reload = %q; want %q", got, "2 items left")
	}
	if got := eval[bool](b, `document.querySelector('ul.todo-list > li:nth-child(2)').classList.contains('completed')`); !got {
		b.fail("Write report is not completed after reload")
	}

	// Edit the first title by double-click; Enter saves.
	b.do("double-click Buy milk",
		chromedp.DoubleClick(`ul.todo-list > li:nth-child(1) label`),
		chromedp.WaitVisible(`ul.todo-list > li.editing input.edit`),
	)
	if got := eval[bool](b, `document.activeElement === document.querySelector('li.editing input.edit')`); !got {
		b.fail("the edit box is not focused after double-click")
	}
	b.do("type the new title",
		chromedp.SetValue(`ul.todo-list > li.editing input.edit`, "Buy oat milk"),
		chromedp.KeyEvent("\r"),
	)
	b.waitUntil("the edited title", `document.querySelectorAll('ul.todo-list > li.editing').length === 0 && document.querySelector('ul.todo-list > li label').textContent === 'Buy oat milk' && `+settled)

	// Delete the third.
	b.hover(`ul.todo-list > li:nth-child(3)`)
	b.do("delete Walk the dog", chromedp.Click(`ul.todo-list > li:nth-child(3) button.destroy`))
	b.waitUntil("two todos", todoItems+`.length === 2 && `+settled)
	if got := b.countText(); got != "1 item left" {
		b.fail(".todo-count = %q; want %q", got, "1 item left")
	}
	if got, want := titles(serverTodos(t, u)), []string{"Buy oat milk", "Write report (completed)"}; !equal(got, want) {
		t.Fatalf("server todos = %q; want %q", got, want)
	}

	// Clear completed: the button goes away with the completed todo.
	b.do("clear completed", chromedp.Click(`button.clear-completed`))
	b.waitUntil("one todo", todoItems+`.length === 1 && document.querySelector('button.clear-completed').hidden && `+settled)
	if got, want := b.labels(), []string{"Buy oat milk"}; !equal(got, want) {
		b.fail("labels = %q; want %q", got, want)
	}
	if got, want := titles(serverTodos(t, u)), []string{"Buy oat milk"}; !equal(got, want) {
		t.Fatalf("server todos = %q; want %q", got, want)
	}
	b.screenshot("")
}

// TestBrowserSignupFieldError is scenario 2: a short password shows the
// API's message next to the password field.
func TestBrowserSignupFieldError(t *testing.T) {
	srv := startServer(t, nil)
	b := newBrowser(t, srv.URL(), "")
	email := uniqueEmail("short")

	// What the API says about this password.
	apiMessage := fieldMessage(t, srv.Client().Do("POST", "/register", map[string]any{"email": uniqueEmail("probe"), "password": "short"}).
		Expect(t, http.StatusUnprocessableEntity), "/password")

	b.open("#/signup")
	b.signUp(email, "short", "Test laptop")
	b.do("see the password error", chromedp.WaitVisible(`.field[data-field="password"] .field-error`))
	got := eval[string](b, `document.querySelector('.field[data-field="password"] .field-error').textContent.trim()`)
	if !strings.Contains(got, apiMessage) {
		b.fail("password error = %q; want it to contain the API's %q", got, apiMessage)
	}
	if got := eval[string](b, `document.querySelector('#signup-password').getAttribute('aria-invalid')`); got != "true" {
		b.fail("password aria-invalid = %q; want true", got)
	}
	if got := eval[bool](b, `(document.querySelector('#signup-password').getAttribute('aria-describedby') || '').split(' ').includes(document.querySelector('.field[data-field="password"] .field-error').id)`); !got {
		b.fail("the password field is not described by its error")
	}
	if n := eval[int](b, `document.querySelectorAll('.field[data-field="email"] .field-error').length`); n != 0 {
		b.fail("the email field shows %d errors; want 0", n)
	}
	if got := b.hash(); got != "#/signup" {
		b.fail("hash = %q; want #/signup", got)
	}
	// No account was made.
	srv.Client().Do("POST", "/auth", map[string]any{"email": email, "password": "short"}).Expect(t, http.StatusUnauthorized)
	b.screenshot("")
}

// TestBrowserRevokeDevice is scenario 3: two browsers log in as the same
// user; the second revokes the first, which goes to the login screen on its
// next action.
func TestBrowserRevokeDevice(t *testing.T) {
	srv := startServer(t, nil)
	email, password := uniqueEmail("devices"), "a long enough password 42"
	register(t, srv, email, password)

	first := newBrowser(t, srv.URL(), "first")
	second := newBrowser(t, srv.URL(), "second")
	first.logIn(email, password, "Laptop A")
	second.logIn(email, password, "Phone B")

	second.do("open Devices", chromedp.Click(`#nav-devices`))
	second.waitUntil("two devices", `location.hash === '#/devices' && document.querySelectorAll('#devices li.device').length === 2`)
	names := eval[[]string](second, `[...document.querySelectorAll('#devices li.device')].map((li) => li.querySelector('.device-name').textContent + (li.classList.contains('current') ? ' (this device)' : ''))`)
	if want := []string{"Phone B (this device)", "Laptop A"}; !equal(names, want) {
		second.fail("devices = %q; want %q", names, want)
	}
	if got := eval[string](second, `document.querySelector('#devices li.device.current .current-badge').textContent`); got != "This device" {
		second.fail("current badge = %q; want This device", got)
	}

	second.do("revoke Laptop A", chromedp.Click(`#devices li.device:not(.current) button.revoke`))
	second.waitUntil("one device", `document.querySelectorAll('#devices li.device').length === 1 && document.querySelector('#devices li.device.current') !== null && document.querySelector('.device-list-wrap .loading') === null`)

	// The first browser hears of it (GET /events) and shows the login
	// screen without any action (browser/events_test.go times it).
	first.do("see the login screen", chromedp.WaitVisible(`#login-form`))
	if got := first.hash(); got != "#/login" {
		first.fail("hash = %q; want #/login", got)
	}
	if got := eval[string](first, `(document.querySelector('#login .notice') || {textContent: ''}).textContent`); !strings.Contains(got, "session has ended") {
		first.fail("login notice = %q; want it to say the session has ended", got)
	}
	if got := eval[bool](first, `document.getElementById('topbar').hidden`); !got {
		first.fail("the top bar is still shown after the session ended")
	}

	// The second browser is still logged in, and alone in its list.
	second.do("reload Devices", chromedp.Reload())
	second.waitUntil("the devices after reload", `location.hash === '#/devices' && document.querySelectorAll('#devices li.device.current').length === 1 && document.querySelectorAll('#devices li.device').length === 1`)

	u := srv.Login(t, email, password)
	if got := serverTodos(t, u); len(got) != 0 {
		t.Fatalf("server todos = %q; want none", titles(got))
	}
	var sessions struct {
		Items []struct {
			Device string `json:"device"`
		} `json:"items"`
	}
	u.Do("GET", "/user/sessions", nil).Expect(t, http.StatusOK).Decode(t, &sessions)
	for _, s := range sessions.Items {
		if s.Device == "Laptop A" {
			t.Fatalf("session of Laptop A still listed by the API: %+v", sessions.Items)
		}
	}
	first.screenshot("")
	second.screenshot("")
}

// TestBrowserSilentRefresh is scenario 4: the access token expires; the
// next action refreshes it silently and works.
func TestBrowserSilentRefresh(t *testing.T) {
	const ttl = 2 * time.Second
	srv := startServer(t, map[string]string{"ACCESS_TOKEN_TTL": ttl.String()})
	b := newBrowser(t, srv.URL(), "")
	email, password := uniqueEmail("refresh"), "a long enough password 42"
	register(t, srv, email, password)

	b.logIn(email, password, "Test laptop")
	b.addTodo("Before expiry")
	b.waitUntil("the first todo", todoItems+`.length === 1 && `+settled)

	// The browser drops the access cookie after its Max-Age and the token
	// itself expires: both happen in real time, so wait past them.
	refreshesBefore := strings.Count(srv.Logs.String(), `"route":"/refresh"`)
	time.Sleep(ttl + 1500*time.Millisecond)

	b.addTodo("After expiry")
	b.waitUntil("the second todo", todoItems+`.length === 2 && `+settled)
	if got := b.hash(); got != "#/" {
		b.fail("hash = %q; want #/", got)
	}
	if n := eval[int](b, `document.querySelectorAll('#login-form').length`); n != 0 {
		b.fail("the login screen is shown")
	}
	if got := eval[string](b, `document.getElementById('alert').textContent`); got != "" {
		b.fail("an error is shown: %q", got)
	}
	if got, want := b.labels(), []string{"Before expiry", "After expiry"}; !equal(got, want) {
		b.fail("labels = %q; want %q", got, want)
	}
	if after := strings.Count(srv.Logs.String(), `"route":"/refresh"`); after <= refreshesBefore {
		t.Errorf("no POST /refresh logged after the token expired (%d before, %d after)", refreshesBefore, after)
	}
	u := srv.Login(t, email, password)
	if got, want := titles(serverTodos(t, u)), []string{"Before expiry", "After expiry"}; !equal(got, want) {
		t.Fatalf("server todos = %q; want %q", got, want)
	}
	b.screenshot("")
}

// TestBrowserSaveConflict is scenario 5: the todo changes through the API;
// saving the stale copy in the browser shows the conflict and overwrites
// nothing.
func TestBrowserSaveConflict(t *testing.T) {
	srv := startServer(t, nil)
	u := srv.NewUser(t)
	var created todo
	u.Do("POST", "/todos", map[string]any{"title": "Original title"}).Expect(t, http.StatusCreated).Decode(t, &created)

	b := newBrowser(t, srv.URL(), "")
	b.logIn(u.Email, u.Password, "Test laptop")
	b.waitUntil("the todo", todoItems+`.length === 1 && `+settled)
	if got, want := b.labels(), []string{"Original title"}; !equal(got, want) {
		b.fail("labels = %q; want %q", got, want)
	}

	// Another device changes it while it is being edited here (a change
	// that arrives before the edit starts just shows: live sync).
	b.do("edit the todo",
		chromedp.DoubleClick(`ul.todo-list > li:nth-child(1) label`),
		chromedp.WaitVisible(`ul.todo-list > li.editing input.edit`),
		chromedp.SetValue(`ul.todo-list > li.editing input.edit`, "my stale edit"),
	)
	var changed todo
	u.Do("PATCH", "/todos/"+created.ID, map[string]any{"title": "changed elsewhere"}).Expect(t, http.StatusOK).Decode(t, &changed)
	if changed.Version == created.Version {
		t.Fatalf("PATCH did not change the version (%d)", changed.Version)
	}

	// Save the stale copy.
	b.do("save the stale edit", chromedp.KeyEvent("\r"))
	b.do("see the conflict", chromedp.WaitVisible(`.conflict`))
	msg := eval[string](b, `document.querySelector('.conflict').textContent`)
	if !strings.Contains(msg, "changed on another device") {
		b.fail("conflict message = %q; want it to say the todo changed on another device", msg)
	}
	b.waitUntil("the server's title in the list", settled+` && document.querySelector('ul.todo-list > li label').textContent === 'changed elsewhere'`)

	var got todo
	u.Do("GET", "/todos/"+created.ID, nil).Expect(t, http.StatusOK).Decode(t, &got)
	if got.Title != "changed elsewhere" {
		t.Fatalf("server title = %q; want %q", got.Title, "changed elsewhere")
	}
	if got.Version != changed.Version {
		t.Errorf("server version = %d; want %d (nothing saved after the API change)", got.Version, changed.Version)
	}
	b.screenshot("")
}

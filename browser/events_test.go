package browser_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// liveWithin is how soon a change made in one browser must show in another
// of the same user, without a reload.
const liveWithin = 2 * time.Second

// isLive: the status dot says the stream is open.
const isLive = `document.querySelector('#live-status[data-state="live"]') !== null`

// within waits until expr holds and fails the test when that took longer
// than liveWithin.
func (b *browser) within(what, expr string) {
	b.t.Helper()
	start := time.Now()
	b.waitUntil(what, expr)
	if d := time.Since(start); d > liveWithin {
		b.fail("%s took %v; want under %v", what, d.Round(time.Millisecond), liveWithin)
	}
}

// TestBrowserLiveSync: two browsers logged in as one user. Adding,
// completing, renaming and deleting a todo in the first shows in the
// second within two seconds, without a reload; revoking the second from the
// first's devices screen shows the second the login screen within two
// seconds, without any action there.
func TestBrowserLiveSync(t *testing.T) {
	srv := startServer(t, nil)
	email, password := uniqueEmail("live"), "a long enough password 42"
	register(t, srv, email, password)

	first := newBrowser(t, srv.URL(), "first")
	second := newBrowser(t, srv.URL(), "second")
	first.logIn(email, password, "Laptop A")
	second.logIn(email, password, "Phone B")
	first.waitUntil("the live dot", isLive)
	second.waitUntil("the live dot", isLive)
	if got := eval[string](second, `document.querySelector('#live-status').textContent + '|' + document.querySelector('#live-status .live-dot').getAttribute('aria-hidden')`); got != "Live updates on|true" {
		second.fail("live status text|dot aria-hidden = %q; want %q", got, "Live updates on|true")
	}
	// Nothing arrives while a tab reloads: the reload is not what shows
	// the changes.
	marker := `(window.__sameTab = true)`
	eval[bool](second, marker)

	first.addTodo("Buy milk")
	first.waitUntil("the todo saved", todoItems+`.length === 1 && `+settled)
	second.within("the new todo", todoItems+`.length === 1 && document.querySelector('ul.todo-list > li label').textContent === 'Buy milk'`)

	first.do("complete it", chromedp.Click(`ul.todo-list > li:nth-child(1) input.toggle`))
	first.waitUntil("the todo completed", `document.querySelectorAll('ul.todo-list > li.completed').length === 1 && `+settled)
	second.within("the todo completed", `document.querySelectorAll('ul.todo-list > li.completed').length === 1 && document.querySelector('ul.todo-list > li input.toggle').checked`)

	first.do("rename it",
		chromedp.DoubleClick(`ul.todo-list > li:nth-child(1) label`),
		chromedp.WaitVisible(`ul.todo-list > li.editing input.edit`),
		chromedp.SetValue(`ul.todo-list > li.editing input.edit`, "Buy oat milk"),
		chromedp.KeyEvent("\r"),
	)
	first.waitUntil("the new title saved", `document.querySelectorAll('ul.todo-list > li.editing').length === 0 && document.querySelector('ul.todo-list > li label').textContent === 'Buy oat milk' && `+settled)
	second.within("the new title", `document.querySelector('ul.todo-list > li label').textContent === 'Buy oat milk'`)

	first.hover(`ul.todo-list > li:nth-child(1)`)
	first.do("delete it", chromedp.Click(`ul.todo-list > li:nth-child(1) button.destroy`))
	first.waitUntil("the list empty", todoItems+`.length === 0 && `+settled)
	second.within("the todo gone", todoItems+`.length === 0`)

	if !eval[bool](second, `window.__sameTab === true`) {
		second.fail("the second browser reloaded the page")
	}
	if got := eval[string](second, `document.getElementById('alert').textContent`); got != "" {
		second.fail("an error is shown: %q", got)
	}
	second.screenshot("synced")

	// The first revokes the second from its devices screen.
	first.do("open Devices", chromedp.Click(`#nav-devices`))
	first.waitUntil("two devices", `document.querySelectorAll('#devices li.device').length === 2`)
	first.do("log out Phone B", chromedp.Click(`#devices li.device:not(.current) button.revoke`))
	first.waitUntil("one device", `document.querySelectorAll('#devices li.device').length === 1`)
	second.within("the login screen", `document.querySelector('#login-form') !== null && location.hash === '#/login'`)
	if got := eval[string](second, `(document.querySelector('#login .notice') || {textContent: ''}).textContent`); !strings.Contains(got, "session has ended") {
		second.fail("login notice = %q; want it to say the session has ended", got)
	}
	if !eval[bool](second, `document.getElementById('topbar').hidden && document.getElementById('live-status') === null`) {
		second.fail("the top bar or the live dot is still shown")
	}
	first.screenshot("")
	second.screenshot("")
}

package browser_test

// Accessibility (issue 18): axe-core scans every screen in the light and
// the dark scheme, on a desktop (1280×800) and on a phone (390×844, touch:
// pointer coarse, no hover), and must find no serious and no critical
// violation. On the phone every tap target must be at least 44×44 px, the
// page must not scroll sideways, and the todo hints must speak of touch.
// The theme switch on the account screen is tested on its own.
//
// axe-core comes from browser/testdata/axe (see the README there) and is
// evaluated through the DevTools protocol: the app's CSP is not loosened.

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"listo/apptest"
	"listo/models"
)

//go:embed testdata/axe/axe.min.js
var axeSource string

// a11yShots is where the todos screenshots of the phone go (for the
// issue's closing note); not under the repository.
var a11yShots = filepath.Join(os.TempDir(), "listo-a11y")

// viewport is a screen size to test at; phone adds touch emulation.
type viewport struct {
	name          string
	width, height int64
	phone         bool
}

var (
	a11yViewports = []viewport{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}}
	a11ySchemes   = []string{"light", "dark"}
)

// emulate sets the viewport, touch and the system colour scheme, and
// checks that the page sees them.
func (b *browser) emulate(vp viewport, scheme string) {
	b.t.Helper()
	features := []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}
	if vp.phone {
		features = append(features,
			&emulation.MediaFeature{Name: "pointer", Value: "coarse"},
			&emulation.MediaFeature{Name: "any-pointer", Value: "coarse"},
			&emulation.MediaFeature{Name: "hover", Value: "none"},
			&emulation.MediaFeature{Name: "any-hover", Value: "none"},
		)
	}
	scale := 1.0
	if vp.phone {
		scale = 2
	}
	b.do("emulate "+vp.name+" "+scheme, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: vp.width, Height: vp.height, DeviceScaleFactor: scale, Mobile: vp.phone,
		}); err != nil {
			return fmt.Errorf("device metrics: %w", err)
		}
		touch := emulation.SetTouchEmulationEnabledParams{Enabled: vp.phone}
		if vp.phone {
			touch.MaxTouchPoints = 5
		}
		if _, err := cdp.Call(ctx, t, emulation.SetTouchEmulationEnabled, touch); err != nil {
			return fmt.Errorf("touch: %w", err)
		}
		if _, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: features}); err != nil {
			return fmt.Errorf("media: %w", err)
		}
		return nil
	}))
	want := fmt.Sprintf("dark=%t coarse=%t width=%d", scheme == "dark", vp.phone, vp.width)
	got := eval[string](b, "`dark=${matchMedia('(prefers-color-scheme: dark)').matches} coarse=${matchMedia('(pointer: coarse)').matches} width=${innerWidth}`")
	if got != want {
		b.fail("emulation: the page sees %s; want %s", got, want)
	}
}

// axeViolation is what axe.run reports for a rule that fails.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target         []string `json:"target"`
		HTML           string   `json:"html"`
		FailureSummary string   `json:"failureSummary"`
	} `json:"nodes"`
}

// axeRun is the script that runs axe on the whole document and keeps what
// the test prints.
const axeRun = `axe.run(document, {resultTypes: ['violations']}).then((r) => r.violations.map((v) => ({
	id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
	nodes: v.nodes.map((n) => ({target: n.target.map(String), html: n.html, failureSummary: n.failureSummary || ''})),
})))`

// scan runs axe-core on the page (injecting it first when the page has not
// got it yet) and fails the test on any serious or critical violation;
// lesser ones are logged.
func (b *browser) scan(screen string) {
	b.t.Helper()
	if !eval[bool](b, `typeof window.axe === 'object' && typeof window.axe.run === 'function'`) {
		b.do("inject axe-core", chromedp.Evaluate[chromedp.Void](axeSource))
	}
	// Colours caught mid-transition (a hover, a theme change) are neither
	// the old nor the new ones.
	b.waitUntil("the transitions to end", `document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState === 'finished')`)
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail("%s: axe.run: %v", screen, err)
	}
	var bad, minor []string
	for _, v := range violations {
		var s strings.Builder
		fmt.Fprintf(&s, "  [%s] %s: %s (%s)\n", v.Impact, v.ID, v.Help, v.HelpURL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&s, "    at %s\n      %s\n", strings.Join(n.Target, " "), strings.Join(strings.Fields(n.HTML), " "))
			for _, line := range strings.Split(strings.TrimSpace(n.FailureSummary), "\n") {
				fmt.Fprintf(&s, "      %s\n", strings.TrimSpace(line))
			}
		}
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, s.String())
		} else {
			minor = append(minor, s.String())
		}
	}
	if len(minor) > 0 {
		b.t.Logf("%s: axe-core: %d minor or moderate violations:\n%s", screen, len(minor), strings.Join(minor, ""))
	}
	if len(bad) > 0 {
		b.screenshot(strings.ReplaceAll(screen, " ", "-") + "-axe")
		b.t.Errorf("%s: axe-core: %d serious or critical violations:\n%s", screen, len(bad), strings.Join(bad, ""))
	} else {
		b.t.Logf("%s: axe-core: no serious or critical violations", screen)
	}
}

// tapTargetsScript lists the visible controls smaller than 44×44 px. A
// control drawn by its label (a hidden checkbox or radio) is measured by
// its label; a link inside a sentence is exempt (WCAG 2.5.5).
const tapTargetsScript = `(() => {
	const small = [];
	const controls = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"]';
	for (const el of document.querySelectorAll(controls)) {
		let target = el;
		let r = el.getBoundingClientRect();
		const cs = getComputedStyle(el);
		if ((r.width === 0 && r.height === 0) || cs.visibility === 'hidden' || el.closest('.visually-hidden')) continue;
		if ((r.width <= 2 || r.height <= 2 || cs.opacity === '0') && el.labels && el.labels.length) {
			target = el.labels[0];
			r = target.getBoundingClientRect();
		}
		if (el.tagName === 'A' && cs.display === 'inline' &&
			[...el.parentElement.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim())) continue;
		if (r.width < 43.5 || r.height < 43.5) {
			const name = (target.getAttribute('aria-label') || target.textContent || target.id || '').trim().replace(/\s+/g, ' ').slice(0, 40);
			const cls = typeof target.className === 'string' && target.className ? '.' + target.className.trim().split(/\s+/).join('.') : '';
			small.push(target.tagName.toLowerCase() + cls + ' "' + name + '" ' + Math.round(r.width) + '×' + Math.round(r.height));
		}
	}
	return small;
})()`

// checkPhone checks the tap targets and that nothing scrolls sideways.
func (b *browser) checkPhone(screen string) {
	b.t.Helper()
	if small := eval[[]string](b, tapTargetsScript); len(small) > 0 {
		b.t.Errorf("%s: tap targets under 44×44 px:\n  %s", screen, strings.Join(small, "\n  "))
	}
	if w := eval[string](b, `document.documentElement.scrollWidth + '/' + document.documentElement.clientWidth`); !sameWidth(w) {
		b.t.Errorf("%s: the page scrolls sideways (scroll width / width = %s)", screen, w)
	}
}

func sameWidth(w string) bool {
	a, c, _ := strings.Cut(w, "/")
	return a == c
}

// shot saves a full-page PNG of the screen into a11yShots and logs its path.
func (b *browser) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(a11yShots, 0o755); err != nil {
		b.t.Fatalf("screenshot folder: %v", err)
	}
	path := filepath.Join(a11yShots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	b.t.Logf("screenshot: %s", path)
}

// goTo changes the hash (no reload) and waits until ready is true.
func (b *browser) goTo(hash, ready string) {
	b.t.Helper()
	eval[bool](b, fmt.Sprintf(`(() => { location.hash = %q; return true; })()`, hash))
	b.waitUntil(hash, ready)
}

// a11yData gives the admin todos in every state the list can show, a
// second session, and other users (one disabled) for the admin list.
func a11yData(t *testing.T, srv *apptest.Server) (admin *apptest.User) {
	t.Helper()
	ctx := context.Background()
	admin = srv.NewUser(t)
	role := models.RoleAdmin
	if _, err := srv.Store().UpdateUser(ctx, admin.ID, models.UserPatch{Role: &role}, time.Now()); err != nil {
		t.Fatalf("promote the admin: %v", err)
	}
	other := srv.NewUser(t)
	disabled := true
	if _, err := srv.Store().UpdateUser(ctx, other.ID, models.UserPatch{Disabled: &disabled}, time.Now()); err != nil {
		t.Fatalf("disable a user: %v", err)
	}
	srv.NewUser(t)

	day := 24 * time.Hour
	now := time.Now()
	for _, td := range []map[string]any{
		{"title": "Buy oat milk", "due": now.Format(time.RFC3339)},
		{"title": "Write the quarterly report", "completed": true, "due": now.Add(-2 * day).Format(time.RFC3339)},
		{"title": "Walk the dog", "notes": "Around the park, with the long lead.", "due": now.Add(-3 * day).Format(time.RFC3339)},
		{"title": "Call the plumber about the kitchen tap", "due": now.Add(day).Format(time.RFC3339)},
		{"title": "Book the train tickets", "due": now.Add(10 * day).Format(time.RFC3339)},
		{"title": "Water the plants", "completed": true},
	} {
		admin.Do("POST", "/todos", td).Expect(t, http.StatusCreated)
	}
	return admin
}

// TestBrowserAccessibility scans login, sign-up (also with errors), forgot
// password, todos (completed, overdue and due todos, one open, one being
// edited), devices, account and admin (also with the confirmation dialog),
// in both schemes, on a desktop and a phone.
func TestBrowserAccessibility(t *testing.T) {
	srv := startServer(t, nil)
	admin := a11yData(t, srv)

	out := newBrowser(t, srv.URL(), "signed out")
	in := newBrowser(t, srv.URL(), "admin")
	in.logIn(admin.Email, admin.Password, "Admin laptop")

	for _, vp := range a11yViewports {
		for _, scheme := range a11ySchemes {
			combo := vp.name + " " + scheme
			check := func(b *browser, screen string) {
				b.t.Helper()
				b.scan(screen + " (" + combo + ")")
				if vp.phone {
					b.checkPhone(screen + " (" + combo + ")")
				}
			}

			// Signed out: log in, sign up, sign up with a field error.
			out.emulate(vp, scheme)
			out.open("#/login")
			out.do("the login screen", chromedp.WaitVisible(`#login-form`))
			check(out, "login")
			out.goTo("#/signup", `document.querySelector('#signup-form') !== null`)
			check(out, "sign-up")
			out.do("sign up with a short password",
				chromedp.SetValue(`#signup-email`, uniqueEmail("a11y")),
				chromedp.SetValue(`#signup-password`, "short"),
				chromedp.Click(`#signup-form button[type="submit"]`),
				chromedp.WaitVisible(`.field[data-field="password"] .field-error`),
			)
			check(out, "sign-up with an error")
			out.goTo("#/forgot-password", `document.querySelector('#forgot-form') !== null`)
			check(out, "forgot password")

			// Signed in: todos with one open and one being edited.
			in.emulate(vp, scheme)
			in.open("#/")
			in.waitUntil("the todos", todosLoaded+` && `+todoItems+`.length === 6 && `+settled)
			in.do("open the details of Walk the dog, edit Call the plumber", chromedp.Evaluate[chromedp.Void](`(() => {
				const li = (title) => [...document.querySelectorAll('ul.todo-list > li')].find((el) => el.querySelector('label').textContent.startsWith(title));
				li('Walk the dog').querySelector('.details-toggle').click();
				li('Call the plumber').querySelector('label').dispatchEvent(new MouseEvent('dblclick', {bubbles: true}));
			})()`))
			in.waitUntil("one open, one editing", `document.querySelector('ul.todo-list > li.open .details:not([hidden])') !== null && document.querySelector('ul.todo-list > li.editing input.edit') === document.activeElement`)
			check(in, "todos")
			if vp.phone {
				hints := eval[string](in, `[...document.querySelectorAll('.info p')].filter((p) => p.getClientRects().length).map((p) => p.textContent).join(' | ')`)
				if strings.Contains(hints, "Drag") || !strings.Contains(hints, "Move up or Move down") {
					in.fail("todo hints on a phone = %q; want the Move up / Move down way, not dragging", hints)
				}
				if n := eval[int](in, `[...document.querySelectorAll('.drag-handle')].filter((el) => el.getClientRects().length).length`); n != 0 {
					in.fail("%d drag handles shown on a phone", n)
				}
				eval[bool](in, `(() => { window.scrollTo(0, 0); return true; })()`)
				in.shot("todos-phone-" + scheme)
			} else if hints := eval[string](in, `[...document.querySelectorAll('.info p')].filter((p) => p.getClientRects().length).map((p) => p.textContent).join(' | ')`); !strings.Contains(hints, "Drag the") {
				in.fail("todo hints on a desktop = %q; want the drag handle", hints)
			}

			in.goTo("#/devices", `document.querySelectorAll('#devices li.device').length >= 2 && document.querySelector('#devices .loading') === null`)
			check(in, "devices")
			in.goTo("#/account", `document.querySelector('#theme-form') !== null`)
			check(in, "account")
			in.goTo("#/admin", adminSettled+` && `+userRows+`.length === 3`)
			check(in, "admin")
			in.do("ask to delete a user", chromedp.Evaluate[chromedp.Void](`document.querySelector('#admin .delete-user:not([disabled])').click()`))
			in.waitUntil("the confirmation dialog", `document.querySelector('#confirm-dialog[open]') !== null`)
			check(in, "admin, confirming a deletion")
			in.do("keep the user", chromedp.Evaluate[chromedp.Void](`document.querySelector('#confirm-dialog .confirm-cancel').click()`))
			in.waitUntil("the dialog to close", `document.querySelector('#confirm-dialog') === null`)
		}
	}
}

// bodyBackground is the computed background of the page.
func (b *browser) bodyBackground() string {
	return eval[string](b, `getComputedStyle(document.body).backgroundColor`)
}

const (
	lightBackground = "rgb(243, 245, 247)" // --bg, light
	darkBackground  = "rgb(15, 20, 25)"    // --bg, dark
)

// TestBrowserThemeSwitch: the account screen's switch overrides the
// system's scheme at once, survives a reload (applied by a classic script
// in <head>, before the first paint), and System follows the system again.
func TestBrowserThemeSwitch(t *testing.T) {
	srv := startServer(t, nil)
	u := srv.NewUser(t)
	b := newBrowser(t, srv.URL(), "")
	desktop := a11yViewports[0]
	b.emulate(desktop, "light")
	b.logIn(u.Email, u.Password, "Test laptop")

	// The boot script blocks rendering: a classic script in <head>, before
	// the stylesheet, neither async nor deferred.
	if got := eval[string](b, `(() => {
		const s = document.querySelector('head script[src*="theme-boot.js"]');
		if (!s) return 'missing';
		const css = document.querySelector('head link[rel="stylesheet"]');
		return [s.type || 'classic', s.async, s.defer, Boolean(s.compareDocumentPosition(css) & Node.DOCUMENT_POSITION_FOLLOWING)].join(' ');
	})()`); got != "classic false false true" {
		b.fail("theme-boot.js in <head> = %q; want a classic, blocking script before the stylesheet", got)
	}

	b.do("open Account", chromedp.Click(`#nav-account`), chromedp.WaitVisible(`#theme-form`))
	if got := eval[string](b, `document.querySelector('#theme-form input[name="theme"]:checked').value + ' ' + document.documentElement.hasAttribute('data-theme')`); got != "system false" {
		b.fail("theme at first = %q; want system, no data-theme", got)
	}
	if got := b.bodyBackground(); got != lightBackground {
		b.fail("background with a light system = %s; want %s", got, lightBackground)
	}

	// Dark on a light system.
	b.do("choose Dark", chromedp.Click(`#theme-dark`))
	b.waitUntil("the dark theme", `document.documentElement.dataset.theme === 'dark' && localStorage.getItem('listo-theme') === 'dark'`)
	if got := b.bodyBackground(); got != darkBackground {
		b.fail("background with Dark chosen = %s; want %s", got, darkBackground)
	}
	b.scan("account, Dark chosen on a light system")
	b.do("reload", chromedp.Reload())
	b.waitUntil("the account screen after reload", `document.querySelector('#theme-form') !== null`)
	if got := eval[string](b, `document.documentElement.dataset.theme + ' ' + document.querySelector('#theme-form input[name="theme"]:checked').value`); got != "dark dark" {
		b.fail("after reload: data-theme and the checked option = %q; want dark dark", got)
	}
	if got := b.bodyBackground(); got != darkBackground {
		b.fail("background after reload = %s; want %s", got, darkBackground)
	}

	// Light on a dark system.
	b.emulate(desktop, "dark")
	b.do("choose Light", chromedp.Click(`#theme-light`))
	b.waitUntil("the light theme", `document.documentElement.dataset.theme === 'light' && localStorage.getItem('listo-theme') === 'light'`)
	if got := b.bodyBackground(); got != lightBackground {
		b.fail("background with Light chosen on a dark system = %s; want %s", got, lightBackground)
	}
	b.scan("account, Light chosen on a dark system")

	// System: back to the system's (dark) scheme, nothing remembered.
	b.do("choose System", chromedp.Click(`#theme-system`))
	b.waitUntil("the system theme", `!document.documentElement.hasAttribute('data-theme') && localStorage.getItem('listo-theme') === null`)
	if got := b.bodyBackground(); got != darkBackground {
		b.fail("background with System on a dark system = %s; want %s", got, darkBackground)
	}
	b.emulate(desktop, "light")
	if got := b.bodyBackground(); got != lightBackground {
		b.fail("background with System after the system turned light = %s; want %s", got, lightBackground)
	}
}

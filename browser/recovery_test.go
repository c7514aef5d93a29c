package browser_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"listo/apptest"
	"listo/mailtest"
)

// The screens of issue 13 with Listo's mail going to an in-process SMTP
// server: the test reads each mail as it went over the wire, takes its
// link, and opens it in the browser as a person would.

// mailWait bounds the wait for one mail (they leave through a queue).
const mailWait = 15 * time.Second

// startWithMail runs an SMTP server and Listo sending to it. PUBLIC_URL is
// left unset: in development, with PORT=0, Listo sets it to the address it
// listens on, so the mailed links open this test server (each test checks
// its links start with srv.URL()). The mail limits are off (they have
// tests of their own), and so are the new-device notices (every login
// would mail one).
func startWithMail(t *testing.T, env map[string]string) (*apptest.Server, *mailtest.Server) {
	t.Helper()
	chromiumPath(t) // skip (or fail) before starting anything
	mail := mailtest.NewServer(t, mailtest.Options{})
	all := map[string]string{
		"SMTP_URL":                mail.URL(),
		"MAIL_FROM":               "Listo <no-reply@example.com>",
		"NOTIFY_NEW_DEVICE":       "false",
		"RATE_FORGOT_PER_HOUR":    "0",
		"MAIL_PER_EMAIL_PER_HOUR": "0",
	}
	for k, v := range env {
		all[k] = v
	}
	return startServer(t, all), mail
}

var linkRE = regexp.MustCompile(`https?://[^\s<>"']+#/[a-z-]+\?token=[A-Za-z0-9_-]+`)

// waitForLink waits for the next mail to to that carries a link to the
// SPA's path (e.g. "/reset-password") and returns the link, which must
// point at srv; mails without one (notices, other links) are skipped.
func waitForLink(t *testing.T, srv *apptest.Server, mail *mailtest.Server, to, path string) string {
	t.Helper()
	deadline := time.Now().Add(mailWait)
	for {
		m := mail.WaitFor(t, to, time.Until(deadline))
		for _, link := range linkRE.FindAllString(m.Text, -1) {
			if !strings.Contains(link, "#"+path+"?token=") {
				continue
			}
			if want := srv.URL() + "/#" + path + "?token="; !strings.HasPrefix(link, want) {
				t.Fatalf("link = %s; want it to start with %s", link, want)
			}
			return link
		}
		t.Logf("skipping a mail to %s without a %s link: %q", to, path, m.Subject)
	}
}

// tokenOf is the token in a mailed link.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	i := strings.Index(link, "?token=")
	if i < 0 {
		t.Fatalf("no token in %s", link)
	}
	return link[i+len("?token="):]
}

// expectNoToken fails when the address bar or any history entry of the tab
// still holds the link's token (the SPA removes it with replaceState).
func (b *browser) expectNoToken(token, wantHref string) {
	b.t.Helper()
	if href := eval[string](b, `location.href`); href != wantHref || strings.Contains(href, "token") {
		b.fail("location.href = %q; want %q (no token)", href, wantHref)
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	hist, err := chromedp.Run(ctx, chromedp.NavigationEntries())
	if err != nil {
		b.fail("navigation history: %v", err)
	}
	for _, e := range hist.Entries {
		if strings.Contains(e.URL, token) {
			b.fail("the history still holds the token: %s", e.URL)
		}
	}
}

// text is the trimmed text of the first element matching sel ("" if none).
func (b *browser) text(sel string) string {
	b.t.Helper()
	return eval[string](b, `((document.querySelector(`+strconv.Quote(sel)+`) || {}).textContent || '').trim()`)
}

// ---- scenarios --------------------------------------------------------

// TestBrowserPasswordReset: log in, log out, "Forgot password?", read the
// mail, open its link (the token leaves the address bar), a weak password
// is refused, a good one set; the used link is refused; the old password
// fails in the UI and the new one logs in.
func TestBrowserPasswordReset(t *testing.T) {
	srv, mail := startWithMail(t, nil)
	email, oldPassword, newPassword := uniqueEmail("reset"), "a long enough password 42", "another fine password 77"
	register(t, srv, email, oldPassword)
	b := newBrowser(t, srv.URL(), "")
	b.logIn(email, oldPassword, "Test laptop")
	b.logOut()

	// Forgot password: the same neutral answer whatever the address.
	b.do("open Forgot password", chromedp.Click(`#to-forgot`), chromedp.WaitVisible(`#forgot-form`))
	if got := b.hash(); got != "#/forgot-password" {
		b.fail("hash = %q; want #/forgot-password", got)
	}
	b.do("ask for a reset link",
		chromedp.SendKeys(`#forgot-email`, email),
		chromedp.Click(`#forgot-form button[type="submit"]`),
		chromedp.WaitVisible(`#forgot-sent`),
	)
	const sent = "If an account exists for that address, we sent a link to reset the password. It works for 1 hour."
	if got := b.text(`#forgot-sent`); !strings.Contains(got, sent) {
		b.fail("confirmation = %q; want it to contain %q", got, sent)
	}
	if got := eval[bool](b, `document.activeElement === document.querySelector('#forgot-sent')`); !got {
		b.fail("the confirmation does not have the focus")
	}

	link := waitForLink(t, srv, mail, email, "/reset-password")
	token := tokenOf(t, link)

	// The link, in a fresh page load.
	b.do("open the reset link", chromedp.Navigate("about:blank"), chromedp.Navigate(link), chromedp.WaitVisible(`#reset-form`))
	b.expectNoToken(token, srv.URL()+"/#/reset-password")
	if got := eval[bool](b, `document.activeElement === document.querySelector('#reset-password')`); !got {
		b.fail("the new password field does not have the focus")
	}

	// A common password: the API's message under the field, as at sign-up.
	b.do("try a weak password",
		chromedp.SendKeys(`#reset-password`, "password"),
		chromedp.Click(`#reset-form button[type="submit"]`),
		chromedp.WaitVisible(`.field[data-field="password"] .field-error`),
	)
	if got := eval[string](b, `document.querySelector('#reset-password').getAttribute('aria-invalid')`); got != "true" {
		b.fail("password aria-invalid = %q; want true", got)
	}
	if got := b.text(`#reset-password-hint`); got != "At least 8 characters. Common passwords are not accepted." {
		b.fail("password hint = %q", got)
	}

	// A good one: done, with a way to log in.
	b.clearField(`#reset-password`)
	b.do("set the new password",
		chromedp.SendKeys(`#reset-password`, newPassword),
		chromedp.Click(`#reset-form button[type="submit"]`),
		chromedp.WaitVisible(`#reset-done`),
	)
	if got := b.text(`#reset-done`); !strings.Contains(got, "Your password was changed") {
		b.fail("reset outcome = %q", got)
	}

	// The link works once.
	b.do("open the used link",
		chromedp.Navigate("about:blank"),
		chromedp.Navigate(link),
		chromedp.WaitVisible(`#reset-form`),
		chromedp.SendKeys(`#reset-password`, "yet another password 99"),
		chromedp.Click(`#reset-form button[type="submit"]`),
		chromedp.WaitVisible(`#reset-invalid`),
	)
	if got := b.text(`#reset-invalid`); !strings.Contains(got, "not valid") {
		b.fail("used link outcome = %q", got)
	}
	if got := eval[string](b, `document.querySelector('#reset-ask-again').getAttribute('href')`); got != "#/forgot-password" {
		b.fail("ask-again link = %q; want #/forgot-password", got)
	}

	// The old password fails in the UI; the new one logs in.
	b.open("#/login")
	b.do("log in with the old password",
		chromedp.WaitVisible(`#login-form`),
		chromedp.SendKeys(`#login-email`, email),
		chromedp.SendKeys(`#login-password`, oldPassword),
		chromedp.Click(`#login-form button[type="submit"]`),
		chromedp.WaitVisible(`#login-form .form-error`),
	)
	if got := b.hash(); got != "#/login" {
		b.fail("hash after the old password = %q; want #/login", got)
	}
	b.clearField(`#login-password`)
	b.do("log in with the new password",
		chromedp.SendKeys(`#login-password`, newPassword),
		chromedp.Click(`#login-form button[type="submit"]`),
		chromedp.WaitVisible(`input.new-todo`),
	)
	b.waitUntil("the todo list", todosLoaded)
	if got := apiLogin(t, srv, email, oldPassword); got != http.StatusUnauthorized {
		t.Errorf("API login with the old password = %d; want 401", got)
	}
	b.screenshot("")
}

// TestBrowserVerifyEmail: sign up in the UI; the banner asks to confirm
// the address; a tampered link shows the invalid-link screen with a form
// for a new one; the registration mail's link (opened in the same tab, as
// a hash change) confirms the address and the banner goes, for good.
func TestBrowserVerifyEmail(t *testing.T) {
	srv, mail := startWithMail(t, nil)
	email, password := uniqueEmail("verify"), "a long enough password 42"
	b := newBrowser(t, srv.URL(), "")

	b.open("#/signup")
	b.signUp(email, password, "Test laptop")
	b.do("see the list and the banner", chromedp.WaitVisible(`input.new-todo`), chromedp.WaitVisible(`#verify-banner`))
	if got := b.text(`#verify-banner .banner-text`); !strings.Contains(got, email) {
		b.fail("banner = %q; want it to name %s", got, email)
	}
	link := waitForLink(t, srv, mail, email, "/verify-email")
	token := tokenOf(t, link)

	// A tampered link: the invalid-link screen, with a resend form for the
	// signed-in user's address.
	tampered := link[:len(link)-4] + "AAAA"
	if tampered == link {
		tampered = link[:len(link)-4] + "BBBB"
	}
	eval[bool](b, `(location.href = `+strconv.Quote(tampered)+`, true)`)
	b.do("see the invalid link", chromedp.WaitVisible(`#verify-invalid`))
	b.expectNoToken(tokenOf(t, tampered), srv.URL()+"/#/verify-email")
	if got := eval[string](b, `document.querySelector('#verify-resend-email').value`); got != email {
		b.fail("resend form address = %q; want %q", got, email)
	}
	if !eval[bool](b, `!document.getElementById('verify-banner').hidden`) {
		b.fail("the banner went away after an invalid link")
	}

	// The real link, in the same tab.
	eval[bool](b, `(location.href = `+strconv.Quote(link)+`, true)`)
	b.do("see the address confirmed", chromedp.WaitVisible(`#verify-done`))
	b.expectNoToken(token, srv.URL()+"/#/verify-email")
	if got := b.text(`#verify-done`); !strings.Contains(got, "Your address is confirmed") {
		b.fail("verify outcome = %q", got)
	}
	b.waitUntil("the banner to go", `document.getElementById('verify-banner').hidden`)

	b.do("go to the todos", chromedp.Click(`#verify-next`), chromedp.WaitVisible(`input.new-todo`))
	b.do("reload", chromedp.Reload())
	b.waitUntil("the list after reload", todosLoaded)
	if !eval[bool](b, `document.getElementById('verify-banner').hidden`) {
		b.fail("the banner is back after a reload")
	}
	var me struct {
		EmailVerified bool `json:"email_verified"`
	}
	srv.Login(t, email, password).Do("GET", "/user", nil).Expect(t, http.StatusOK).Decode(t, &me)
	if !me.EmailVerified {
		t.Errorf("GET /user: email_verified = false after the link")
	}
	b.screenshot("")
}

// TestBrowserEmailChange: the banner's "Resend the link" mails a new
// verification link; the account screen's email change waits for the
// link mailed to the new address, and following it moves the account
// (and confirms the address, so the banner goes).
func TestBrowserEmailChange(t *testing.T) {
	srv, mail := startWithMail(t, nil)
	oldEmail, newEmail, password := uniqueEmail("move-old"), uniqueEmail("move-new"), "a long enough password 42"
	register(t, srv, oldEmail, password)
	waitForLink(t, srv, mail, oldEmail, "/verify-email") // the registration mail

	b := newBrowser(t, srv.URL(), "")
	b.logIn(oldEmail, password, "Test laptop")
	b.do("resend from the banner", chromedp.WaitVisible(`#verify-banner`), chromedp.Click(`#verify-banner-resend`))
	b.waitUntil("Sent", `document.querySelector('#verify-banner-resend-status').textContent.startsWith('Sent')`)
	waitForLink(t, srv, mail, oldEmail, "/verify-email")

	// Ask for the change: nothing changes yet.
	b.do("open Account", chromedp.Click(`#nav-account`), chromedp.WaitVisible(`#email-form`))
	if !eval[bool](b, `document.querySelector('#email-pending').hidden`) {
		b.fail("a pending change is shown before any was asked for")
	}
	b.clearField(`#account-email`)
	b.do("change the email",
		chromedp.SendKeys(`#account-email`, newEmail),
		chromedp.SendKeys(`#email-current-password`, password),
		chromedp.Click(`#email-form button[type="submit"]`),
		chromedp.WaitVisible(`#email-pending`),
	)
	b.waitUntil("the success text", `document.querySelector('#email-form .form-success').textContent !== ''`)
	if got := b.text(`#email-form .form-success`); !strings.Contains(got, "Link sent to "+newEmail) {
		b.fail("email form success = %q; want it to say a link was sent to %s", got, newEmail)
	}
	if got, want := b.text(`#email-pending`), "Waiting for confirmation of "+newEmail+": follow the link we sent there."; got != want {
		b.fail("pending notice = %q; want %q", got, want)
	}
	if got := b.text(`#account .summary-email`); got != oldEmail {
		b.fail("summary email = %q; want %q until the link is followed", got, oldEmail)
	}

	// The link mailed to the new address, in the same tab.
	link := waitForLink(t, srv, mail, newEmail, "/confirm-email")
	b.do("open the confirmation link", chromedp.Navigate(link), chromedp.WaitVisible(`#confirm-done`))
	b.expectNoToken(tokenOf(t, link), srv.URL()+"/#/confirm-email")
	if got, want := b.text(`#confirm-done .outcome-message`), "Your account now uses "+newEmail+"."; got != want {
		b.fail("confirm outcome = %q; want %q", got, want)
	}
	b.waitUntil("the banner to go", `document.getElementById('verify-banner').hidden`)

	b.do("back to Account", chromedp.Click(`#confirm-next`), chromedp.WaitVisible(`#email-form`))
	if got := b.text(`#account .summary-email`); got != newEmail {
		b.fail("summary email = %q; want %q", got, newEmail)
	}
	if !eval[bool](b, `document.querySelector('#email-pending').hidden`) {
		b.fail("the pending change is still shown")
	}
	if got := apiLogin(t, srv, newEmail, password); got != http.StatusOK {
		t.Errorf("API login at the new address = %d; want 200", got)
	}
	b.screenshot("")
}

// TestBrowserUnverifiedLogin: with REQUIRE_VERIFIED_EMAIL, sign-up says to
// confirm the address, logging in shows the 403 with a resend button, and
// the resent link confirms the address so the login works.
func TestBrowserUnverifiedLogin(t *testing.T) {
	srv, mail := startWithMail(t, map[string]string{"REQUIRE_VERIFIED_EMAIL": "true"})
	email, password := uniqueEmail("unverified"), "a long enough password 42"
	b := newBrowser(t, srv.URL(), "")

	b.open("#/signup")
	b.signUp(email, password, "Test laptop")
	b.do("see the login screen", chromedp.WaitVisible(`#login .notice`))
	if got := b.text(`#login .notice`); !strings.Contains(got, "confirm your address") || !strings.Contains(got, email) {
		b.fail("login notice = %q; want it to ask to confirm %s", got, email)
	}
	waitForLink(t, srv, mail, email, "/verify-email") // the registration mail

	b.do("log in unconfirmed",
		chromedp.SendKeys(`#login-email`, email),
		chromedp.SendKeys(`#login-password`, password),
		chromedp.Click(`#login-form button[type="submit"]`),
		chromedp.WaitVisible(`#login-unverified`),
	)
	if got := b.text(`#login-unverified`); !strings.Contains(got, email) {
		b.fail("unverified notice = %q; want it to name %s", got, email)
	}
	if got := eval[bool](b, `document.activeElement === document.querySelector('#login-unverified')`); !got {
		b.fail("the unverified notice does not have the focus")
	}
	if n := eval[int](b, `document.querySelectorAll('#login-form .form-error:not([hidden])').length`); n != 0 {
		b.fail("an error box is shown beside the notice")
	}
	b.do("resend", chromedp.Click(`#login-resend`))
	b.waitUntil("Sent", `document.querySelector('#login-resend-status').textContent.startsWith('Sent')`)
	link := waitForLink(t, srv, mail, email, "/verify-email")

	b.do("open the new link", chromedp.Navigate(link), chromedp.WaitVisible(`#verify-done`))
	b.expectNoToken(tokenOf(t, link), srv.URL()+"/#/verify-email")
	b.do("log in", chromedp.Click(`#verify-next`), chromedp.WaitVisible(`#login-form`))
	b.clearField(`#login-email`)
	b.do("log in confirmed",
		chromedp.SendKeys(`#login-email`, email),
		chromedp.SendKeys(`#login-password`, password),
		chromedp.Click(`#login-form button[type="submit"]`),
		chromedp.WaitVisible(`input.new-todo`),
	)
	b.waitUntil("the todo list", todosLoaded)
	if !eval[bool](b, `document.getElementById('verify-banner').hidden`) {
		b.fail("the banner is shown for a confirmed address")
	}
	b.screenshot("")
}

package browser_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"listo/apptest"
)

// startAtLocalhost runs Listo as startServer does, on an injected clock,
// and returns the base URL a browser must use for passkeys:
// http://localhost:PORT (browsers refuse an IP address as RP ID, and
// Listo's RP ID is localhost in development).
func startAtLocalhost(t *testing.T) (*apptest.Server, string) {
	t.Helper()
	chromiumPath(t)
	srv := apptest.Start(t, apptest.Options{
		Env: map[string]string{"RATE_REGISTER_PER_MINUTE": "0", "RATE_AUTH_PER_MINUTE": "0", "RATE_REFRESH_PER_MINUTE": "0"},
		// Mid-step, so that a code stays valid while the test types it.
		Clock: apptest.NewClock(time.Now().Truncate(30 * time.Second).Add(10 * time.Second)),
	})
	_, port, err := net.SplitHostPort(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	return srv, "http://localhost:" + port
}

// addVirtualAuthenticator gives the browser a platform authenticator
// (CTAP2, internal, resident keys, user verification that succeeds, user
// presence answered at once), as a laptop with a fingerprint reader.
func (b *browser) addVirtualAuthenticator() {
	b.t.Helper()
	b.do("add a virtual authenticator", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		off := false
		if _, err := cdp.Call(ctx, t, webauthn.Enable, webauthn.EnableParams{EnableUI: &off}); err != nil {
			return fmt.Errorf("webauthn.enable: %w", err)
		}
		_, err := cdp.Call(ctx, t, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true,
		}})
		return err
	}))
}

// TestBrowserPasskey: add a passkey on the account screen, log out, and
// log in with it, without a password.
func TestBrowserPasskey(t *testing.T) {
	srv, base := startAtLocalhost(t)
	b := newBrowser(t, base, "")
	b.addVirtualAuthenticator()
	email, password := uniqueEmail("passkey"), "a long enough password 42"
	register(t, srv, email, password)
	b.logIn(email, password, "Laptop")

	b.open("#/account")
	b.do("add a passkey",
		chromedp.WaitVisible(`#passkey-add-form`),
		chromedp.WaitVisible(`#passkeys-none`),
		chromedp.SetValue(`#passkey-name`, "Work laptop"),
		chromedp.Click(`#passkey-add-form button[type="submit"]`),
	)
	b.waitUntil("the new passkey in the list", `document.querySelectorAll('#passkey-list li.passkey').length === 1`)
	if got := eval[string](b, `document.querySelector('#passkey-list .passkey-name').textContent`); got != "Work laptop" {
		b.fail("passkey name = %q; want Work laptop", got)
	}
	b.waitUntil("two-step verification to show a passkey", `document.querySelector('#two-step-status[data-on="true"]') !== null`)

	// Log out, and back in with the passkey alone, with the button. (The
	// virtual authenticator would also answer the email field's autofill
	// request at once, which a person would have to pick; that way is
	// tried next, so it is off for this one.)
	b.do("no autofill for now", chromedp.Evaluate[chromedp.Void](`(() => {
		window.realConditional = PublicKeyCredential.isConditionalMediationAvailable;
		PublicKeyCredential.isConditionalMediationAvailable = async () => false;
	})()`))
	b.do("log out", chromedp.Click(`#nav-logout`), chromedp.WaitVisible(`#login-form`))
	// The toast that announced the new passkey sits over the button for a while.
	b.waitUntil("no toast over the button", `document.querySelector('.toast.visible') === null`)
	b.do("log in with the passkey",
		chromedp.WaitVisible(`#login-passkey`),
		chromedp.Click(`#login-passkey`),
		chromedp.WaitVisible(`input.new-todo`),
	)
	b.waitUntil("the todo list to load", todosLoaded)
	if got := b.hash(); got != "#/" {
		b.fail("hash after the passkey login = %q; want #/", got)
	}
	b.open("#/devices")
	b.waitUntil("the devices list", `document.querySelector('li.device.current .device-amr') !== null`)
	if got := eval[string](b, `document.querySelector('li.device.current .device-amr').textContent`); got != "Passkey" {
		b.fail("this device logged in with %q; want Passkey", got)
	}
	b.screenshot("")

	// The passkey the email field's autofill offers logs in too: the
	// virtual authenticator picks it as soon as the login screen asks.
	b.do("autofill back", chromedp.Evaluate[chromedp.Void](`PublicKeyCredential.isConditionalMediationAvailable = window.realConditional`))
	b.do("log out again", chromedp.Click(`#nav-logout`))
	b.do("log in from the autofill", chromedp.WaitVisible(`input.new-todo`))
	b.waitUntil("the todo list to load", todosLoaded)
}

// TestBrowserTOTP: turn on an authenticator app on the account screen
// (the test reads the secret off the page and computes the codes), log
// out, and log in with the password and a code.
func TestBrowserTOTP(t *testing.T) {
	srv, base := startAtLocalhost(t)
	b := newBrowser(t, base, "")
	email, password := uniqueEmail("totp"), "a long enough password 42"
	register(t, srv, email, password)
	b.logIn(email, password, "Laptop")
	code := func(secret string) string {
		c, err := totp.GenerateCodeCustom(secret, srv.Clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	b.open("#/account")
	b.do("set up an authenticator app",
		chromedp.WaitVisible(`#totp-setup-form`),
		chromedp.SendKeys(`#totp-setup-password`, password),
		chromedp.Click(`#totp-setup-form button[type="submit"]`),
		chromedp.WaitVisible(`#totp-secret`),
	)
	if !eval[bool](b, `(() => { const img = document.querySelector('#totp-qr'); return img.complete && img.naturalWidth > 0; })()`) {
		b.fail("the QR code did not load")
	}
	shown := eval[string](b, `document.querySelector('#totp-secret').textContent`)
	secret := strings.ReplaceAll(shown, " ", "")
	if len(secret) < 32 {
		b.fail("secret on the page = %q", shown)
	}
	b.do("confirm with a code",
		chromedp.SendKeys(`#totp-code`, code(secret)),
		chromedp.Click(`#totp-confirm-form button[type="submit"]`),
		chromedp.WaitVisible(`#recovery-codes`),
	)
	codes := eval[[]string](b, `[...document.querySelectorAll('#recovery-codes code')].map((c) => c.textContent)`)
	if len(codes) != 10 {
		b.fail("recovery codes on the page = %v; want 10", codes)
	}
	b.do("done with the codes", chromedp.Click(`#codes-done`), chromedp.WaitVisible(`#codes-left`))
	if got := eval[string](b, `document.querySelector('#codes-left').textContent`); !strings.HasPrefix(got, "10 recovery codes") {
		b.fail("codes left = %q", got)
	}

	// Log out; the password alone is not enough any more.
	b.do("log out", chromedp.Click(`#nav-logout`), chromedp.WaitVisible(`#login-form`))
	srv.Clock.Advance(30 * time.Second) // the confirmation used this time step's code
	b.do("log in with the password",
		chromedp.SendKeys(`#login-email`, email),
		chromedp.SendKeys(`#login-password`, password),
		chromedp.SetValue(`#login-device`, "Laptop"),
		chromedp.Click(`#login-form button[type="submit"]`),
		chromedp.WaitVisible(`#mfa-form`),
	)
	// A wrong code is refused on the page; the right one logs in.
	b.do("a wrong code",
		chromedp.SendKeys(`#mfa-code`, "000000"),
		chromedp.Click(`#mfa-form button[type="submit"]`),
	)
	b.waitUntil("the wrong code's message", `document.querySelector('#mfa-code[aria-invalid="true"]') !== null`)
	b.do("the right code",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#mfa-code').value = ''`),
		chromedp.SendKeys(`#mfa-code`, code(secret)),
		chromedp.Click(`#mfa-form button[type="submit"]`),
		chromedp.WaitVisible(`input.new-todo`),
	)
	b.waitUntil("the todo list to load", todosLoaded)
	b.open("#/devices")
	b.waitUntil("the devices list", `document.querySelector('li.device.current .device-amr') !== null`)
	if got := eval[string](b, `document.querySelector('li.device.current .device-amr').textContent`); got != "Password and a one-time code" {
		b.fail("this device logged in with %q", got)
	}
	if amrs := eval[[]string](b, `[...document.querySelectorAll('li.device .device-amr')].map((d) => d.textContent)`); !slices.Contains(amrs, "Password and a one-time code") {
		b.fail("devices = %v", amrs)
	}
	b.screenshot("")
}

package controllers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"listo/apptest"
)

// totpAt is the authenticator app's code for secret at t.
func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// mfaServer starts Listo on a clock that TOTP codes are computed with.
func mfaServer(t *testing.T, env map[string]string) *apptest.Server {
	t.Helper()
	e := map[string]string{"RATE_AUTH_PER_MINUTE": "0", "RATE_REFRESH_PER_MINUTE": "0"}
	for k, v := range env {
		e[k] = v
	}
	// Mid-step, so that ±30 s is exactly one step either way.
	start := time.Now().Truncate(30 * time.Second).Add(15 * time.Second)
	return apptest.Start(t, apptest.Options{Env: e, Clock: apptest.NewClock(start)})
}

var recoveryCodeShape = regexp.MustCompile(`^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$`)

// enrolTOTP turns TOTP on for u and returns the secret and the recovery
// codes.
func enrolTOTP(t *testing.T, srv *apptest.Server, u *apptest.User) (secret string, codes []string) {
	t.Helper()
	var setup struct {
		Secret     string `json:"secret"`
		OTPAuthURL string `json:"otpauth_url"`
		QRPNG      string `json:"qr_png"`
	}
	u.Do("POST", "/user/mfa/totp", map[string]any{"current_password": u.Password}).Expect(t, http.StatusOK).Decode(t, &setup)
	var confirmed struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	u.Do("POST", "/user/mfa/totp/confirm", map[string]any{"code": totpAt(t, setup.Secret, srv.Clock.Now())}).Expect(t, http.StatusOK).Decode(t, &confirmed)
	return setup.Secret, confirmed.RecoveryCodes
}

type mfaChallenge struct {
	MFARequired bool     `json:"mfa_required"`
	MFAToken    string   `json:"mfa_token"`
	Methods     []string `json:"methods"`
	ExpiresIn   int      `json:"expires_in"`
}

// passwordStep logs in with the password and expects a second step.
func passwordStep(t *testing.T, srv *apptest.Server, c *apptest.Client, u *apptest.User, extra map[string]any) mfaChallenge {
	t.Helper()
	body := map[string]any{"email": u.Email, "password": u.Password}
	for k, v := range extra {
		body[k] = v
	}
	resp := c.Do("POST", "/auth", body).Expect(t, http.StatusOK)
	var ch mfaChallenge
	resp.Decode(t, &ch)
	if !ch.MFARequired || ch.MFAToken == "" || ch.ExpiresIn != 300 {
		t.Fatalf("POST /auth = %s; want mfa_required with a token and expires_in 300", resp.Body)
	}
	for _, k := range []string{"access_token", "refresh_token", "session_id", "csrf_token", "user"} {
		if _, ok := resp.JSON(t)[k]; ok {
			t.Errorf("POST /auth needing a second step has %q: %s", k, resp.Body)
		}
	}
	if len(resp.Header.Values("Set-Cookie")) > 0 {
		t.Errorf("POST /auth needing a second step sets cookies: %v", resp.Header.Values("Set-Cookie"))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", cc)
	}
	return ch
}

// secondStep answers the second step.
func secondStep(c *apptest.Client, token string, answer map[string]any) *apptest.Response {
	body := map[string]any{"mfa_token": token}
	for k, v := range answer {
		body[k] = v
	}
	return c.Do("POST", "/auth/mfa", body)
}

// claimsOf reads an access token's claims (already verified by the server).
func claimsOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("access token %q is not a JWT", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func amrOf(t *testing.T, token string) []string {
	t.Helper()
	var out []string
	for _, v := range claimsOf(t, token)["amr"].([]any) {
		out = append(out, v.(string))
	}
	return out
}

func mfaStatus(t *testing.T, u *apptest.User) map[string]any {
	t.Helper()
	m, _ := u.Do("GET", "/user", nil).Expect(t, http.StatusOK).JSON(t)["mfa"].(map[string]any)
	return m
}

func TestTOTPEnrolConfirmAndLogin(t *testing.T) {
	srv := mfaServer(t, nil)
	u := srv.NewUser(t)
	if got := amrOf(t, u.Token); !slices.Equal(got, []string{"pwd"}) {
		t.Errorf("a password login's amr = %v; want [pwd]", got)
	}
	if diff := mfaStatus(t, u); diff["totp"] != false || diff["passkeys"] != float64(0) || diff["recovery_codes_left"] != float64(0) {
		t.Errorf("GET /user mfa = %v; want none", diff)
	}

	// Setup needs the current password.
	u.Do("POST", "/user/mfa/totp", map[string]any{"current_password": "not it"}).Expect(t, http.StatusForbidden)
	u.Do("POST", "/user/mfa/totp", map[string]any{}).Expect(t, http.StatusUnprocessableEntity)
	resp := u.Do("POST", "/user/mfa/totp", map[string]any{"current_password": u.Password}).Expect(t, http.StatusOK)
	var setup struct {
		Secret     string `json:"secret"`
		OTPAuthURL string `json:"otpauth_url"`
		QRPNG      string `json:"qr_png"`
	}
	resp.Decode(t, &setup)
	if len(setup.Secret) < 32 || !strings.HasPrefix(setup.OTPAuthURL, "otpauth://totp/Listo:") ||
		!strings.Contains(setup.OTPAuthURL, "secret="+setup.Secret) || !strings.Contains(setup.OTPAuthURL, "issuer=Listo") {
		t.Fatalf("setup = %+v", setup)
	}
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(setup.QRPNG, "data:image/png;base64,"))
	if !strings.HasPrefix(setup.QRPNG, "data:image/png;base64,") || err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("qr_png is not a PNG data URL: %.60s", setup.QRPNG)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("setup Cache-Control = %q", cc)
	}
	// Stored sealed, never as the secret.
	f, err := srv.Store().Factors(context.Background(), u.ID)
	if err != nil || f.TOTP() || f.TOTPPending == nil || bytes.Contains(f.TOTPPending, []byte(setup.Secret)) {
		t.Fatalf("stored factors = %+v, %v; want a sealed pending secret", f, err)
	}

	// Pending: no second step yet, and GET /user says off.
	if got := srv.Client().Do("POST", "/auth", map[string]any{"email": u.Email, "password": u.Password}).Expect(t, http.StatusOK).JSON(t); got["access_token"] == nil {
		t.Errorf("a pending setup already asks for a second step: %v", got)
	}
	if m := mfaStatus(t, u); m["totp"] != false {
		t.Errorf("pending TOTP shows as on: %v", m)
	}

	// Confirm: a wrong code is refused; the right one gives 10 codes.
	wrong := totpAt(t, setup.Secret, srv.Clock.Now().Add(-2*time.Minute))
	u.Do("POST", "/user/mfa/totp/confirm", map[string]any{"code": wrong}).Expect(t, http.StatusUnprocessableEntity)
	u.Do("POST", "/user/mfa/totp/confirm", map[string]any{"code": "12345"}).Expect(t, http.StatusUnprocessableEntity)
	var confirmed struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	u.Do("POST", "/user/mfa/totp/confirm", map[string]any{"code": totpAt(t, setup.Secret, srv.Clock.Now())}).Expect(t, http.StatusOK).Decode(t, &confirmed)
	if len(confirmed.RecoveryCodes) != 10 {
		t.Fatalf("recovery codes = %v; want 10", confirmed.RecoveryCodes)
	}
	seen := map[string]bool{}
	for _, c := range confirmed.RecoveryCodes {
		if !recoveryCodeShape.MatchString(c) || seen[c] {
			t.Errorf("recovery code %q: want XXXXX-XXXXX from an unambiguous alphabet, unique", c)
		}
		seen[c] = true
	}
	f, _ = srv.Store().Factors(context.Background(), u.ID)
	for _, h := range f.RecoveryCodes {
		for c := range seen {
			if strings.Contains(h, c) || strings.Contains(h, strings.ReplaceAll(c, "-", "")) {
				t.Errorf("recovery code %s stored as it is", c)
			}
		}
	}
	if m := mfaStatus(t, u); m["totp"] != true || m["recovery_codes_left"] != float64(10) || m["passkeys"] != float64(0) {
		t.Errorf("GET /user mfa = %v; want totp, 10 codes", m)
	}
	// No second setup while on; the confirm is used up.
	u.Do("POST", "/user/mfa/totp", map[string]any{"current_password": u.Password}).Expect(t, http.StatusConflict)
	u.Do("POST", "/user/mfa/totp/confirm", map[string]any{"code": totpAt(t, setup.Secret, srv.Clock.Now())}).Expect(t, http.StatusConflict)

	// Login: the password step, then the code (in the next time step: the
	// confirmation used this one).
	srv.Clock.Advance(30 * time.Second)
	c := srv.Client()
	ch := passwordStep(t, srv, c, u, map[string]any{"device": "Phone"})
	if !slices.Equal(ch.Methods, []string{"totp", "recovery_code"}) {
		t.Errorf("methods = %v; want [totp recovery_code]", ch.Methods)
	}
	resp = secondStep(c, ch.MFAToken, map[string]any{"code": totpAt(t, setup.Secret, srv.Clock.Now())}).Expect(t, http.StatusOK)
	var g struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		SessionID    string `json:"session_id"`
		User         struct{ ID string }
	}
	resp.Decode(t, &g)
	if g.AccessToken == "" || g.RefreshToken == "" || g.User.ID != u.ID {
		t.Fatalf("POST /auth/mfa = %s; want POST /auth's answer", resp.Body)
	}
	if got := amrOf(t, g.AccessToken); !slices.Equal(got, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("amr = %v; want [pwd otp mfa]", got)
	}
	// The session keeps how it logged in, through refreshes, and the
	// devices list shows it.
	next := refresh(t, srv, g.RefreshToken, http.StatusOK)
	if got := amrOf(t, next.AccessToken); !slices.Equal(got, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("amr after refresh = %v", got)
	}
	var devices struct {
		Items []struct {
			ID, Device string
			AMR        []string
		}
	}
	u.Do("GET", "/user/sessions", nil).Expect(t, http.StatusOK).Decode(t, &devices)
	found := false
	for _, d := range devices.Items {
		switch d.ID {
		case g.SessionID:
			found = true
			if d.Device != "Phone" || !slices.Equal(d.AMR, []string{"pwd", "otp", "mfa"}) {
				t.Errorf("devices list: %+v; want Phone, [pwd otp mfa]", d)
			}
		case u.SessionID:
			if !slices.Equal(d.AMR, []string{"pwd"}) {
				t.Errorf("devices list, the password session: %+v", d)
			}
		}
	}
	if !found {
		t.Errorf("the new session is not in the devices list: %+v", devices)
	}
	// Used once.
	secondStep(c, ch.MFAToken, map[string]any{"code": totpAt(t, setup.Secret, srv.Clock.Now())}).Expect(t, http.StatusUnauthorized)
	// The secret never reached a log.
	if strings.Contains(srv.Logs.String(), setup.Secret) {
		t.Error("the TOTP secret is in the log")
	}
}

func TestTOTPWindowAndReplay(t *testing.T) {
	srv := mfaServer(t, nil)
	u := srv.NewUser(t)
	secret, _ := enrolTOTP(t, srv, u)
	c := srv.Client()
	srv.Clock.Advance(5 * time.Minute)
	try := func(name string, at time.Time, want int) {
		t.Helper()
		ch := passwordStep(t, srv, c, u, nil)
		if r := secondStep(c, ch.MFAToken, map[string]any{"code": totpAt(t, secret, at)}); r.Status != want {
			t.Errorf("%s: POST /auth/mfa = %d %s; want %d", name, r.Status, r.Body, want)
		}
	}
	now := srv.Clock.Now
	try("two steps behind", now().Add(-60*time.Second), http.StatusUnauthorized)
	try("two steps ahead", now().Add(60*time.Second), http.StatusUnauthorized)
	try("one step behind", now().Add(-30*time.Second), http.StatusOK)
	srv.Clock.Advance(90 * time.Second)
	try("one step ahead", now().Add(30*time.Second), http.StatusOK)
	try("the same code again", now().Add(30*time.Second), http.StatusUnauthorized)
	try("an older step than the last accepted", now(), http.StatusUnauthorized)
	srv.Clock.Advance(60 * time.Second)
	try("the next step", now(), http.StatusOK)
}

func TestMFATokenBurntAfterFiveWrongAnswers(t *testing.T) {
	srv := mfaServer(t, map[string]string{"AUTH_FAILURE_MAX": "100"})
	u := srv.NewUser(t)
	secret, codes := enrolTOTP(t, srv, u)
	srv.Clock.Advance(30 * time.Second)
	c := srv.Client()
	ch := passwordStep(t, srv, c, u, nil)
	for i := range 5 {
		r := secondStep(c, ch.MFAToken, map[string]any{"code": "000000"}).Expect(t, http.StatusUnauthorized)
		if r.JSON(t)["type"] == "/problems/mfa-token-invalid" {
			t.Errorf("wrong answer %d already says the token is gone: %s", i+1, r.Body)
		}
	}
	for _, answer := range []map[string]any{{"code": totpAt(t, secret, srv.Clock.Now())}, {"recovery_code": codes[0]}} {
		r := secondStep(c, ch.MFAToken, answer).Expect(t, http.StatusUnauthorized)
		if r.JSON(t)["type"] != "/problems/mfa-token-invalid" {
			t.Errorf("a right answer on a burnt token = %s; want /problems/mfa-token-invalid", r.Body)
		}
	}
	// A new login works; the burnt token did not use the code up.
	ch = passwordStep(t, srv, c, u, nil)
	secondStep(c, ch.MFAToken, map[string]any{"code": totpAt(t, secret, srv.Clock.Now())}).Expect(t, http.StatusOK)
}

func TestMFAWrongAnswersLockTheEmail(t *testing.T) {
	srv := mfaServer(t, nil) // AUTH_FAILURE_MAX=5
	u := srv.NewUser(t)
	secret, _ := enrolTOTP(t, srv, u)
	srv.Clock.Advance(30 * time.Second)
	c := srv.Client()
	first := passwordStep(t, srv, c, u, nil)
	for range 4 {
		secondStep(c, first.MFAToken, map[string]any{"code": "000000"}).Expect(t, http.StatusUnauthorized)
	}
	// The right password for a fresh token does not clear the count...
	second := passwordStep(t, srv, c, u, nil)
	secondStep(c, second.MFAToken, map[string]any{"recovery_code": "AAAAA-AAAAA"}).Expect(t, http.StatusUnauthorized)
	// ...so the fifth wrong answer locks the email: the password step and
	// a right code are both refused until the window ends.
	c.Do("POST", "/auth", map[string]any{"email": u.Email, "password": u.Password}).Expect(t, http.StatusTooManyRequests)
	secondStep(c, second.MFAToken, map[string]any{"code": totpAt(t, secret, srv.Clock.Now())}).Expect(t, http.StatusTooManyRequests)
	srv.Clock.Advance(15*time.Minute + time.Second)
	third := passwordStep(t, srv, c, u, nil)
	secondStep(c, third.MFAToken, map[string]any{"code": totpAt(t, secret, srv.Clock.Now())}).Expect(t, http.StatusOK)
	// A completed login cleared the count: four wrong answers do not lock.
	fourth := passwordStep(t, srv, c, u, nil)
	for range 4 {
		secondStep(c, fourth.MFAToken, map[string]any{"code": "000000"}).Expect(t, http.StatusUnauthorized)
	}
	passwordStep(t, srv, c, u, nil)
}

func TestRecoveryCodes(t *testing.T) {
	srv := mfaServer(t, nil)
	u := srv.NewUser(t)
	_, codes := enrolTOTP(t, srv, u)
	c := srv.Client()

	// A code works once, in any case and without its dash.
	ch := passwordStep(t, srv, c, u, nil)
	r := secondStep(c, ch.MFAToken, map[string]any{"recovery_code": strings.ToLower(strings.ReplaceAll(codes[0], "-", ""))}).Expect(t, http.StatusOK)
	if got := amrOf(t, r.JSON(t)["access_token"].(string)); !slices.Equal(got, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("amr with a recovery code = %v", got)
	}
	ch = passwordStep(t, srv, c, u, nil)
	secondStep(c, ch.MFAToken, map[string]any{"recovery_code": codes[0]}).Expect(t, http.StatusUnauthorized)
	if m := mfaStatus(t, u); m["recovery_codes_left"] != float64(9) {
		t.Errorf("codes left = %v; want 9", m["recovery_codes_left"])
	}

	// New codes need the password, and the old ones stop working.
	u.Do("POST", "/user/mfa/recovery-codes", map[string]any{"current_password": "nope"}).Expect(t, http.StatusForbidden)
	var fresh struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	u.Do("POST", "/user/mfa/recovery-codes", map[string]any{"current_password": u.Password}).Expect(t, http.StatusOK).Decode(t, &fresh)
	if len(fresh.RecoveryCodes) != 10 || slices.Contains(fresh.RecoveryCodes, codes[1]) {
		t.Fatalf("new codes = %v", fresh.RecoveryCodes)
	}
	secondStep(c, ch.MFAToken, map[string]any{"recovery_code": codes[1]}).Expect(t, http.StatusUnauthorized)
	secondStep(c, ch.MFAToken, map[string]any{"recovery_code": fresh.RecoveryCodes[0]}).Expect(t, http.StatusOK)
	if m := mfaStatus(t, u); m["recovery_codes_left"] != float64(9) {
		t.Errorf("codes left = %v; want 9", m["recovery_codes_left"])
	}

	// Without a second factor there is nothing for codes to stand in for.
	other := srv.NewUser(t)
	other.Do("POST", "/user/mfa/recovery-codes", map[string]any{"current_password": other.Password}).Expect(t, http.StatusConflict)
}

func TestMFATokenIsNoOtherToken(t *testing.T) {
	srv := mfaServer(t, nil)
	u := srv.NewUser(t)
	secret, _ := enrolTOTP(t, srv, u)
	v := srv.NewUser(t)
	vSecret, _ := enrolTOTP(t, srv, v)
	srv.Clock.Advance(30 * time.Second)
	c := srv.Client()
	ch := passwordStep(t, srv, c, u, nil)

	// Not an access token, not a refresh token.
	bearer := srv.Client()
	bearer.Token = ch.MFAToken
	bearer.Do("GET", "/user", nil).Expect(t, http.StatusUnauthorized)
	bearer.Do("GET", "/todos", nil).Expect(t, http.StatusUnauthorized)
	srv.Client().Do("POST", "/refresh", map[string]any{"refresh_token": ch.MFAToken}).Expect(t, http.StatusUnauthorized)
	// Bound to its user: another user's code does not answer it.
	secondStep(c, ch.MFAToken, map[string]any{"code": totpAt(t, vSecret, srv.Clock.Now())}).Expect(t, http.StatusUnauthorized)
	// Malformed and made-up tokens.
	secondStep(c, "x", map[string]any{"code": "123456"}).Expect(t, http.StatusUnauthorized)
	secondStep(c, strings.Repeat("A", 43), map[string]any{"code": "123456"}).Expect(t, http.StatusUnauthorized)
	secondStep(c, ch.MFAToken, map[string]any{}).Expect(t, http.StatusUnprocessableEntity)
	secondStep(c, ch.MFAToken, map[string]any{"code": "123456", "recovery_code": "AAAAA-AAAAA"}).Expect(t, http.StatusUnprocessableEntity)

	// Expires after five minutes.
	srv.Clock.Advance(5*time.Minute + time.Second)
	r := secondStep(c, ch.MFAToken, map[string]any{"code": totpAt(t, secret, srv.Clock.Now())}).Expect(t, http.StatusUnauthorized)
	if r.JSON(t)["type"] != "/problems/mfa-token-invalid" {
		t.Errorf("expired token = %s", r.Body)
	}

	// The cookie choice made at /auth applies at the second step.
	browser := srv.Client()
	ch = passwordStep(t, srv, browser, u, map[string]any{"cookie": true})
	resp := secondStep(browser, ch.MFAToken, map[string]any{"code": totpAt(t, secret, srv.Clock.Now())}).Expect(t, http.StatusOK)
	if m := resp.JSON(t); m["csrf_token"] == nil || m["access_token"] != nil {
		t.Errorf("cookie-mode second step = %s", resp.Body)
	}
	if cookieNamed(resp, "listo_access") == nil || cookieNamed(resp, "listo_refresh") == nil {
		t.Errorf("cookie-mode second step set no token cookies: %v", resp.Header.Values("Set-Cookie"))
	}
	browser.Do("GET", "/user", nil).Expect(t, http.StatusOK)
}

func TestDisableTOTP(t *testing.T) {
	srv := mfaServer(t, nil)
	u := srv.NewUser(t)
	secret, codes := enrolTOTP(t, srv, u)
	srv.Clock.Advance(30 * time.Second)
	u.Do("DELETE", "/user/mfa/totp", map[string]any{"current_password": "nope", "code": totpAt(t, secret, srv.Clock.Now())}).Expect(t, http.StatusForbidden)
	u.Do("DELETE", "/user/mfa/totp", map[string]any{"current_password": u.Password, "code": "000000"}).Expect(t, http.StatusForbidden)
	u.Do("DELETE", "/user/mfa/totp", map[string]any{"current_password": u.Password, "code": "AAAAA-AAAAA"}).Expect(t, http.StatusForbidden)
	if m := mfaStatus(t, u); m["totp"] != true {
		t.Fatalf("TOTP went off with a wrong code: %v", m)
	}
	u.Do("DELETE", "/user/mfa/totp", map[string]any{"current_password": u.Password, "code": codes[3]}).Expect(t, http.StatusNoContent)
	if m := mfaStatus(t, u); m["totp"] != false || m["recovery_codes_left"] != float64(0) {
		t.Errorf("after turning TOTP off: %v; want no TOTP and no codes", m)
	}
	srv.Login(t, u.Email, u.Password) // no second step
	u.Do("DELETE", "/user/mfa/totp", map[string]any{"current_password": u.Password, "code": "000000"}).Expect(t, http.StatusConflict)

	// With the app's code too.
	secret, _ = enrolTOTP(t, srv, u)
	srv.Clock.Advance(30 * time.Second)
	u.Do("DELETE", "/user/mfa/totp", map[string]any{"current_password": u.Password, "code": totpAt(t, secret, srv.Clock.Now())}).Expect(t, http.StatusNoContent)
}

func TestPasswordResetKeepsMFA(t *testing.T) {
	srv, smtp := mailServer(t, map[string]string{"RATE_AUTH_PER_MINUTE": "0"}, apptest.NewClock(time.Now()))
	u := srv.NewUser(t)
	linkToken(t, smtp, u.Email) // the registration's verification mail
	secret, _ := enrolTOTP(t, srv, u)
	srv.Client().Do("POST", "/password/forgot", map[string]any{"email": u.Email}).Expect(t, http.StatusAccepted)
	_, token := linkToken(t, smtp, u.Email)
	const newPassword = "a brand new passphrase after the reset"
	srv.Client().Do("POST", "/password/reset", map[string]any{"token": token, "password": newPassword}).Expect(t, http.StatusNoContent)
	u.Password = newPassword
	srv.Clock.Advance(30 * time.Second)
	c := srv.Client()
	ch := passwordStep(t, srv, c, u, nil)
	secondStep(c, ch.MFAToken, map[string]any{"code": totpAt(t, secret, srv.Clock.Now())}).Expect(t, http.StatusOK)
}

func TestAdminRemovesFactors(t *testing.T) {
	srv, smtp := mailServer(t, map[string]string{"RATE_AUTH_PER_MINUTE": "0"}, apptest.NewClock(time.Now()))
	admin := srv.NewUser(t)
	makeAdmin(t, srv, admin)
	u := srv.NewUser(t)
	linkToken(t, smtp, u.Email)
	secret, _ := enrolTOTP(t, srv, u)
	srv.Clock.Advance(30 * time.Second)
	c := srv.Client()
	ch := passwordStep(t, srv, c, u, nil)
	secondStep(c, ch.MFAToken, map[string]any{"code": totpAt(t, secret, srv.Clock.Now())}).Expect(t, http.StatusOK)
	pending := passwordStep(t, srv, srv.Client(), u, nil)

	u.Do("DELETE", "/users/"+admin.ID+"/mfa", nil).Expect(t, http.StatusForbidden)
	admin.Do("DELETE", "/users/0123456789abcdef01234567/mfa", nil).Expect(t, http.StatusNotFound)
	admin.Do("DELETE", "/users/"+u.ID+"/mfa", nil).Expect(t, http.StatusNoContent)

	// Every session of the user ended, a pending second step too; the
	// password stays and now logs in alone.
	u.Do("GET", "/user", nil).Expect(t, http.StatusUnauthorized)
	srv.Client().Do("POST", "/auth/mfa", map[string]any{"mfa_token": pending.MFAToken, "code": totpAt(t, secret, srv.Clock.Now())}).Expect(t, http.StatusUnauthorized)
	again := srv.Login(t, u.Email, u.Password)
	if m := mfaStatus(t, again); m["totp"] != false || m["recovery_codes_left"] != float64(0) || m["passkeys"] != float64(0) {
		t.Errorf("after the admin's removal: %v", m)
	}
	if m := smtp.WaitFor(t, u.Email, 10*time.Second); !strings.Contains(m.Subject, "Two-step verification was removed") {
		t.Errorf("notice subject = %q", m.Subject)
	}
	admin.Do("GET", "/user", nil).Expect(t, http.StatusOK) // the admin's own sessions live on
}

func TestDeletingTheUserDeletesFactors(t *testing.T) {
	srv := mfaServer(t, nil)
	u := srv.NewUser(t)
	enrolTOTP(t, srv, u)
	u.Do("DELETE", "/user", map[string]any{"password": u.Password}).Expect(t, http.StatusNoContent)
	f, err := srv.Store().Factors(context.Background(), u.ID)
	if err != nil || f.TOTP() || len(f.RecoveryCodes) > 0 {
		t.Errorf("a deleted user's factors = %+v, %v; want none", f, err)
	}
}

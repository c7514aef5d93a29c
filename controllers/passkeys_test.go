package controllers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"listo/apptest"
	"listo/apptest/softauthn"
)

// localOrigin is where a browser would open the test server: passkeys'
// RP ID is localhost in development.
func localOrigin(t *testing.T, srv *apptest.Server) string {
	t.Helper()
	_, port, err := net.SplitHostPort(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	return "http://localhost:" + port
}

type passkeyJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	BackedUp   bool       `json:"backed_up"`
}

// addPasskey registers a new credential of a for u.
func addPasskey(t *testing.T, u *apptest.User, a *softauthn.Authenticator, name string) (passkeyJSON, *softauthn.Credential) {
	t.Helper()
	opts := u.Do("POST", "/user/passkeys/options", nil).Expect(t, http.StatusOK)
	cred, c, err := a.Create(opts.Body)
	if err != nil {
		t.Fatalf("authenticator: %v; options %s", err, opts.Body)
	}
	var pk passkeyJSON
	u.Do("POST", "/user/passkeys", map[string]any{"name": name, "credential": json.RawMessage(cred)}).Expect(t, http.StatusCreated).Decode(t, &pk)
	return pk, c
}

type loginOptions struct {
	ChallengeID string          `json:"challenge_id"`
	PublicKey   json.RawMessage `json:"publicKey"`
}

// passkeyOptions asks for a passwordless login's options.
func passkeyOptions(t *testing.T, c *apptest.Client) loginOptions {
	t.Helper()
	var o loginOptions
	c.Do("POST", "/auth/passkey/options", nil).Expect(t, http.StatusOK).Decode(t, &o)
	if o.ChallengeID == "" || len(o.PublicKey) == 0 {
		t.Fatalf("options = %+v", o)
	}
	return o
}

// assert makes a's assertion (of cred, or the newest it may use) for
// the options.
func assert(t *testing.T, a *softauthn.Authenticator, publicKey json.RawMessage, cred *softauthn.Credential) json.RawMessage {
	t.Helper()
	b, err := a.Get([]byte(`{"publicKey":`+string(publicKey)+`}`), cred)
	if err != nil {
		t.Fatalf("authenticator: %v", err)
	}
	return b
}

// passkeyLogin logs in without a password.
func passkeyLogin(t *testing.T, c *apptest.Client, a *softauthn.Authenticator, cred *softauthn.Credential, extra map[string]any) *apptest.Response {
	t.Helper()
	o := passkeyOptions(t, c)
	body := map[string]any{"challenge_id": o.ChallengeID, "credential": assert(t, a, o.PublicKey, cred)}
	for k, v := range extra {
		body[k] = v
	}
	return c.Do("POST", "/auth/passkey", body)
}

func TestPasskeyRegistrationAndPasswordlessLogin(t *testing.T) {
	srv := mfaServer(t, nil)
	u := srv.NewUser(t)
	a := softauthn.New(localOrigin(t, srv))

	// The creation options: the RP, the user handle, discoverable
	// credentials required, user verification preferred, no attestation.
	var opts struct {
		PublicKey struct {
			RP struct {
				ID, Name string
			} `json:"rp"`
			User struct {
				ID, Name, DisplayName string
			} `json:"user"`
			Challenge              string
			AuthenticatorSelection struct {
				ResidentKey        string `json:"residentKey"`
				RequireResidentKey bool   `json:"requireResidentKey"`
				UserVerification   string `json:"userVerification"`
			} `json:"authenticatorSelection"`
			Attestation        string                `json:"attestation"`
			ExcludeCredentials []struct{ ID string } `json:"excludeCredentials"`
		} `json:"publicKey"`
	}
	u.Do("POST", "/user/passkeys/options", nil).Expect(t, http.StatusOK).Decode(t, &opts)
	pk := opts.PublicKey
	if handle, _ := base64.RawURLEncoding.DecodeString(pk.User.ID); pk.RP.ID != "localhost" || pk.RP.Name != "Listo" || string(handle) != u.ID || pk.User.Name != u.Email ||
		pk.AuthenticatorSelection.ResidentKey != "required" || !pk.AuthenticatorSelection.RequireResidentKey ||
		pk.AuthenticatorSelection.UserVerification != "preferred" || pk.Attestation != "none" || len(pk.Challenge) < 22 {
		t.Errorf("creation options = %+v", pk)
	}

	laptop, cred := addPasskey(t, u, a, " Laptop ")
	if laptop.Name != "Laptop" || laptop.ID == "" || laptop.LastUsedAt != nil || laptop.BackedUp {
		t.Errorf("created passkey = %+v", laptop)
	}
	// The next options exclude it, so the authenticator refuses to make a
	// second credential for the same account.
	opts2 := u.Do("POST", "/user/passkeys/options", nil).Expect(t, http.StatusOK)
	if _, _, err := a.Create(opts2.Body); !errors.Is(err, softauthn.ErrExcluded) {
		t.Errorf("second registration on the same authenticator = %v; want it excluded", err)
	}
	if m := mfaStatus(t, u); m["passkeys"] != float64(1) {
		t.Errorf("GET /user mfa = %v; want 1 passkey", m)
	}
	var list struct{ Items []passkeyJSON }
	u.Do("GET", "/user/passkeys", nil).Expect(t, http.StatusOK).Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != laptop.ID {
		t.Fatalf("GET /user/passkeys = %+v", list)
	}

	// A passwordless login: a complete login, device and cookie mode as
	// at /auth.
	c := srv.Client()
	resp := passkeyLogin(t, c, a, cred, map[string]any{"device": "Laptop"}).Expect(t, http.StatusOK)
	var g struct {
		AccessToken string `json:"access_token"`
		SessionID   string `json:"session_id"`
		User        struct{ ID string }
	}
	resp.Decode(t, &g)
	if g.User.ID != u.ID || g.AccessToken == "" {
		t.Fatalf("POST /auth/passkey = %s", resp.Body)
	}
	if got := amrOf(t, g.AccessToken); !slices.Equal(got, []string{"hwk", "mfa"}) {
		t.Errorf("amr = %v; want [hwk mfa] (a device-bound key that verified its user)", got)
	}
	c.Token = g.AccessToken
	var devices struct {
		Items []struct {
			ID, Device string
			AMR        []string
		}
	}
	c.Do("GET", "/user/sessions", nil).Expect(t, http.StatusOK).Decode(t, &devices)
	for _, d := range devices.Items {
		if d.ID == g.SessionID && (d.Device != "Laptop" || !slices.Equal(d.AMR, []string{"hwk", "mfa"})) {
			t.Errorf("devices list: %+v", d)
		}
	}
	u.Do("GET", "/user/passkeys", nil).Expect(t, http.StatusOK).Decode(t, &list)
	if list.Items[0].LastUsedAt == nil {
		t.Errorf("last_used_at not set after a login: %+v", list.Items[0])
	}

	// Cookie mode, and a synced passkey is "swk".
	synced := softauthn.New(localOrigin(t, srv))
	synced.Synced = true
	phone, phoneCred := addPasskey(t, u, synced, "Phone")
	if !phone.BackedUp {
		t.Errorf("a synced passkey is not backed_up: %+v", phone)
	}
	browser := srv.Client()
	resp = passkeyLogin(t, browser, synced, phoneCred, map[string]any{"cookie": true}).Expect(t, http.StatusOK)
	if resp.JSON(t)["csrf_token"] == nil || cookieNamed(resp, "listo_access") == nil {
		t.Errorf("cookie-mode passkey login = %s", resp.Body)
	}
	if got := amrOf(t, cookieNamed(resp, "listo_access").Value); !slices.Equal(got, []string{"swk", "mfa"}) {
		t.Errorf("amr of a synced passkey = %v; want [swk mfa]", got)
	}

	// Rename; another user cannot see, rename or delete it.
	other := srv.NewUser(t)
	other.Do("PATCH", "/user/passkeys/"+laptop.ID, map[string]any{"name": "Mine"}).Expect(t, http.StatusNotFound)
	other.Do("DELETE", "/user/passkeys/"+laptop.ID, map[string]any{"current_password": other.Password}).Expect(t, http.StatusNotFound)
	u.Do("PATCH", "/user/passkeys/"+laptop.ID, map[string]any{"name": " "}).Expect(t, http.StatusUnprocessableEntity)
	var renamed passkeyJSON
	u.Do("PATCH", "/user/passkeys/"+laptop.ID, map[string]any{"name": "Work laptop"}).Expect(t, http.StatusOK).Decode(t, &renamed)
	if renamed.Name != "Work laptop" {
		t.Errorf("renamed = %+v", renamed)
	}

	// Deleting needs the password; a deleted passkey cannot log in.
	u.Do("DELETE", "/user/passkeys/"+laptop.ID, map[string]any{"current_password": "nope"}).Expect(t, http.StatusForbidden)
	u.Do("DELETE", "/user/passkeys/"+laptop.ID, map[string]any{"current_password": u.Password}).Expect(t, http.StatusNoContent)
	passkeyLogin(t, srv.Client(), a, cred, nil).Expect(t, http.StatusUnauthorized)
	passkeyLogin(t, srv.Client(), synced, phoneCred, nil).Expect(t, http.StatusOK)
	if strings.Contains(srv.Logs.String(), `"level":"ERROR"`) {
		t.Errorf("errors logged: %s", srv.Logs.String())
	}
}

func TestPasskeyLoginRefusals(t *testing.T) {
	srv := mfaServer(t, nil)
	u := srv.NewUser(t)
	a := softauthn.New(localOrigin(t, srv))
	_, cred := addPasskey(t, u, a, "Laptop")
	c := srv.Client()

	t.Run("unknown credential", func(t *testing.T) {
		stranger := softauthn.New(localOrigin(t, srv))
		_, strangerCred, err := stranger.Create(u.Do("POST", "/user/passkeys/options", nil).Expect(t, http.StatusOK).Body)
		if err != nil {
			t.Fatal(err)
		}
		passkeyLogin(t, c, stranger, strangerCred, nil).Expect(t, http.StatusUnauthorized)
	})
	t.Run("wrong origin", func(t *testing.T) {
		a.Origin = "https://listo.evil.example"
		defer func() { a.Origin = localOrigin(t, srv) }()
		passkeyLogin(t, c, a, cred, nil).Expect(t, http.StatusUnauthorized)
	})
	t.Run("wrong RP ID", func(t *testing.T) {
		rpID := cred.RPID
		cred.RPID = "evil.example"
		defer func() { cred.RPID = rpID }()
		o := passkeyOptions(t, c)
		var pk map[string]any
		_ = json.Unmarshal(o.PublicKey, &pk)
		pk["rpId"] = "evil.example" // the phishing page's own RP ID
		b, _ := json.Marshal(pk)
		c.Do("POST", "/auth/passkey", map[string]any{"challenge_id": o.ChallengeID, "credential": assert(t, a, b, cred)}).Expect(t, http.StatusUnauthorized)
	})
	t.Run("wrong user handle", func(t *testing.T) {
		other := srv.NewUser(t)
		handle := cred.UserHandle
		cred.UserHandle = []byte(other.ID)
		defer func() { cred.UserHandle = handle }()
		passkeyLogin(t, c, a, cred, nil).Expect(t, http.StatusUnauthorized)
	})
	t.Run("replayed challenge and assertion", func(t *testing.T) {
		o := passkeyOptions(t, c)
		first := assert(t, a, o.PublicKey, cred)
		c.Do("POST", "/auth/passkey", map[string]any{"challenge_id": o.ChallengeID, "credential": first}).Expect(t, http.StatusOK)
		// The same assertion again, and a fresh one for the used challenge.
		c.Do("POST", "/auth/passkey", map[string]any{"challenge_id": o.ChallengeID, "credential": first}).Expect(t, http.StatusUnauthorized)
		c.Do("POST", "/auth/passkey", map[string]any{"challenge_id": o.ChallengeID, "credential": assert(t, a, o.PublicKey, cred)}).Expect(t, http.StatusUnauthorized)
		// The assertion with another (fresh) challenge_id: its signed
		// challenge is not that one's.
		o2 := passkeyOptions(t, c)
		c.Do("POST", "/auth/passkey", map[string]any{"challenge_id": o2.ChallengeID, "credential": first}).Expect(t, http.StatusUnauthorized)
	})
	t.Run("expired challenge", func(t *testing.T) {
		o := passkeyOptions(t, c)
		srv.Clock.Advance(5*time.Minute + time.Second)
		c.Do("POST", "/auth/passkey", map[string]any{"challenge_id": o.ChallengeID, "credential": assert(t, a, o.PublicKey, cred)}).Expect(t, http.StatusUnauthorized)
	})
	t.Run("cloned key: the counter goes backwards", func(t *testing.T) {
		passkeyLogin(t, c, a, cred, nil).Expect(t, http.StatusOK)
		clone := *cred
		clone.Counter -= 2 // the copy is behind the original
		passkeyLogin(t, c, a, &clone, nil).Expect(t, http.StatusUnauthorized)
		if !strings.Contains(srv.Logs.String(), "possibly a cloned authenticator") {
			t.Errorf("no warning about a cloned key in the log")
		}
		passkeyLogin(t, c, a, cred, nil).Expect(t, http.StatusOK) // the original goes on
	})
	t.Run("user not verified", func(t *testing.T) {
		a.UV = false
		defer func() { a.UV = true }()
		passkeyLogin(t, c, a, cred, nil).Expect(t, http.StatusUnauthorized)
	})
	t.Run("malformed", func(t *testing.T) {
		o := passkeyOptions(t, c)
		c.Do("POST", "/auth/passkey", map[string]any{"challenge_id": o.ChallengeID, "credential": map[string]any{"id": "x"}}).Expect(t, http.StatusUnprocessableEntity)
		c.Do("POST", "/auth/passkey", map[string]any{"challenge_id": "nope", "credential": assert(t, a, o.PublicKey, cred)}).Expect(t, http.StatusUnauthorized)
	})
	t.Run("disabled user", func(t *testing.T) {
		admin := srv.NewUser(t)
		makeAdmin(t, srv, admin)
		admin.Do("PATCH", "/users/"+u.ID, map[string]any{"disabled": true}).Expect(t, http.StatusOK)
		defer func() { admin.Do("PATCH", "/users/"+u.ID, map[string]any{"disabled": false}).Expect(t, http.StatusOK) }()
		if r := passkeyLogin(t, c, a, cred, nil); r.Status == http.StatusOK {
			t.Errorf("a disabled user logged in with a passkey: %s", r.Body)
		}
	})
}

func TestPasskeyRegistrationRefusals(t *testing.T) {
	srv := mfaServer(t, nil)
	u := srv.NewUser(t)
	a := softauthn.New(localOrigin(t, srv))
	create := func(t *testing.T, opts []byte) json.RawMessage {
		t.Helper()
		cred, _, err := a.Create(opts)
		if err != nil {
			t.Fatal(err)
		}
		return cred
	}
	opts := u.Do("POST", "/user/passkeys/options", nil).Expect(t, http.StatusOK).Body

	a.Origin = "https://listo.evil.example"
	u.Do("POST", "/user/passkeys", map[string]any{"name": "x", "credential": create(t, opts)}).Expect(t, http.StatusUnprocessableEntity)
	a.Origin = localOrigin(t, srv)
	// The challenge was used up by that answer.
	u.Do("POST", "/user/passkeys", map[string]any{"name": "x", "credential": create(t, opts)}).Expect(t, http.StatusUnprocessableEntity)
	// Another user's registration is not yours to finish.
	other := srv.NewUser(t)
	theirs := other.Do("POST", "/user/passkeys/options", nil).Expect(t, http.StatusOK).Body
	u.Do("POST", "/user/passkeys", map[string]any{"name": "x", "credential": create(t, theirs)}).Expect(t, http.StatusUnprocessableEntity)
	u.Do("POST", "/user/passkeys", map[string]any{"name": "x", "credential": map[string]any{"id": "x"}}).Expect(t, http.StatusUnprocessableEntity)
	if m := mfaStatus(t, u); m["passkeys"] != float64(0) {
		t.Errorf("refused registrations stored a passkey: %v", m)
	}
	// Expired options.
	opts = u.Do("POST", "/user/passkeys/options", nil).Expect(t, http.StatusOK).Body
	srv.Clock.Advance(5*time.Minute + time.Second)
	u.Do("POST", "/user/passkeys", map[string]any{"name": "x", "credential": create(t, opts)}).Expect(t, http.StatusUnprocessableEntity)
	// Logged in only.
	srv.Client().Do("POST", "/user/passkeys/options", nil).Expect(t, http.StatusUnauthorized)
}

func TestPasskeyAsSecondFactor(t *testing.T) {
	srv := mfaServer(t, nil)
	u := srv.NewUser(t)
	a := softauthn.New(localOrigin(t, srv))
	pk, cred := addPasskey(t, u, a, "Key")

	// With a passkey, a password login needs a second step.
	c := srv.Client()
	ch := passwordStep(t, srv, c, u, map[string]any{"device": "Desk"})
	if !slices.Equal(ch.Methods, []string{"passkey"}) {
		t.Errorf("methods = %v; want [passkey]", ch.Methods)
	}
	options := func() json.RawMessage {
		var o struct {
			PublicKey json.RawMessage `json:"publicKey"`
		}
		c.Do("POST", "/auth/mfa/passkey/options", map[string]any{"mfa_token": ch.MFAToken}).Expect(t, http.StatusOK).Decode(t, &o)
		var allowed struct {
			AllowCredentials []struct{ ID string } `json:"allowCredentials"`
		}
		_ = json.Unmarshal(o.PublicKey, &allowed)
		if len(allowed.AllowCredentials) != 1 || allowed.AllowCredentials[0].ID != base64.RawURLEncoding.EncodeToString(cred.ID) {
			t.Errorf("second-step options allow %+v; want the user's passkey", allowed)
		}
		return o.PublicKey
	}
	c.Do("POST", "/auth/mfa/passkey/options", map[string]any{"mfa_token": "nope"}).Expect(t, http.StatusUnauthorized)

	// Another user's passkey does not answer this user's second step.
	other := srv.NewUser(t)
	b := softauthn.New(localOrigin(t, srv))
	_, otherCred := addPasskey(t, other, b, "Theirs")
	pub := options()
	var pkOpts map[string]any
	_ = json.Unmarshal(pub, &pkOpts)
	delete(pkOpts, "allowCredentials")
	forged, _ := json.Marshal(pkOpts)
	secondStep(c, ch.MFAToken, map[string]any{"credential": assert(t, b, forged, otherCred)}).Expect(t, http.StatusUnauthorized)

	// The right passkey: a complete login with amr pwd, hwk, mfa.
	pub = options()
	resp := secondStep(c, ch.MFAToken, map[string]any{"credential": assert(t, a, pub, cred)}).Expect(t, http.StatusOK)
	token := resp.JSON(t)["access_token"].(string)
	if got := amrOf(t, token); !slices.Equal(got, []string{"pwd", "hwk", "mfa"}) {
		t.Errorf("amr = %v; want [pwd hwk mfa]", got)
	}
	// The token is used up, and an assertion works once.
	ch2 := passwordStep(t, srv, c, u, nil)
	secondStep(c, ch2.MFAToken, map[string]any{"credential": assert(t, a, pub, cred)}).Expect(t, http.StatusUnauthorized) // no options asked for this token

	// A recovery code stands in for the passkey once codes exist.
	var codes struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}
	u.Do("POST", "/user/mfa/recovery-codes", map[string]any{"current_password": u.Password}).Expect(t, http.StatusOK).Decode(t, &codes)
	ch3 := passwordStep(t, srv, c, u, nil)
	if !slices.Equal(ch3.Methods, []string{"passkey", "recovery_code"}) {
		t.Errorf("methods = %v", ch3.Methods)
	}
	secondStep(c, ch3.MFAToken, map[string]any{"recovery_code": codes.RecoveryCodes[0]}).Expect(t, http.StatusOK)

	// Without passkeys (and TOTP), no second step, and the codes go.
	u.Do("DELETE", "/user/passkeys/"+pk.ID, map[string]any{"current_password": u.Password}).Expect(t, http.StatusNoContent)
	if m := mfaStatus(t, u); m["passkeys"] != float64(0) || m["recovery_codes_left"] != float64(0) {
		t.Errorf("after deleting the last passkey: %v", m)
	}
	srv.Login(t, u.Email, u.Password)
}

func TestPasskeysGoWithTheUserAndTheAdminsRemoval(t *testing.T) {
	srv := mfaServer(t, nil)
	admin := srv.NewUser(t)
	makeAdmin(t, srv, admin)
	u := srv.NewUser(t)
	a := softauthn.New(localOrigin(t, srv))
	pk, cred := addPasskey(t, u, a, "Key")
	admin.Do("DELETE", "/users/"+u.ID+"/mfa", nil).Expect(t, http.StatusNoContent)
	if _, err := srv.Store().PasskeyByID(context.Background(), pk.ID); err == nil {
		t.Error("the admin's removal kept the passkey")
	}
	passkeyLogin(t, srv.Client(), a, cred, nil).Expect(t, http.StatusUnauthorized)

	v := srv.NewUser(t)
	b := softauthn.New(localOrigin(t, srv))
	vpk, _ := addPasskey(t, v, b, "Key")
	v.Do("DELETE", "/user", map[string]any{"password": v.Password}).Expect(t, http.StatusNoContent)
	if _, err := srv.Store().PasskeyByID(context.Background(), vpk.ID); err == nil {
		t.Error("deleting the user kept their passkey")
	}
}

func TestPasskeysOff(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"WEBAUTHN_RP_ID": "example.com", "PUBLIC_URL": "https://todo.example.org"}})
	u := srv.NewUser(t)
	for _, r := range []*apptest.Response{
		u.Do("POST", "/user/passkeys/options", nil),
		srv.Client().Do("POST", "/auth/passkey/options", nil),
	} {
		if r.Status != http.StatusServiceUnavailable || !bytes.Contains(r.Body, []byte("WEBAUTHN_RP_ID")) {
			t.Errorf("passkeys without an origin on the RP ID = %d %s; want 503", r.Status, r.Body)
		}
	}
	u.Do("GET", "/user/passkeys", nil).Expect(t, http.StatusOK)
}

// Passkey logins spend the same per-IP budget as POST /auth.
func TestPasskeyLoginIsRateLimitedAsAuth(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{"RATE_AUTH_PER_MINUTE": "3"}})
	c := srv.Client()
	c.Do("POST", "/auth/passkey/options", nil).Expect(t, http.StatusOK)
	c.Do("POST", "/auth", map[string]any{"email": "nobody@example.com", "password": "x"}).Expect(t, http.StatusUnauthorized)
	c.Do("POST", "/auth/passkey", map[string]any{"challenge_id": "x", "credential": map[string]any{"id": "x"}}).Expect(t, http.StatusUnprocessableEntity)
	for _, path := range []string{"/auth/passkey/options", "/auth/passkey", "/auth/mfa/passkey/options", "/auth/mfa"} {
		r := c.Do("POST", path, map[string]any{})
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Errorf("POST %s past the budget = %d; want 429 with Retry-After", path, r.Status)
		}
	}
}

package account

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/go-webauthn/webauthn/webauthn"

	"listo/auth"
	"listo/mail"
	"listo/models"
	"listo/problem"
)

// Second factors: TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, one
// step of clock skew either way), recovery codes, and the second step of a
// login that needs one.
const (
	// MFATokenTTL is how long the second step of a login may take.
	MFATokenTTL = 5 * time.Minute
	// MFAMaxAttempts is how many answers one mfa_token gets.
	MFAMaxAttempts = 5
	// RecoveryCodeCount is how many recovery codes a user gets at a time.
	RecoveryCodeCount = 10

	totpPeriod = 30
	totpSkew   = 1
	totpDigits = otp.DigitsSix
	// codeAlphabet has no 0/O, 1/I/L: a code read off paper is typed right.
	codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	codeLength   = 10
)

// Second-step methods a login may offer.
const (
	MethodTOTP         = "totp"
	MethodRecoveryCode = "recovery_code"
	MethodPasskey      = "passkey"
)

// MFAConfig is what second factors need; NewMFAConfig makes it. The zero
// value turns TOTP setup off (the CLI's service, which serves no logins).
type MFAConfig struct {
	// Sealer seals the TOTP secrets at rest.
	Sealer *auth.Sealer
	// CodeKey keys the recovery codes' hashes.
	CodeKey []byte
	// Issuer names the service in authenticator apps.
	Issuer string
	// Passkeys is the WebAuthn relying party (NewPasskeys); nil turns
	// passkeys off.
	Passkeys *webauthn.WebAuthn
}

// NewMFAConfig derives the TOTP sealing key and the recovery-code key from
// secret (ENCRYPTION_KEY, or JWT_SECRET without one), each under its own
// label.
func NewMFAConfig(secret []byte, issuer string) (MFAConfig, error) {
	sealer, err := auth.NewSealer(secret, "listo totp secrets v1")
	if err != nil {
		return MFAConfig{}, err
	}
	return MFAConfig{Sealer: sealer, CodeKey: auth.DeriveKey(secret, "listo recovery codes v1"), Issuer: issuer}, nil
}

// MFARequired is Login's answer for a user with a second factor: the
// password was right, and the login goes on at POST /auth/mfa with Token
// and one of Methods. No session exists yet. It is returned as an error,
// so a caller that does not expect it fails closed.
type MFARequired struct {
	Token     string
	Methods   []string
	ExpiresIn time.Duration
}

func (e *MFARequired) Error() string { return "a second factor is required" }

// TOTPSetup is a new TOTP secret to show once: as text, as an otpauth URL
// and as that URL's QR code (PNG).
type TOTPSetup struct {
	Secret string
	URL    string
	QRPNG  []byte
}

// MFAStatus says which second factors a user has.
func (s *Service) MFAStatus(ctx context.Context, userID string) (models.MFAStatus, error) {
	f, err := s.store.Factors(ctx, userID)
	if err != nil {
		return models.MFAStatus{}, err
	}
	passkeys, err := s.passkeyCount(ctx, userID)
	if err != nil {
		return models.MFAStatus{}, err
	}
	return models.MFAStatus{TOTP: f.TOTP(), Passkeys: passkeys, RecoveryCodesLeft: len(f.RecoveryCodes)}, nil
}

// SetupTOTP starts turning TOTP on, given the current password: a new
// secret, pending until ConfirmTOTP (a new setup replaces a pending one).
// The secret is stored sealed and shown this once.
func (s *Service) SetupTOTP(ctx context.Context, p auth.Principal, currentPassword string) (TOTPSetup, error) {
	if s.mfa.Sealer == nil {
		return TOTPSetup{}, errors.New("totp: no key to seal secrets with")
	}
	if err := s.verifyPassword(ctx, p.User.ID, currentPassword, "/current_password"); err != nil {
		return TOTPSetup{}, err
	}
	f, err := s.store.Factors(ctx, p.User.ID)
	if err != nil {
		return TOTPSetup{}, err
	}
	if f.TOTP() {
		return TOTPSetup{}, problem.New(http.StatusConflict, "Two-step verification with an authenticator app is already on; turn it off first to set up another app.")
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: s.mfa.Issuer, AccountName: p.User.Email, Period: totpPeriod, SecretSize: 20,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1, Rand: rand.Reader,
	})
	if err != nil {
		return TOTPSetup{}, fmt.Errorf("totp: %w", err)
	}
	png, err := qrcode.Encode(key.URL(), qrcode.Medium, 256)
	if err != nil {
		return TOTPSetup{}, fmt.Errorf("totp: qr code: %w", err)
	}
	sealed := s.mfa.Sealer.Seal([]byte(key.Secret()), p.User.ID)
	if err := s.store.SetPendingTOTP(ctx, p.User.ID, sealed, randomID()); err != nil {
		return TOTPSetup{}, err
	}
	return TOTPSetup{Secret: key.Secret(), URL: key.URL(), QRPNG: png}, nil
}

// ConfirmTOTP turns the pending TOTP setup on with a code from the app,
// and returns the user's new recovery codes, to show this once (older
// codes stop working).
func (s *Service) ConfirmTOTP(ctx context.Context, p auth.Principal, code string) ([]string, error) {
	f, err := s.store.Factors(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	if f.TOTPPending == nil {
		return nil, problem.New(http.StatusConflict, "There is no two-step verification setup to confirm; start the setup again.")
	}
	secret, err := s.openSecret(f.TOTPPending, p.User.ID)
	if err != nil {
		return nil, err
	}
	step, ok := totpStep(secret, code, s.now())
	if !ok {
		return nil, problem.Field("/code", "is not the current code of the authenticator app; check that the device's clock is right and type the newest code")
	}
	codes, hashes := s.newRecoveryCodes(p.User.ID)
	if err := s.store.ConfirmTOTP(ctx, p.User.ID, f.PendingID, step, hashes); errors.Is(err, models.ErrConflict) {
		return nil, problem.New(http.StatusConflict, "The setup was replaced by a newer one; confirm that one instead.")
	} else if err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTOTP turns TOTP off, given the current password and a TOTP or a
// recovery code. The recovery codes stay while passkeys remain.
func (s *Service) DisableTOTP(ctx context.Context, p auth.Principal, currentPassword, code string) error {
	if err := s.verifyPassword(ctx, p.User.ID, currentPassword, "/current_password"); err != nil {
		return err
	}
	f, err := s.store.Factors(ctx, p.User.ID)
	if err != nil {
		return err
	}
	if !f.TOTP() {
		return problem.New(http.StatusConflict, "Two-step verification with an authenticator app is not on.")
	}
	var used bool
	if looksLikeTOTP(code) {
		used, err = s.useTOTP(ctx, f, code)
	} else {
		used, err = s.useRecoveryCode(ctx, p.User.ID, code)
	}
	if err != nil {
		return err
	}
	if !used {
		p := problem.New(http.StatusForbidden, "The code is incorrect.")
		p.Errors = []problem.FieldError{{Field: "/code", Message: "is incorrect"}}
		return p
	}
	passkeys, err := s.passkeyCount(ctx, p.User.ID)
	if err != nil {
		return err
	}
	return s.store.DisableTOTP(ctx, p.User.ID, passkeys == 0)
}

// RegenerateRecoveryCodes replaces the user's recovery codes, given the
// current password; the old ones stop working. It needs a second factor
// for the codes to stand in for.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, p auth.Principal, currentPassword string) ([]string, error) {
	if err := s.verifyPassword(ctx, p.User.ID, currentPassword, "/current_password"); err != nil {
		return nil, err
	}
	has, err := s.hasSecondFactor(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	if !has {
		return nil, problem.New(http.StatusConflict, "Recovery codes stand in for a second factor; turn on two-step verification or add a passkey first.")
	}
	codes, hashes := s.newRecoveryCodes(p.User.ID)
	if err := s.store.SetRecoveryCodes(ctx, p.User.ID, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

// RemoveFactors removes every second factor of a user (an admin helps
// someone who lost theirs): TOTP, recovery codes and passkeys. Every
// session of the user ends, and they are told by mail when mail is
// configured. Their password stays.
func (s *Service) RemoveFactors(ctx context.Context, userID string) error {
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if err := s.deleteFactors(ctx, userID); err != nil {
		return err
	}
	if err := s.endSessions(ctx, userID, ""); err != nil {
		return err
	}
	if s.mailer.Configured() {
		s.mailer.Send(mail.FactorsRemoved(u.Email, s.now()))
	}
	return nil
}

// deleteFactors deletes what a user has beyond the password, and their
// pending login steps and ceremonies.
func (s *Service) deleteFactors(ctx context.Context, userID string) error {
	if err := s.store.DeleteFactors(ctx, userID); err != nil {
		return err
	}
	if err := s.deletePasskeys(ctx, userID); err != nil {
		return err
	}
	return s.store.DeleteUserChallenges(ctx, userID)
}

// deleteUserAndFactors deletes a user, then their factors. In this order
// because deleting the last admin is refused: factors removed first would
// be lost by an account that stays. A failure after the user is gone
// leaves factors nobody can use (every login needs the user), and a
// background retry removes them.
func (s *Service) deleteUserAndFactors(ctx context.Context, id string) error {
	if err := s.deleteUser(ctx, id); err != nil {
		return err
	}
	if err := s.deleteFactors(ctx, id); err != nil {
		s.log.Warn("factors of a deleted user not deleted; retrying in the background", "error", err.Error())
		s.background("delete factors", func(ctx context.Context) error { return s.deleteFactors(ctx, id) })
	}
	return nil
}

// hasSecondFactor reports whether a password login of userID needs a
// second step.
func (s *Service) hasSecondFactor(ctx context.Context, userID string) (bool, error) {
	f, err := s.store.Factors(ctx, userID)
	if err != nil {
		return false, err
	}
	if f.TOTP() {
		return true, nil
	}
	n, err := s.passkeyCount(ctx, userID)
	return n > 0, err
}

// secondStepMethods lists what u can answer a login's second step with;
// none means the login needs no second step.
func (s *Service) secondStepMethods(ctx context.Context, u models.User) ([]string, error) {
	f, err := s.store.Factors(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	passkeys, err := s.passkeyCount(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	var methods []string
	if f.TOTP() {
		methods = append(methods, MethodTOTP)
	}
	if passkeys > 0 {
		methods = append(methods, MethodPasskey)
	}
	if len(methods) > 0 && len(f.RecoveryCodes) > 0 {
		methods = append(methods, MethodRecoveryCode)
	}
	return methods, nil
}

// requireSecondStep stores the second step of a login whose password was
// right and returns its token: single use, MFATokenTTL, bound to u, with
// the device name and cookie choice made now.
func (s *Service) requireSecondStep(ctx context.Context, u models.User, cr Credentials, methods []string) error {
	raw, hash := newLinkToken()
	now := s.now()
	err := s.store.CreateChallenge(ctx, models.Challenge{
		ID: hash, Kind: models.ChallengeMFA, UserID: u.ID, Device: cr.Device, Cookie: cr.Cookie,
		CreatedAt: now, ExpiresAt: now.Add(MFATokenTTL),
	})
	if err != nil {
		return err
	}
	s.sweepChallenges()
	return &MFARequired{Token: raw, Methods: methods, ExpiresIn: MFATokenTTL}
}

// SecondFactor is the answer to a login's second step: the mfa_token and
// one of a TOTP code, a recovery code or a passkey assertion (WebAuthn
// JSON).
type SecondFactor struct {
	Token        string
	Code         string
	RecoveryCode string
	Credential   []byte
	Client       Client
}

// mfaTokenRefused is the one answer for an mfa_token that is not honoured:
// unknown, expired, used, or burnt by too many wrong answers.
func mfaTokenRefused() *problem.Problem {
	p := problem.New(http.StatusUnauthorized, "This login step has expired or was used up; log in again.")
	p.Type, p.Title = "/problems/mfa-token-invalid", "Login step expired"
	return p.WithHeader("WWW-Authenticate", `Bearer realm="listo"`)
}

func wrongSecondFactor() *problem.Problem {
	return problem.New(http.StatusUnauthorized, "The code or passkey is incorrect.").WithHeader("WWW-Authenticate", `Bearer realm="listo"`)
}

// CompleteLogin checks a login's second step and starts the session, as
// Login does for a user without a second factor; cookie is the choice made
// at POST /auth. Every answer spends one of the token's MFAMaxAttempts
// before it is checked, and a wrong one counts toward the email's
// login-failure lock; only a right one clears that count. The token works
// once.
func (s *Service) CompleteLogin(ctx context.Context, f SecondFactor) (g Grant, cookie bool, err error) {
	if !wellFormed(f.Token) {
		return Grant{}, false, mfaTokenRefused()
	}
	id := tokenHash(f.Token)
	ch, err := s.store.Challenge(ctx, id, models.ChallengeMFA, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return Grant{}, false, mfaTokenRefused()
	}
	if err != nil {
		return Grant{}, false, err
	}
	u, err := s.store.UserByID(ctx, ch.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return Grant{}, false, mfaTokenRefused()
	}
	if err != nil {
		return Grant{}, false, err
	}
	attempt, allowed, wait := s.failures.Begin(u.Email)
	if !allowed {
		s.events.rateLimited()
		return Grant{}, false, problem.TooManyRequests(wait)
	}
	defer attempt.End() // an error counts as neither
	ch, err = s.store.AttemptChallenge(ctx, id, models.ChallengeMFA, MFAMaxAttempts, f.Credential != nil, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return Grant{}, false, mfaTokenRefused()
	}
	if err != nil {
		return Grant{}, false, err
	}
	amr, ok, err := s.checkSecondFactor(ctx, u, ch, f)
	if err != nil {
		return Grant{}, false, err
	}
	if !ok {
		attempt.Fail()
		return Grant{}, false, wrongSecondFactor()
	}
	if _, err := s.store.ConsumeChallenge(ctx, id, models.ChallengeMFA, s.now()); errors.Is(err, models.ErrNotFound) {
		return Grant{}, false, mfaTokenRefused() // a concurrent answer used it
	} else if err != nil {
		return Grant{}, false, err
	}
	attempt.Succeed()
	if u.Disabled {
		return Grant{}, false, accountDisabled()
	}
	g, err = s.startSession(ctx, u, ch.Device, f.Client, append(append([]string{models.AMRPassword}, amr...), models.AMRMFA))
	if err == nil && s.notifyNewDevice {
		s.mailer.Send(mail.NewDevice(u.Email, g.Session.Device, g.Session.UserAgent, g.Session.IP, g.Session.CreatedAt))
	}
	return g, ch.Cookie, err
}

// checkSecondFactor checks the one answer f carries against u's factors
// and uses it up (a TOTP step, a recovery code, a passkey's counter); ok
// is false for a wrong answer, amr names the factor.
func (s *Service) checkSecondFactor(ctx context.Context, u models.User, ch models.Challenge, f SecondFactor) (amr []string, ok bool, err error) {
	switch {
	case f.Code != "":
		factors, err := s.store.Factors(ctx, u.ID)
		if err != nil || !factors.TOTP() {
			return nil, false, err
		}
		ok, err := s.useTOTP(ctx, factors, f.Code)
		return []string{models.AMROTP}, ok, err
	case f.RecoveryCode != "":
		ok, err := s.useRecoveryCode(ctx, u.ID, f.RecoveryCode)
		return []string{models.AMROTP}, ok, err
	case f.Credential != nil:
		return s.checkPasskeyFactor(ctx, u, ch, f.Credential)
	}
	return nil, false, nil
}

// useTOTP checks code against the active secret and uses its time step
// up: a code accepted once, or one older than the last accepted, is
// refused (false).
func (s *Service) useTOTP(ctx context.Context, f models.Factors, code string) (bool, error) {
	secret, err := s.openSecret(f.TOTPSecret, f.UserID)
	if err != nil {
		return false, err
	}
	step, ok := totpStep(secret, code, s.now())
	if !ok {
		return false, nil
	}
	err = s.store.UseTOTPStep(ctx, f.UserID, step)
	if errors.Is(err, models.ErrConflict) {
		return false, nil // a replay
	}
	return err == nil, err
}

// useRecoveryCode uses up one of the user's recovery codes; false for an
// unknown or used one.
func (s *Service) useRecoveryCode(ctx context.Context, userID, code string) (bool, error) {
	norm := normalizeRecoveryCode(code)
	if len(norm) != codeLength {
		return false, nil
	}
	err := s.store.UseRecoveryCode(ctx, userID, s.recoveryHash(userID, norm))
	if errors.Is(err, models.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s *Service) openSecret(sealed []byte, userID string) (string, error) {
	if s.mfa.Sealer == nil {
		return "", errors.New("totp: no key to open secrets with")
	}
	b, err := s.mfa.Sealer.Open(sealed, userID)
	if err != nil {
		// Another ENCRYPTION_KEY (or JWT_SECRET) than the one it was
		// sealed with; the secret itself is never logged.
		return "", fmt.Errorf("totp secret of user %s: %w", userID, err)
	}
	return string(b), nil
}

// totpStep finds the time step, within totpSkew of now's, whose code is
// code; every candidate is computed and compared in constant time.
func totpStep(secret, code string, now time.Time) (step int64, ok bool) {
	if !looksLikeTOTP(code) {
		return 0, false
	}
	current := now.Unix() / totpPeriod
	for i := int64(-totpSkew); i <= totpSkew; i++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(current+i), hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && !ok {
			step, ok = current+i, true
		}
	}
	return step, ok
}

func looksLikeTOTP(code string) bool {
	if len(code) != totpDigits.Length() {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// newRecoveryCodes makes RecoveryCodeCount codes of codeLength characters
// of codeAlphabet (about 49 bits each), shown as "ABCDE-FGHJK", and the
// keyed hashes that are stored.
func (s *Service) newRecoveryCodes(userID string) (codes, hashes []string) {
	for range RecoveryCodeCount {
		b := make([]byte, codeLength)
		for i := range b {
			b[i] = codeAlphabet[randomIndex(len(codeAlphabet))]
		}
		code := string(b)
		codes = append(codes, code[:codeLength/2]+"-"+code[codeLength/2:])
		hashes = append(hashes, s.recoveryHash(userID, code))
	}
	return codes, hashes
}

// recoveryHash is the stored form of a normalised code: an HMAC under a
// server key, bound to the user, so a copy of the database alone cannot
// be searched for the codes.
func (s *Service) recoveryHash(userID, norm string) string {
	m := hmac.New(sha256.New, s.mfa.CodeKey)
	m.Write([]byte(userID + ":" + norm))
	return hex.EncodeToString(m.Sum(nil))
}

// normalizeRecoveryCode accepts a code in any case, with or without its
// dash and spaces.
func normalizeRecoveryCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(code)))
}

// randomIndex is a uniform random number in [0, n), n at most 256.
func randomIndex(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		_, _ = rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// sweepChallenges removes expired challenges in the background, at most
// once per MFATokenTTL (the embedded database has no TTL indexes).
func (s *Service) sweepChallenges() {
	now := s.now()
	s.sweepMu.Lock()
	due := now.Sub(s.lastSweep) >= MFATokenTTL
	if due {
		s.lastSweep = now
	}
	s.sweepMu.Unlock()
	if due {
		s.background("challenge cleanup", func(ctx context.Context) error {
			_, err := s.store.DeleteExpiredChallenges(ctx, now)
			return err
		})
	}
}

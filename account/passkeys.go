package account

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"listo/auth"
	"listo/mail"
	"listo/models"
	"listo/problem"
)

// Passkeys (WebAuthn): registration by a logged-in user, passwordless
// login with a discoverable credential, and a passkey as a login's second
// step. Every ceremony's state is a models.Challenge in the database
// (single use, CeremonyTTL), so any instance can finish what another began.
const (
	// CeremonyTTL is how long a registration or a passwordless login may
	// take between its options and its answer.
	CeremonyTTL = 5 * time.Minute
	// MaxPasskeys is how many passkeys one user may hold.
	MaxPasskeys = 20
)

// RelyingParty is the WebAuthn relying party of passkeys: the domain
// (RP ID) credentials are scoped to and the origins pages may ask from.
type RelyingParty struct {
	ID      string
	Origins []string
	Name    string
}

// NewPasskeys makes the WebAuthn relying party: discoverable credentials
// required, user verification preferred, no attestation asked for.
func NewPasskeys(rp RelyingParty) (*webauthn.WebAuthn, error) {
	name := rp.Name
	if name == "" {
		name = "Listo"
	}
	w, err := webauthn.New(&webauthn.Config{
		RPID: rp.ID, RPDisplayName: name, RPOrigins: rp.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
			Registration: webauthn.TimeoutConfig{Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return w, nil
}

// passkeyUser is a user as WebAuthn sees them: the user handle is the
// user's id (an opaque, never reused identifier, nothing personal).
type passkeyUser struct {
	u     models.User
	creds []webauthn.Credential
}

func (p passkeyUser) WebAuthnID() []byte { return []byte(p.u.ID) }
func (p passkeyUser) WebAuthnName() string {
	return p.u.Email
}
func (p passkeyUser) WebAuthnDisplayName() string {
	if p.u.Name != "" {
		return p.u.Name
	}
	return p.u.Email
}
func (p passkeyUser) WebAuthnCredentials() []webauthn.Credential { return p.creds }

// PasskeyID is the id Listo gives the passkey of a credential id: 128
// bits of its SHA-256, in base64url (short, URL-safe, and found by primary
// key at login).
func PasskeyID(credentialID []byte) string {
	sum := sha256.Sum256(credentialID)
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

func passkeysOff() *problem.Problem {
	return problem.New(http.StatusServiceUnavailable, "Passkeys are not configured on this server (WEBAUTHN_RP_ID).").WithHeader("Retry-After", "3600")
}

// passkeyUserOf loads u's passkeys as WebAuthn credentials.
func (s *Service) passkeyUserOf(ctx context.Context, u models.User) (passkeyUser, []models.Passkey, error) {
	list, err := s.store.ListPasskeys(ctx, u.ID)
	if err != nil {
		return passkeyUser{}, nil, err
	}
	pu := passkeyUser{u: u}
	for _, p := range list {
		c, err := credentialOf(p)
		if err != nil {
			return passkeyUser{}, nil, err
		}
		pu.creds = append(pu.creds, c)
	}
	return pu, list, nil
}

// credentialOf is a stored passkey as WebAuthn's credential record, with
// the stored (current) sign counter.
func credentialOf(p models.Passkey) (webauthn.Credential, error) {
	var c webauthn.Credential
	if err := json.Unmarshal(p.Record, &c); err != nil {
		return webauthn.Credential{}, fmt.Errorf("passkey %s: record: %w", p.ID, err)
	}
	c.Authenticator.SignCount = p.SignCount
	return c, nil
}

// storeCeremony keeps a WebAuthn ceremony's state as a challenge of kind
// under id.
func (s *Service) storeCeremony(ctx context.Context, id, kind, userID string, session *webauthn.SessionData) error {
	b, err := json.Marshal(session)
	if err != nil {
		return err
	}
	now := s.now()
	if err := s.store.CreateChallenge(ctx, models.Challenge{
		ID: id, Kind: kind, UserID: userID, Ceremony: b, CreatedAt: now, ExpiresAt: now.Add(CeremonyTTL),
	}); err != nil {
		return err
	}
	s.sweepChallenges()
	return nil
}

func ceremonyOf(ch models.Challenge) (webauthn.SessionData, error) {
	var sd webauthn.SessionData
	if len(ch.Ceremony) == 0 {
		return sd, errors.New("no ceremony")
	}
	err := json.Unmarshal(ch.Ceremony, &sd)
	return sd, err
}

// challengeKey is the stored id of a WebAuthn challenge (base64url, as in
// the options and the client data).
func challengeKey(challenge string) string {
	sum := sha256.Sum256([]byte(challenge))
	return hex.EncodeToString(sum[:])
}

// PasskeyCreationOptions begins a passkey registration for the caller:
// WebAuthn creation options ({"publicKey": ...}) that exclude the
// credentials they have already.
func (s *Service) PasskeyCreationOptions(ctx context.Context, p auth.Principal) (*protocol.CredentialCreation, error) {
	if s.mfa.Passkeys == nil {
		return nil, passkeysOff()
	}
	pu, list, err := s.passkeyUserOf(ctx, p.User)
	if err != nil {
		return nil, err
	}
	if len(list) >= MaxPasskeys {
		return nil, problem.LimitReached(fmt.Sprintf("An account can hold at most %d passkeys; delete one first.", MaxPasskeys))
	}
	creation, session, err := s.mfa.Passkeys.BeginRegistration(pu,
		webauthn.WithExclusions(webauthn.Credentials(pu.creds).CredentialDescriptors()),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return nil, fmt.Errorf("passkey registration: %w", err)
	}
	if err := s.storeCeremony(ctx, challengeKey(session.Challenge), models.ChallengePasskeyRegister, p.User.ID, session); err != nil {
		return nil, err
	}
	return creation, nil
}

func badCredential(why string) *problem.Problem {
	return problem.Field("/credential", why)
}

// AddPasskey finishes a registration: credential is the authenticator's
// answer (PublicKeyCredential JSON) to options of PasskeyCreationOptions,
// whose challenge it uses up.
func (s *Service) AddPasskey(ctx context.Context, p auth.Principal, name string, credential []byte) (models.Passkey, error) {
	if s.mfa.Passkeys == nil {
		return models.Passkey{}, passkeysOff()
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(credential)
	if err != nil {
		s.ceremonyFailed("passkey registration", p.User.ID, err)
		return models.Passkey{}, badCredential("is not a WebAuthn registration (PublicKeyCredential JSON)")
	}
	ch, err := s.store.ConsumeChallenge(ctx, challengeKey(parsed.Response.CollectedClientData.Challenge), models.ChallengePasskeyRegister, s.now())
	if errors.Is(err, models.ErrNotFound) || (err == nil && ch.UserID != p.User.ID) {
		return models.Passkey{}, badCredential("answers no registration in progress (used, expired, or another's); ask for new options")
	}
	if err != nil {
		return models.Passkey{}, err
	}
	session, err := ceremonyOf(ch)
	if err != nil {
		return models.Passkey{}, fmt.Errorf("passkey registration: %w", err)
	}
	pu, _, err := s.passkeyUserOf(ctx, p.User)
	if err != nil {
		return models.Passkey{}, err
	}
	cred, err := s.mfa.Passkeys.CreateCredential(pu, session, parsed)
	if err != nil {
		s.ceremonyFailed("passkey registration", p.User.ID, err)
		return models.Passkey{}, badCredential("was refused: " + protocolDetail(err))
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return models.Passkey{}, err
	}
	if name = strings.TrimSpace(name); name == "" {
		name = "Passkey"
	}
	pk, err := s.store.CreatePasskey(ctx, models.Passkey{
		ID: PasskeyID(cred.ID), UserID: p.User.ID, Name: name, Record: record,
		SignCount: cred.Authenticator.SignCount, BackedUp: cred.Flags.BackupState, CreatedAt: s.now(),
	}, MaxPasskeys)
	switch {
	case errors.Is(err, models.ErrLimitReached):
		return models.Passkey{}, problem.LimitReached(fmt.Sprintf("An account can hold at most %d passkeys; delete one first.", MaxPasskeys))
	case errors.Is(err, models.ErrConflict):
		return models.Passkey{}, problem.New(http.StatusConflict, "This passkey is registered already.")
	}
	return pk, err
}

// ListPasskeys lists the user's passkeys, oldest first.
func (s *Service) ListPasskeys(ctx context.Context, userID string) ([]models.Passkey, error) {
	return s.store.ListPasskeys(ctx, userID)
}

// RenamePasskey names one of the user's passkeys.
func (s *Service) RenamePasskey(ctx context.Context, userID, id, name string) (models.Passkey, error) {
	return s.store.RenamePasskey(ctx, userID, id, strings.TrimSpace(name))
}

// DeletePasskey deletes one of the caller's passkeys, given the current
// password. The last factor gone, the recovery codes go too.
func (s *Service) DeletePasskey(ctx context.Context, p auth.Principal, id, currentPassword string) error {
	if err := s.verifyPassword(ctx, p.User.ID, currentPassword, "/current_password"); err != nil {
		return err
	}
	if err := s.store.DeletePasskey(ctx, p.User.ID, id); err != nil {
		return err
	}
	has, err := s.hasSecondFactor(ctx, p.User.ID)
	if err != nil || has {
		return err
	}
	return s.store.SetRecoveryCodes(ctx, p.User.ID, nil)
}

// PasskeyLoginOptions begins a passwordless login: request options with
// no allowed credentials (the authenticator offers its discoverable
// ones) and user verification required, and the challenge_id to answer
// with.
func (s *Service) PasskeyLoginOptions(ctx context.Context) (challengeID string, options *protocol.CredentialAssertion, err error) {
	if s.mfa.Passkeys == nil {
		return "", nil, passkeysOff()
	}
	options, session, err := s.mfa.Passkeys.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return "", nil, fmt.Errorf("passkey login: %w", err)
	}
	raw, hash := newLinkToken()
	if err := s.storeCeremony(ctx, hash, models.ChallengePasskeyLogin, "", session); err != nil {
		return "", nil, err
	}
	return raw, options, nil
}

// PasskeyCredentials is a passwordless login's answer.
type PasskeyCredentials struct {
	ChallengeID string
	Credential  []byte
	Device      string
	Client      Client
}

func passkeyLoginFailed() *problem.Problem {
	p := problem.New(http.StatusUnauthorized, "This passkey cannot log in here; try again, or log in with your password.")
	return p.WithHeader("WWW-Authenticate", `Bearer realm="listo"`)
}

// PasskeyLogin logs in with a discoverable passkey that verified its user:
// a complete login, no second step. The challenge is used up first, so
// an assertion works once. An unknown or deleted passkey, a user handle
// that is not the passkey's user, a wrong origin or RP ID, a bad signature
// and a sign counter that went backwards (a cloned key, also logged) are
// all the same 401.
func (s *Service) PasskeyLogin(ctx context.Context, pc PasskeyCredentials) (Grant, error) {
	if s.mfa.Passkeys == nil {
		return Grant{}, passkeysOff()
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(pc.Credential)
	if err != nil {
		s.ceremonyFailed("passkey login", "", err)
		return Grant{}, badCredential("is not a WebAuthn assertion (PublicKeyCredential JSON)")
	}
	if !wellFormed(pc.ChallengeID) {
		return Grant{}, passkeyLoginFailed()
	}
	ch, err := s.store.ConsumeChallenge(ctx, tokenHash(pc.ChallengeID), models.ChallengePasskeyLogin, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return Grant{}, passkeyLoginFailed()
	}
	if err != nil {
		return Grant{}, err
	}
	session, err := ceremonyOf(ch)
	if err != nil {
		return Grant{}, fmt.Errorf("passkey login: %w", err)
	}
	// The credential names its passkey, the user handle its user: both
	// must agree, and the user must still be there.
	var owner models.User
	var used models.Passkey
	var lookupErr error
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		pk, err := s.store.PasskeyByID(ctx, PasskeyID(rawID))
		if err != nil {
			lookupErr = err
			return nil, err
		}
		if pk.UserID != string(userHandle) {
			return nil, errors.New("the user handle is not the passkey's user")
		}
		u, err := s.store.UserByID(ctx, pk.UserID)
		if err != nil {
			lookupErr = err
			return nil, err
		}
		c, err := credentialOf(pk)
		if err != nil {
			return nil, err
		}
		owner, used = u, pk
		return passkeyUser{u: u, creds: []webauthn.Credential{c}}, nil
	}
	_, cred, err := s.mfa.Passkeys.ValidatePasskeyLogin(handler, session, parsed)
	if lookupErr != nil && !errors.Is(lookupErr, models.ErrNotFound) {
		return Grant{}, lookupErr // the database, not the passkey
	}
	if err != nil {
		s.ceremonyFailed("passkey login", owner.ID, err)
		return Grant{}, passkeyLoginFailed()
	}
	if err := s.recordPasskeyUse(ctx, used, cred); err != nil {
		return Grant{}, err
	}
	if err := s.loginRefused(owner); err != nil {
		return Grant{}, err
	}
	amr := []string{passkeyAMR(cred)}
	if parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		amr = append(amr, models.AMRMFA) // possession, and the PIN or biometric the authenticator checked
	}
	g, err := s.startSession(ctx, owner, pc.Device, pc.Client, amr)
	if err == nil && s.notifyNewDevice {
		s.mailer.Send(mail.NewDevice(owner.Email, g.Session.Device, g.Session.UserAgent, g.Session.IP, g.Session.CreatedAt))
	}
	return g, err
}

// recordPasskeyUse refuses a sign counter that went backwards (a cloned
// key: logged as a warning) and records the use: the counter moves on in a
// conditional update, so two concurrent uses of one counter value do not
// both count.
func (s *Service) recordPasskeyUse(ctx context.Context, pk models.Passkey, cred *webauthn.Credential) error {
	if cred.Authenticator.CloneWarning {
		s.log.LogAttrs(ctx, slog.LevelWarn, "passkey sign counter did not increase: possibly a cloned authenticator; login refused",
			slog.String("user_id", pk.UserID), slog.String("passkey_id", pk.ID),
			slog.Uint64("stored_count", uint64(pk.SignCount)), slog.Uint64("presented_count", uint64(cred.Authenticator.SignCount)))
		return passkeyLoginFailed()
	}
	err := s.store.UsePasskey(ctx, models.PasskeyUse{
		ID: pk.ID, From: pk.SignCount, To: cred.Authenticator.SignCount, BackedUp: cred.Flags.BackupState, UsedAt: s.now(),
	})
	if errors.Is(err, models.ErrConflict) {
		return passkeyLoginFailed()
	}
	return err
}

// passkeyAMR is "swk" for a passkey that may be synced (backup eligible),
// "hwk" for one bound to its device.
func passkeyAMR(cred *webauthn.Credential) string {
	if cred.Flags.BackupEligible {
		return models.AMRSoftwareKey
	}
	return models.AMRHardwareKey
}

// MFAPasskeyOptions begins a passkey answer to a login's second step:
// request options allowing the user's passkeys. The ceremony is kept with
// the mfa_token; newer options replace older ones.
func (s *Service) MFAPasskeyOptions(ctx context.Context, token string) (*protocol.CredentialAssertion, error) {
	if s.mfa.Passkeys == nil {
		return nil, passkeysOff()
	}
	if !wellFormed(token) {
		return nil, mfaTokenRefused()
	}
	id := tokenHash(token)
	ch, err := s.store.Challenge(ctx, id, models.ChallengeMFA, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return nil, mfaTokenRefused()
	}
	if err != nil {
		return nil, err
	}
	u, err := s.store.UserByID(ctx, ch.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, mfaTokenRefused()
	}
	if err != nil {
		return nil, err
	}
	pu, _, err := s.passkeyUserOf(ctx, u)
	if err != nil {
		return nil, err
	}
	if len(pu.creds) == 0 {
		return nil, problem.New(http.StatusConflict, "This account has no passkey; use a code instead.")
	}
	options, session, err := s.mfa.Passkeys.BeginLogin(pu)
	if err != nil {
		return nil, fmt.Errorf("passkey second step: %w", err)
	}
	b, err := json.Marshal(session)
	if err != nil {
		return nil, err
	}
	err = s.store.SetChallengeCeremony(ctx, id, models.ChallengeMFA, MFAMaxAttempts, b, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return nil, mfaTokenRefused()
	}
	if err != nil {
		return nil, err
	}
	return options, nil
}

// checkPasskeyFactor checks a passkey assertion as a login's second step,
// against the ceremony kept with the mfa_token (which the attempt used
// up).
func (s *Service) checkPasskeyFactor(ctx context.Context, u models.User, ch models.Challenge, credential []byte) ([]string, bool, error) {
	if s.mfa.Passkeys == nil {
		return nil, false, nil
	}
	session, err := ceremonyOf(ch)
	if err != nil {
		return nil, false, nil // no options asked for, or used by an earlier answer
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(credential)
	if err != nil {
		s.ceremonyFailed("passkey second step", u.ID, err)
		return nil, false, nil
	}
	pk, err := s.store.PasskeyByID(ctx, PasskeyID(parsed.RawID))
	if errors.Is(err, models.ErrNotFound) || (err == nil && pk.UserID != u.ID) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	pu, _, err := s.passkeyUserOf(ctx, u)
	if err != nil {
		return nil, false, err
	}
	cred, err := s.mfa.Passkeys.ValidateLogin(pu, session, parsed)
	if err != nil {
		s.ceremonyFailed("passkey second step", u.ID, err)
		return nil, false, nil
	}
	err = s.recordPasskeyUse(ctx, pk, cred)
	var refused *problem.Problem
	if errors.As(err, &refused) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return []string{passkeyAMR(cred)}, true, nil
}

// passkeyCount is how many passkeys the user has.
func (s *Service) passkeyCount(ctx context.Context, userID string) (int, error) {
	list, err := s.store.ListPasskeys(ctx, userID)
	return len(list), err
}

// deletePasskeys deletes the user's passkeys.
func (s *Service) deletePasskeys(ctx context.Context, userID string) error {
	return s.store.DeleteUserPasskeys(ctx, userID)
}

// ceremonyFailed logs why a WebAuthn ceremony was refused, for the
// operator (the client gets one answer).
func (s *Service) ceremonyFailed(what, userID string, err error) {
	attrs := []slog.Attr{slog.String("ceremony", what), slog.String("error", err.Error())}
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.DevInfo != "" {
		attrs = append(attrs, slog.String("detail", pe.DevInfo))
	}
	if userID != "" {
		attrs = append(attrs, slog.String("user_id", userID))
	}
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "webauthn ceremony refused", attrs...)
}

// protocolDetail is a WebAuthn error's reason, fit to show.
func protocolDetail(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Details != "" {
		return strings.TrimSuffix(pe.Details, ".")
	}
	return "the authenticator's answer does not verify"
}

// Package account owns every state change of an account and its sessions:
// registration, login, refresh, logout, device revocation, self-service and
// admin changes, deletion, and the last-admin rule. Each operation does its
// store write, the session-cache invalidation and the metrics event
// together, here, so that no caller (HTTP handler or CLI) can forget one:
// a revoked session that stays honoured from the cache would be a security
// bug.
//
// Refusals a person should read come back as *problem.Problem values; every
// other error wraps a models sentinel error.
package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"listo/auth"
	"listo/mail"
	"listo/models"
	"listo/problem"
	"listo/ratelimit"
)

// Store is the storage the account service needs.
type Store interface {
	PATStore

	CreateUser(ctx context.Context, u models.User) (models.User, error)
	UserByID(ctx context.Context, id string) (models.User, error)
	UserByEmail(ctx context.Context, email string) (models.User, error)
	UpdateUser(ctx context.Context, id string, p models.UserPatch, now time.Time) (models.User, error)
	DeleteUser(ctx context.Context, id string) error
	CreateSession(ctx context.Context, s models.Session) (models.Session, error)
	CreateLinkToken(ctx context.Context, t models.LinkToken, replace bool) error
	LinkToken(ctx context.Context, hash, purpose string, now time.Time) (models.LinkToken, error)
	ConsumeLinkToken(ctx context.Context, hash, purpose string, now time.Time) (models.LinkToken, error)
	SessionByID(ctx context.Context, id string) (models.Session, error)
	RotateSession(ctx context.Context, r models.Rotation) (models.Session, error)
	RevokeSession(ctx context.Context, userID, id string, now time.Time) error
	RevokeUserSessions(ctx context.Context, userID, except string, now time.Time) (int, error)
	ListSessions(ctx context.Context, userID string, now time.Time) ([]models.Session, error)

	Factors(ctx context.Context, userID string) (models.Factors, error)
	SetPendingTOTP(ctx context.Context, userID string, sealed []byte, pendingID string) error
	ConfirmTOTP(ctx context.Context, userID, pendingID string, step int64, codes []string) error
	UseTOTPStep(ctx context.Context, userID string, step int64) error
	UseRecoveryCode(ctx context.Context, userID, hash string) error
	SetRecoveryCodes(ctx context.Context, userID string, hashes []string) error
	DisableTOTP(ctx context.Context, userID string, dropCodes bool) error
	DeleteFactors(ctx context.Context, userID string) error

	CreateChallenge(ctx context.Context, c models.Challenge) error
	Challenge(ctx context.Context, id, kind string, now time.Time) (models.Challenge, error)
	AttemptChallenge(ctx context.Context, id, kind string, max int, dropCeremony bool, now time.Time) (models.Challenge, error)
	SetChallengeCeremony(ctx context.Context, id, kind string, max int, ceremony []byte, now time.Time) error
	ConsumeChallenge(ctx context.Context, id, kind string, now time.Time) (models.Challenge, error)
	DeleteUserChallenges(ctx context.Context, userID string) error
	DeleteExpiredChallenges(ctx context.Context, now time.Time) (int, error)

	CreatePasskey(ctx context.Context, p models.Passkey, max int) (models.Passkey, error)
	PasskeyByID(ctx context.Context, id string) (models.Passkey, error)
	ListPasskeys(ctx context.Context, userID string) ([]models.Passkey, error)
	RenamePasskey(ctx context.Context, userID, id, name string) (models.Passkey, error)
	UsePasskey(ctx context.Context, u models.PasskeyUse) error
	DeletePasskey(ctx context.Context, userID, id string) error
	DeleteUserPasskeys(ctx context.Context, userID string) error
}

// Changes hears of every change to a user and their sessions, for the
// user's live clients (events.Hub).
type Changes interface {
	Apply(c models.Change)
}

// SessionCache is the cache of live sessions and users that every revoke
// must invalidate (auth.Checker).
type SessionCache interface {
	ForgetSession(id string)
	ForgetUser(userID string)
	ForgetPAT(hash string)
}

// Events receives what the service does, for metrics. Every field may be
// nil.
type Events struct {
	SessionCreated  func()
	SessionsRevoked func(n int)
	ReuseDetected   func()
	RateLimited     func()
}

func (e Events) sessionCreated() {
	if e.SessionCreated != nil {
		e.SessionCreated()
	}
}

func (e Events) sessionsRevoked(n int) {
	if e.SessionsRevoked != nil && n > 0 {
		e.SessionsRevoked(n)
	}
}

func (e Events) reuseDetected() {
	if e.ReuseDetected != nil {
		e.ReuseDetected()
	}
}

func (e Events) rateLimited() {
	if e.RateLimited != nil {
		e.RateLimited()
	}
}

// Config is what New needs. Failures may be nil (no per-email lock);
// Events' fields may be nil.
type Config struct {
	Store    Store
	Cache    SessionCache
	Tokens   *auth.Tokens
	Refresh  *auth.RefreshTokens
	Hasher   *auth.Hasher
	Policy   *auth.PasswordPolicy
	Failures *ratelimit.Failures
	Now      func() time.Time
	// RefreshTTL is how long a session lives: expires_at is fixed at login.
	RefreshTTL time.Duration
	Events     Events
	// Changes, when set, is told of every session revoked and every user
	// changed or deleted, after the write.
	Changes Changes

	// Mailer sends the account's mails (nil: none are sent, as when mail
	// is not configured).
	Mailer Mailer
	// PublicURL is the base of every link in a mail.
	PublicURL string
	// MailCap limits the mails one address may be sent per hour on
	// request (reset, resend); nil is no limit.
	MailCap *ratelimit.Keyed
	// RequireVerified refuses logins of unverified addresses.
	RequireVerified bool
	// NotifyNewDevice mails a notice at every new login.
	NotifyNewDevice bool
	Log             *slog.Logger

	// MFA is what second factors need (NewMFAConfig).
	MFA MFAConfig
}

// Mailer sends mail off the request path (mail.Mailer).
type Mailer interface {
	Send(msg mail.Message)
	Configured() bool
}

// noMail is the Mailer of a service without one.
type noMail struct{}

func (noMail) Send(mail.Message) {}
func (noMail) Configured() bool  { return false }

// Service carries out account operations.
type Service struct {
	store      Store
	cache      SessionCache
	tokens     *auth.Tokens
	refresh    *auth.RefreshTokens
	hasher     *auth.Hasher
	checking   *oneAtATime // users with a password check in flight
	policy     *auth.PasswordPolicy
	failures   *ratelimit.Failures
	now        func() time.Time
	refreshTTL time.Duration
	events     Events
	changes    Changes

	mailer          Mailer
	publicURL       string
	mailCap         *ratelimit.Keyed
	requireVerified bool
	notifyNewDevice bool
	log             *slog.Logger

	mfa       MFAConfig
	sweepMu   sync.Mutex
	lastSweep time.Time // of expired challenges

	jobs      chan job
	stopping  chan struct{}
	worked    chan struct{}
	closeOnce sync.Once
}

// New returns the service, with its background worker running; Close
// stops it.
func New(c Config) *Service {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Mailer == nil {
		c.Mailer = noMail{}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		store: c.Store, cache: c.Cache, tokens: c.Tokens, refresh: c.Refresh, hasher: c.Hasher,
		checking: newOneAtATime(), policy: c.Policy,
		failures: c.Failures, now: c.Now, refreshTTL: c.RefreshTTL, events: c.Events, changes: c.Changes,
		mailer: c.Mailer, publicURL: strings.TrimSuffix(c.PublicURL, "/"), mailCap: c.MailCap,
		requireVerified: c.RequireVerified, notifyNewDevice: c.NotifyNewDevice, log: c.Log,
		mfa:  c.MFA,
		jobs: make(chan job, 1000), stopping: make(chan struct{}), worked: make(chan struct{}),
	}
	go s.work()
	return s
}

// Client describes where a login or refresh comes from; it is stored on
// the session for the devices list.
type Client struct {
	IP        string
	UserAgent string
}

// endSession revokes one session of userID: the store write, the cache,
// the event and the live clients' news, together.
func (s *Service) endSession(ctx context.Context, userID, sessionID string) error {
	err := s.store.RevokeSession(ctx, userID, sessionID, s.now())
	s.cache.ForgetSession(sessionID)
	if err != nil {
		return err
	}
	s.events.sessionsRevoked(1)
	s.changed(models.Change{Kind: models.SessionRevoked, UserID: userID, ID: sessionID})
	return nil
}

// endSessions revokes every session of userID but except ("" for all), and
// drops the user from the cache (their record may just have changed too).
// Live clients hear of each session that was live just before: a session
// started between that look and the revoke is revoked without news, and
// its event streams end at their next liveness check (controllers.Events).
func (s *Service) endSessions(ctx context.Context, userID, except string) error {
	var live []models.Session
	if s.changes != nil {
		var err error
		if live, err = s.store.ListSessions(ctx, userID, s.now()); err != nil {
			s.log.Warn("sessions not listed for live clients; revoking anyway", "error", err.Error())
		}
	}
	n, err := s.store.RevokeUserSessions(ctx, userID, except, s.now())
	s.cache.ForgetUser(userID)
	if err != nil {
		return err
	}
	s.events.sessionsRevoked(n)
	for _, sess := range live {
		if sess.ID != except {
			s.changed(models.Change{Kind: models.SessionRevoked, UserID: userID, ID: sess.ID})
		}
	}
	return nil
}

// updateUser writes a change to a user and drops them from the cache, so
// the next request sees the change (a disable, a new role) at once; live
// clients get the new user. A new password or a disable also revokes the
// user's personal access tokens (endTokens).
func (s *Service) updateUser(ctx context.Context, id string, p models.UserPatch) (models.User, error) {
	u, err := s.store.UpdateUser(ctx, id, p, s.now())
	s.cache.ForgetUser(id)
	switch {
	case errors.Is(err, models.ErrLastAdmin):
		return models.User{}, lastAdmin(err)
	case errors.Is(err, models.ErrConflict):
		return models.User{}, emailTaken()
	case err == nil:
		s.changed(models.Change{Kind: models.UserUpdated, UserID: u.ID, User: u})
		if revokesTokens(p) {
			s.endTokens(ctx, u.ID)
		}
	}
	return u, err
}

// deleteUser deletes a user with their sessions, todos and personal
// access tokens; their live clients' streams end.
func (s *Service) deleteUser(ctx context.Context, id string) error {
	err := s.store.DeleteUser(ctx, id)
	s.cache.ForgetUser(id)
	if errors.Is(err, models.ErrLastAdmin) {
		return lastAdmin(err)
	}
	if err == nil {
		s.changed(models.Change{Kind: models.UserDeleted, UserID: id})
		s.endTokens(ctx, id)
	}
	return err
}

// changed tells live clients of c, when anyone listens.
func (s *Service) changed(c models.Change) {
	if s.changes != nil {
		s.changes.Apply(c)
	}
}

// checkPassword applies the password policy and names the field on failure.
func (s *Service) checkPassword(field, password string) error {
	if err := s.policy.Check(password); err != nil {
		var pe *auth.PasswordError
		if errors.As(err, &pe) {
			return problem.Validation("The password is not acceptable.", problem.FieldError{Field: field, Message: pe.Message})
		}
		return err
	}
	return nil
}

// hashNew checks a new password against the policy and hashes it.
func (s *Service) hashNew(ctx context.Context, field, password string) (string, error) {
	if err := s.checkPassword(field, password); err != nil {
		return "", err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return "", busyOr(err)
	}
	return hash, nil
}

func emailTaken() *problem.Problem {
	p := problem.New(http.StatusConflict, "An account with this email already exists.")
	p.Errors = []problem.FieldError{{Field: "/email", Message: "is already registered"}}
	return p
}

func busyOr(err error) error {
	if errors.Is(err, auth.ErrBusy) {
		return problem.New(http.StatusServiceUnavailable, "The server is busy; try again shortly.").WithHeader("Retry-After", "2")
	}
	return err
}

func lastAdmin(cause error) *problem.Problem {
	p := problem.New(http.StatusConflict, "The last admin cannot be demoted, disabled or deleted; make another admin first.")
	p.Cause = cause
	return p
}

func wrongPassword(field string) *problem.Problem {
	p := problem.New(http.StatusForbidden, "The current password is incorrect.")
	p.Errors = []problem.FieldError{{Field: field, Message: "is incorrect"}}
	return p
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func newSessionID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}

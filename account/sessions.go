package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"listo/auth"
	"listo/mail"
	"listo/models"
	"listo/problem"
)

// Credentials is a password login.
type Credentials struct {
	Email    string
	Password string
	Device   string // the name the person gave this device; "" is "Unnamed device"
	Client   Client
	// Cookie is the client's choice of cookie mode, kept for the second
	// step of a login that needs one.
	Cookie bool
}

// Grant is what a login or a refresh hands out: a fresh access token and
// the session's current refresh token.
type Grant struct {
	User    models.User
	Session models.Session
	Access  string
	Refresh auth.RefreshToken
}

// Scope is how much a logout ends.
type Scope string

// Logout scopes.
const (
	ScopeLocal  Scope = "local"  // this session
	ScopeOthers Scope = "others" // every other session of the user
	ScopeGlobal Scope = "global" // every session of the user
)

func loginFailed() *problem.Problem {
	p := problem.New(http.StatusUnauthorized, "The email or password is incorrect.")
	return p.WithHeader("WWW-Authenticate", `Bearer realm="listo"`)
}

// loginRefused is why u may not start a session although they proved who
// they are: a disabled account, or an unconfirmed address while
// REQUIRE_VERIFIED_EMAIL is on; nil when they may.
func (s *Service) loginRefused(u models.User) error {
	if u.Disabled {
		return accountDisabled()
	}
	if s.requireVerified && !u.EmailVerified {
		p := problem.New(http.StatusForbidden, "Confirm your email address first: follow the link we sent you, or ask for a new one.")
		p.Type, p.Title = "/problems/email-unverified", "Email not verified"
		return p
	}
	return nil
}

func accountDisabled() error {
	return problem.New(http.StatusForbidden, "This account is disabled.")
}

// Login checks a password and starts a session. Unknown email and wrong
// password give the same 401 after the same bcrypt work; after too many
// failures for one email, that email is refused with 429 for the rest of
// the window.
//
// A user with a second factor gets no session yet: the error is then an
// *MFARequired, whose token continues at CompleteLogin. The right password
// does not clear the email's failures in that case; only the completed
// login does, so fetching new tokens cannot reset the count of wrong
// second factors.
func (s *Service) Login(ctx context.Context, cr Credentials) (Grant, error) {
	email := models.NormalizeEmail(cr.Email)
	// Begin counts attempts still in flight, so a burst of concurrent
	// guesses cannot all slip past the lock before the first one fails.
	attempt, allowed, wait := s.failures.Begin(email)
	if !allowed {
		s.events.rateLimited()
		return Grant{}, problem.TooManyRequests(wait)
	}
	defer attempt.End() // an error (database down, bcrypt busy) counts as neither
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return Grant{}, err
	}
	ok, err := s.hasher.Compare(ctx, u.PasswordHash, cr.Password)
	if err != nil {
		return Grant{}, busyOr(err)
	}
	if !ok {
		attempt.Fail()
		return Grant{}, loginFailed()
	}
	methods, err := s.secondStepMethods(ctx, u)
	if err != nil {
		return Grant{}, err
	}
	if len(methods) == 0 {
		attempt.Succeed()
	}
	// Only after the right password, so this tells nothing to a guesser.
	if err := s.loginRefused(u); err != nil {
		return Grant{}, err
	}
	if len(methods) > 0 {
		return Grant{}, s.requireSecondStep(ctx, u, cr, methods)
	}
	g, err := s.startSession(ctx, u, cr.Device, cr.Client, []string{models.AMRPassword})
	if err == nil && s.notifyNewDevice {
		s.mailer.Send(mail.NewDevice(u.Email, g.Session.Device, g.Session.UserAgent, g.Session.IP, g.Session.CreatedAt))
	}
	return g, err
}

// startSession stores a new session of u, which logged in with amr, and
// grants its first tokens.
func (s *Service) startSession(ctx context.Context, u models.User, device string, cl Client, amr []string) (Grant, error) {
	device = strings.TrimSpace(device)
	if device == "" {
		device = "Unnamed device"
	}
	now := s.now()
	sid := newSessionID()
	rt := s.refresh.New(sid, 0)
	sess, err := s.store.CreateSession(ctx, models.Session{
		ID: sid, UserID: u.ID, RefreshHash: rt.Hash(), Generation: 0,
		Device: device, UserAgent: truncate(cl.UserAgent, 512), IP: cl.IP,
		CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(s.refreshTTL), AMR: amr,
	})
	if err != nil {
		return Grant{}, err
	}
	s.events.sessionCreated()
	return s.grant(u, sess, rt)
}

func (s *Service) grant(u models.User, sess models.Session, rt auth.RefreshToken) (Grant, error) {
	access, err := s.tokens.Issue(u.ID, sess.ID, u.Role, SessionAMR(sess)...)
	if err != nil {
		return Grant{}, err
	}
	return Grant{User: u, Session: sess, Access: access, Refresh: rt}, nil
}

// SessionAMR is how sess logged in; a session from before that was
// recorded logged in with a password.
func SessionAMR(sess models.Session) []string {
	if len(sess.AMR) == 0 {
		return []string{models.AMRPassword}
	}
	return sess.AMR
}

// Refresh rotates a session's refresh token in one conditional update and
// grants new tokens. Presenting a token that was already rotated away
// revokes the whole session (theft detection).
func (s *Service) Refresh(ctx context.Context, presented string, cl Client) (Grant, error) {
	rt, err := auth.ParseRefreshToken(presented)
	if err != nil {
		return Grant{}, problem.Unauthorized(err)
	}
	next := s.refresh.New(rt.SessionID, rt.Generation+1)
	sess, err := s.store.RotateSession(ctx, models.Rotation{
		SessionID: rt.SessionID, From: rt.Generation, FromHash: rt.Hash(), NewHash: next.Hash(),
		UsedAt: s.now(), IP: cl.IP, UserAgent: truncate(cl.UserAgent, 512),
	})
	if errors.Is(err, models.ErrConflict) || errors.Is(err, models.ErrNotFound) {
		return Grant{}, s.refused(ctx, rt)
	}
	if err != nil {
		return Grant{}, err
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return Grant{}, problem.Unauthorized(err)
	}
	if err != nil {
		return Grant{}, err
	}
	if u.Disabled {
		return Grant{}, problem.Unauthorized(errors.New("user disabled"))
	}
	return s.grant(u, sess, next)
}

// refused explains a failed rotation: a token that Listo issued for an
// earlier generation of a live session is reuse of a stolen or replayed
// token, and the session is revoked so its newest tokens stop working too.
// A token it never issued (anyone can name a session id: it is in every
// access token) is only refused, and the session lives on.
func (s *Service) refused(ctx context.Context, rt auth.RefreshToken) error {
	sess, err := s.store.SessionByID(ctx, rt.SessionID)
	if errors.Is(err, models.ErrNotFound) {
		return problem.Unauthorized(errors.New("refresh: unknown session"))
	}
	if err != nil {
		return err
	}
	if sess.Live(s.now()) && rt.Generation < sess.Generation && s.refresh.Issued(rt) {
		if err := s.endSession(ctx, sess.UserID, sess.ID); err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		s.events.reuseDetected()
		return problem.Unauthorized(fmt.Errorf("refresh token reuse: session %s revoked", sess.ID))
	}
	return problem.Unauthorized(errors.New("refresh: session revoked, expired or token unknown"))
}

// Logout ends the caller's session (ScopeLocal), every other session of
// theirs (ScopeOthers) or all of them (ScopeGlobal).
func (s *Service) Logout(ctx context.Context, p auth.Principal, scope Scope) error {
	switch scope {
	case ScopeLocal:
		err := s.endSession(ctx, p.User.ID, p.SessionID)
		if errors.Is(err, models.ErrNotFound) {
			return nil
		}
		return err
	case ScopeOthers:
		return s.endSessions(ctx, p.User.ID, p.SessionID)
	case ScopeGlobal:
		return s.endSessions(ctx, p.User.ID, "")
	}
	return fmt.Errorf("logout: unknown scope %q", scope)
}

// RevokeDevice ends one of the user's sessions; another user's or an
// unknown session is models.ErrNotFound.
func (s *Service) RevokeDevice(ctx context.Context, userID, sessionID string) error {
	return s.endSession(ctx, userID, sessionID)
}

package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"listo/mail"
	"listo/models"
	"listo/problem"
)

// How long a mailed link lives.
const (
	ResetTTL       = time.Hour
	VerifyTTL      = 48 * time.Hour
	EmailChangeTTL = 24 * time.Hour
)

// The SPA screens the links open; the token is in the fragment, so it never
// reaches a server log, a proxy or a Referer.
func linkPath(purpose string) string {
	switch purpose {
	case models.PurposeReset:
		return "/#/reset-password?token="
	case models.PurposeVerify:
		return "/#/verify-email?token="
	}
	return "/#/confirm-email?token="
}

// newLinkToken makes a token for a link: 32 random bytes in base64url, and
// the SHA-256 that is stored.
func newLinkToken() (raw, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	raw = base64.RawURLEncoding.EncodeToString(b[:])
	return raw, tokenHash(raw)
}

func tokenHash(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// wellFormed reports whether raw can be a token Listo made.
func wellFormed(raw string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(raw)
	return err == nil && len(b) == 32
}

// invalidToken is the one answer for every token that is not honoured:
// unknown, expired, used, tampered or of another purpose.
func invalidToken() *problem.Problem {
	p := problem.New(http.StatusBadRequest, "This link is invalid or has expired; ask for a new one.")
	p.Type = "/problems/invalid-token"
	p.Title = "Invalid or expired link"
	return p
}

func mailNotConfigured() *problem.Problem {
	return problem.New(http.StatusServiceUnavailable, "mail is not configured").WithHeader("Retry-After", "3600")
}

// issueLink stores a new token of purpose for u (sent to email) and returns
// the link to mail. With replace, the user's older tokens of the purpose
// stop working.
func (s *Service) issueLink(ctx context.Context, u models.User, purpose, email string, ttl time.Duration, replace bool) (string, error) {
	raw, hash := newLinkToken()
	now := s.now()
	err := s.store.CreateLinkToken(ctx, models.LinkToken{
		Hash: hash, UserID: u.ID, Purpose: purpose, Email: email, CreatedAt: now, ExpiresAt: now.Add(ttl),
	}, replace)
	if err != nil {
		return "", err
	}
	return s.publicURL + linkPath(purpose) + raw, nil
}

// consume uses up a presented token of purpose; every refusal is the same
// 400.
func (s *Service) consume(ctx context.Context, raw, purpose string) (models.LinkToken, error) {
	if !wellFormed(raw) {
		return models.LinkToken{}, invalidToken()
	}
	tok, err := s.store.ConsumeLinkToken(ctx, tokenHash(raw), purpose, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return models.LinkToken{}, invalidToken()
	}
	return tok, err
}

// ForgotPassword asks for a reset link for email. The caller answers 202
// whatever happens: the lookup, the limits and the mail all run in the
// background, so an unknown, disabled or known address take the same time
// and give the same answer. A known, enabled user gets a reset mail, at
// most MAIL_PER_EMAIL_PER_HOUR of them; a new link replaces the old one.
func (s *Service) ForgotPassword(email string) {
	email = models.NormalizeEmail(email)
	s.background("forgot password", func(ctx context.Context) error {
		u, err := s.store.UserByEmail(ctx, email)
		if errors.Is(err, models.ErrNotFound) || (err == nil && u.Disabled) || !s.mailer.Configured() {
			return nil
		}
		if err != nil {
			return err
		}
		if ok, _ := s.mailCap.Allow(email); !ok {
			return nil
		}
		link, err := s.issueLink(ctx, u, models.PurposeReset, u.Email, ResetTTL, true)
		if err != nil {
			return err
		}
		s.mailer.Send(mail.ResetPassword(u.Email, link, ResetTTL))
		return nil
	})
}

// ResetPassword sets a new password with a reset token: the password must
// pass the policy (422, and the token is not used up), then the token is
// used up atomically, the password set, every session of the user revoked,
// the email's login-failure lock cleared, and a notice mailed.
func (s *Service) ResetPassword(ctx context.Context, raw, password string) error {
	if err := s.checkPassword("/password", password); err != nil {
		return err
	}
	if !wellFormed(raw) {
		return invalidToken()
	}
	// Look before hashing, so a made-up token costs no bcrypt work; the
	// atomic use comes after.
	if _, err := s.store.LinkToken(ctx, tokenHash(raw), models.PurposeReset, s.now()); errors.Is(err, models.ErrNotFound) {
		return invalidToken()
	} else if err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return busyOr(err)
	}
	tok, err := s.consume(ctx, raw, models.PurposeReset)
	if err != nil {
		return err
	}
	u, err := s.updateUser(ctx, tok.UserID, models.UserPatch{PasswordHash: &hash})
	if errors.Is(err, models.ErrNotFound) {
		return invalidToken() // the account was deleted since
	}
	if err != nil {
		return err
	}
	if err := s.endSessions(ctx, u.ID, ""); err != nil {
		return err
	}
	s.failures.Reset(u.Email)
	s.mailer.Send(mail.PasswordChanged(u.Email, s.now()))
	return nil
}

// sendVerification mails u a link that proves their address.
func (s *Service) sendVerification(ctx context.Context, u models.User) error {
	if !s.mailer.Configured() {
		return nil
	}
	link, err := s.issueLink(ctx, u, models.PurposeVerify, u.Email, VerifyTTL, true)
	if err != nil {
		return err
	}
	s.mailer.Send(mail.VerifyEmail(u.Email, link, VerifyTTL))
	return nil
}

// ResendVerification mails a new verification link to an unverified,
// enabled account, within the per-email mail limit. Like ForgotPassword,
// it runs in the background and the caller answers 202 whatever happens
// to the address; only a server without mail answers 503 (that says
// nothing about the address).
func (s *Service) ResendVerification(email string) error {
	if !s.mailer.Configured() {
		return mailNotConfigured()
	}
	email = models.NormalizeEmail(email)
	s.background("resend verification", func(ctx context.Context) error {
		u, err := s.store.UserByEmail(ctx, email)
		if errors.Is(err, models.ErrNotFound) || (err == nil && (u.Disabled || u.EmailVerified)) {
			return nil
		}
		if err != nil {
			return err
		}
		if ok, _ := s.mailCap.Allow(email); !ok {
			return nil
		}
		return s.sendVerification(ctx, u)
	})
	return nil
}

// VerifyEmail marks the address a verification token was sent to as
// verified, if it is still the user's address.
func (s *Service) VerifyEmail(ctx context.Context, raw string) (models.User, error) {
	tok, err := s.consume(ctx, raw, models.PurposeVerify)
	if err != nil {
		return models.User{}, err
	}
	u, err := s.store.UserByID(ctx, tok.UserID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && u.Email != tok.Email) {
		return models.User{}, invalidToken()
	}
	if err != nil {
		return models.User{}, err
	}
	verified := true
	return s.updateUser(ctx, u.ID, models.UserPatch{EmailVerified: &verified})
}

// requestEmailChange starts moving u to email: nothing changes but a
// pending address until the link mailed to the new address is followed;
// the old address is told.
func (s *Service) requestEmailChange(ctx context.Context, u models.User, email string) (models.User, error) {
	if !s.mailer.Configured() {
		return models.User{}, mailNotConfigured()
	}
	if other, err := s.store.UserByEmail(ctx, email); err == nil && other.ID != u.ID {
		return models.User{}, emailTaken()
	} else if err != nil && !errors.Is(err, models.ErrNotFound) {
		return models.User{}, err
	}
	link, err := s.issueLink(ctx, u, models.PurposeEmailChange, email, EmailChangeTTL, true)
	if err != nil {
		return models.User{}, err
	}
	u, err = s.updateUser(ctx, u.ID, models.UserPatch{PendingEmail: &email})
	if err != nil {
		return models.User{}, err
	}
	s.mailer.Send(mail.ConfirmEmailChange(email, link, EmailChangeTTL))
	s.mailer.Send(mail.EmailChangeRequested(u.Email, mail.MaskEmail(email)))
	return u, nil
}

// ConfirmEmailChange moves the account to the address the token was sent
// to, now verified. An address taken meanwhile is 409; either way the
// pending change is dropped.
func (s *Service) ConfirmEmailChange(ctx context.Context, raw string) (models.User, error) {
	tok, err := s.consume(ctx, raw, models.PurposeEmailChange)
	if err != nil {
		return models.User{}, err
	}
	before, err := s.store.UserByID(ctx, tok.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return models.User{}, invalidToken()
	}
	if err != nil {
		return models.User{}, err
	}
	verified, none := true, ""
	u, err := s.updateUser(ctx, before.ID, models.UserPatch{Email: &tok.Email, EmailVerified: &verified, PendingEmail: &none})
	if err != nil {
		if _, derr := s.updateUser(ctx, before.ID, models.UserPatch{PendingEmail: &none}); derr != nil {
			return models.User{}, derr
		}
		return models.User{}, err
	}
	s.mailer.Send(mail.EmailChanged(before.Email, mail.MaskEmail(u.Email), s.now()))
	return u, nil
}

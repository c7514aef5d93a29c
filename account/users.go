package account

import (
	"context"
	"errors"
	"strings"
	"time"

	"listo/auth"
	"listo/mail"
	"listo/models"
	"listo/problem"
)

// NewUser is a registration, or a user an admin creates.
type NewUser struct {
	Email    string
	Password string
	Name     string
	Role     string // "" is models.RoleUser
	// Verified: the address needs no verification mail (an admin creates
	// the account).
	Verified bool
}

// Register checks the password, hashes it and inserts the user; the unique
// index on email decides between concurrent registrations (409).
func (s *Service) Register(ctx context.Context, n NewUser) (models.User, error) {
	hash, err := s.hashNew(ctx, "/password", n.Password)
	if err != nil {
		return models.User{}, err
	}
	if n.Role == "" {
		n.Role = models.RoleUser
	}
	now := s.now()
	u, err := s.store.CreateUser(ctx, models.User{
		Email: models.NormalizeEmail(n.Email), Name: strings.TrimSpace(n.Name), PasswordHash: hash,
		Role: n.Role, EmailVerified: n.Verified, CreatedAt: now, UpdatedAt: now,
	})
	if errors.Is(err, models.ErrConflict) {
		return models.User{}, emailTaken()
	}
	if err != nil {
		return models.User{}, err
	}
	if !u.EmailVerified {
		// The account exists either way; a lost mail can be sent again.
		if err := s.sendVerification(ctx, u); err != nil {
			s.log.Warn("verification mail not sent", "error", err.Error())
		}
	}
	return u, nil
}

// SelfUpdate is a change a person makes to their own account; nil fields
// are unchanged. Changing the email or the password needs CurrentPassword.
type SelfUpdate struct {
	Name            *string
	Email           *string
	Password        *string
	CurrentPassword *string
}

// UpdateSelf applies a person's change to their own account. A new
// password revokes every other session of theirs.
func (s *Service) UpdateSelf(ctx context.Context, p auth.Principal, up SelfUpdate) (models.User, error) {
	if up.Email != nil || up.Password != nil {
		if up.CurrentPassword == nil || *up.CurrentPassword == "" {
			return models.User{}, problem.Field("/current_password", "is required to change the email or the password")
		}
		if err := s.verifyPassword(ctx, p.User.ID, *up.CurrentPassword, "/current_password"); err != nil {
			return models.User{}, err
		}
	}
	// A new address is only pending until confirmed from the link mailed
	// there: one stolen session cannot move the account for good.
	patch, err := s.profilePatch(ctx, up.Name, nil, up.Password)
	if err != nil {
		return models.User{}, err
	}
	u, err := s.updateUser(ctx, p.User.ID, patch)
	if err != nil {
		return models.User{}, err
	}
	if patch.PasswordHash != nil {
		if err := s.endSessions(ctx, u.ID, p.SessionID); err != nil {
			return models.User{}, err
		}
		s.mailer.Send(mail.PasswordChanged(u.Email, s.now()))
	}
	if up.Email != nil {
		if email := models.NormalizeEmail(*up.Email); email != u.Email {
			return s.requestEmailChange(ctx, u, email)
		}
	}
	return u, nil
}

// profilePatch turns a name, an email and a new password (each nil when
// unchanged) into the stored change: trimmed, normalised, hashed.
func (s *Service) profilePatch(ctx context.Context, name, email, password *string) (models.UserPatch, error) {
	var patch models.UserPatch
	if name != nil {
		n := strings.TrimSpace(*name)
		patch.Name = &n
	}
	if email != nil {
		e := models.NormalizeEmail(*email)
		patch.Email = &e
	}
	if password != nil {
		hash, err := s.hashNew(ctx, "/password", *password)
		if err != nil {
			return models.UserPatch{}, err
		}
		patch.PasswordHash = &hash
	}
	return patch, nil
}

// verifyPassword re-reads the user (a cached principal may be seconds old)
// and checks the password: wrong is 403 on the named field. A stolen
// session must not make a password oracle, so these checks count toward
// the same per-email failure lock as logins (429 once locked; the session
// is not touched), and one account runs one check at a time: a concurrent
// one is 429 at once, so no one can fill the bcrypt pool that everybody's
// logins share.
func (s *Service) verifyPassword(ctx context.Context, userID, password, field string) error {
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if !s.checking.enter(u.ID) {
		s.events.rateLimited()
		return problem.TooManyRequests(time.Second)
	}
	defer s.checking.leave(u.ID)
	attempt, allowed, wait := s.failures.Begin(u.Email)
	if !allowed {
		s.events.rateLimited()
		return problem.TooManyRequests(wait)
	}
	defer attempt.End()
	ok, err := s.hasher.Compare(ctx, u.PasswordHash, password)
	if err != nil {
		return busyOr(err)
	}
	if !ok {
		attempt.Fail()
		return wrongPassword(field)
	}
	attempt.Succeed()
	return nil
}

// DeleteSelf deletes a person's own account, its sessions, todos, factors
// and passkeys, given their password.
func (s *Service) DeleteSelf(ctx context.Context, userID, password string) error {
	if err := s.verifyPassword(ctx, userID, password, "/password"); err != nil {
		return err
	}
	return s.deleteUserAndFactors(ctx, userID)
}

// AdminUpdate is an admin's change to a user; nil fields are unchanged.
type AdminUpdate struct {
	Name     *string
	Email    *string
	Role     *string
	Disabled *bool
	Password *string
}

// UpdateUser applies an admin's change. Disabling a user or setting their
// password revokes all their sessions; the last admin cannot be demoted or
// disabled (409).
func (s *Service) UpdateUser(ctx context.Context, id string, up AdminUpdate) (models.User, error) {
	patch, err := s.profilePatch(ctx, up.Name, up.Email, up.Password)
	if err != nil {
		return models.User{}, err
	}
	patch.Role, patch.Disabled = up.Role, up.Disabled
	if patch.Email != nil {
		verified := true // an admin vouches for the address
		patch.EmailVerified = &verified
	}
	u, err := s.updateUser(ctx, id, patch)
	if err != nil {
		return models.User{}, err
	}
	if (up.Disabled != nil && *up.Disabled) || up.Password != nil {
		if err := s.endSessions(ctx, u.ID, ""); err != nil {
			return models.User{}, err
		}
	}
	return u, nil
}

// DeleteUser deletes a user (admin), with their sessions, todos, factors
// and passkeys.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	return s.deleteUserAndFactors(ctx, id)
}

// EnsureAdmin makes email an enabled admin with password: it creates the
// account, or promotes an existing one, enables it, sets the password and
// ends its sessions (create-admin). created tells which.
func (s *Service) EnsureAdmin(ctx context.Context, email, password string) (u models.User, created bool, err error) {
	email = models.NormalizeEmail(email)
	hash, err := s.hashNew(ctx, "/password", password)
	if err != nil {
		return models.User{}, false, err
	}
	existing, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, models.ErrNotFound) {
		now := s.now()
		u, err = s.store.CreateUser(ctx, models.User{Email: email, PasswordHash: hash, Role: models.RoleAdmin, EmailVerified: true, CreatedAt: now, UpdatedAt: now})
		return u, true, err
	}
	if err != nil {
		return models.User{}, false, err
	}
	role, enabled, verified := models.RoleAdmin, false, true
	if u, err = s.updateUser(ctx, existing.ID, models.UserPatch{Role: &role, Disabled: &enabled, PasswordHash: &hash, EmailVerified: &verified}); err != nil {
		return models.User{}, false, err
	}
	if err := s.endSessions(ctx, u.ID, ""); err != nil {
		return models.User{}, false, err
	}
	return u, false, nil
}

package account

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"listo/auth"
	"listo/models"
	"listo/problem"
)

// PATStore is the storage of personal access tokens.
type PATStore interface {
	CreatePAT(ctx context.Context, t models.PAT, max int) (models.PAT, error)
	ListPATs(ctx context.Context, userID string) ([]models.PAT, error)
	DeletePAT(ctx context.Context, userID, id string) (models.PAT, error)
	DeleteUserPATs(ctx context.Context, userID string) (int, error)
}

// NewPAT is a personal access token to create.
type NewPAT struct {
	Name   string
	Scopes []string
	// ExpiresInDays is the token's lifetime, 1 to models.MaxPATDays; 0:
	// it never expires.
	ExpiresInDays   int
	CurrentPassword string
}

// CreatePAT creates a personal access token for the caller, given their
// password: it returns the token's record and the token itself, which
// exists nowhere else (only its hash is stored). A token cannot create
// tokens, whatever its scopes.
func (s *Service) CreatePAT(ctx context.Context, p auth.Principal, n NewPAT) (models.PAT, string, error) {
	if p.PAT != nil {
		return models.PAT{}, "", problem.InsufficientScope("A personal access token cannot create tokens.", nil)
	}
	scopes, err := patScopes(n.Scopes)
	if err != nil {
		return models.PAT{}, "", err
	}
	if n.ExpiresInDays < 0 || n.ExpiresInDays > models.MaxPATDays {
		return models.PAT{}, "", problem.Field("/expires_in_days", fmt.Sprintf("must be between 1 and %d", models.MaxPATDays))
	}
	if err := s.verifyPassword(ctx, p.User.ID, n.CurrentPassword, "/current_password"); err != nil {
		return models.PAT{}, "", err
	}
	token, hash := auth.NewPAT()
	now := s.now()
	t := models.PAT{UserID: p.User.ID, Name: strings.TrimSpace(n.Name), Scopes: scopes, Hash: hash, CreatedAt: now}
	if n.ExpiresInDays > 0 {
		expires := now.Add(time.Duration(n.ExpiresInDays) * 24 * time.Hour)
		t.ExpiresAt = &expires
	}
	t, err = s.store.CreatePAT(ctx, t, models.MaxPATsPerUser)
	if errors.Is(err, models.ErrLimitReached) {
		return models.PAT{}, "", problem.LimitReached(fmt.Sprintf("You can hold at most %d personal access tokens; revoke one to create another.", models.MaxPATsPerUser))
	}
	if err != nil {
		return models.PAT{}, "", err
	}
	return t, token, nil
}

// patScopes checks a token's scopes and returns them without repeats, in
// models.PATScopes' order.
func patScopes(asked []string) ([]string, error) {
	if len(asked) == 0 {
		return nil, problem.Field("/scopes", "must name at least one scope")
	}
	var out []string
	for _, s := range models.PATScopes() {
		if slices.Contains(asked, s) {
			out = append(out, s)
		}
	}
	for i, s := range asked {
		if !slices.Contains(out, s) {
			return nil, problem.Field(fmt.Sprintf("/scopes/%d", i), "must be one of "+strings.Join(models.PATScopes(), ", "))
		}
	}
	return out, nil
}

// ListPATs returns the user's personal access tokens, newest first.
func (s *Service) ListPATs(ctx context.Context, userID string) ([]models.PAT, error) {
	return s.store.ListPATs(ctx, userID)
}

// RevokePAT deletes one of the user's personal access tokens, effective on
// this instance's very next request, and ends the event streams it opened
// here at once (other instances: within SESSION_CACHE_TTL, and at their
// streams' next keep-alive); another user's or an unknown id is
// models.ErrNotFound.
func (s *Service) RevokePAT(ctx context.Context, userID, id string) error {
	t, err := s.store.DeletePAT(ctx, userID, id)
	if err != nil {
		return err
	}
	s.cache.ForgetPAT(t.Hash)
	s.changed(models.Change{Kind: models.TokenRevoked, UserID: userID, ID: t.Hash})
	return nil
}

// endTokens revokes every personal access token of userID, and drops them
// from the cache: a token belongs to the password it was created under and
// to an enabled account, so updateUser calls it for a new password or a
// disable, and deleteUser for a deletion. Their change is made already, so
// a failure here does not undo it: it is logged and tried once more in the
// background (meanwhile a disabled or deleted user's tokens are refused by
// the session check anyway).
func (s *Service) endTokens(ctx context.Context, userID string) {
	revoke := func(ctx context.Context) error {
		_, err := s.store.DeleteUserPATs(ctx, userID)
		s.cache.ForgetUser(userID)
		if err == nil {
			s.changed(models.Change{Kind: models.TokenRevoked, UserID: userID})
		}
		return err
	}
	if err := revoke(ctx); err != nil {
		s.log.Warn("personal access tokens not revoked; retrying in the background", "user_id", userID, "error", err.Error())
		s.background("revoke personal access tokens", revoke)
	}
}

// revokesTokens reports whether a change to a user ends their personal
// access tokens: a new password, or a disable.
func revokesTokens(p models.UserPatch) bool {
	return p.PasswordHash != nil || (p.Disabled != nil && *p.Disabled)
}

package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"listo/apptest"
	"listo/models"
)

func TestLinkTokens(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	now := time.Now()
	tok := func(hash, purpose string, ttl time.Duration) models.LinkToken {
		return models.LinkToken{Hash: hash, UserID: "u1", Purpose: purpose, Email: "a@example.com", CreatedAt: now, ExpiresAt: now.Add(ttl)}
	}
	if err := s.CreateLinkToken(ctx, tok("h1", models.PurposeReset, time.Hour), true); err != nil {
		t.Fatal(err)
	}
	// Another purpose does not see it; peeking does not use it up.
	if _, err := s.LinkToken(ctx, "h1", models.PurposeVerify, now); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("LinkToken with another purpose err = %v; want ErrNotFound", err)
	}
	if _, err := s.ConsumeLinkToken(ctx, "h1", models.PurposeVerify, now); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("ConsumeLinkToken with another purpose err = %v; want ErrNotFound", err)
	}
	if got, err := s.LinkToken(ctx, "h1", models.PurposeReset, now); err != nil || got.UserID != "u1" {
		t.Errorf("LinkToken = %+v, %v", got, err)
	}
	// Expired at its expiry time.
	if _, err := s.LinkToken(ctx, "h1", models.PurposeReset, now.Add(time.Hour)); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("expired LinkToken err = %v; want ErrNotFound", err)
	}
	// A new token of the same purpose replaces the old one.
	if err := s.CreateLinkToken(ctx, tok("h2", models.PurposeReset, time.Hour), true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkToken(ctx, "h1", models.PurposeReset, now); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("replaced token still there: %v", err)
	}
	// Two concurrent uses: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 4 {
		wg.Go(func() {
			if _, err := s.ConsumeLinkToken(ctx, "h2", models.PurposeReset, now); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, models.ErrNotFound) {
				t.Errorf("consume: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent consumes succeeded; want 1", wins)
	}
	// Cleanup deletes only what expired.
	if err := s.CreateLinkToken(ctx, tok("old", models.PurposeVerify, time.Minute), false); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateLinkToken(ctx, tok("new", models.PurposeVerify, 2*time.Hour), false); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteExpiredLinkTokens(ctx, now.Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("DeleteExpiredLinkTokens = %d, %v; want 1", n, err)
	}
	if _, err := s.LinkToken(ctx, "new", models.PurposeVerify, now); err != nil {
		t.Errorf("live token removed by cleanup: %v", err)
	}
	if err := s.DeleteUserLinkTokens(ctx, "u1", models.PurposeVerify); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkToken(ctx, "new", models.PurposeVerify, now); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("DeleteUserLinkTokens left the token: %v", err)
	}
}

// Users stored before verification existed count as verified; the
// migration is idempotent and leaves new users alone.
func TestMigrateUsers(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	now := time.Now()
	fresh, err := s.CreateUser(ctx, models.User{Email: "new@example.com", PasswordHash: "x", Role: models.RoleUser, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.InsertLegacyUserForTest(ctx, "old@example.com"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []int{1, 0} {
		if n, err := s.MigrateUsers(ctx); err != nil || n != want {
			t.Errorf("MigrateUsers = %d, %v; want %d", n, err, want)
		}
	}
	old, err := s.UserByEmail(ctx, "old@example.com")
	if err != nil || !old.EmailVerified {
		t.Errorf("legacy user after migration = %+v, %v; want verified", old, err)
	}
	if got, _ := s.UserByID(ctx, fresh.ID); got.EmailVerified {
		t.Errorf("a new unverified user was marked verified")
	}
}

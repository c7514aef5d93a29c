package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"listo/apptest"
	"listo/models"
)

func TestFactors(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()

	f, err := s.Factors(ctx, "u1")
	if err != nil || f.TOTP() || len(f.RecoveryCodes) != 0 || f.UserID != "u1" {
		t.Fatalf("Factors of a user with none = %+v, %v; want the zero value", f, err)
	}

	// A setup is pending until confirmed; a newer setup replaces it, and
	// the older one can no longer be confirmed.
	if err := s.SetPendingTOTP(ctx, "u1", []byte("sealed-1"), "p1"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPendingTOTP(ctx, "u1", []byte("sealed-2"), "p2"); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Factors(ctx, "u1"); f.TOTP() || string(f.TOTPPending) != "sealed-2" || f.PendingID != "p2" {
		t.Fatalf("after two setups = %+v; want sealed-2 pending", f)
	}
	if err := s.ConfirmTOTP(ctx, "u1", "p1", 100, []string{"c1"}); !errors.Is(err, models.ErrConflict) {
		t.Fatalf("ConfirmTOTP(replaced setup) = %v; want ErrConflict", err)
	}
	if err := s.ConfirmTOTP(ctx, "u1", "p2", 100, []string{"c1", "c2", "c3"}); err != nil {
		t.Fatal(err)
	}
	f, _ = s.Factors(ctx, "u1")
	if string(f.TOTPSecret) != "sealed-2" || f.TOTPPending != nil || f.PendingID != "" || f.LastStep != 100 || len(f.RecoveryCodes) != 3 {
		t.Fatalf("after confirm = %+v", f)
	}

	// A time step is accepted once, and never one before the last.
	for _, tc := range []struct {
		step int64
		ok   bool
	}{{100, false}, {99, false}, {101, true}, {101, false}, {103, true}, {102, false}} {
		err := s.UseTOTPStep(ctx, "u1", tc.step)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, models.ErrConflict)) {
			t.Errorf("UseTOTPStep(%d) = %v; want ok=%t", tc.step, err, tc.ok)
		}
	}
	// Concurrently, one step is accepted exactly once.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if s.UseTOTPStep(ctx, "u1", 200) == nil {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("step 200 accepted %d times concurrently; want 1", wins.Load())
	}

	// A recovery code works once, also concurrently.
	wins.Store(0)
	for range 6 {
		wg.Go(func() {
			if err := s.UseRecoveryCode(ctx, "u1", "c2"); err == nil {
				wins.Add(1)
			} else if !errors.Is(err, models.ErrNotFound) {
				t.Errorf("UseRecoveryCode: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("code c2 used %d times; want 1", wins.Load())
	}
	if err := s.UseRecoveryCode(ctx, "u1", "nope"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("UseRecoveryCode(unknown) = %v; want ErrNotFound", err)
	}
	if f, _ := s.Factors(ctx, "u1"); !slices.Equal(f.RecoveryCodes, []string{"c1", "c3"}) {
		t.Errorf("codes left = %v; want [c1 c3]", f.RecoveryCodes)
	}

	// New codes replace the old ones.
	if err := s.SetRecoveryCodes(ctx, "u1", []string{"n1", "n2"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UseRecoveryCode(ctx, "u1", "c1"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("an old code after regeneration = %v; want ErrNotFound", err)
	}
	// Codes for a user without TOTP (passkeys only) make the document.
	if err := s.SetRecoveryCodes(ctx, "u2", []string{"x"}); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Factors(ctx, "u2"); f.TOTP() || !slices.Equal(f.RecoveryCodes, []string{"x"}) {
		t.Errorf("u2 = %+v", f)
	}

	// Turning TOTP off keeps the codes unless asked; a step then fails.
	if err := s.DisableTOTP(ctx, "u1", false); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Factors(ctx, "u1"); f.TOTP() || len(f.RecoveryCodes) != 2 {
		t.Errorf("after DisableTOTP(keep codes) = %+v", f)
	}
	if err := s.UseTOTPStep(ctx, "u1", 500); !errors.Is(err, models.ErrConflict) {
		t.Errorf("UseTOTPStep without TOTP = %v; want ErrConflict", err)
	}
	if err := s.DisableTOTP(ctx, "u1", true); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Factors(ctx, "u1"); len(f.RecoveryCodes) != 0 {
		t.Errorf("after DisableTOTP(drop codes) = %+v", f)
	}
	if err := s.DeleteFactors(ctx, "u2"); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.Factors(ctx, "u2"); len(f.RecoveryCodes) != 0 {
		t.Errorf("after DeleteFactors = %+v", f)
	}
}

func TestChallenges(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	now := time.Now()
	c := models.Challenge{ID: "h1", Kind: models.ChallengeMFA, UserID: "u1", Device: "Laptop", Cookie: true, CreatedAt: now, ExpiresAt: now.Add(5 * time.Minute)}
	if err := s.CreateChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Challenge(ctx, "h1", models.ChallengePasskeyLogin, now); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("Challenge of another kind = %v; want ErrNotFound", err)
	}
	if _, err := s.Challenge(ctx, "h1", models.ChallengeMFA, now.Add(5*time.Minute)); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("expired Challenge = %v; want ErrNotFound", err)
	}
	got, err := s.Challenge(ctx, "h1", models.ChallengeMFA, now)
	if err != nil || got.UserID != "u1" || got.Device != "Laptop" || !got.Cookie {
		t.Fatalf("Challenge = %+v, %v", got, err)
	}

	// A ceremony is stored, and an attempt may drop it.
	if err := s.SetChallengeCeremony(ctx, "h1", models.ChallengeMFA, 5, []byte(`{"challenge":"x"}`), now); err != nil {
		t.Fatal(err)
	}
	before, err := s.AttemptChallenge(ctx, "h1", models.ChallengeMFA, 5, true, now)
	if err != nil || string(before.Ceremony) != `{"challenge":"x"}` || before.Attempts != 0 {
		t.Fatalf("first AttemptChallenge = %+v, %v", before, err)
	}
	if got, _ := s.Challenge(ctx, "h1", models.ChallengeMFA, now); got.Ceremony != nil || got.Attempts != 1 {
		t.Errorf("after an attempt = %+v; want no ceremony, 1 attempt", got)
	}

	// At most max attempts, also concurrently.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := s.AttemptChallenge(ctx, "h1", models.ChallengeMFA, 5, false, now); err == nil {
				wins.Add(1)
			} else if !errors.Is(err, models.ErrNotFound) {
				t.Errorf("AttemptChallenge: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 4 {
		t.Errorf("%d more attempts allowed; want 4 (5 in all)", wins.Load())
	}
	if err := s.SetChallengeCeremony(ctx, "h1", models.ChallengeMFA, 5, []byte("y"), now); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("SetChallengeCeremony on a spent challenge = %v; want ErrNotFound", err)
	}

	// Consumed once.
	c.ID = "h2"
	if err := s.CreateChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	wins.Store(0)
	for range 4 {
		wg.Go(func() {
			if _, err := s.ConsumeChallenge(ctx, "h2", models.ChallengeMFA, now); err == nil {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("consumed %d times; want 1", wins.Load())
	}

	// Cleanup and per-user deletion.
	c.ID, c.UserID = "h3", "u2"
	if err := s.CreateChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUserChallenges(ctx, "u2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Challenge(ctx, "h3", models.ChallengeMFA, now); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a deleted user's challenge = %v", err)
	}
	if n, err := s.DeleteExpiredChallenges(ctx, now.Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("DeleteExpiredChallenges = %d, %v; want 1 (h1)", n, err)
	}
}

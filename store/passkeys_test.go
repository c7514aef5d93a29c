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

func TestPasskeys(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	pk := func(id, user string) models.Passkey {
		return models.Passkey{ID: id, UserID: user, Name: "Key " + id, Record: []byte(`{"id":"` + id + `"}`), SignCount: 1, CreatedAt: now}
	}
	for _, p := range []models.Passkey{pk("k1", "u1"), pk("k2", "u1"), pk("k3", "u2")} {
		if _, err := s.CreatePasskey(ctx, p, 2); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreatePasskey(ctx, pk("k4", "u1"), 2); !errors.Is(err, models.ErrLimitReached) {
		t.Errorf("a third passkey with a limit of 2 = %v; want ErrLimitReached", err)
	}
	if _, err := s.CreatePasskey(ctx, pk("k3", "u2"), 5); !errors.Is(err, models.ErrConflict) {
		t.Errorf("the same credential again = %v; want ErrConflict", err)
	}
	list, err := s.ListPasskeys(ctx, "u1")
	if err != nil || len(list) != 2 || list[0].ID != "k1" || string(list[1].Record) != `{"id":"k2"}` || list[0].LastUsedAt != nil {
		t.Fatalf("ListPasskeys(u1) = %+v, %v", list, err)
	}
	if got, err := s.PasskeyByID(ctx, "k3"); err != nil || got.UserID != "u2" || got.SignCount != 1 {
		t.Errorf("PasskeyByID(k3) = %+v, %v", got, err)
	}

	// Only the owner renames or deletes.
	if _, err := s.RenamePasskey(ctx, "u2", "k1", "stolen"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("renaming another user's passkey = %v; want ErrNotFound", err)
	}
	if got, err := s.RenamePasskey(ctx, "u1", "k1", "Laptop"); err != nil || got.Name != "Laptop" {
		t.Errorf("RenamePasskey = %+v, %v", got, err)
	}
	if err := s.DeletePasskey(ctx, "u2", "k1"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("deleting another user's passkey = %v; want ErrNotFound", err)
	}

	// A use moves the counter once, from the value it read.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := s.UsePasskey(ctx, models.PasskeyUse{ID: "k1", From: 1, To: 2, BackedUp: true, UsedAt: now}); err == nil {
				wins.Add(1)
			} else if !errors.Is(err, models.ErrConflict) {
				t.Errorf("UsePasskey: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("counter 1→2 recorded %d times; want 1", wins.Load())
	}
	got, _ := s.PasskeyByID(ctx, "k1")
	if got.SignCount != 2 || !got.BackedUp || got.LastUsedAt == nil || !got.LastUsedAt.Equal(now) {
		t.Errorf("after a use = %+v", got)
	}

	if err := s.DeletePasskey(ctx, "u1", "k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PasskeyByID(ctx, "k1"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a deleted passkey = %v", err)
	}
	if err := s.DeleteUserPasskeys(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.ListPasskeys(ctx, "u1"); len(list) != 0 {
		t.Errorf("after DeleteUserPasskeys: %+v", list)
	}
	if list, _ := s.ListPasskeys(ctx, "u2"); len(list) != 1 {
		t.Errorf("another user's passkeys went too: %+v", list)
	}
}

// The passkeys and challenges collections get their indexes (on MongoDB
// the lists and the cleanup use them; every login is by _id).
func TestSecondFactorIndexes(t *testing.T) {
	s := apptest.OpenStore(t)
	for coll, want := range map[string][]string{"passkeys": {"user_created"}, "challenges": {"user_id", "expires_at"}} {
		names, err := s.IndexNamesForTest(context.Background(), coll)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !slices.Contains(names, w) {
				t.Errorf("indexes of %s = %v; want %s", coll, names, w)
			}
		}
	}
}

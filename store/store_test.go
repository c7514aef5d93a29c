package store_test

import (
	"context"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"listo/apptest"
	"listo/models"
	"listo/store"
)

func newUser(t *testing.T, s *store.Store, email, role string) models.User {
	t.Helper()
	now := time.Now()
	u, err := s.CreateUser(context.Background(), models.User{Email: email, PasswordHash: "$2a$10$x", Role: role, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUsers(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	a := newUser(t, s, "a@example.com", models.RoleUser)
	b := newUser(t, s, "b@example.com", models.RoleUser)

	got, err := s.UserByID(ctx, a.ID)
	if err != nil || got != a {
		t.Errorf("UserByID = %+v, %v; want %+v", got, err, a)
	}
	if _, err := s.CreateUser(ctx, models.User{Email: "a@example.com"}); !errors.Is(err, models.ErrConflict) {
		t.Errorf("duplicate insert err = %v; want ErrConflict", err)
	}
	// An update that breaks the unique index is a conflict on both backends
	// (FerretDB answers InternalError instead of 11000).
	taken := "a@example.com"
	if _, err := s.UpdateUser(ctx, b.ID, models.UserPatch{Email: &taken}, time.Now()); !errors.Is(err, models.ErrConflict) {
		t.Errorf("duplicate update err = %v; want ErrConflict", err)
	}
	if got, _ := s.UserByID(ctx, b.ID); got.Email != "b@example.com" {
		t.Errorf("b's email changed to %q", got.Email)
	}
	for _, id := range []string{"nope", "0123456789abcdef01234567"} {
		if _, err := s.UserByID(ctx, id); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("UserByID(%q) err = %v; want ErrNotFound", id, err)
		}
	}
}

// TestLastAdminIsNeverLost races two admins demoting, or deleting, each
// other: whatever interleaving, an enabled admin remains, and the last one
// cannot then be removed.
func TestLastAdminIsNeverLost(t *testing.T) {
	ctx := context.Background()
	user, disabled := models.RoleUser, true
	demote := func(s *store.Store, id string) error {
		_, err := s.UpdateUser(ctx, id, models.UserPatch{Role: &user}, time.Now())
		return err
	}
	actions := map[string]func(s *store.Store, id string) error{
		"demote": demote,
		"disable": func(s *store.Store, id string) error {
			_, err := s.UpdateUser(ctx, id, models.UserPatch{Disabled: &disabled}, time.Now())
			return err
		},
		"delete": func(s *store.Store, id string) error { return s.DeleteUser(ctx, id) },
	}
	for name, act := range actions {
		t.Run(name, func(t *testing.T) {
			for round := range 10 {
				s := apptest.OpenStore(t) // a fresh database: exactly two admins
				a := newUser(t, s, "a@example.com", models.RoleAdmin)
				b := newUser(t, s, "b@example.com", models.RoleAdmin)
				var wg sync.WaitGroup
				for _, id := range []string{a.ID, b.ID} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_ = act(s, id)
					}()
				}
				wg.Wait()
				var admins []string
				for _, id := range []string{a.ID, b.ID} {
					if u, err := s.UserByID(ctx, id); err == nil && u.Role == models.RoleAdmin && !u.Disabled {
						admins = append(admins, id)
					}
				}
				if len(admins) == 0 {
					t.Fatalf("round %d: two admins racing to %s each other left no enabled admin", round, name)
				}
				if len(admins) == 1 {
					if err := act(s, admins[0]); !errors.Is(err, models.ErrLastAdmin) {
						t.Fatalf("round %d: %s of the last admin err = %v; want ErrLastAdmin", round, name, err)
					}
				}
			}
		})
	}
}

func TestRotateSessionIsAtomic(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	now := time.Now()
	for round := range 10 {
		id := hex.EncodeToString([]byte{byte(round), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
		_, err := s.CreateSession(ctx, models.Session{ID: id, UserID: "u", RefreshHash: "h0", CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.RotateSession(ctx, models.Rotation{SessionID: id, From: 0, FromHash: "h0", NewHash: "h1-" + string(rune('a'+i)), UsedAt: time.Now()})
				if err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if !errors.Is(err, models.ErrConflict) {
					t.Errorf("rotate err = %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("round %d: %d rotations of one token won; want 1", round, wins)
		}
		got, _ := s.SessionByID(ctx, id)
		if got.Generation != 1 {
			t.Errorf("generation = %d; want 1", got.Generation)
		}
	}
}

func TestSessionsLifecycle(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond).UTC()
	ids := []string{"aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccccccc"}
	for i, id := range ids {
		if _, err := s.CreateSession(ctx, models.Session{ID: id, UserID: "u1", RefreshHash: "h", CreatedAt: now, LastUsedAt: now.Add(time.Duration(i) * time.Second), ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeSession(ctx, "someone-else", ids[0], now); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("revoking another user's session err = %v; want ErrNotFound", err)
	}
	if err := s.RevokeSession(ctx, "u1", ids[0], now); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListSessions(ctx, "u1", now)
	if err != nil || len(list) != 2 || list[0].ID != ids[2] {
		t.Fatalf("ListSessions = %+v, %v", list, err)
	}
	n, err := s.RevokeUserSessions(ctx, "u1", ids[2], now)
	if err != nil || n != 1 {
		t.Errorf("RevokeUserSessions = %d, %v; want 1", n, err)
	}
	deleted, err := s.DeleteStaleSessions(ctx, now.Add(2*time.Hour), now.Add(time.Minute))
	if err != nil || deleted != 3 {
		t.Errorf("DeleteStaleSessions = %d, %v; want 3", deleted, err)
	}
}

package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"listo/apptest"
	"listo/models"
	"listo/store"
)

func TestPATs(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	user, other := bson.NewObjectID().Hex(), bson.NewObjectID().Hex()
	pat := func(userID, hash string, age time.Duration) models.PAT {
		return models.PAT{UserID: userID, Name: "cron " + hash, Scopes: []string{models.ScopeTodosRead}, Hash: hash, CreatedAt: now.Add(-age)}
	}
	old, err := s.CreatePAT(ctx, pat(user, "h-old", time.Hour), 2)
	if err != nil {
		t.Fatal(err)
	}
	expires := now.Add(24 * time.Hour)
	young := pat(user, "h-new", 0)
	young.ExpiresAt = &expires
	if _, err := s.CreatePAT(ctx, young, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePAT(ctx, pat(user, "h-third", 0), 2); !errors.Is(err, models.ErrLimitReached) {
		t.Errorf("CreatePAT past the limit err = %v; want ErrLimitReached", err)
	}
	if _, err := s.CreatePAT(ctx, pat(other, "h-other", 0), 2); err != nil {
		t.Fatalf("another user's token: %v", err)
	}

	got, err := s.PATByHash(ctx, "h-new")
	if err != nil || got.UserID != user || got.ExpiresAt == nil || !got.ExpiresAt.Equal(expires) || got.LastUsedAt != nil {
		t.Errorf("PATByHash = %+v, %v", got, err)
	}
	if _, err := s.PATByHash(ctx, "nope"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("PATByHash(unknown) err = %v; want ErrNotFound", err)
	}
	hashes := listedHashes(t, s, user)
	if want := []string{"h-new", "h-old"}; !slices.Equal(hashes, want) {
		t.Errorf("ListPATs = %v; want %v (newest first)", hashes, want)
	}

	// Touch writes once per models.PATTouchEvery.
	for i, c := range []struct {
		at   time.Time
		want bool
	}{{now, true}, {now.Add(30 * time.Second), false}, {now.Add(time.Minute), true}} {
		if touched, err := s.TouchPAT(ctx, "h-old", c.at); err != nil || touched != c.want {
			t.Errorf("TouchPAT #%d = %v, %v; want %v", i, touched, err, c.want)
		}
	}
	if got, _ := s.PATByHash(ctx, "h-old"); got.LastUsedAt == nil || !got.LastUsedAt.Equal(now.Add(time.Minute)) {
		t.Errorf("LastUsedAt = %v; want %v", got.LastUsedAt, now.Add(time.Minute))
	}

	if _, err := s.DeletePAT(ctx, other, old.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("DeletePAT of another user's err = %v; want ErrNotFound", err)
	}
	if gone, err := s.DeletePAT(ctx, user, old.ID); err != nil || gone.Hash != "h-old" {
		t.Errorf("DeletePAT = %+v, %v", gone, err)
	}
	if _, err := s.PATByHash(ctx, "h-old"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("deleted token still found: %v", err)
	}
	if n, err := s.DeleteUserPATs(ctx, user); err != nil || n != 1 {
		t.Errorf("DeleteUserPATs = %d, %v; want 1", n, err)
	}
	if _, err := s.PATByHash(ctx, "h-other"); err != nil {
		t.Errorf("another user's token went too: %v", err)
	}
}

// The cleanup deletes expired tokens only: a token that expires later, or
// never, stays.
func TestDeleteExpiredPATs(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	user := bson.NewObjectID().Hex()
	for hash, expires := range map[string]*time.Time{
		"h-expired": new(now.Add(-time.Minute)), "h-now": new(now), "h-later": new(now.Add(time.Minute)), "h-never": nil,
	} {
		p := models.PAT{UserID: user, Name: hash, Scopes: []string{models.ScopeTodosRead}, Hash: hash, CreatedAt: now.Add(-time.Hour), ExpiresAt: expires}
		if _, err := s.CreatePAT(ctx, p, 0); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteExpiredPATs(ctx, now); err != nil || n != 2 {
		t.Errorf("DeleteExpiredPATs = %d, %v; want 2", n, err)
	}
	left := listedHashes(t, s, user)
	slices.Sort(left)
	if want := []string{"h-later", "h-never"}; !slices.Equal(left, want) {
		t.Errorf("tokens left = %v; want %v", left, want)
	}
}

// listedHashes is the hashes of ListPATs(userID), in its order.
func listedHashes(t *testing.T, s *store.Store, userID string) []string {
	t.Helper()
	list, err := s.ListPATs(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	var hashes []string
	for _, p := range list {
		hashes = append(hashes, p.Hash)
	}
	return hashes
}

func TestEachTodo(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	user, other := bson.NewObjectID().Hex(), bson.NewObjectID().Hex()
	const n = 150 // a few cursor batches
	seed := seedTodos(user, n, func(i int) bool { return i%3 == 0 })
	for i := range seed {
		seed[i].Title = fmt.Sprintf("todo %03d", i)
	}
	if _, err := s.ImportTodos(ctx, append(seed, seedTodos(other, 5, none)...)); err != nil {
		t.Fatal(err)
	}
	var titles []string
	err := s.EachTodo(ctx, user, func(td models.Todo) error {
		if td.UserID != user || td.ID == "" {
			t.Errorf("EachTodo gave %+v", td)
		}
		titles = append(titles, td.Title)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(titles)
	if len(titles) != n || titles[0] != "todo 000" || titles[n-1] != fmt.Sprintf("todo %03d", n-1) {
		t.Errorf("EachTodo gave %d todos (%v…); want %d", len(titles), titles[:min(3, len(titles))], n)
	}
	stop := errors.New("stop")
	seen := 0
	if err := s.EachTodo(ctx, user, func(models.Todo) error { seen++; return stop }); !errors.Is(err, stop) || seen != 1 {
		t.Errorf("EachTodo after an error = %v with %d calls; want the error after 1", err, seen)
	}
}

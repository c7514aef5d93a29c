package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"listo/apptest"
	"listo/models"
	"listo/store"
)

// countTodos returns how many todos userID holds, as a list counts them.
func countTodos(t *testing.T, s *store.Store, userID string) int {
	t.Helper()
	p, err := s.ListTodos(context.Background(), userID, models.TodoQuery{Page: 1, PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	return p.Total
}

func seedTodos(userID string, n int, completed func(i int) bool) []models.Todo {
	now := time.Now()
	out := make([]models.Todo, n)
	for i := range out {
		out[i] = models.Todo{UserID: userID, Title: fmt.Sprint("todo ", i), Order: float64(i), Completed: completed(i), CreatedAt: now, UpdatedAt: now}
	}
	return out
}

func none(int) bool { return false }

// A user cannot hold more than the limit: a create at the cap is
// ErrLimitReached and stores nothing, and every change of the count (a
// delete, clear-completed, an import) is seen by the next create.
func TestTodoCapOnCreate(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	user := bson.NewObjectID().Hex()
	create := func() error {
		_, err := s.CreateTodo(ctx, models.Todo{UserID: user, Title: "t", CreatedAt: time.Now()}, true, 5)
		return err
	}
	if _, err := s.ImportUserTodos(ctx, user, seedTodos(user, 3, func(i int) bool { return i < 2 }), 5); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := create(); err != nil {
			t.Fatalf("create %d of 5: %v", 4+i, err)
		}
	}
	if err := create(); !errors.Is(err, models.ErrLimitReached) || !errors.Is(err, models.ErrConflict) {
		t.Fatalf("create at the cap = %v; want ErrLimitReached (a conflict)", err)
	}
	if n := countTodos(t, s, user); n != 5 {
		t.Fatalf("the user holds %d todos; want 5", n)
	}
	if n, err := s.DeleteCompletedTodos(ctx, user); err != nil || n != 2 {
		t.Fatalf("DeleteCompletedTodos = %d, %v; want 2", n, err)
	}
	p, err := s.ListTodos(ctx, user, models.TodoQuery{Page: 1, PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTodo(ctx, user, p.Items[0].ID, models.NoPrecondition()); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := create(); err != nil {
			t.Fatalf("create %d after deleting 3: %v", i+1, err)
		}
	}
	if err := create(); !errors.Is(err, models.ErrLimitReached) {
		t.Fatalf("create at the cap again = %v; want ErrLimitReached", err)
	}
	// No limit: the cap is the caller's.
	if _, err := s.CreateTodo(ctx, models.Todo{UserID: user, Title: "t", CreatedAt: time.Now()}, true, 0); err != nil {
		t.Errorf("create without a limit: %v", err)
	}
}

// Concurrent creates at the edge of the cap never leave the user above it.
func TestTodoCapUnderConcurrentCreates(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	user := bson.NewObjectID().Hex()
	const limit = 10
	if _, err := s.ImportUserTodos(ctx, user, seedTodos(user, limit-3, none), limit); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	created := 0
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.CreateTodo(ctx, models.Todo{UserID: user, Title: "racing", CreatedAt: time.Now()}, true, limit)
			switch {
			case err == nil:
				mu.Lock()
				created++
				mu.Unlock()
			case !errors.Is(err, models.ErrLimitReached):
				t.Errorf("create: %v", err)
			}
		}()
	}
	wg.Wait()
	n := countTodos(t, s, user)
	if n > limit || n != limit-3+created {
		t.Errorf("after 12 racing creates, %d of which succeeded: the user holds %d todos; want %d, at most %d", created, n, limit-3+created, limit)
	}
	if created == 0 {
		t.Error("no racing create succeeded; want up to 3")
	}
}

// An import is all or nothing: one that would pass the cap stores nothing;
// one that fits stores every todo, in several batches.
func TestImportUserTodos(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	user := bson.NewObjectID().Hex()
	if n, err := s.ImportUserTodos(ctx, user, seedTodos("someone else", 450, none), 500); err != nil || n != 450 {
		t.Fatalf("ImportUserTodos(450 of 500) = %d, %v", n, err)
	}
	if n := countTodos(t, s, user); n != 450 {
		t.Fatalf("after importing 450 todos (3 batches) the user holds %d", n)
	}
	if n, err := s.ImportUserTodos(ctx, user, seedTodos(user, 51, none), 500); !errors.Is(err, models.ErrLimitReached) || n != 0 {
		t.Errorf("ImportUserTodos(51 more of 500) = %d, %v; want 0, ErrLimitReached", n, err)
	}
	if n, err := s.ImportUserTodos(ctx, bson.NewObjectID().Hex(), seedTodos(user, 501, none), 500); !errors.Is(err, models.ErrLimitReached) || n != 0 {
		t.Errorf("ImportUserTodos(501 of 500) = %d, %v; want 0, ErrLimitReached", n, err)
	}
	if n := countTodos(t, s, user); n != 450 {
		t.Errorf("after refused imports the user holds %d todos; want 450", n)
	}
	if n, err := s.ImportUserTodos(ctx, user, seedTodos(user, 50, none), 500); err != nil || n != 50 {
		t.Errorf("ImportUserTodos(the last 50 of 500) = %d, %v", n, err)
	}
	if _, err := s.CreateTodo(ctx, models.Todo{UserID: user, Title: "t", CreatedAt: time.Now()}, true, 500); !errors.Is(err, models.ErrLimitReached) {
		t.Errorf("create after filling the cap by import = %v; want ErrLimitReached", err)
	}
}

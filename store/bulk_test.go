package store_test

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"listo/apptest"
	"listo/models"
	"listo/store"
)

// openObserved opens a store as apptest.OpenStore does (the embedded
// database, or LISTO_TEST_MONGODB_URI's), with observe called after every
// database operation.
func openObserved(t *testing.T, observe func(op string, d time.Duration, err error)) *store.Store {
	t.Helper()
	env := apptest.Env(t, t.TempDir())
	s, err := store.Open(context.Background(), store.Options{
		URI: env["MONGODB_URI"], Database: cmp.Or(env["MONGODB_DATABASE"], "listo"), DataDir: env["DATA_DIR"],
		Timeout: 10 * time.Second, Observe: observe,
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	if err := s.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// stopCtx is a context whose deadline passes when stop is called.
type stopCtx struct {
	context.Context
	once sync.Once
	done chan struct{}
}

func newStopCtx() *stopCtx { return &stopCtx{Context: context.Background(), done: make(chan struct{})} }

func (c *stopCtx) stop()                 { c.once.Do(func() { close(c.done) }) }
func (c *stopCtx) Done() <-chan struct{} { return c.done }
func (c *stopCtx) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// A bulk change runs in batches, each a write of its own. When its deadline
// passes after the first batch, it stops there: it answers how many todos
// it changed and an ErrUnavailable, what it changed stays changed, and the
// same call again finishes the rest.
func TestBulkChangesStopBetweenBatchesAndContinue(t *testing.T) {
	var mu sync.Mutex
	batches := map[string]int{}
	var stopAfterFirst func(op string)
	s := openObserved(t, func(op string, _ time.Duration, _ error) {
		mu.Lock()
		batches[op]++
		f := stopAfterFirst
		mu.Unlock()
		if f != nil {
			f(op)
		}
	})
	ctx := context.Background()
	user := bson.NewObjectID().Hex()
	const total = 110 // more than one batch (at most 100 todos) on either backend
	if _, err := s.ImportUserTodos(ctx, user, seedTodos(user, total, none), 0); err != nil {
		t.Fatal(err)
	}

	for _, step := range []struct {
		op  string
		run func(ctx context.Context) (int, error)
	}{
		{"todos.set_all_completed", func(ctx context.Context) (int, error) {
			return s.SetAllTodosCompleted(ctx, user, true, time.Now())
		}},
		{"todos.delete_completed", func(ctx context.Context) (int, error) {
			return s.DeleteCompletedTodos(ctx, user)
		}},
	} {
		stop := newStopCtx()
		mu.Lock()
		stopAfterFirst = func(op string) {
			if op == step.op {
				stop.stop()
			}
		}
		mu.Unlock()
		first, err := step.run(stop)
		mu.Lock()
		stopAfterFirst = nil
		mu.Unlock()
		if !errors.Is(err, models.ErrUnavailable) || first < 1 || first >= total {
			t.Fatalf("%s stopped after its first batch = %d, %v; want some of %d and ErrUnavailable", step.op, first, err, total)
		}
		rest, err := step.run(ctx)
		if err != nil || first+rest != total {
			t.Fatalf("%s again = %d, %v; want the other %d", step.op, rest, err, total-first)
		}
		mu.Lock()
		n := batches[step.op]
		mu.Unlock()
		if n < 2 {
			t.Errorf("%s ran %d batch(es) for %d todos; want several", step.op, n, total)
		}
	}
	if n := countTodos(t, s, user); n != 0 {
		t.Errorf("after clearing all completed todos the user holds %d", n)
	}
}

// Toggle-all touches only the todos whose completed differs, and sets or
// clears completed_at with it.
func TestSetAllTodosCompletedTouchesOnlyChanges(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	user := bson.NewObjectID().Hex()
	if _, err := s.ImportUserTodos(ctx, user, seedTodos(user, 6, func(i int) bool { return i%2 == 0 }), 0); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if n, err := s.SetAllTodosCompleted(ctx, user, true, at); err != nil || n != 3 {
		t.Fatalf("SetAllTodosCompleted(true) = %d, %v; want 3", n, err)
	}
	p, err := s.ListTodos(ctx, user, models.TodoQuery{Page: 1, PerPage: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i, td := range p.Items {
		changed := i%2 == 1 // the seed's completed todos have no completed_at
		if !td.Completed || td.Version != 1+i%2 || (td.CompletedAt != nil) != changed || changed && !td.CompletedAt.Equal(at) {
			t.Errorf("todo %d after toggle-all: completed %v, version %d, completed_at %v; want completed, and version 2 and completed_at %v only if it changed",
				i, td.Completed, td.Version, td.CompletedAt, at)
		}
	}
	if n, err := s.SetAllTodosCompleted(ctx, user, false, at); err != nil || n != 6 {
		t.Fatalf("SetAllTodosCompleted(false) = %d, %v; want 6", n, err)
	}
	if n, err := s.DeleteCompletedTodos(ctx, user); err != nil || n != 0 {
		t.Errorf("DeleteCompletedTodos with none completed = %d, %v", n, err)
	}
}

// Deleting a user deletes all their todos, however many.
func TestDeleteUserDeletesAllTodos(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	u := newUser(t, s, "gone@example.com", models.RoleUser)
	if _, err := s.ImportUserTodos(ctx, u.ID, seedTodos(u.ID, 450, none), 0); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if n := countTodos(t, s, u.ID); n != 0 {
		t.Errorf("a deleted user still has %d todos", n)
	}
}

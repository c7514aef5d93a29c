package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"listo/models"
)

// The tests in this file look inside the embedded store: its write lock,
// its list and its todo counts. They open the embedded FerretDB whatever
// backend the rest of the suite uses.

func openEmbeddedStore(t *testing.T) *Store {
	t.Helper()
	return openEmbeddedStoreAt(t, t.TempDir(), 0)
}

// openEmbeddedStoreAt opens the embedded store on dataDir with a todo
// cache of cacheBytes (0: the default; negative: none).
func openEmbeddedStoreAt(t testing.TB, dataDir string, cacheBytes int64) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{Database: "listo", DataDir: dataDir, Timeout: 60 * time.Second, CacheBytes: cacheBytes})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// A write that waits for the embedded write lock gives up when its context
// ends: 503, not a queue behind someone else's long work.
func TestWriteLockWaitEndsWithTheContext(t *testing.T) {
	s := openEmbeddedStore(t)
	s.writeLock <- struct{}{} // another write holds the lock
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.CreateUser(ctx, models.User{Email: "a@example.com"})
	if !errors.Is(err, models.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("CreateUser while the lock is held = %v; want ErrUnavailable with the deadline", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("CreateUser gave up after %v; want about the 50ms deadline", waited)
	}
	// An ended context does not take a free lock either.
	<-s.writeLock
	if _, err := s.CreateUser(ctx, models.User{Email: "a@example.com"}); !errors.Is(err, models.ErrUnavailable) {
		t.Errorf("CreateUser with an ended context = %v; want ErrUnavailable", err)
	}
	// Waiters are served once the lock is free.
	s.writeLock <- struct{}{}
	done := make(chan error, 1)
	go func() {
		_, err := s.CreateUser(context.Background(), models.User{Email: "b@example.com"})
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	<-s.writeLock
	if err := <-done; err != nil {
		t.Errorf("CreateUser after the lock was released = %v", err)
	}
}

// streamList orders, counts and cuts pages as FerretDB's own sort does (the
// order MongoDB gives the same sort document), for every sort, with ties
// on order and created_at, and with filters.
func TestStreamListOrdersAsTheServer(t *testing.T) {
	s := openEmbeddedStore(t)
	ctx := context.Background()
	user := bson.NewObjectID().Hex()
	rnd := rand.New(rand.NewPCG(1, 2))
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var todos []models.Todo
	for i := range 80 {
		at := t0.Add(time.Duration(rnd.IntN(5)) * time.Minute)
		td := models.Todo{UserID: user, Title: fmt.Sprint("todo ", i), Order: float64(rnd.IntN(10)), Completed: i%3 == 0, CreatedAt: at, UpdatedAt: at}
		if rnd.IntN(2) == 0 {
			due := t0.Add(time.Duration(rnd.IntN(4)) * time.Hour)
			td.Due = &due
		}
		todos = append(todos, td)
	}
	if _, err := s.ImportTodos(ctx, todos); err != nil {
		t.Fatal(err)
	}
	yes, before := true, t0.Add(2*time.Hour)
	for _, q := range []models.TodoQuery{
		{}, {Sort: models.TodoSortCreated}, {Sort: models.TodoSortDue},
		{Completed: &yes}, {Sort: models.TodoSortDue, DueBefore: &before}, {Q: "todo 1"},
	} {
		filter, sort := todoListQuery(user, q)
		var want []todoDoc
		if err := findAll(ctx, s.todos.coll(user), filter, options.Find().SetSort(sort), &want); err != nil {
			t.Fatal(err)
		}
		for _, perPage := range []int{7, 30, 200} {
			var got []todoDoc
			for page := 1; ; page++ {
				q.Page, q.PerPage = page, perPage
				docs, total, err := streamList(ctx, s.op, s.todos.coll(user), user, q)
				if err != nil {
					t.Fatal(err)
				}
				if total != len(want) {
					t.Fatalf("%+v: total = %d; want %d", q, total, len(want))
				}
				if len(docs) == 0 {
					break
				}
				got = append(got, docs...)
			}
			if diff := cmp.Diff(titles(want), titles(got)); diff != "" {
				t.Errorf("%+v, %d per page: pages in order (-server's sort +streamList):\n%s", q, perPage, diff)
			}
		}
	}
}

func titles(docs []todoDoc) []string {
	out := []string{}
	for _, d := range docs {
		out = append(out, d.Title)
	}
	return out
}

// A list's memory is bounded by its page, not by the user's todos: with
// 1,000 todos of 10,000-character notes (10 MB), the live heap while a
// per_page=1 list runs grows by less than 4 MB, for the first pages (one
// read) and a far one (keys, then the page). Before, the list held every
// matching todo twice, in FerretDB's sort and in the decoded result: 27 MB
// here.
//
// The heap is sampled from runtime/metrics (/gc/heap/live:bytes, the live
// heap at the end of each GC) while the list runs, with the GC running
// often (GOGC=5), so the peak of what the list keeps reachable shows.
//
// That is the list without the todo cache (EMBEDDED_CACHE_MB=0), and for a
// user whose todos are too large for it; with it, the user's todos are
// what the cache holds (see TestCacheOversizeUserStreams).
func TestListHeapBoundedByPage(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 10 MB of todos")
	}
	s := openEmbeddedStoreAt(t, t.TempDir(), -1)
	ctx := context.Background()
	user := bson.NewObjectID().Hex()
	notes := strings.Repeat("n", 10_000)
	now := time.Now()
	todos := make([]models.Todo, 1000)
	for i := range todos {
		todos[i] = models.Todo{UserID: user, Title: fmt.Sprint("todo ", i), Notes: notes, Order: float64(i), CreatedAt: now, UpdatedAt: now}
	}
	if _, err := s.ImportUserTodos(ctx, user, todos, 0); err != nil {
		t.Fatal(err)
	}
	for _, page := range []int{1, 300} {
		grew := peakHeapGrowth(t, func() {
			p, err := s.ListTodos(ctx, user, models.TodoQuery{Page: page, PerPage: 1})
			if err != nil || p.Total != 1000 || len(p.Items) != 1 || p.Items[0].Title != fmt.Sprint("todo ", page-1) {
				t.Errorf("ListTodos(page %d) = %d items of %d, %v", page, len(p.Items), p.Total, err)
			}
		})
		t.Logf("page %d: the live heap grew by %.1f MB at most", page, float64(grew)/(1<<20))
		if grew > 4<<20 {
			t.Errorf("a per_page=1 list (page %d) over 1,000 todos of 10 KB grew the live heap by %.1f MB; want under 4 MB", page, float64(grew)/(1<<20))
		}
	}
}

// peakHeapGrowth runs f and returns by how much the live heap grew at most
// while it ran, over what it was before.
func peakHeapGrowth(t *testing.T, f func()) uint64 {
	t.Helper()
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	live := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			t.Fatalf("%s is not supported", sample[0].Name)
		}
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	runtime.GC()
	base := live()
	var peak atomic.Uint64
	peak.Store(base)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if v := live(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Microsecond):
			}
		}
	}()
	f()
	runtime.GC() // the live heap at the end of f too
	close(stop)
	<-sampled
	if v := live(); v > peak.Load() {
		peak.Store(v)
	}
	return peak.Load() - base
}

// A todo count learnt while a write changed the user's todos is not kept;
// reservations count until stored or dropped.
func TestTodoCounts(t *testing.T) {
	c := newTodoCounts()
	if n, known, _ := c.get("u"); known || n != 0 {
		t.Fatalf("get of a new user = %d, %v; want unknown", n, known)
	}
	_, _, gen := c.get("u")
	c.add("u", 1) // a create stored while the count ran
	c.learn("u", 5, gen)
	if _, known, _ := c.get("u"); known {
		t.Error("a count overtaken by a write was kept")
	}
	_, _, gen = c.get("u")
	c.learn("u", 6, gen)
	if n, known, _ := c.get("u"); !known || n != 6 {
		t.Errorf("get = %d, %v; want 6, known", n, known)
	}
	c.reserve("u", 10)
	c.stored("u", 4)
	if n, _, _ := c.get("u"); n != 16 {
		t.Errorf("with 10 reserved and 4 of them stored: get = %d; want 16", n)
	}
	c.unreserve("u", 6)
	c.add("u", -2)
	if n, known, _ := c.get("u"); !known || n != 8 {
		t.Errorf("get = %d, %v; want 8, known", n, known)
	}
	c.forget("u")
	if _, known, _ := c.get("u"); known {
		t.Error("a forgotten count is still known")
	}
}

package store

import (
	"context"
	"errors"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// The embedded layout's write-through cache of todos (perUserTodos.cache).
//
// FerretDB v1 reads and decodes every one of a user's todos for every list
// (about 100 µs each), whatever the page. On the embedded database Listo
// is by construction the only client (a private Unix socket) and every
// write runs in this process under one write lock (Store.write), so it can
// keep each recently used user's todos in memory and answer lists, reads
// by id and "last order" from there:
//
//   - written through: every todo write goes to the database first and,
//     only once the database has acknowledged it, to the cached copy,
//     inside the same write (todoLayout.wrote, deleted). A write whose
//     database call fails leaves the copy as it was when the server
//     refused it, and drops the user's copy when the outcome is unknown
//     (a broken connection, a timeout: todoLayout.lost), so the memory
//     never holds anything the database does not;
//   - a miss loads that user's todos with one query, outside the write
//     lock, and caches them only if no write to that user happened
//     meanwhile (todoLoad.stale); concurrent misses of one user share
//     that query;
//   - bounded: the least recently used users are dropped once the copies
//     pass the bound (EMBEDDED_CACHE_MB), and a user whose todos would
//     take more than a quarter of it is not cached (their lists stream
//     from the database as without a cache), so one large user cannot
//     push everyone else out;
//   - the database stays the only source of truth: nothing is persisted,
//     and a restart starts cold.
//
// MongoDB never uses it: several instances may write one database.
//
// Every write of a todo collection must therefore go through the layout's
// hooks (wrote, deleted, lost), inside Store.write; a write that bypasses
// them would leave the copy stale.

// DefaultCacheBytes is the embedded cache's bound when Options.CacheBytes
// is 0: EMBEDDED_CACHE_MB's default, 64 MiB.
const DefaultCacheBytes = 64 << 20

// cacheLoadBatch is the cursor batch of a cache load: the whole user is
// held in the end anyway, so fewer round trips win.
const cacheLoadBatch = 256

// CacheStats describes the embedded todo cache (Store.CacheStats).
type CacheStats struct {
	Enabled    bool  // false on MongoDB, and with EMBEDDED_CACHE_MB=0
	LimitBytes int64 // the bound
	Bytes      int64 // what the cached todos take, as estimated (cachedTodo.size)
	Users      int   // users whose todos are cached
	// Hits and Misses count the reads (lists, reads by id, "last order")
	// answered from memory and those that had to load the user first.
	Hits, Misses uint64
	// Evictions counts users dropped to stay under the bound.
	Evictions uint64
}

// todoCache holds the cached todos of the most recently used users.
type todoCache struct {
	limit int64
	// load reads userID's todos with one query; with over set, it stopped
	// because they take more than budget bytes.
	load func(ctx context.Context, userID string, budget int64) (u *userTodos, over bool, err error)

	mu       sync.Mutex
	users    map[string]*userTodos
	loads    map[string]*todoLoad // in flight, by user
	oversize map[string]bool      // users over the budget, until their next write
	lru      userTodos            // the ring's sentinel: lru.next is the most recently used
	bytes    int64
	hits     uint64
	misses   uint64
	evicted  uint64
}

// todoLoad is one load of a user's todos, which the requests that miss
// while it runs wait for.
type todoLoad struct {
	done chan struct{}
	// stale: a write changed the user's todos after the load began, so
	// its snapshot may miss it; it is not cached, and requests that come
	// after the write start a load of their own.
	stale bool
	u     *userTodos // nil when over the budget
	err   error
}

func newTodoCache(limit int64, load func(ctx context.Context, userID string, budget int64) (*userTodos, bool, error)) *todoCache {
	c := &todoCache{
		limit: limit, load: load,
		users: map[string]*userTodos{}, loads: map[string]*todoLoad{}, oversize: map[string]bool{},
	}
	c.lru.prev, c.lru.next = &c.lru, &c.lru
	return c
}

// budget is the most one user's todos may take in the cache.
func (c *todoCache) budget() int64 { return c.limit / 4 }

// get returns userID's todos: the cached copy, or on a miss the result of
// one query, which it caches. It returns nil and no error for a user over
// the budget: the caller reads the database. The todos it returns may be
// read (under their read lock) after the cache dropped them.
func (c *todoCache) get(ctx context.Context, userID string) (*userTodos, error) {
	c.mu.Lock()
	if u := c.users[userID]; u != nil {
		c.hits++
		c.unlink(u)
		c.pushFront(u)
		c.mu.Unlock()
		return u, nil
	}
	c.misses++
	if c.oversize[userID] {
		c.mu.Unlock()
		return nil, nil
	}
	ld := c.loads[userID]
	if ld == nil || ld.stale {
		ld = &todoLoad{done: make(chan struct{})}
		c.loads[userID] = ld
		// The load outlives a request that gives up: others may wait
		// for it, and the store's timeout bounds it.
		go c.run(context.WithoutCancel(ctx), userID, ld)
	}
	c.mu.Unlock()
	select {
	case <-ld.done:
		return ld.u, ld.err
	case <-ctx.Done():
		return nil, mapErr(ctx.Err())
	}
}

// run performs ld and caches its result unless a write made it stale.
func (c *todoCache) run(ctx context.Context, userID string, ld *todoLoad) {
	u, over, err := c.load(ctx, userID, c.budget())
	c.mu.Lock()
	if c.loads[userID] == ld {
		delete(c.loads, userID)
	}
	switch {
	case err != nil:
		u = nil
	case over:
		u = nil
		if !ld.stale {
			c.oversize[userID] = true
		}
	case !ld.stale:
		c.install(u)
	}
	ld.u, ld.err = u, err
	c.mu.Unlock()
	close(ld.done)
}

// peek returns userID's cached todos, or nil; it counts no hit. Inside a
// write (under the write lock) a cached copy is exactly what the database
// holds for that user.
func (c *todoCache) peek(userID string) *userTodos {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.users[userID]
}

// wrote records, inside a write, that docs (userID's) are now stored as
// they are: inserted, or updated as the database answered.
func (c *todoCache) wrote(userID string, docs []todoDoc) {
	c.change(userID, func(u *userTodos) {
		for _, d := range docs {
			u.put(cachedFrom(d))
		}
	})
}

// deleted records, inside a write, that userID's todos ids are deleted.
func (c *todoCache) deleted(userID string, ids []bson.ObjectID) {
	c.change(userID, func(u *userTodos) {
		for _, id := range ids {
			u.remove(id)
		}
	})
}

// lost records, inside a write, that what userID's todos are is unknown
// (a write failed half-way, or the user's collection was dropped): the
// cached copy is dropped, and the next read loads it again.
func (c *todoCache) lost(userID string) { c.change(userID, nil) }

// change applies f to userID's cached todos (f nil: drops them), marks a
// load in flight stale, and keeps the cache under its bound.
func (c *todoCache) change(userID string, f func(u *userTodos)) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ld := c.loads[userID]; ld != nil {
		ld.stale = true
	}
	delete(c.oversize, userID)
	u := c.users[userID]
	if u == nil {
		return
	}
	if f == nil {
		c.remove(u)
		return
	}
	before := u.bytes
	u.mu.Lock()
	f(u)
	u.mu.Unlock()
	c.bytes += u.bytes - before
	if u.bytes > c.budget() {
		c.remove(u)
	}
	c.shrink()
}

// install caches u as the most recently used user; c.mu is held.
func (c *todoCache) install(u *userTodos) {
	if old := c.users[u.userID]; old != nil {
		c.remove(old)
	}
	if u.bytes > c.budget() {
		return
	}
	c.users[u.userID] = u
	c.pushFront(u)
	c.bytes += u.bytes
	c.shrink()
}

// shrink drops the least recently used users until the cache is under its
// bound; c.mu is held.
func (c *todoCache) shrink() {
	for c.bytes > c.limit && c.lru.prev != &c.lru {
		c.remove(c.lru.prev)
		c.evicted++
	}
}

// remove drops u from the cache; c.mu is held.
func (c *todoCache) remove(u *userTodos) {
	delete(c.users, u.userID)
	c.unlink(u)
	c.bytes -= u.bytes
}

func (c *todoCache) pushFront(u *userTodos) {
	u.prev, u.next = &c.lru, c.lru.next
	u.prev.next, u.next.prev = u, u
}

func (c *todoCache) unlink(u *userTodos) {
	if u.prev != nil {
		u.prev.next, u.next.prev = u.next, u.prev
		u.prev, u.next = nil, nil
	}
}

func (c *todoCache) stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{
		Enabled: true, LimitBytes: c.limit, Bytes: c.bytes, Users: len(c.users),
		Hits: c.hits, Misses: c.misses, Evictions: c.evicted,
	}
}

// refused reports whether err is the server's own refusal of a
// single-document write, which then changed nothing. Any other failure (a
// broken connection, a timeout, a reply that could not be read) leaves
// unknown whether the write was applied.
func refused(err error) bool {
	if err == nil || mongo.IsNetworkError(err) || mongo.IsTimeout(err) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var we mongo.WriteException
	if errors.As(err, &we) {
		return we.WriteConcernError == nil && len(we.WriteErrors) > 0
	}
	var ce mongo.CommandError
	return errors.As(err, &ce)
}

// CacheStats describes the embedded database's cache of todos; Enabled is
// false on MongoDB and when it is off.
func (s *Store) CacheStats() CacheStats { return s.todos.cacheStats() }

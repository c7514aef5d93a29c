package store

import "sync"

// todoCounts is what the embedded layout knows of how many todos each user
// holds, so that the cap (MAX_TODOS_PER_USER) costs nothing per create:
// FerretDB v1 counts by reading and decoding every document of the
// collection (about 0.3 ms per todo with 10,000-character notes, over a
// second at 5,000), which no write may do while it holds the write lock.
//
// A user's count is learnt once per process, by a count that runs outside
// the write lock (perUserTodos.prepareCount), and is then kept exact by
// every write that adds or deletes that user's todos: on the embedded
// database all of them run in this process, under the write lock. A write
// whose effect is unknown (it failed half-way) forgets the count, which is
// then learnt again. A count that a write overtook is not kept: each stored
// change gives the user a new generation, recorded after the change is
// stored, and learn keeps a count only for the generation that get
// returned before counting.
//
// An import admitted under the cap reserves its todos until its last batch
// is stored, so a create between two of its batches counts them already.
type todoCounts struct {
	mu    sync.Mutex
	clock uint64 // the last generation given
	users map[string]*todoCount
}

type todoCount struct {
	n        int // stored todos (when known)
	known    bool
	reserved int // admitted todos not stored yet
	gen      uint64
}

func newTodoCounts() *todoCounts { return &todoCounts{users: map[string]*todoCount{}} }

// user returns userID's entry, made when missing; c.mu is held.
func (c *todoCounts) user(userID string) *todoCount {
	u := c.users[userID]
	if u == nil {
		u = &todoCount{}
		c.users[userID] = u
	}
	return u
}

// get returns how many todos userID holds (reserved ones included),
// whether that is known, and the generation to pass to learn.
func (c *todoCounts) get(userID string) (n int, known bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.user(userID)
	return u.n + u.reserved, u.known, u.gen
}

// learn keeps n, the stored todos counted after get returned gen, as
// userID's count, unless a change was stored since.
func (c *todoCounts) learn(userID string, n int, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u := c.user(userID); u.gen == gen {
		u.n, u.known = n, true
	}
}

// reserve counts n admitted todos in before they are stored; unreserve
// drops n of them that will not be.
func (c *todoCounts) reserve(userID string, n int)   { c.change(userID, 0, n, true, false) }
func (c *todoCounts) unreserve(userID string, n int) { c.change(userID, 0, -n, true, false) }

// stored records that n reserved todos were stored.
func (c *todoCounts) stored(userID string, n int) { c.change(userID, n, -n, true, true) }

// add records that userID's stored todos grew by delta (shrank when
// negative).
func (c *todoCounts) add(userID string, delta int) { c.change(userID, delta, 0, true, true) }

// forget records that userID's stored todos changed by an unknown amount.
func (c *todoCounts) forget(userID string) { c.change(userID, 0, 0, false, true) }

func (c *todoCounts) change(userID string, delta, reserved int, keep, newGen bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.user(userID)
	u.n += delta
	u.reserved = max(u.reserved+reserved, 0)
	u.known = u.known && keep
	if newGen {
		c.clock++
		u.gen = c.clock
	}
}

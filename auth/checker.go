package auth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"listo/models"
)

// Principal is who a request acts for, after its token and its session have
// been checked.
type Principal struct {
	User      models.User
	SessionID string
	// TokenExpiresAt is when the access token of the request expires
	// (zero when it has none): a long-lived response (GET /events) ends
	// then.
	TokenExpiresAt time.Time
	// PAT is the personal access token the request came with (SessionID
	// is then empty); nil for a session's access token.
	PAT *models.PAT
}

// SessionSource is what the Checker reads on a cache miss: two lookups by
// _id, which every backend serves from its primary key.
type SessionSource interface {
	SessionByID(ctx context.Context, id string) (models.Session, error)
	UserByID(ctx context.Context, id string) (models.User, error)
}

// UntilForgotten is the cache lifetime for a process that is the only
// writer of its database (the embedded one): every change to a session,
// user or token passes through this process and its Forget* calls, so a
// cached answer stays right until one of them drops it.
const UntilForgotten = time.Duration(math.MaxInt64)

// Checker decides whether a verified access token is still honoured: its
// session must exist, be unrevoked and unexpired, and its user must exist and
// be enabled. Answers are cached for ttl. Every revoke on this instance calls
// Forget*, so this instance is exact; other instances (several Listo
// processes on one MongoDB) see a revoke at most ttl late.
type Checker struct {
	src SessionSource
	ttl time.Duration
	now func() time.Time
	max int

	mu       sync.Mutex
	epoch    uint64 // bumped by every Forget: a load that straddles one is not cached
	sessions map[string]cached[models.Session]
	users    map[string]cached[models.User]
	pats     map[string]cached[models.PAT] // by hash
}

type cached[T any] struct {
	v       T
	fetched time.Time
}

// NewChecker returns a checker with a cache of at most maxEntries sessions
// and users each (the cache is cleared when it fills up).
func NewChecker(src SessionSource, ttl time.Duration, now func() time.Time, maxEntries int) *Checker {
	return &Checker{
		src: src, ttl: ttl, now: now, max: maxEntries,
		sessions: map[string]cached[models.Session]{},
		users:    map[string]cached[models.User]{},
		pats:     map[string]cached[models.PAT]{},
	}
}

// Check returns the principal of a verified token, or an error wrapping
// models.ErrUnauthorized (or models.ErrUnavailable when the database cannot
// tell: nothing is accepted on a guess).
func (c *Checker) Check(ctx context.Context, claims AccessClaims) (Principal, error) {
	now := c.now()
	sess, err := load(c, ctx, c.sessions, claims.SessionID, now, c.liveness)
	if err != nil {
		return Principal{}, err
	}
	if sess.UserID != claims.Subject || !sess.Live(now) {
		return Principal{}, fmt.Errorf("session %s is not live: %w", claims.SessionID, models.ErrUnauthorized)
	}
	user, err := load(c, ctx, c.users, claims.Subject, now, c.src.UserByID)
	if err != nil {
		return Principal{}, err
	}
	if user.Disabled {
		return Principal{}, fmt.Errorf("user is disabled: %w", models.ErrUnauthorized)
	}
	p := Principal{User: user, SessionID: sess.ID}
	if claims.ExpiresAt != nil {
		p.TokenExpiresAt = claims.ExpiresAt.Time
	}
	return p, nil
}

// liveness reads a session and keeps only what Check looks at, so that a
// long-lived cache holds no device names, addresses or token hashes.
func (c *Checker) liveness(ctx context.Context, id string) (models.Session, error) {
	s, err := c.src.SessionByID(ctx, id)
	return models.Session{ID: s.ID, UserID: s.UserID, ExpiresAt: s.ExpiresAt, RevokedAt: s.RevokedAt}, err
}

func load[T any](c *Checker, ctx context.Context, m map[string]cached[T], id string, now time.Time, fetch func(context.Context, string) (T, error)) (T, error) {
	c.mu.Lock()
	e, ok := m[id]
	epoch := c.epoch
	c.mu.Unlock()
	if ok && now.Sub(e.fetched) < c.ttl {
		return e.v, nil
	}
	v, err := fetch(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		var zero T
		return zero, fmt.Errorf("%s not found: %w", id, models.ErrUnauthorized)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	c.mu.Lock()
	if c.epoch == epoch && c.ttl > 0 {
		if len(m) >= c.max {
			clear(m)
		}
		m[id] = cached[T]{v: v, fetched: now}
	}
	c.mu.Unlock()
	return v, nil
}

// ForgetAll empties the cache (after a change to many users at once).
func (c *Checker) ForgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.sessions)
	clear(c.users)
	clear(c.pats)
}

// ForgetSession drops a session from the cache (after a revoke).
func (c *Checker) ForgetSession(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	delete(c.sessions, id)
}

// ForgetUser drops a user, all their sessions and all their personal
// access tokens from the cache (after a change to the user, a deletion, or
// a revoke of many sessions or tokens).
func (c *Checker) ForgetUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	delete(c.users, userID)
	for id, s := range c.sessions {
		if s.v.UserID == userID {
			delete(c.sessions, id)
		}
	}
	for hash, t := range c.pats {
		if t.v.UserID == userID {
			delete(c.pats, hash)
		}
	}
}

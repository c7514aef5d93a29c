// Package ratelimit holds the in-memory limiters behind Listo's abuse
// protection: a per-key token bucket (requests per client IP) and a per-key
// failure counter with lockout (failed logins per email).
//
// Both are safe for concurrent use, take their clock as a func so tests never
// sleep, and need no background goroutine (so nothing to Close): each one
// evicts idle entries itself, inside the calls it already serves, whenever its
// map has doubled since the last sweep or one period has passed since it. An
// entry is idle when forgetting it changes no answer (a full bucket, a
// finished window), so memory stays proportional to the keys seen within the
// last period (at most about twice that), and a flood of keys is forgotten
// one period after it stops.
package ratelimit

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// minSweepSize is the map size below which only the periodic sweep runs.
const minSweepSize = 1024

// sweeper decides when a limiter scans its map for idle entries: when the map
// has doubled since the last scan (amortised O(1) per call) or when every has
// passed since it (so a burst of keys does not keep its memory forever).
type sweeper struct {
	every time.Duration
	last  time.Time
	next  int
}

func newSweeper(every time.Duration, now time.Time) sweeper {
	return sweeper{every: every, last: now, next: minSweepSize}
}

func (s *sweeper) due(size int, now time.Time) bool {
	return size >= s.next || (size > 0 && now.Sub(s.last) >= s.every)
}

func (s *sweeper) swept(size int, now time.Time) {
	s.last = now
	s.next = max(minSweepSize, 2*size)
}

// ceilSeconds rounds d up to whole seconds, and to at least one second, as
// the Retry-After header needs.
func ceilSeconds(d time.Duration) time.Duration {
	if d <= time.Second {
		return time.Second
	}
	return (d + time.Second - 1).Truncate(time.Second)
}

// Keyed is a per-key token bucket limiter (key = client IP), e.g. 20 per
// minute with burst 20: each key may spend limit events at once, and gets
// them back at limit per period. A nil or zero Keyed allows everything.
type Keyed struct {
	limit rate.Limit // tokens per second
	burst int        // 0 means disabled
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	sweep   sweeper
}

// NewKeyed returns a limiter that allows limit events per key per period per,
// all of them at once if need be. A limit of 0 (or less) disables it. now is
// the clock; nil means time.Now. It panics if limit > 0 and per <= 0, a
// programming error that configuration validation must catch first.
func NewKeyed(limit int, per time.Duration, now func() time.Time) *Keyed {
	if now == nil {
		now = time.Now
	}
	k := &Keyed{now: now}
	if limit <= 0 {
		return k
	}
	if per <= 0 {
		panic("ratelimit: NewKeyed needs a positive period")
	}
	k.limit = rate.Limit(float64(limit) / per.Seconds())
	k.burst = limit
	k.buckets = make(map[string]*rate.Limiter)
	k.sweep = newSweeper(per, now())
	return k
}

// NewKeyedRate returns a limiter that allows perSecond events per key, with
// bursts of up to burst at once (a per-user write limit: 10 per second,
// bursts of 50). A perSecond of 0 (or less) disables it.
func NewKeyedRate(perSecond float64, burst int, now func() time.Time) *Keyed {
	if now == nil {
		now = time.Now
	}
	k := &Keyed{now: now}
	if perSecond <= 0 || burst <= 0 {
		return k
	}
	k.limit = rate.Limit(perSecond)
	k.burst = burst
	k.buckets = make(map[string]*rate.Limiter)
	// A bucket is full again, the same as a new one, after burst/rate.
	k.sweep = newSweeper(time.Duration(float64(burst)/perSecond*float64(time.Second))+time.Second, now())
	return k
}

// Allow reports whether one more event for key is allowed now, and spends a
// token if so. When it is not, retryAfter says how long until it would be,
// rounded up to whole seconds and at least 1s.
func (k *Keyed) Allow(key string) (ok bool, retryAfter time.Duration) {
	if k == nil || k.burst == 0 {
		return true, 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now() // read under the lock, so the buckets see time in order
	if k.sweep.due(len(k.buckets), now) {
		for idle, b := range k.buckets {
			if b.TokensAt(now) >= float64(k.burst) {
				delete(k.buckets, idle) // a full bucket is the same as a new one
			}
		}
		k.sweep.swept(len(k.buckets), now)
	}
	b, found := k.buckets[key]
	if !found {
		b = rate.NewLimiter(k.limit, k.burst)
		k.buckets[key] = b
	}
	if b.AllowN(now, 1) {
		return true, 0
	}
	// The whole seconds until the next token, checked against the bucket
	// itself so that float rounding can neither make the client wait a
	// second too long nor come back a moment too early.
	retryAfter = ceilSeconds(k.untilToken(b, now))
	for retryAfter > time.Second && k.untilToken(b, now.Add(retryAfter-time.Second)) == 0 {
		retryAfter -= time.Second
	}
	for k.untilToken(b, now.Add(retryAfter)) > 0 {
		retryAfter += time.Second
	}
	return false, retryAfter
}

// untilToken is how long from t until b holds a token, computed as
// rate.Limiter.AllowN decides (a shortfall under 1ns counts as none).
func (k *Keyed) untilToken(b *rate.Limiter, t time.Time) time.Duration {
	missing := 1 - b.TokensAt(t)
	return max(0, time.Duration(missing/float64(k.limit)*float64(time.Second)))
}

// Failures locks a key (an email) out after max failures within window, for
// the rest of that window, counted from the first failure of the window. A
// nil or zero Failures never blocks.
//
// Blocked, Fail and Reset are enough for sequential use. Requests that run
// concurrently can all pass Blocked before the first of them calls Fail, so
// that many guesses get through; Begin closes that gap by counting attempts
// still in flight.
type Failures struct {
	max    int // 0 means disabled
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]*failureEntry
	sweep   sweeper
}

type failureEntry struct {
	start   time.Time // first failure of the current window
	count   int       // failures recorded since start; 0 means no window
	pending int       // attempts begun with Begin and not yet ended
}

// NewFailures returns a lockout that blocks a key once maxFailures failures
// were recorded within window of the first. A maxFailures of 0 (or less) disables it. now
// is the clock; nil means time.Now. It panics if maxFailures > 0 and window <= 0, a
// programming error that configuration validation must catch first.
func NewFailures(maxFailures int, window time.Duration, now func() time.Time) *Failures {
	if now == nil {
		now = time.Now
	}
	f := &Failures{now: now}
	if maxFailures <= 0 {
		return f
	}
	if window <= 0 {
		panic("ratelimit: NewFailures needs a positive window")
	}
	f.max = maxFailures
	f.window = window
	f.entries = make(map[string]*failureEntry)
	f.sweep = newSweeper(window, now())
	return f
}

func (f *Failures) disabled() bool { return f == nil || f.max == 0 }

// entry returns key's entry with an ended window cleared, or nil. It sweeps
// when due. f.mu must be held.
func (f *Failures) entry(key string, now time.Time) *failureEntry {
	if f.sweep.due(len(f.entries), now) {
		for k, e := range f.entries {
			f.expire(k, e, now)
		}
		f.sweep.swept(len(f.entries), now)
	}
	e := f.entries[key]
	if e != nil && f.expire(key, e, now) {
		return nil
	}
	return e
}

// expire clears e's window if it has ended, and forgets e if nothing is left
// in it, which it reports. f.mu must be held.
func (f *Failures) expire(key string, e *failureEntry, now time.Time) (forgotten bool) {
	if e.count > 0 && !now.Before(e.start.Add(f.window)) {
		e.count = 0
	}
	if e.count == 0 && e.pending == 0 {
		delete(f.entries, key)
		return true
	}
	return false
}

// blockedFor reports whether e has max failures in its window, and until
// when. f.mu must be held.
func (f *Failures) blockedFor(e *failureEntry, now time.Time) (bool, time.Duration) {
	if e == nil || e.count < f.max {
		return false, 0
	}
	return true, ceilSeconds(e.start.Add(f.window).Sub(now))
}

// Blocked reports whether max failures were recorded for key in the current
// window; if so, retryAfter is the rest of the window, rounded up to whole
// seconds and at least 1s. A blocked key stays blocked whatever its next
// password is.
func (f *Failures) Blocked(key string) (blocked bool, retryAfter time.Duration) {
	if f.disabled() {
		return false, 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	return f.blockedFor(f.entry(key, now), now)
}

// Fail records a failure for key; the first failure after a window ended
// starts a new one.
func (f *Failures) Fail(key string) {
	if f.disabled() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail(key, f.now())
}

func (f *Failures) fail(key string, now time.Time) {
	e := f.entry(key, now)
	if e == nil {
		e = &failureEntry{}
		f.entries[key] = e
	}
	if e.count == 0 {
		e.start = now
	}
	e.count++
}

// Reset forgets key's failures. Call it after a successful login while not
// blocked.
func (f *Failures) Reset(key string) {
	if f.disabled() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reset(key)
}

func (f *Failures) reset(key string) {
	if e := f.entries[key]; e != nil {
		e.count = 0
		if e.pending == 0 {
			delete(f.entries, key)
		}
	}
}

// Begin is Blocked made atomic with the attempt it guards: it refuses the
// attempt when key is blocked, and also when the failures recorded plus the
// attempts begun and not yet ended reach max, so concurrent requests cannot
// get more than max guesses into a window. It then reports retryAfter like
// Blocked (1s while only attempts in flight fill it). When ok, the caller
// must end the attempt with exactly one of its Fail, Succeed or End:
//
//	a, ok, retry := failures.Begin(email)
//	if !ok { return tooManyRequests(retry) }
//	defer a.End() // an attempt ended by an error counts as neither
//	...
//	if !match { a.Fail(); return unauthorized }
//	a.Succeed()
func (f *Failures) Begin(key string) (a *Attempt, ok bool, retryAfter time.Duration) {
	if f.disabled() {
		return &Attempt{}, true, 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	e := f.entry(key, now)
	if blocked, retry := f.blockedFor(e, now); blocked {
		return nil, false, retry
	}
	if e == nil {
		e = &failureEntry{}
		f.entries[key] = e
	}
	if e.count+e.pending >= f.max {
		return nil, false, time.Second
	}
	e.pending++
	return &Attempt{f: f, key: key}, true, 0
}

// Attempt is one attempt reserved by Failures.Begin. Its methods may be
// called more than once; only the first has an effect.
type Attempt struct {
	f     *Failures
	key   string
	ended bool // guarded by f.mu
}

// end releases the attempt's reservation and reports whether it was still
// open. a.f.mu must be held.
func (a *Attempt) end() bool {
	if a.f == nil || a.ended {
		return false
	}
	a.ended = true
	if e := a.f.entries[a.key]; e != nil {
		e.pending--
		if e.count == 0 && e.pending == 0 {
			delete(a.f.entries, a.key)
		}
	}
	return true
}

// Fail ends the attempt as a failure, as Failures.Fail records one.
func (a *Attempt) Fail() {
	if a == nil || a.f == nil {
		return
	}
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	if a.end() {
		a.f.fail(a.key, a.f.now())
	}
}

// Succeed ends the attempt as a success, which clears the key's failures as
// Failures.Reset does.
func (a *Attempt) Succeed() {
	if a == nil || a.f == nil {
		return
	}
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	if a.end() {
		a.f.reset(a.key)
	}
}

// End ends the attempt with no outcome (the request failed for another
// reason, say the database was down). It is meant to be deferred, and does
// nothing once Fail or Succeed has been called.
func (a *Attempt) End() {
	if a == nil || a.f == nil {
		return
	}
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	a.end()
}

// IPKey returns the key to rate-limit a client address by: an IPv4 address
// (also when IPv4-mapped) as itself, and an IPv6 address as its /64 prefix,
// because one subscriber usually holds a whole /64 and could otherwise rotate
// through 2^64 keys (and fill the limiter's memory). A string that is not an
// IP address is returned unchanged.
func IPKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		return addr.String()
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

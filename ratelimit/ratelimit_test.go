package ratelimit

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a fake clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// step is one call in a scenario: advance the clock, then call with key.
type step struct {
	advance   time.Duration
	key       string
	times     int // how many identical calls; 0 means 1
	wantOK    bool
	wantRetry time.Duration
}

func TestKeyed(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		per   time.Duration
		steps []step
	}{
		{
			name: "burst then refused with time to next token", limit: 20, per: time.Minute,
			steps: []step{
				{key: "1.2.3.4", times: 20, wantOK: true},
				{key: "1.2.3.4", wantRetry: 3 * time.Second},
				{advance: 2 * time.Second, key: "1.2.3.4", wantRetry: time.Second},
				{advance: time.Second, key: "1.2.3.4", wantOK: true},
				{key: "1.2.3.4", wantRetry: 3 * time.Second},
			},
		},
		{
			name: "refills completely after the period", limit: 20, per: time.Minute,
			steps: []step{
				{key: "a", times: 20, wantOK: true},
				{key: "a", wantRetry: 3 * time.Second},
				{advance: time.Minute, key: "a", times: 20, wantOK: true},
				{key: "a", wantRetry: 3 * time.Second},
			},
		},
		{
			name: "idle time beyond the period does not raise the burst", limit: 3, per: time.Minute,
			steps: []step{
				{advance: time.Hour, key: "a", times: 3, wantOK: true},
				{key: "a", wantRetry: 20 * time.Second},
			},
		},
		{
			name: "keys are independent", limit: 2, per: time.Minute,
			steps: []step{
				{key: "a", times: 2, wantOK: true},
				{key: "a", wantRetry: 30 * time.Second},
				{key: "b", times: 2, wantOK: true},
				{key: "b", wantRetry: 30 * time.Second},
				{advance: 30 * time.Second, key: "a", wantOK: true},
				{key: "b", wantOK: true},
			},
		},
		{
			name: "retry rounds up to whole seconds", limit: 3, per: 10 * time.Second, // a token every 3.33s
			steps: []step{
				{key: "a", times: 3, wantOK: true},
				{key: "a", wantRetry: 4 * time.Second},
				{advance: 3 * time.Second, key: "a", wantRetry: time.Second}, // 0.33s left: at least 1s
				{advance: time.Second, key: "a", wantOK: true},
			},
		},
		{
			name: "slow rate", limit: 5, per: time.Hour,
			steps: []step{
				{key: "a", times: 5, wantOK: true},
				{key: "a", wantRetry: 12 * time.Minute},
				{advance: 12*time.Minute - time.Second, key: "a", wantRetry: time.Second},
				{advance: time.Second, key: "a", wantOK: true},
			},
		},
		{
			name: "limit 0 disables", limit: 0, per: time.Minute,
			steps: []step{{key: "a", times: 1000, wantOK: true}},
		},
		{
			name: "negative limit disables", limit: -1, per: 0,
			steps: []step{{key: "a", times: 10, wantOK: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			k := NewKeyed(tt.limit, tt.per, c.Now)
			for i, s := range tt.steps {
				c.Advance(s.advance)
				for n := range max(1, s.times) {
					ok, retry := k.Allow(s.key)
					if ok != s.wantOK || retry != s.wantRetry {
						t.Fatalf("step %d call %d: Allow(%q) = %v, %v; want %v, %v", i, n+1, s.key, ok, retry, s.wantOK, s.wantRetry)
					}
				}
			}
		})
	}
}

func TestKeyedNilAllows(t *testing.T) {
	var k *Keyed
	if ok, retry := k.Allow("a"); !ok || retry != 0 {
		t.Errorf("nil Keyed: Allow = %v, %v; want true, 0", ok, retry)
	}
	if ok, _ := (&Keyed{}).Allow("a"); !ok {
		t.Errorf("zero Keyed: Allow = false; want true")
	}
}

// TestKeyedRetryAfterIsEnough checks, over awkward rates, that waiting the
// retryAfter that a refusal gave is always enough, and 1s less is not.
func TestKeyedRetryAfterIsEnough(t *testing.T) {
	for _, limit := range []int{1, 2, 3, 7, 20, 60, 61, 1000} {
		for _, per := range []time.Duration{time.Second, 7 * time.Second, 10 * time.Second, time.Minute, 13 * time.Minute, time.Hour, 24 * time.Hour} {
			c := newClock()
			k := NewKeyed(limit, per, c.Now)
			for i := range 30 {
				ok, retry := true, time.Duration(0)
				for n := 0; ok && n <= limit; n++ { // drain the bucket
					ok, retry = k.Allow("a")
				}
				if ok || retry < time.Second || retry%time.Second != 0 {
					t.Fatalf("NewKeyed(%d, %v) round %d: Allow = %v, %v; want false and whole seconds", limit, per, i, ok, retry)
				}
				if retry > time.Second {
					c.Advance(retry - time.Second)
					if ok, _ := k.Allow("a"); ok {
						t.Fatalf("NewKeyed(%d, %v) round %d: allowed 1s before retryAfter %v", limit, per, i, retry)
					}
					c.Advance(time.Second)
				} else {
					c.Advance(retry)
				}
				if ok, again := k.Allow("a"); !ok {
					t.Fatalf("NewKeyed(%d, %v) round %d: refused (%v) after waiting retryAfter %v", limit, per, i, again, retry)
				}
			}
		}
	}
}

func TestKeyedEvictsFullBuckets(t *testing.T) {
	c := newClock()
	k := NewKeyed(2, time.Minute, c.Now)
	const keys = 5000
	for i := range keys {
		key := fmt.Sprint("10.0.", i/256, ".", i%256)
		k.Allow(key)
		k.Allow(key)
	}
	// Every bucket is empty, so none may be forgotten.
	if got := len(k.buckets); got != keys {
		t.Fatalf("after %d new keys: %d buckets; want %d", keys, got, keys)
	}
	c.Advance(30 * time.Second) // half refilled: still remembered
	k.Allow("other")
	k.Allow("other")
	if got := len(k.buckets); got != keys+1 {
		t.Fatalf("30s later: %d buckets; want %d", got, keys+1)
	}
	c.Advance(45 * time.Second) // the first 5000 are full again, "other" is not
	k.Allow("last")
	if got := len(k.buckets); got != 2 {
		t.Fatalf("a period later: %d buckets; want 2", got)
	}
	// A forgotten key starts with a full bucket, as it would have had.
	if ok, _ := k.Allow("10.0.0.0"); !ok {
		t.Fatal("forgotten key refused")
	}
	if ok, _ := k.Allow("10.0.0.0"); !ok {
		t.Fatal("forgotten key refused its second token")
	}
	if ok, _ := k.Allow("10.0.0.0"); ok {
		t.Fatal("forgotten key allowed a third token")
	}
}

func TestKeyedBoundedUnderKeyFlood(t *testing.T) {
	c := newClock()
	k := NewKeyed(2, time.Minute, c.Now)
	// 60,000 distinct keys over 10 minutes, one every 10ms, each emptying its
	// bucket: a bucket is full again a minute later, so about 6,000 are live.
	peak := 0
	for i := range 60_000 {
		c.Advance(10 * time.Millisecond)
		key := strconv.Itoa(i)
		k.Allow(key)
		k.Allow(key)
		peak = max(peak, len(k.buckets))
	}
	t.Logf("peak %d buckets", peak)
	if peak < 6000 || peak > 2*6000+1 {
		t.Errorf("peak %d buckets for 6,000 live keys; want 6,000 to 12,001", peak)
	}
}

func TestFailures(t *testing.T) {
	const window = 15 * time.Minute
	type op int
	const (
		fail op = iota
		blocked
		reset
	)
	type fstep struct {
		advance     time.Duration
		op          op
		key         string
		times       int
		wantBlocked bool
		wantRetry   time.Duration
	}
	tests := []struct {
		name  string
		max   int
		steps []fstep
	}{
		{
			name: "4 failures do not block, the 5th does", max: 5,
			steps: []fstep{
				{op: fail, key: "a@x", times: 4},
				{op: blocked, key: "a@x"},
				{op: fail, key: "a@x"},
				{op: blocked, key: "a@x", wantBlocked: true, wantRetry: window},
				{advance: time.Minute, op: blocked, key: "a@x", wantBlocked: true, wantRetry: window - time.Minute},
			},
		},
		{
			name: "window counts from the first failure", max: 5,
			steps: []fstep{
				{op: fail, key: "a@x"},
				{advance: 10 * time.Minute, op: fail, key: "a@x", times: 4},
				{op: blocked, key: "a@x", wantBlocked: true, wantRetry: 5 * time.Minute},
				{advance: 5*time.Minute - time.Second, op: blocked, key: "a@x", wantBlocked: true, wantRetry: time.Second},
				{advance: time.Second, op: blocked, key: "a@x"},
				// A new window starts with the next failure.
				{op: fail, key: "a@x", times: 4},
				{op: blocked, key: "a@x"},
				{op: fail, key: "a@x"},
				{op: blocked, key: "a@x", wantBlocked: true, wantRetry: window},
			},
		},
		{
			name: "failures in an ended window are forgotten", max: 5,
			steps: []fstep{
				{op: fail, key: "a@x", times: 4},
				{advance: window, op: fail, key: "a@x", times: 4},
				{op: blocked, key: "a@x"},
			},
		},
		{
			name: "retry rounds up to whole seconds", max: 2,
			steps: []fstep{
				{op: fail, key: "a@x", times: 2},
				{advance: 1500 * time.Millisecond, op: blocked, key: "a@x", wantBlocked: true, wantRetry: window - time.Second},
				{advance: window - 2*time.Second, op: blocked, key: "a@x", wantBlocked: true, wantRetry: time.Second},
			},
		},
		{
			name: "failures while blocked do not extend the window", max: 2,
			steps: []fstep{
				{op: fail, key: "a@x", times: 2},
				{advance: 10 * time.Minute, op: fail, key: "a@x", times: 10},
				{op: blocked, key: "a@x", wantBlocked: true, wantRetry: 5 * time.Minute},
				{advance: 5 * time.Minute, op: blocked, key: "a@x"},
			},
		},
		{
			name: "reset clears", max: 5,
			steps: []fstep{
				{op: fail, key: "a@x", times: 4},
				{op: reset, key: "a@x"},
				{op: fail, key: "a@x", times: 4},
				{op: blocked, key: "a@x"},
				{op: fail, key: "a@x"},
				{op: blocked, key: "a@x", wantBlocked: true, wantRetry: window},
			},
		},
		{
			name: "keys are independent", max: 5,
			steps: []fstep{
				{op: fail, key: "a@x", times: 5},
				{op: blocked, key: "a@x", wantBlocked: true, wantRetry: window},
				{op: blocked, key: "b@x"},
				{op: fail, key: "b@x", times: 4},
				{op: blocked, key: "b@x"},
				{op: reset, key: "b@x"},
				{op: blocked, key: "a@x", wantBlocked: true, wantRetry: window},
			},
		},
		{
			name: "max 0 disables", max: 0,
			steps: []fstep{
				{op: fail, key: "a@x", times: 100},
				{op: blocked, key: "a@x"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			f := NewFailures(tt.max, window, c.Now)
			for i, s := range tt.steps {
				c.Advance(s.advance)
				for range max(1, s.times) {
					switch s.op {
					case fail:
						f.Fail(s.key)
					case reset:
						f.Reset(s.key)
					case blocked:
						got, retry := f.Blocked(s.key)
						if got != s.wantBlocked || retry != s.wantRetry {
							t.Fatalf("step %d: Blocked(%q) = %v, %v; want %v, %v", i, s.key, got, retry, s.wantBlocked, s.wantRetry)
						}
					}
				}
			}
		})
	}
}

func TestFailuresNilNeverBlocks(t *testing.T) {
	var f *Failures
	f.Fail("a")
	f.Reset("a")
	if blocked, _ := f.Blocked("a"); blocked {
		t.Error("nil Failures: Blocked = true; want false")
	}
	a, ok, _ := f.Begin("a")
	if !ok {
		t.Fatal("nil Failures: Begin refused")
	}
	a.Fail()
	a.Succeed()
	a.End()
}

func TestFailuresEvictsEndedWindows(t *testing.T) {
	c := newClock()
	f := NewFailures(5, time.Minute, c.Now)
	for i := range 3000 {
		f.Fail(fmt.Sprint("user", i, "@example.com"))
	}
	if got := len(f.entries); got != 3000 {
		t.Fatalf("%d entries; want 3000", got)
	}
	c.Advance(time.Minute)
	f.Fail("new@example.com")
	if got := len(f.entries); got != 1 {
		t.Fatalf("a window later: %d entries; want 1", got)
	}
}

func TestBegin(t *testing.T) {
	const window = 15 * time.Minute
	c := newClock()
	f := NewFailures(3, window, c.Now)

	// Three attempts in flight fill the window: a fourth must wait.
	var attempts []*Attempt
	for i := range 3 {
		a, ok, _ := f.Begin("a@x")
		if !ok {
			t.Fatalf("Begin %d refused", i+1)
		}
		attempts = append(attempts, a)
	}
	if _, ok, retry := f.Begin("a@x"); ok || retry != time.Second {
		t.Fatalf("4th Begin with 3 in flight = %v, %v; want false, 1s", ok, retry)
	}
	if blocked, _ := f.Blocked("a@x"); blocked {
		t.Fatal("Blocked counts attempts in flight; want only recorded failures")
	}
	// One ends with an error: it counts as nothing, and frees its slot.
	attempts[0].End()
	attempts[0].Fail() // ignored: already ended
	a, ok, _ := f.Begin("a@x")
	if !ok {
		t.Fatal("Begin refused after an attempt ended")
	}
	attempts[0] = a
	// All three fail: the key is blocked for the window.
	for _, a := range attempts {
		a.Fail()
		a.Fail() // counted once
		a.End()  // no effect after Fail
	}
	if blocked, retry := f.Blocked("a@x"); !blocked || retry != window {
		t.Fatalf("after 3 failed attempts: Blocked = %v, %v; want true, %v", blocked, retry, window)
	}
	if _, ok, retry := f.Begin("a@x"); ok || retry != window {
		t.Fatalf("Begin while blocked = %v, %v; want false, %v", ok, retry, window)
	}
	// After the window, a success clears the slate.
	c.Advance(window)
	a, ok, _ = f.Begin("a@x")
	if !ok {
		t.Fatal("Begin refused after the window")
	}
	f.Fail("a@x")
	f.Fail("a@x")
	a.Succeed()
	if got := len(f.entries); got != 0 {
		t.Fatalf("after success: %d entries; want 0", got)
	}
	for range 2 {
		a, _, _ := f.Begin("a@x")
		a.Fail()
	}
	if blocked, _ := f.Blocked("a@x"); blocked {
		t.Fatal("blocked after 2 failures following a success; want not")
	}
}

// TestBeginConcurrent: 100 concurrent attempts at one email, all with the
// wrong password, get exactly max guesses through.
func TestBeginConcurrent(t *testing.T) {
	c := newClock()
	f := NewFailures(5, 15*time.Minute, c.Now)
	var admitted atomic.Int32
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			<-start
			a, ok, _ := f.Begin("victim@example.com")
			if !ok {
				return
			}
			defer a.End()
			admitted.Add(1)
			a.Fail()
		})
	}
	close(start)
	wg.Wait()
	// A refusal needs 5 admitted already, so exactly 5 are.
	if got := admitted.Load(); got != 5 {
		t.Errorf("%d of 100 concurrent attempts admitted; want 5", got)
	}
	if blocked, _ := f.Blocked("victim@example.com"); !blocked {
		t.Error("Blocked = false after 5 failures; want true")
	}
}

// TestConcurrentUse hammers both limiters from many goroutines while the
// clock moves; run with -race.
func TestConcurrentUse(t *testing.T) {
	c := newClock()
	k := NewKeyed(10, time.Second, c.Now)
	f := NewFailures(5, time.Second, c.Now)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				key := fmt.Sprint("k", (g+i)%16)
				if ok, _ := k.Allow(key); ok {
					allowed.Add(1)
				}
				switch i % 4 {
				case 0:
					f.Fail(key)
				case 1:
					f.Blocked(key)
				case 2:
					if a, ok, _ := f.Begin(key); ok {
						a.Fail()
					}
				case 3:
					f.Reset(key)
				}
				if i%100 == 0 {
					c.Advance(50 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	// 16 keys, burst 10 each, plus 10/s refill over at most 8*20*50ms = 8s.
	if got := allowed.Load(); got < 160 || got > 16*(10+10*8) {
		t.Errorf("%d events allowed; want between 160 and %d", got, 16*(10+10*8))
	}
}

func TestIPKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
		{"not an ip", "not an ip"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := IPKey(tt.in); got != tt.want {
			t.Errorf("IPKey(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewPanicsOnNonPositivePeriod(t *testing.T) {
	for name, fn := range map[string]func(){
		"NewKeyed":    func() { NewKeyed(1, 0, nil) },
		"NewFailures": func() { NewFailures(1, -time.Second, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with a non-positive period did not panic", name)
				}
			}()
			fn()
		}()
	}
}

func BenchmarkKeyedAllow(b *testing.B) {
	k := NewKeyed(20, time.Minute, nil)
	i := 0
	for b.Loop() {
		i++
		k.Allow(fmt.Sprint("10.0.0.", i%256))
	}
}

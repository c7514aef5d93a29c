package auth

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// MaxPasswordBytes is bcrypt's input limit: it ignores every byte after it.
const MaxPasswordBytes = 72

// ErrBusy is returned when a hash waited too long for a free worker.
var ErrBusy = errors.New("password hashing is saturated")

// Hasher runs bcrypt on a fixed pool of worker goroutines, so a login flood
// queues here instead of multiplying CPU-bound work. Each worker owns an OS
// thread whose scheduling priority is lowered (nice, on Linux): when the
// machine is busy, the kernel runs request handling first and bcrypt gets
// what is left, and when it is idle bcrypt uses every core. The program
// gives the Go scheduler one extra P per worker (see app.Run), so a worker
// waiting for the kernel never holds a P that requests need.
type Hasher struct {
	cost    int
	jobs    chan job
	maxWait time.Duration
	dummy   func() []byte
	stop    chan struct{}
	wg      sync.WaitGroup

	// ObserveWait, when set, gets each hash's queue wait; ObserveRunning is
	// told when a hash starts (+1) and ends (-1). For metrics; set them
	// before the first hash.
	ObserveWait    func(time.Duration)
	ObserveRunning func(delta int)
}

type job struct {
	quiet  bool // not a request's hash: not observed
	queued time.Time
	run    func()
	done   chan struct{}
}

// NewHasher starts workers bcrypt workers for the cost; a caller waits at
// most maxWait for one. Close stops them.
func NewHasher(cost, workers int, maxWait time.Duration) *Hasher {
	h := &Hasher{cost: cost, jobs: make(chan job), maxWait: maxWait, stop: make(chan struct{})}
	h.dummy = sync.OnceValue(func() []byte {
		b, _ := bcrypt.GenerateFromPassword([]byte("listo dummy password for timing"), cost)
		return b
	})
	for range max(1, workers) {
		h.wg.Add(1)
		go h.work()
	}
	return h
}

func (h *Hasher) work() {
	defer h.wg.Done()
	runtime.LockOSThread() // the lowered priority belongs to this thread: never unlock it
	lowerThreadPriority()
	for {
		select {
		case <-h.stop:
			return
		case j := <-h.jobs:
			observe := !j.quiet && h.ObserveRunning != nil
			if !j.quiet && h.ObserveWait != nil {
				h.ObserveWait(time.Since(j.queued))
			}
			if observe {
				h.ObserveRunning(1)
			}
			j.run()
			if observe {
				h.ObserveRunning(-1)
			}
			close(j.done)
		}
	}
}

// Close stops the workers once they finish what they run.
func (h *Hasher) Close() {
	close(h.stop)
	h.wg.Wait()
}

// do runs f on a worker, waiting at most maxWait (or until ctx ends) for
// one to be free. Once started, f runs to the end.
func (h *Hasher) do(ctx context.Context, f func()) error {
	return h.submit(ctx, job{queued: time.Now(), run: f, done: make(chan struct{})})
}

func (h *Hasher) submit(ctx context.Context, j job) error {
	ctx, cancel := context.WithTimeout(ctx, h.maxWait)
	defer cancel()
	select {
	case h.jobs <- j:
	case <-ctx.Done():
		return fmt.Errorf("bcrypt: %w", ErrBusy)
	case <-h.stop:
		return fmt.Errorf("bcrypt: %w: stopped", ErrBusy)
	}
	<-j.done
	return nil
}

// Warm computes the dummy hash ahead of the first login for an unknown
// email, on a worker.
func (h *Hasher) Warm(ctx context.Context) {
	_ = h.submit(ctx, job{quiet: true, run: func() { h.dummy() }, done: make(chan struct{})})
}

// Hash returns the bcrypt hash of password. Callers check the length first
// (PasswordPolicy): a password over 72 bytes is an error, never truncated.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", errors.New("bcrypt: password longer than 72 bytes")
	}
	var b []byte
	var err error
	if werr := h.do(ctx, func() { b, err = bcrypt.GenerateFromPassword([]byte(password), h.cost) }); werr != nil {
		return "", werr
	}
	if err != nil {
		return "", fmt.Errorf("bcrypt: %w", err)
	}
	return string(b), nil
}

// Compare reports whether password matches hash. An empty hash (unknown
// user) is compared against a dummy hash of the same cost, so both cases
// take the same time; a password over 72 bytes never matches and runs no
// bcrypt at all, since bcrypt would ignore its tail.
func (h *Hasher) Compare(ctx context.Context, hash, password string) (bool, error) {
	if len(password) > MaxPasswordBytes {
		return false, nil
	}
	var match bool
	err := h.do(ctx, func() {
		target := []byte(hash)
		if hash == "" {
			target = h.dummy()
		}
		match = bcrypt.CompareHashAndPassword(target, []byte(password)) == nil && hash != ""
	})
	return match, err
}

package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// MaxPasswordBytes is bcrypt's input limit: it ignores every byte after it.
const MaxPasswordBytes = 72

// ErrBusy is returned when a hash waited too long for a free slot.
var ErrBusy = errors.New("password hashing is saturated")

// Hasher runs bcrypt under a concurrency limit, so a login flood queues here
// instead of taking every CPU from other requests.
type Hasher struct {
	cost    int
	slots   chan struct{}
	maxWait time.Duration
	dummy   func() []byte
	// Observe, when set, gets the queue wait and is told when a hash starts
	// (+1) and ends (-1), for metrics.
	ObserveWait    func(time.Duration)
	ObserveRunning func(delta int)
}

// NewHasher returns a hasher for the bcrypt cost that runs at most
// concurrency hashes at once and lets a caller wait at most maxWait.
func NewHasher(cost, concurrency int, maxWait time.Duration) *Hasher {
	h := &Hasher{cost: cost, slots: make(chan struct{}, max(1, concurrency)), maxWait: maxWait}
	h.dummy = sync.OnceValue(func() []byte {
		b, _ := bcrypt.GenerateFromPassword([]byte("listo dummy password for timing"), cost)
		return b
	})
	return h
}

// Warm computes the dummy hash ahead of the first login for an unknown email.
func (h *Hasher) Warm() { h.dummy() }

func (h *Hasher) acquire(ctx context.Context) (func(), error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, h.maxWait)
	defer cancel()
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("bcrypt: %w", ErrBusy)
	}
	if h.ObserveWait != nil {
		h.ObserveWait(time.Since(start))
	}
	if h.ObserveRunning != nil {
		h.ObserveRunning(1)
	}
	return func() {
		<-h.slots
		if h.ObserveRunning != nil {
			h.ObserveRunning(-1)
		}
	}, nil
}

// Hash returns the bcrypt hash of password. Callers check the length first
// (PasswordPolicy): a password over 72 bytes is an error, never truncated.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", errors.New("bcrypt: password longer than 72 bytes")
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	b, err := bcrypt.GenerateFromPassword([]byte(password), h.cost)
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
	target := []byte(hash)
	if hash == "" {
		target = h.dummy()
	}
	release, err := h.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	err = bcrypt.CompareHashAndPassword(target, []byte(password))
	return err == nil && hash != "", nil
}

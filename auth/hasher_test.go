package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"listo/auth"
)

func TestHasher(t *testing.T) {
	h := auth.NewHasher(10, 2, 30*time.Second)
	defer h.Close()
	var running, peak atomic.Int64
	h.ObserveRunning = func(d int) {
		if n := running.Add(int64(d)); n > peak.Load() {
			peak.Store(n)
		}
	}
	ctx := context.Background()
	hash, err := h.Hash(ctx, "correct horse battery")
	if err != nil || !strings.HasPrefix(hash, "$2a$10$") {
		t.Fatalf("Hash = %q, %v", hash, err)
	}
	for _, tt := range []struct {
		hash, password string
		want           bool
	}{
		{hash, "correct horse battery", true},
		{hash, "wrong horse battery", false},
		{"", "correct horse battery", false}, // unknown user: dummy hash
		{hash, "correct horse battery" + strings.Repeat("x", 60), false},
	} {
		if got, err := h.Compare(ctx, tt.hash, tt.password); got != tt.want || err != nil {
			t.Errorf("Compare(%.10q, %.25q) = %v, %v; want %v", tt.hash, tt.password, got, err, tt.want)
		}
	}
	if _, err := h.Hash(ctx, strings.Repeat("a", 73)); err == nil {
		t.Error("Hash of 73 bytes succeeded; want an error, never truncation")
	}

	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = h.Compare(ctx, hash, "correct horse battery")
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 2 {
		t.Errorf("%d hashes ran at once; want at most 2 workers", p)
	}
}

func TestHasherBusy(t *testing.T) {
	h := auth.NewHasher(4, 1, 20*time.Millisecond) // one worker
	defer h.Close()
	// The first hash holds the only worker until the test lets it go, so
	// the check below does not depend on how fast bcrypt runs here.
	holding, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	h.ObserveRunning = func(d int) {
		if d > 0 {
			first.Do(func() { close(holding); <-release })
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(context.Background(), "correct horse battery")
		done <- err
	}()
	<-holding
	if _, err := h.Compare(context.Background(), "", "y"); !errors.Is(err, auth.ErrBusy) {
		t.Errorf("Compare while the only worker was taken: %v; want ErrBusy", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the held hash: %v", err)
	}
	// Free again: the next comparison runs.
	if _, err := h.Compare(context.Background(), "", "y"); err != nil {
		t.Errorf("Compare once the worker was free: %v", err)
	}
}

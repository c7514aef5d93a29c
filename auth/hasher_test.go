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
	h := auth.NewHasher(11, 1, 20*time.Millisecond) // one worker, hashes far slower than the wait
	defer h.Close()
	hash, err := h.Hash(context.Background(), "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	go func() {
		close(started)
		_, _ = h.Compare(context.Background(), hash, "x") // occupies the worker
	}()
	<-started
	var busy bool
	for range 20 { // one of these must find the worker taken
		if _, err := h.Compare(context.Background(), hash, "y"); errors.Is(err, auth.ErrBusy) {
			busy = true
			break
		}
	}
	if !busy {
		t.Error("no ErrBusy while the only worker was taken")
	}
}

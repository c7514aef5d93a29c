package account

import (
	"context"
	"log/slog"
	"time"
)

// jobTimeout bounds one background job.
const jobTimeout = 30 * time.Second

// background runs f after the response, in order, on the service's one
// worker: work whose result the caller must not see or wait for (whether an
// address exists is answered by neither the status nor the time). When the
// queue is full the job is dropped and logged. Errors are logged by kind
// only: never with a token, a link or an address.
func (s *Service) background(kind string, f func(ctx context.Context) error) {
	select {
	case s.jobs <- job{kind: kind, run: f}:
	default:
		s.log.Warn("background queue full; job dropped", "job", kind)
	}
}

type job struct {
	kind string
	run  func(ctx context.Context) error
}

// work runs the queued jobs until Close.
func (s *Service) work() {
	defer close(s.worked)
	for {
		select {
		case <-s.stopping:
			return
		case j := <-s.jobs:
			ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
			if err := j.run(ctx); err != nil {
				s.log.LogAttrs(ctx, slog.LevelWarn, "background job failed", slog.String("job", j.kind), slog.String("error", err.Error()))
			}
			cancel()
		}
	}
}

// Close stops the background worker after the job in hand; queued jobs
// are given up. It is idempotent.
func (s *Service) Close() {
	s.closeOnce.Do(func() { close(s.stopping) })
	<-s.worked
}

// Drain waits until every job queued so far has run (tests, and a graceful
// stop that can afford it), or ctx ends.
func (s *Service) Drain(ctx context.Context) error {
	done := make(chan struct{})
	s.background("drain", func(context.Context) error { close(done); return nil })
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

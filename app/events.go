package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"listo/auth"
	"listo/config"
	"listo/events"
	"listo/metrics"
	"listo/models"
	"listo/store"
)

// newHub is the live-sync hub of GET /events, with the configured limits
// and, when set, its metrics.
func newHub(cfg config.Config, now func() time.Time, m *metrics.Metrics) *events.Hub {
	o := events.Options{
		MaxStreams: cfg.EventsMaxStreams,
		MaxPerUser: cfg.EventsPerUser,
		QueueSize:  cfg.EventsQueue,
		Now:        now,
	}
	if m != nil {
		o.Metrics = events.Metrics{StreamsOpen: m.StreamsOpen, EventsSent: m.EventsSent, StreamDropped: m.StreamDropped}
	}
	return events.New(o)
}

// liveCheck asks the session check whether an open stream's session, or
// personal access token, and user may still be served
// (controllers.LiveCheck).
type liveCheck struct{ checker *auth.Checker }

func (l liveCheck) Live(ctx context.Context, p auth.Principal) error {
	if p.PAT != nil {
		return l.checker.RecheckPAT(ctx, p.PAT.Hash)
	}
	_, err := l.checker.Check(ctx, auth.AccessClaims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: p.User.ID},
		SessionID:        p.SessionID,
	})
	return err
}

// followChanges feeds the hub from the database's change stream, when it
// has one, until ctx ends; the returned channel closes then. Without one
// (a standalone MongoDB, FerretDB) the hub stays fed by this instance's
// own writes, with a warning, since other instances' writes do not reach
// its clients. The embedded database is always one instance.
func (a *App) followChanges(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if a.cfg.Embedded() {
			return
		}
		resumed := false
		for delay := 250 * time.Millisecond; ; {
			feed, err := a.store.Changes(ctx)
			if errors.Is(err, store.ErrNoChangeStreams) {
				a.log.Warn("live events (GET /events) reach only the clients of the instance that made a change: MongoDB has no change streams here (they need a replica set; a single-node one is enough)", "error", err.Error())
				return
			}
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				a.log.Warn("change stream not open; retrying", "error", err.Error(), "in", delay)
				select {
				case <-ctx.Done():
					return
				case <-time.After(delay):
				}
				delay = min(delay*2, 30*time.Second)
				continue
			}
			if !resumed {
				a.log.Info("live events follow the database's change stream")
			}
			err = a.hub.Follow(ctx, feed, resumed)
			_ = feed.Close(context.WithoutCancel(ctx))
			if ctx.Err() != nil {
				return
			}
			a.log.Warn("change stream lost; live clients resync", "error", err.Error())
			resumed, delay = true, 250*time.Millisecond
		}
	}()
	return done
}

// changes is where handlers report their writes (controllers.ChangeNotifier,
// account.Changes): the hub. With a change stream, the hub hears the
// writes from the stream instead, and a bulk change reaches it as one
// change per todo: a notice in the database then tells every instance's
// clients that the bulk change is complete (todos.changed).
type changes struct {
	hub   *events.Hub
	store *store.Store
	now   func() time.Time
	log   *slog.Logger
}

func (c changes) Apply(ch models.Change) {
	if ch.Kind == models.TodosChanged && c.hub.Following() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.store.NoticeBulkChange(ctx, ch.UserID, ch.Reason, c.now()); err != nil {
			c.log.Warn("bulk change notice not written; live clients see the change todo by todo", "error", err.Error())
		}
		return
	}
	c.hub.Apply(ch)
}

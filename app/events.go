package app

import (
	"context"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"listo/auth"
	"listo/config"
	"listo/events"
	"listo/metrics"
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

// liveCheck asks the session check whether an open stream's session and
// user may still be served (controllers.LiveCheck).
type liveCheck struct{ checker *auth.Checker }

func (l liveCheck) Live(ctx context.Context, userID, sessionID string) error {
	_, err := l.checker.Check(ctx, auth.AccessClaims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: userID},
		SessionID:        sessionID,
	})
	return err
}

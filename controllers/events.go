package controllers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"listo/auth"
	"listo/events"
	"listo/httpx"
	"listo/models"
	"listo/problem"
)

// EventHub is what GET /events needs of the live-sync hub (events.Hub).
type EventHub interface {
	Subscribe(userID, sessionID, lastEventID string) (*events.Stream, error)
	SubscribeToken(userID, tokenHash, lastEventID string) (*events.Stream, error)
}

// LiveCheck tells whether a principal may still be served: its session
// (or its personal access token) and its user (auth.Checker behind an
// adapter): an error wrapping models.ErrUnauthorized when not.
type LiveCheck interface {
	Live(ctx context.Context, p auth.Principal) error
}

// ChangeNotifier hears of every successful write, for the owner's live
// clients (events.Hub).
type ChangeNotifier interface {
	Apply(c models.Change)
}

// writeWait bounds one write to an event stream: a client that takes
// longer to accept a few bytes is gone, and its stream ends.
const writeWait = 10 * time.Second

// retryMillis is the reconnection delay the stream asks of EventSource.
const retryMillis = "2000"

// Events handles GET /events.
type Events struct {
	Hub  EventHub
	Live LiveCheck
	Now  func() time.Time
	// Ping is the interval of the keep-alive comment, at which the stream
	// also checks that its token has not expired and its session still
	// lives (a revoke made on another instance without a change stream,
	// or one that raced endSessions' look, is caught then).
	Ping time.Duration
	Log  *slog.Logger
}

// Stream handles GET /events: the caller's live events as Server-Sent
// Events, until their access token expires, their session is revoked,
// their user is disabled or deleted, the stream falls too far behind, an
// eleventh stream of theirs opens, or the server shuts down. Last-Event-ID
// (or ?last_event_id= for a new EventSource, which cannot set the header)
// resumes after that event.
func (h *Events) Stream(c *gin.Context) error {
	p := httpx.Principal(c)
	expires := p.TokenExpiresAt
	if !expires.IsZero() && !h.Now().Before(expires) {
		// Within the verifier's leeway: a stream would end at once and
		// the browser reconnect in a loop; a 401 makes the client refresh.
		return problem.Unauthorized(errors.New("access token expires now"))
	}
	last := c.GetHeader("Last-Event-ID")
	if last == "" {
		last = c.Query("last_event_id")
	}
	subscribe := h.Hub.Subscribe
	credential := p.SessionID
	if p.PAT != nil {
		subscribe, credential = h.Hub.SubscribeToken, p.PAT.Hash
	}
	st, err := subscribe(p.User.ID, credential, last)
	if errors.Is(err, events.ErrTooManyStreams) || errors.Is(err, events.ErrClosed) {
		return problem.New(http.StatusServiceUnavailable, "Too many live streams are open; try again shortly.").
			WithHeader("Retry-After", "10")
	}
	if err != nil {
		return err
	}
	defer st.Close()

	w := c.Writer
	rc := http.NewResponseController(w)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	// send writes b and flushes it, within writeWait from now: the
	// server's WriteTimeout (30 s from the request) would cut the stream,
	// so each write gets a deadline of its own. When the hub ends the
	// stream (shutdown, a full queue), a write stuck on a client that does
	// not read is cut at once rather than after writeWait.
	var mu sync.Mutex
	ended := false
	st.OnEnd(func() {
		mu.Lock()
		ended = true
		_ = rc.SetWriteDeadline(time.Now())
		mu.Unlock()
	})
	send := func(b []byte) bool {
		mu.Lock()
		if ended {
			mu.Unlock()
			return false
		}
		err := rc.SetWriteDeadline(time.Now().Add(writeWait))
		mu.Unlock()
		if err != nil && !errors.Is(err, http.ErrNotSupported) {
			return false
		}
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}

	first := []byte("retry: " + retryMillis + "\n\n")
	if len(st.Replay) == 0 {
		first = append(first, events.IDFrame(st.Position)...)
	}
	for _, e := range st.Replay {
		first = append(first, events.Frame(e)...)
	}
	if !send(first) {
		return nil
	}
	st.Sent(len(st.Replay))

	var expired <-chan time.Time
	if !expires.IsZero() {
		t := time.NewTimer(expires.Sub(h.Now()))
		defer t.Stop()
		expired = t.C
	}
	ping := time.NewTicker(h.Ping)
	defer ping.Stop()
	ctx := c.Request.Context()
	for {
		select {
		case d := <-st.C():
			if !send(events.Frame(d.Event)) {
				return nil
			}
			st.Sent(1)
			if d.Last {
				return nil
			}
		case <-st.Done():
			return nil
		case <-expired:
			return nil
		case <-ping.C:
			if !expires.IsZero() && !h.Now().Before(expires) {
				return nil
			}
			if err := h.Live.Live(ctx, p); errors.Is(err, models.ErrUnauthorized) {
				return nil
			}
			if !send(events.Ping()) {
				return nil
			}
		case <-ctx.Done():
			return nil
		}
	}
}

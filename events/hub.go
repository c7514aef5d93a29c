// Package events is the live-sync hub behind GET /events: it turns each
// successful write (a models.Change) into a Server-Sent Event for the
// owner's open streams, keeps a bounded per-user buffer for resuming with
// Last-Event-ID, and enforces the stream limits.
//
// One hub serves one process. It is fed either by the services that make
// the writes (Apply: one instance, the embedded database, a standalone
// MongoDB) or by the database's change stream (Follow: a replica set, where
// every instance hears every write once, whichever instance made it).
// Only the owner's events reach a stream.
//
// Writers never wait for readers: each stream has a bounded queue, and a
// stream whose queue is full is closed (its client resumes with
// Last-Event-ID). Publishing holds the hub's lock for a map lookup and at
// most MaxPerUser non-blocking channel sends.
package events

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"listo/models"
)

// Errors of Subscribe.
var (
	// ErrTooManyStreams: EVENTS_MAX_STREAMS streams are open already.
	ErrTooManyStreams = errors.New("events: too many open streams")
	// ErrClosed: the hub is shutting down.
	ErrClosed = errors.New("events: hub closed")
)

// Defaults of Options.
const (
	DefaultMaxPerUser     = 10
	DefaultQueueSize      = 64
	DefaultBufferSize     = 500
	DefaultRetention      = 5 * time.Minute
	DefaultMaxBufferBytes = 64 << 20
)

// Metrics receives what the hub does; every field may be nil.
type Metrics struct {
	StreamsOpen   func(delta int) // a stream opened (+1) or ended (-1)
	EventsSent    func(n int)     // events written to clients
	StreamDropped func()          // a stream closed because its queue was full
}

// Options configure a hub; zero values take the defaults.
type Options struct {
	MaxStreams int // open streams in all (0: no limit)
	MaxPerUser int // open streams of one user; the oldest is closed when one more opens
	QueueSize  int // events waiting for one stream's writer before the stream is dropped
	// BufferSize is how many of a user's latest events are kept for
	// resuming; Retention how long a user's buffer outlives their last
	// stream and event. MaxBufferBytes bounds all buffers together: past
	// it, the buffers of users without streams go first, least recently
	// active first, then the oldest events of the others.
	BufferSize     int
	Retention      time.Duration
	MaxBufferBytes int
	Now            func() time.Time
	Metrics        Metrics
}

// Event is one Server-Sent Event: an id (monotonic per user), a name and
// one line of JSON.
type Event struct {
	ID   uint64
	Name string
	Data []byte
}

// Resync is the name of the event that tells a client its resume point is
// gone: reload everything.
const Resync = "resync"

// Delivery is one queued event; Last says the stream ends after it (its
// session was revoked, its user disabled).
type Delivery struct {
	Event Event
	Last  bool
}

// Hub fans events out to the open streams of their user.
type Hub struct {
	o   Options
	now func() time.Time

	mu      sync.Mutex
	closed  bool
	fed     bool   // fed by a change stream: Apply ignores local reports
	start   uint64 // every id this hub hands out or accepts is above start
	last    uint64 // the newest id
	evicted uint64 // the newest id of a user buffer dropped so far
	users   map[string]*user
	streams int
	bytes   int
	seq     uint64
	swept   time.Time
}

// user is what the hub knows of one user: their open streams (oldest
// first), their latest events and the versions of the todos those name.
type user struct {
	// since: every event of this user with an id above since is in buf.
	since   uint64
	last    uint64 // the id of the newest event in buf (since when none)
	buf     []Event
	bytes   int
	streams []*Stream
	active  time.Time
	// todos holds the newest version seen of each todo an event named
	// (-1: deleted), so an older write reported late is not sent.
	todos map[string]int
}

// New returns a hub fed by Apply until Follow starts.
func New(o Options) *Hub {
	o.MaxPerUser = cmp.Or(o.MaxPerUser, DefaultMaxPerUser)
	o.QueueSize = cmp.Or(o.QueueSize, DefaultQueueSize)
	o.BufferSize = cmp.Or(o.BufferSize, DefaultBufferSize)
	o.Retention = cmp.Or(o.Retention, DefaultRetention)
	o.MaxBufferBytes = cmp.Or(o.MaxBufferBytes, DefaultMaxBufferBytes)
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &Hub{o: o, now: o.Now, users: map[string]*user{}}
	// Ids of a process's own events start at its start time in
	// microseconds, so an id from an earlier run of the process is below
	// start and gets a resync rather than a wrong resume.
	h.start = uint64(max(h.now().UnixMicro(), 1))
	h.last = h.start
	h.swept = h.now()
	return h
}

// Position is the newest event id: a stream that starts now has missed
// nothing up to it.
func (h *Hub) Position() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// Open is how many streams are open.
func (h *Hub) Open() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.streams
}

// Apply publishes a change reported by the service that made it. Once a
// change stream feeds the hub (Follow), it ignores these: the change
// comes back through the stream, from whichever instance made it.
//
// A revoked personal access token (models.TokenRevoked) ends this
// instance's streams of that token at once, fed or not: the change stream
// does not carry tokens, and other instances end theirs at the stream's
// next liveness check.
func (h *Hub) Apply(c models.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.Kind == models.TokenRevoked {
		h.endTokens(c.UserID, c.ID)
		return
	}
	if h.fed {
		return
	}
	h.publish(c, h.last+1)
}

// endTokens ends userID's streams opened with the personal access token
// of hash ("" for any token). Called with h.mu held.
func (h *Hub) endTokens(userID, hash string) {
	u := h.users[userID]
	if u == nil {
		return
	}
	for _, s := range slices.Clone(u.streams) {
		if s.TokenHash != "" && (hash == "" || s.TokenHash == hash) {
			h.end(s)
		}
	}
}

// Feed is a change stream of the database (store.ChangeFeed): Start is
// its first position, Next blocks for the next change.
type Feed interface {
	Start() uint64
	Next(ctx context.Context) (models.Change, error)
}

// Follow feeds the hub from f until ctx ends or f fails, and returns why.
// From the first call on, Apply ignores local reports: every change comes
// back through the stream, from whichever instance made it, once. Ids
// are then the stream's positions, the same on every instance, so a client
// resumes on any instance whose buffer holds its id. A change that Apply
// published just before the first call and the stream also carries may
// reach a client twice; clients apply events by id and version, so that
// is harmless. resumed says f replaces a feed that broke off and lost
// changes: every buffer is emptied and every open stream gets a resync.
func (h *Hub) Follow(ctx context.Context, f Feed, resumed bool) error {
	h.mu.Lock()
	h.fed = true
	if resumed {
		h.gap(f.Start())
	} else if f.Start() > h.last {
		h.last = f.Start()
	}
	h.mu.Unlock()
	for {
		c, err := f.Next(ctx)
		if err != nil {
			return err
		}
		h.mu.Lock()
		h.publish(c, max(c.At, h.last+1))
		h.mu.Unlock()
	}
}

// Following reports whether a change stream feeds the hub.
func (h *Hub) Following() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fed
}

// gap empties every user's buffer and sends every open stream a resync:
// what happened before position at cannot be told. Called with h.mu held.
func (h *Hub) gap(at uint64) {
	h.last = max(h.last+1, at)
	h.evicted = h.last
	resync := Event{ID: h.last, Name: Resync, Data: []byte("{}")}
	for _, u := range h.users {
		h.bytes -= u.bytes
		u.buf, u.bytes, u.since, u.last = nil, 0, h.last, h.last
		clear(u.todos)
		for _, s := range slices.Clone(u.streams) {
			h.offer(s, Delivery{Event: resync})
		}
	}
}

// publish turns c into an event with the given id and hands it to the
// owner's streams. Called with h.mu held.
func (h *Hub) publish(c models.Change, id uint64) {
	if h.closed || c.UserID == "" {
		return
	}
	now := h.now()
	h.sweep(now)
	u := h.users[c.UserID]
	if c.Kind == models.UserDeleted {
		if u != nil {
			for _, s := range slices.Clone(u.streams) {
				h.end(s)
			}
			h.drop(c.UserID, u)
		}
		h.last = id
		return
	}
	ev, ok := event(c)
	if !ok {
		return
	}
	if u == nil {
		u = h.newUser(c.UserID)
	}
	if !u.fresh(c, 2*h.o.BufferSize) {
		return
	}
	ev.ID = id
	h.last = id
	u.active = now
	u.buf = append(u.buf, ev)
	u.last = id
	u.bytes += size(ev)
	h.bytes += size(ev)
	for len(u.buf) > h.o.BufferSize {
		h.trimOldest(u)
	}
	for _, s := range slices.Clone(u.streams) {
		last := (c.Kind == models.SessionRevoked && s.SessionID == c.ID) ||
			(c.Kind == models.UserUpdated && c.User.Disabled)
		h.offer(s, Delivery{Event: ev, Last: last})
	}
	if h.bytes > h.o.MaxBufferBytes {
		h.shrink()
	}
}

// fresh reports whether a todo event is newer than what the user's
// streams were last told of that todo, and records it. Reports come out of
// order only within milliseconds, so at most limit todos are remembered
// (the map starts over past that): a user who keeps a stream open for
// weeks does not grow it without bound.
func (u *user) fresh(c models.Change, limit int) bool {
	if len(u.todos) >= limit {
		clear(u.todos)
	}
	switch c.Kind {
	case models.TodoCreated, models.TodoUpdated:
		if v, ok := u.todos[c.Todo.ID]; ok && (v < 0 || v >= c.Todo.Version) {
			return false
		}
		u.todos[c.Todo.ID] = c.Todo.Version
	case models.TodoDeleted:
		u.todos[c.ID] = -1
	}
	return true
}

func (h *Hub) newUser(id string) *user {
	since := max(h.last, h.evicted)
	u := &user{since: since, last: since, active: h.now(), todos: map[string]int{}}
	h.users[id] = u
	return u
}

// trimOldest drops the user's oldest buffered event.
func (h *Hub) trimOldest(u *user) {
	old := u.buf[0]
	u.buf[0] = Event{}
	u.buf = u.buf[1:]
	u.since = old.ID
	u.bytes -= size(old)
	h.bytes -= size(old)
	if len(u.buf) == 0 {
		u.buf = nil
		clear(u.todos)
	}
}

// drop forgets a user's buffer.
func (h *Hub) drop(id string, u *user) {
	h.evicted = max(h.evicted, u.last)
	h.bytes -= u.bytes
	delete(h.users, id)
}

// sweep drops, at most once a minute, the buffers of users that have had
// no stream and no event for Retention.
func (h *Hub) sweep(now time.Time) {
	if now.Sub(h.swept) < time.Minute && now.After(h.swept) {
		return
	}
	h.swept = now
	for id, u := range h.users {
		if len(u.streams) == 0 && now.Sub(u.active) >= h.o.Retention {
			h.drop(id, u)
		}
	}
}

// shrink brings the buffers under 90% of MaxBufferBytes: idle users'
// buffers first, least recently active first, then the oldest events of
// the others (their clients get a resync if they need those).
func (h *Hub) shrink() {
	target := h.o.MaxBufferBytes / 10 * 9
	type entry struct {
		id string
		u  *user
	}
	all := make([]entry, 0, len(h.users))
	for id, u := range h.users {
		all = append(all, entry{id, u})
	}
	slices.SortFunc(all, func(a, b entry) int { return a.u.active.Compare(b.u.active) })
	for _, e := range all {
		if h.bytes <= target {
			return
		}
		if len(e.u.streams) == 0 {
			h.drop(e.id, e.u)
		}
	}
	for _, e := range all {
		if len(e.u.streams) == 0 {
			continue // dropped above
		}
		for h.bytes > target && len(e.u.buf) > 0 {
			h.trimOldest(e.u)
		}
	}
}

func size(e Event) int { return len(e.Data) + len(e.Name) + 64 }

// Stream is one open GET /events of one session, or of one personal
// access token.
type Stream struct {
	SessionID string // "" for a token's stream
	TokenHash string // the personal access token's hash; "" for a session's stream
	// Replay is what the stream starts with: the missed events of a
	// resume, or a resync when the resume point is gone.
	Replay []Event
	// Position is the id a stream without Replay starts at, for the
	// client's Last-Event-ID.
	Position uint64

	hub    *Hub
	userID string
	seq    uint64
	queue  chan Delivery
	done   chan struct{}
	ended  bool   // under hub.mu
	onEnd  func() // under hub.mu
}

// C is the stream's queue.
func (s *Stream) C() <-chan Delivery { return s.queue }

// Done is closed when the hub ends the stream: its queue overflowed,
// an eleventh stream of the user replaced it, its user was deleted, or the
// hub is shutting down.
func (s *Stream) Done() <-chan struct{} { return s.done }

// OnEnd has f called once the stream ends (at once if it has): its
// handler may be stuck writing to a client that does not read, and f can
// cut that write short. f runs with the hub locked: it must be quick and
// must not call the hub.
func (s *Stream) OnEnd(f func()) {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	if s.ended {
		f()
		return
	}
	s.onEnd = f
}

// Sent counts n events written to the client.
func (s *Stream) Sent(n int) {
	if f := s.hub.o.Metrics.EventsSent; f != nil && n > 0 {
		f(n)
	}
}

// Close ends the stream (its handler returns); it is idempotent.
func (s *Stream) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.end(s)
}

// Subscribe opens a stream of userID's events for one of their sessions.
// lastEventID is the client's Last-Event-ID ("" for a new stream): the
// stream replays the events after it, or starts with a resync when the
// buffer no longer reaches back to it, when it is not an id of this hub,
// or when it is not a number.
func (h *Hub) Subscribe(userID, sessionID, lastEventID string) (*Stream, error) {
	return h.subscribe(userID, sessionID, "", lastEventID)
}

// SubscribeToken is Subscribe for a client of one of userID's personal
// access tokens, named by its hash: the token's revoke ends the stream.
func (h *Hub) SubscribeToken(userID, tokenHash, lastEventID string) (*Stream, error) {
	return h.subscribe(userID, "", tokenHash, lastEventID)
}

func (h *Hub) subscribe(userID, sessionID, tokenHash, lastEventID string) (*Stream, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	if h.o.MaxStreams > 0 && h.streams >= h.o.MaxStreams {
		return nil, ErrTooManyStreams
	}
	h.sweep(h.now())
	u := h.users[userID]
	if u == nil {
		u = h.newUser(userID)
	}
	for len(u.streams) >= h.o.MaxPerUser {
		h.end(u.streams[0])
	}
	h.seq++
	s := &Stream{
		SessionID: sessionID, TokenHash: tokenHash, Position: h.last,
		hub: h, userID: userID, seq: h.seq,
		queue: make(chan Delivery, h.o.QueueSize), done: make(chan struct{}),
	}
	if lastEventID != "" {
		from, err := strconv.ParseUint(lastEventID, 10, 64)
		if err != nil || from < u.since || from > h.last {
			s.Replay = []Event{{ID: h.last, Name: Resync, Data: []byte("{}")}}
		} else {
			i, _ := slices.BinarySearchFunc(u.buf, from+1, func(e Event, id uint64) int { return cmp.Compare(e.ID, id) })
			s.Replay = slices.Clone(u.buf[i:])
		}
	}
	u.streams = append(u.streams, s)
	h.streams++
	if f := h.o.Metrics.StreamsOpen; f != nil {
		f(1)
	}
	return s, nil
}

// offer queues d for s without waiting; a full queue ends the stream.
func (h *Hub) offer(s *Stream, d Delivery) {
	if s.ended {
		return
	}
	select {
	case s.queue <- d:
	default:
		h.end(s)
		if f := h.o.Metrics.StreamDropped; f != nil {
			f()
		}
	}
}

// end removes s from its user and closes Done. Called with h.mu held.
func (h *Hub) end(s *Stream) {
	if s.ended {
		return
	}
	s.ended = true
	close(s.done)
	if s.onEnd != nil {
		s.onEnd()
	}
	h.streams--
	if f := h.o.Metrics.StreamsOpen; f != nil {
		f(-1)
	}
	if u := h.users[s.userID]; u != nil {
		u.streams = slices.DeleteFunc(u.streams, func(o *Stream) bool { return o == s })
		u.active = h.now()
	}
}

// Close ends every stream at once and refuses new ones: the HTTP
// server's graceful shutdown waits for handlers, and a stream's handler
// would otherwise run until its token expires.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, u := range h.users {
		for _, s := range slices.Clone(u.streams) {
			h.end(s)
		}
	}
}

package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"listo/events"
	"listo/models"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

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

func newHub(t *testing.T, o events.Options) (*events.Hub, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	if o.Now == nil {
		o.Now = c.Now
	}
	return events.New(o), c
}

func subscribe(t *testing.T, h *events.Hub, userID, sessionID, last string) *events.Stream {
	t.Helper()
	s, err := h.Subscribe(userID, sessionID, last)
	if err != nil {
		t.Fatalf("Subscribe(%q, %q, %q) = %v", userID, sessionID, last, err)
	}
	t.Cleanup(s.Close)
	return s
}

func todo(userID, id, title string, version int) models.Change {
	kind := models.TodoUpdated
	if version == 1 {
		kind = models.TodoCreated
	}
	return models.Change{Kind: kind, UserID: userID, Todo: models.Todo{ID: id, UserID: userID, Title: title, Version: version}}
}

// queued takes what is in s's queue now.
func queued(s *events.Stream) []events.Delivery {
	var out []events.Delivery
	for {
		select {
		case d := <-s.C():
			out = append(out, d)
		default:
			return out
		}
	}
}

func names(ds []events.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Event.Name+" "+string(d.Event.Data))
	}
	return out
}

func ended(s *events.Stream) bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}

func TestFanOutToTheOwnerOnly(t *testing.T) {
	h, _ := newHub(t, events.Options{})
	a1 := subscribe(t, h, "alice", "s1", "")
	a2 := subscribe(t, h, "alice", "s2", "")
	b := subscribe(t, h, "bob", "s3", "")

	h.Apply(todo("alice", "t1", "Buy milk", 1))
	h.Apply(todo("alice", "t1", "Buy oat milk", 2))
	h.Apply(models.Change{Kind: models.TodoDeleted, UserID: "alice", ID: "t1"})
	h.Apply(models.Change{Kind: models.TodosChanged, UserID: "alice", Reason: models.ReasonToggleAll})

	want := []string{
		`todo.created {"id":"t1","title":"Buy milk","notes":"","completed":false,"order":0,"due":null,"created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z","completed_at":null,"version":1}`,
		`todo.updated {"id":"t1","title":"Buy oat milk","notes":"","completed":false,"order":0,"due":null,"created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z","completed_at":null,"version":2}`,
		`todo.deleted {"id":"t1"}`,
		`todos.changed {"reason":"toggle_all"}`,
	}
	for _, s := range []*events.Stream{a1, a2} {
		got := queued(s)
		if diff := cmp.Diff(want, names(got)); diff != "" {
			t.Errorf("session %s (-want +got):\n%s", s.SessionID, diff)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Event.ID <= got[i-1].Event.ID {
				t.Errorf("ids not increasing: %d then %d", got[i-1].Event.ID, got[i].Event.ID)
			}
		}
	}
	if got := queued(b); len(got) != 0 {
		t.Errorf("bob's stream got %v; want nothing", names(got))
	}
}

func TestResume(t *testing.T) {
	h, _ := newHub(t, events.Options{})
	s := subscribe(t, h, "alice", "s1", "")
	start := s.Position
	var ids []uint64
	for i := 1; i <= 5; i++ {
		h.Apply(todo("alice", "t"+strconv.Itoa(i), "x", 1))
		ids = append(ids, h.Position())
	}
	h.Apply(todo("bob", "b1", "x", 1))

	tests := []struct {
		name, last string
		want       []uint64 // ids replayed; nil with resync
		resync     bool
	}{
		{"from the start position", strconv.FormatUint(start, 10), ids, false},
		{"after the second", strconv.FormatUint(ids[1], 10), ids[2:], false},
		{"after the last", strconv.FormatUint(ids[4], 10), nil, false},
		{"not a number", "abc", nil, true},
		{"before this process", strconv.FormatUint(start-1, 10), nil, true},
		{"from the future", strconv.FormatUint(h.Position()+1, 10), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := subscribe(t, h, "alice", "s2", tt.last)
			if tt.resync {
				if len(r.Replay) != 1 || r.Replay[0].Name != events.Resync || string(r.Replay[0].Data) != "{}" || r.Replay[0].ID != h.Position() {
					t.Fatalf("Replay = %+v; want one resync {} at %d", r.Replay, h.Position())
				}
				return
			}
			var got []uint64
			for _, e := range r.Replay {
				got = append(got, e.ID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("replayed ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResumeBeyondTheBuffer(t *testing.T) {
	h, _ := newHub(t, events.Options{BufferSize: 3})
	subscribe(t, h, "alice", "s1", "")
	var ids []uint64
	for i := range 5 {
		h.Apply(todo("alice", "t"+strconv.Itoa(i), "x", 1))
		ids = append(ids, h.Position())
	}
	// The buffer holds the last three: resuming after the second works,
	// after the first does not.
	r := subscribe(t, h, "alice", "s2", strconv.FormatUint(ids[1], 10))
	if len(r.Replay) != 3 || r.Replay[0].ID != ids[2] {
		t.Errorf("resume after #2: replay %+v; want #3..#5", r.Replay)
	}
	r = subscribe(t, h, "alice", "s3", strconv.FormatUint(ids[0], 10))
	if len(r.Replay) != 1 || r.Replay[0].Name != events.Resync {
		t.Errorf("resume after #1: replay %+v; want resync", r.Replay)
	}
}

func TestRetention(t *testing.T) {
	h, c := newHub(t, events.Options{Retention: 5 * time.Minute})
	s, _ := h.Subscribe("alice", "s1", "")
	h.Apply(todo("alice", "t1", "x", 1))
	last := strconv.FormatUint(h.Position(), 10)
	s.Close()

	// Four minutes away: the buffer is kept.
	c.Advance(4 * time.Minute)
	h.Apply(todo("bob", "b1", "x", 1))
	r := subscribe(t, h, "alice", "s1", last)
	if len(r.Replay) != 0 {
		t.Errorf("after 4 min: replay %+v; want nothing missed", r.Replay)
	}
	r.Close()

	// More than five minutes without a stream or an event: dropped, and
	// the resume is a resync.
	c.Advance(6 * time.Minute)
	h.Apply(todo("bob", "b2", "x", 1))
	r = subscribe(t, h, "alice", "s1", last)
	if len(r.Replay) != 1 || r.Replay[0].Name != events.Resync {
		t.Errorf("after 10 min: replay %+v; want resync", r.Replay)
	}
}

func TestMaxBufferBytes(t *testing.T) {
	h, _ := newHub(t, events.Options{MaxBufferBytes: 20_000})
	// Bob has no stream; alice does. Filling the buffers drops bob's.
	h.Apply(todo("bob", "b1", "x", 1))
	bobLast := strconv.FormatUint(h.Position(), 10)
	subscribe(t, h, "alice", "s1", "")
	for i := range 200 {
		h.Apply(todo("alice", "t"+strconv.Itoa(i), "a title of some length", 1))
	}
	r := subscribe(t, h, "bob", "s2", bobLast)
	if len(r.Replay) != 1 || r.Replay[0].Name != events.Resync {
		t.Errorf("bob after the cap: replay %+v; want resync", r.Replay)
	}
	a := subscribe(t, h, "alice", "s3", strconv.FormatUint(h.Position()-1, 10))
	if len(a.Replay) != 1 || a.Replay[0].Name != "todo.created" {
		t.Errorf("alice's latest: replay %+v; want her last event", a.Replay)
	}
}

func TestStaleTodoEventsAreNotSent(t *testing.T) {
	h, _ := newHub(t, events.Options{})
	s := subscribe(t, h, "alice", "s1", "")
	h.Apply(todo("alice", "t1", "v1", 1))
	h.Apply(todo("alice", "t1", "v3", 3))
	h.Apply(todo("alice", "t1", "v2", 2)) // reported late
	h.Apply(models.Change{Kind: models.TodoDeleted, UserID: "alice", ID: "t1"})
	h.Apply(todo("alice", "t1", "v4", 4)) // an update that lost to the delete
	var got []string
	for _, d := range queued(s) {
		var v struct {
			Title string
			ID    string
		}
		_ = json.Unmarshal(d.Event.Data, &v)
		if v.Title == "" {
			v.Title = v.ID
		}
		got = append(got, d.Event.Name+" "+v.Title)
	}
	want := []string{"todo.created v1", "todo.updated v3", "todo.deleted t1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestSessionRevokedEndsThatSessionsStreams(t *testing.T) {
	h, _ := newHub(t, events.Options{})
	s1 := subscribe(t, h, "alice", "s1", "")
	s1b := subscribe(t, h, "alice", "s1", "")
	s2 := subscribe(t, h, "alice", "s2", "")
	h.Apply(models.Change{Kind: models.SessionRevoked, UserID: "alice", ID: "s1"})
	for _, s := range []*events.Stream{s1, s1b, s2} {
		got := queued(s)
		if len(got) != 1 || got[0].Event.Name != "session.revoked" || string(got[0].Event.Data) != `{"session_id":"s1"}` {
			t.Fatalf("stream of %s got %v; want session.revoked s1", s.SessionID, names(got))
		}
		if want := s.SessionID == "s1"; got[0].Last != want {
			t.Errorf("stream of %s: Last = %v; want %v", s.SessionID, got[0].Last, want)
		}
	}
}

func TestUserDisabledOrDeleted(t *testing.T) {
	h, _ := newHub(t, events.Options{})
	a := subscribe(t, h, "alice", "s1", "")
	h.Apply(models.Change{Kind: models.UserUpdated, UserID: "alice", User: models.User{ID: "alice", Name: "Al"}})
	h.Apply(models.Change{Kind: models.UserUpdated, UserID: "alice", User: models.User{ID: "alice", Name: "Al", Disabled: true}})
	got := queued(a)
	if len(got) != 2 || got[0].Last || !got[1].Last {
		t.Errorf("user.updated then disabled: %+v; want the second last", got)
	}

	b := subscribe(t, h, "bob", "s2", "")
	h.Apply(models.Change{Kind: models.UserDeleted, UserID: "bob"})
	if !ended(b) {
		t.Error("bob's stream still open after his deletion")
	}
	if got := queued(b); len(got) != 0 {
		t.Errorf("deletion queued %v; want nothing", names(got))
	}
	if n := h.Open(); n != 1 {
		t.Errorf("Open() = %d; want 1", n)
	}
}

func TestLimits(t *testing.T) {
	var open, dropped int
	var mu sync.Mutex
	h, _ := newHub(t, events.Options{MaxStreams: 12, MaxPerUser: 10, QueueSize: 2, Metrics: events.Metrics{
		StreamsOpen:   func(d int) { mu.Lock(); open += d; mu.Unlock() },
		StreamDropped: func() { mu.Lock(); dropped++; mu.Unlock() },
	}})
	var alice []*events.Stream
	for i := range 11 {
		alice = append(alice, subscribe(t, h, "alice", "s"+strconv.Itoa(i), ""))
	}
	if !ended(alice[0]) {
		t.Error("the 11th stream did not end the oldest")
	}
	for _, s := range alice[1:] {
		if ended(s) {
			t.Errorf("stream %s ended; only the oldest should", s.SessionID)
		}
	}
	subscribe(t, h, "bob", "b1", "")
	subscribe(t, h, "carol", "c1", "")
	if _, err := h.Subscribe("dave", "d1", ""); !errors.Is(err, events.ErrTooManyStreams) {
		t.Errorf("13th stream: err = %v; want ErrTooManyStreams", err)
	}

	// A stream whose reader is gone is dropped once its queue is full;
	// publishing does not wait for it.
	start := time.Now()
	for i := range 3 {
		h.Apply(todo("bob", "t"+strconv.Itoa(i), "x", 1))
	}
	if d := time.Since(start); d > time.Second { // a blocked send would never return
		t.Errorf("publishing to a full queue took %v", d)
	}
	mu.Lock()
	if dropped != 1 || open != 11 {
		t.Errorf("metrics: dropped %d, open %d; want 1 and 11", dropped, open)
	}
	mu.Unlock()
	if n := h.Open(); n != 11 {
		t.Errorf("Open() = %d; want 11", n)
	}
}

func TestClose(t *testing.T) {
	h, _ := newHub(t, events.Options{})
	s := subscribe(t, h, "alice", "s1", "")
	h.Close()
	if !ended(s) {
		t.Error("Close left a stream open")
	}
	if _, err := h.Subscribe("alice", "s1", ""); !errors.Is(err, events.ErrClosed) {
		t.Errorf("Subscribe after Close = %v; want ErrClosed", err)
	}
}

// fakeFeed is a change stream fed by the test.
type fakeFeed struct {
	start uint64
	c     chan models.Change
	err   chan error
}

func newFeed(start uint64) *fakeFeed {
	return &fakeFeed{start: start, c: make(chan models.Change), err: make(chan error, 1)}
}

func (f *fakeFeed) Start() uint64 { return f.start }

func (f *fakeFeed) Next(ctx context.Context) (models.Change, error) {
	select {
	case c := <-f.c:
		return c, nil
	case err := <-f.err:
		return models.Change{}, err
	case <-ctx.Done():
		return models.Change{}, ctx.Err()
	}
}

// follow runs h.Follow(f) until the test ends; its result goes to the
// returned channel.
func follow(t *testing.T, h *events.Hub, f *fakeFeed, resumed bool) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Follow(ctx, f, resumed) }()
	t.Cleanup(func() { cancel(); <-done })
	return done
}

// next waits for one delivery.
func next(t *testing.T, s *events.Stream) events.Delivery {
	t.Helper()
	select {
	case d := <-s.C():
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
		return events.Delivery{}
	}
}

// TestFollow: a hub fed by a change stream publishes the stream's changes
// with the stream's positions as ids, ignores local reports (the stream
// brings them back, once), and resyncs everyone after a lost stretch.
func TestFollow(t *testing.T) {
	h, _ := newHub(t, events.Options{})
	s := subscribe(t, h, "alice", "s1", "")
	b := subscribe(t, h, "bob", "s2", "")
	at := uint64(1_800_000_000) << 32
	f := newFeed(at)
	follow(t, h, f, false)
	f.c <- models.Change{Kind: models.TodoCreated, UserID: "alice", Todo: models.Todo{ID: "t1", Title: "fed", Version: 1}, At: at + 5}
	if !h.Following() {
		t.Fatal("Following() = false after Follow started")
	}
	h.Apply(todo("alice", "t2", "local", 1))                                              // ignored: the stream brings it
	f.c <- models.Change{Kind: models.TodoDeleted, UserID: "alice", ID: "t1", At: at + 5} // same position: the next id
	f.c <- models.Change{Kind: models.SessionRevoked, UserID: "alice", ID: "s1", At: at + 9}
	got := []events.Delivery{next(t, s), next(t, s), next(t, s)}
	if got[0].Event.Name != "todo.created" || got[0].Event.ID != at+5 ||
		got[1].Event.Name != "todo.deleted" || got[1].Event.ID != at+6 ||
		got[2].Event.Name != "session.revoked" || got[2].Event.ID != at+9 || !got[2].Last {
		t.Fatalf("fed events %+v; want todo.created at %d, todo.deleted at %d, session.revoked (last) at %d", got, at+5, at+6, at+9)
	}
	if q := queued(b); len(q) != 0 {
		t.Errorf("bob got %v", names(q))
	}

	// Resuming on another instance that follows the same stream: the ids
	// are the same there.
	r := subscribe(t, h, "alice", "s3", strconv.FormatUint(at+5, 10))
	if len(r.Replay) != 2 || r.Replay[0].ID != at+6 {
		t.Errorf("resume after %d: %+v; want the delete and the revoke", at+5, r.Replay)
	}
	r.Close()

	// The stream broke off and a new one lost what happened in between:
	// every open stream resyncs, every old resume point too.
	f2 := newFeed(at + 100)
	f.err <- errors.New("stream lost")
	follow(t, h, f2, true)
	if d := next(t, b); d.Event.Name != events.Resync || d.Event.ID != at+100 {
		t.Errorf("after the gap: %+v; want resync at %d", d, at+100)
	}
	r = subscribe(t, h, "alice", "s4", strconv.FormatUint(at+9, 10))
	if len(r.Replay) != 1 || r.Replay[0].Name != events.Resync {
		t.Errorf("resume from before the gap: %+v; want resync", r.Replay)
	}
	f2.c <- models.Change{Kind: models.TodoCreated, UserID: "bob", Todo: models.Todo{ID: "b1", Version: 1}, At: at + 101}
	if d := next(t, b); d.Event.Name != "todo.created" || d.Event.ID != at+101 {
		t.Errorf("after the gap: %+v; want todo.created at %d", d, at+101)
	}
}

func TestFrame(t *testing.T) {
	got := string(events.Frame(events.Event{ID: 42, Name: "todo.deleted", Data: []byte(`{"id":"x"}`)}))
	if want := "id: 42\nevent: todo.deleted\ndata: {\"id\":\"x\"}\n\n"; got != want {
		t.Errorf("Frame = %q; want %q", got, want)
	}
	if got, want := string(events.IDFrame(7)), "id: 7\n\n"; got != want {
		t.Errorf("IDFrame = %q; want %q", got, want)
	}
}

// TestConcurrent runs publishers, subscribers and closers at once for the
// race detector.
func TestConcurrent(t *testing.T) {
	h := events.New(events.Options{QueueSize: 4, MaxPerUser: 3})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range 200 {
				h.Apply(todo("u"+strconv.Itoa(i%3), "t"+strconv.Itoa(w)+"-"+strconv.Itoa(i), "x", 1))
			}
		}()
		go func() {
			defer wg.Done()
			for i := range 50 {
				s, err := h.Subscribe("u"+strconv.Itoa(i%3), "s", strconv.FormatUint(h.Position(), 10))
				if err != nil {
					t.Error(err)
					return
				}
				queued(s)
				s.Close()
			}
		}()
	}
	wg.Wait()
	h.Close()
	if n := h.Open(); n != 0 {
		t.Errorf("Open() = %d after Close; want 0", n)
	}
}

// TestTokenRevoked: a revoked personal access token ends the streams it
// opened at once, on a hub fed by a change stream too, and no other
// stream; it is no event, and it takes no id.
func TestTokenRevoked(t *testing.T) {
	for _, fed := range []bool{false, true} {
		t.Run(map[bool]string{false: "local", true: "fed"}[fed], func(t *testing.T) {
			h, _ := newHub(t, events.Options{})
			if fed {
				follow(t, h, newFeed(1<<40), false)
				for !h.Following() {
					time.Sleep(time.Millisecond)
				}
			}
			session := subscribe(t, h, "alice", "s1", "")
			tokenA, err := h.SubscribeToken("alice", "hash-a", "")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(tokenA.Close)
			tokenB, _ := h.SubscribeToken("alice", "hash-b", "")
			t.Cleanup(tokenB.Close)
			bobs, _ := h.SubscribeToken("bob", "hash-a", "")
			t.Cleanup(bobs.Close)
			at := h.Position()

			h.Apply(models.Change{Kind: models.TokenRevoked, UserID: "alice", ID: "hash-a"})
			if !ended(tokenA) {
				t.Error("the revoked token's stream goes on")
			}
			if ended(tokenB) || ended(session) || ended(bobs) {
				t.Errorf("ended: another token's %t, the session's %t, another user's %t; want none", ended(tokenB), ended(session), ended(bobs))
			}
			if q := queued(session); len(q) != 0 {
				t.Errorf("the session's stream got %v; want no event", names(q))
			}
			if h.Position() != at {
				t.Errorf("Position moved from %d to %d; want no id taken", at, h.Position())
			}

			// All of alice's tokens (a new password): her session's stream stays.
			h.Apply(models.Change{Kind: models.TokenRevoked, UserID: "alice"})
			if !ended(tokenB) || ended(session) || ended(bobs) {
				t.Errorf("after all of alice's tokens: token B ended %t, session %t, bob %t; want true, false, false", ended(tokenB), ended(session), ended(bobs))
			}
			if h.Open() != 2 {
				t.Errorf("Open() = %d; want 2", h.Open())
			}
		})
	}
}

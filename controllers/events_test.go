package controllers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"listo/apptest"
)

// sseEvent is one dispatched message of an event stream. A frame with an
// id and no data has Name "" (it only moves Last-Event-ID); a comment has
// Name ":".
type sseEvent struct {
	ID, Name, Data string
	At             time.Time
}

// sseStream reads a GET /events response in the background.
type sseStream struct {
	t      testing.TB
	Resp   *http.Response
	cancel context.CancelFunc
	events chan sseEvent
	ended  chan struct{} // closed when the body ends
	mu     sync.Mutex
	lastID string
}

// openEvents starts GET url (…/events) with the client's token and cookies
// and the given header pairs; it fails the test unless the answer is 200.
func openEvents(t testing.TB, c *apptest.Client, url string, headers ...string) *sseStream {
	t.Helper()
	st, resp := tryEvents(t, c, url, headers...)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /events = %d; want 200: %s", resp.StatusCode, b)
	}
	return st
}

// tryEvents starts GET /events; the stream is nil unless the answer is 200.
func tryEvents(t testing.TB, c *apptest.Client, url string, headers ...string) (*sseStream, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	hc := &http.Client{Jar: c.HTTP.Jar} // no timeout: the body streams
	resp, err := hc.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET /events: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Cleanup(func() { resp.Body.Close(); cancel() })
		return nil, resp
	}
	st := &sseStream{t: t, Resp: resp, cancel: cancel, events: make(chan sseEvent, 1000), ended: make(chan struct{})}
	t.Cleanup(st.Close)
	go st.read()
	return st, resp
}

func (s *sseStream) read() {
	defer close(s.ended)
	sc := bufio.NewScanner(s.Resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ev sseEvent
	var data []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.ID != "" || ev.Name != "" || len(data) > 0 {
				ev.Data = strings.Join(data, "\n")
				ev.At = time.Now()
				if ev.ID != "" {
					s.mu.Lock()
					s.lastID = ev.ID
					s.mu.Unlock()
				}
				s.events <- ev
			}
			ev, data = sseEvent{}, nil
		case strings.HasPrefix(line, ":"):
			s.events <- sseEvent{Name: ":", Data: line, At: time.Now()}
		default:
			k, v, _ := strings.Cut(line, ":")
			v = strings.TrimPrefix(v, " ")
			switch k {
			case "id":
				ev.ID = v
			case "event":
				ev.Name = v
			case "data":
				data = append(data, v)
			}
		}
	}
}

// Close drops the connection.
func (s *sseStream) Close() {
	s.cancel()
	s.Resp.Body.Close()
	<-s.ended
}

// LastID is the id of the last frame that carried one.
func (s *sseStream) LastID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastID
}

// Next returns the next named event (pings and id-only frames skipped),
// or fails the test after timeout.
func (s *sseStream) Next(timeout time.Duration) sseEvent {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case e := <-s.events:
			if e.Name == "" || e.Name == ":" {
				continue
			}
			return e
		case <-s.ended:
			// Events read before the end are still in the channel.
			select {
			case e := <-s.events:
				if e.Name == "" || e.Name == ":" {
					continue
				}
				return e
			default:
			}
			s.t.Fatalf("stream ended; want an event")
		case <-deadline:
			s.t.Fatalf("no event within %v", timeout)
		}
	}
}

// Expect reads the next named event and checks its name and data (data is
// compared as JSON when want is not "").
func (s *sseStream) Expect(timeout time.Duration, name, data string) sseEvent {
	s.t.Helper()
	e := s.Next(timeout)
	if e.Name != name {
		s.t.Fatalf("event %q (%s); want %q", e.Name, e.Data, name)
	}
	if data != "" && !sameJSON(s.t, e.Data, data) {
		s.t.Fatalf("%s data = %s; want %s", name, e.Data, data)
	}
	return e
}

// ExpectPast is Expect that first skips the events named in skip: with
// a change stream (a MongoDB replica set), a bulk change also comes as one
// event per todo before its todos.changed.
func (s *sseStream) ExpectPast(timeout time.Duration, name, data string, skip ...string) sseEvent {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		e := s.Next(time.Until(deadline))
		if e.Name != name && slices.Contains(skip, e.Name) {
			continue
		}
		if e.Name != name {
			s.t.Fatalf("event %q (%s); want %q", e.Name, e.Data, name)
		}
		if data != "" && !sameJSON(s.t, e.Data, data) {
			s.t.Fatalf("%s data = %s; want %s", name, e.Data, data)
		}
		return e
	}
}

// Quiet fails the test when a named event arrives within d.
func (s *sseStream) Quiet(d time.Duration) {
	s.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case e := <-s.events:
			if e.Name != "" && e.Name != ":" {
				s.t.Fatalf("unexpected event %s %s", e.Name, e.Data)
			}
		case <-deadline:
			return
		}
	}
}

// Ended waits up to d for the server to end the stream, reading past
// whatever comes before.
func (s *sseStream) Ended(d time.Duration) bool {
	select {
	case <-s.ended:
		return true
	case <-time.After(d):
		return false
	}
}

// Position waits for the id-only frame a new stream starts with.
func (s *sseStream) Position(timeout time.Duration) string {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case e := <-s.events:
			if e.Name == "" && e.ID != "" {
				return e.ID
			}
		case <-deadline:
			s.t.Fatalf("no id frame within %v", timeout)
		}
	}
}

func sameJSON(t testing.TB, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("not JSON: %s", a)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("not JSON: %s", b)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// eventsEnv are the settings of the event tests: a short ping, so the
// liveness and expiry checks run often.
func eventsEnv(extra ...string) map[string]string {
	env := map[string]string{"EVENTS_PING_INTERVAL": "100ms"}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

// second logs the same user in again: another device.
func second(t *testing.T, srv *apptest.Server, u *apptest.User) *apptest.User {
	t.Helper()
	return srv.Login(t, u.Email, u.Password)
}

func TestEventsStream(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: eventsEnv()})
	alice := srv.NewUser(t)
	phone := second(t, srv, alice)
	bob := srv.NewUser(t)

	t.Run("unauthenticated", func(t *testing.T) {
		_, resp := tryEvents(t, srv.Client(), srv.URL()+"/events")
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET /events without a token = %d; want 401", resp.StatusCode)
		}
	})

	st := openEvents(t, phone.Client, srv.URL()+"/events")
	for k, want := range map[string]string{
		"Content-Type":      "text/event-stream",
		"Cache-Control":     "no-store",
		"X-Accel-Buffering": "no",
	} {
		if got := st.Resp.Header.Get(k); got != want {
			t.Errorf("%s = %q; want %q", k, got, want)
		}
	}
	st.Position(time.Second)
	bobs := openEvents(t, bob.Client, srv.URL()+"/events")
	bobs.Position(time.Second)

	// A change on one device reaches the other within a second, in order.
	for _, name := range []string{"Alice", "Alice L.", "Ada"} {
		u := alice.Do("PATCH", "/user", map[string]any{"name": name}).Expect(t, http.StatusOK)
		done := time.Now()
		e := st.Expect(time.Second, "user.updated", string(u.Body))
		if lag := e.At.Sub(done); lag > time.Second {
			t.Errorf("user.updated arrived %v after the response; want under 1s", lag)
		}
	}
	bobs.Quiet(300 * time.Millisecond)
	if st.Ended(0) {
		t.Error("the stream ended")
	}
}

func TestEventsCookieAuth(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: eventsEnv()})
	u := srv.NewUser(t)
	c := srv.Client()
	c.Do("POST", "/auth", map[string]any{"email": u.Email, "password": u.Password, "cookie": true}).Expect(t, http.StatusOK)
	// A browser's EventSource sends the cookies and no CSRF header: a GET
	// needs none.
	st := openEvents(t, c, srv.URL()+"/events", "Origin", srv.URL())
	st.Position(time.Second)
	u.Do("PATCH", "/user", map[string]any{"name": "Cookie"}).Expect(t, http.StatusOK)
	st.Expect(time.Second, "user.updated", "")
}

func TestEventsResume(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: eventsEnv()})
	alice := srv.NewUser(t)
	phone := second(t, srv, alice)

	st := openEvents(t, phone.Client, srv.URL()+"/events")
	pos := st.Position(time.Second)
	st.Close()

	// Missed while away: three changes.
	var missed []string
	for _, name := range []string{"one", "two", "three"} {
		missed = append(missed, string(alice.Do("PATCH", "/user", map[string]any{"name": name}).Expect(t, http.StatusOK).Body))
	}

	r := openEvents(t, phone.Client, srv.URL()+"/events", "Last-Event-ID", pos)
	var ids []string
	for _, want := range missed {
		ids = append(ids, r.Expect(time.Second, "user.updated", want).ID)
	}
	// Exactly those: the next event is a new change, not a repeat.
	live := alice.Do("PATCH", "/user", map[string]any{"name": "four"}).Expect(t, http.StatusOK)
	e := r.Expect(time.Second, "user.updated", string(live.Body))
	ids = append(ids, e.ID)
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Errorf("ids not increasing: %v", ids)
		}
	}

	// The same with ?last_event_id= (a new EventSource cannot set the
	// header), from the second missed event.
	q := openEvents(t, phone.Client, srv.URL()+"/events?last_event_id="+ids[1])
	q.Expect(time.Second, "user.updated", missed[2])
	q.Expect(time.Second, "user.updated", string(live.Body))

	// An id older than the buffer, or not one of this process: resync.
	for _, old := range []string{"1", "not-a-number", "99999999999999999999"} {
		o := openEvents(t, phone.Client, srv.URL()+"/events", "Last-Event-ID", old)
		o.Expect(time.Second, "resync", "{}")
		o.Close()
	}
}

func TestEventsSessionRevoked(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: eventsEnv()})
	laptop := srv.NewUser(t)
	phone := second(t, srv, laptop)
	tablet := second(t, srv, laptop)

	ls := openEvents(t, laptop.Client, srv.URL()+"/events")
	ps := openEvents(t, phone.Client, srv.URL()+"/events")
	ls.Position(time.Second)
	ps.Position(time.Second)

	// The laptop revokes the phone from its devices screen: the phone's
	// stream hears it and ends; the laptop's hears it and stays.
	laptop.Do("DELETE", "/user/sessions/"+phone.SessionID, nil).Expect(t, http.StatusNoContent)
	want := `{"session_id":"` + phone.SessionID + `"}`
	ps.Expect(time.Second, "session.revoked", want)
	if !ps.Ended(time.Second) {
		t.Error("the revoked session's stream is still open")
	}
	ls.Expect(time.Second, "session.revoked", want)
	if ls.Ended(200 * time.Millisecond) {
		t.Error("the revoking session's stream ended")
	}
	if _, resp := tryEvents(t, phone.Client, srv.URL()+"/events"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked session reconnects: %d; want 401", resp.StatusCode)
	}

	// "Log out everywhere else" from the laptop: the tablet's stream ends.
	ts := openEvents(t, tablet.Client, srv.URL()+"/events")
	ts.Position(time.Second)
	laptop.Do("POST", "/logout?scope=others", nil).Expect(t, http.StatusNoContent)
	ts.Expect(time.Second, "session.revoked", `{"session_id":"`+tablet.SessionID+`"}`)
	if !ts.Ended(time.Second) {
		t.Error("the tablet's stream is still open after logout of the others")
	}
	ls.Expect(time.Second, "session.revoked", `{"session_id":"`+tablet.SessionID+`"}`)
}

func TestEventsUserDisabledOrDeleted(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: eventsEnv()})
	admin := srv.NewUser(t)
	makeAdmin(t, srv, admin)
	u := srv.NewUser(t)

	st := openEvents(t, u.Client, srv.URL()+"/events")
	st.Position(time.Second)
	admin.Do("PATCH", "/users/"+u.ID, map[string]any{"disabled": true}).Expect(t, http.StatusOK)
	e := st.Expect(time.Second, "user.updated", "")
	if !strings.Contains(e.Data, `"disabled":true`) {
		t.Errorf("user.updated = %s; want disabled", e.Data)
	}
	if !st.Ended(time.Second) {
		t.Error("a disabled user's stream is still open")
	}

	v := srv.NewUser(t)
	vs := openEvents(t, v.Client, srv.URL()+"/events")
	vs.Position(time.Second)
	v.Do("DELETE", "/user", map[string]any{"password": v.Password}).Expect(t, http.StatusNoContent)
	if !vs.Ended(time.Second) {
		t.Error("a deleted user's stream is still open")
	}
}

func TestEventsTokenExpiry(t *testing.T) {
	clock := apptest.NewClock(time.Now())
	srv := apptest.Start(t, apptest.Options{Clock: clock, Env: eventsEnv("ACCESS_TOKEN_TTL", "5m")})
	u := srv.NewUser(t)
	st := openEvents(t, u.Client, srv.URL()+"/events")
	st.Position(time.Second)

	clock.Advance(4 * time.Minute)
	if st.Ended(300 * time.Millisecond) {
		t.Fatal("the stream ended before its token expired")
	}
	clock.Advance(time.Minute + time.Second)
	if !st.Ended(time.Second) {
		t.Error("the stream is still open after its access token expired")
	}
}

func TestEventsLimits(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: eventsEnv("EVENTS_MAX_STREAMS", "12")})
	u := srv.NewUser(t)
	var streams []*sseStream
	for range 10 {
		s := openEvents(t, u.Client, srv.URL()+"/events")
		s.Position(time.Second)
		streams = append(streams, s)
	}
	// The 11th closes the oldest, and only it.
	eleventh := openEvents(t, u.Client, srv.URL()+"/events")
	eleventh.Position(time.Second)
	if !streams[0].Ended(time.Second) {
		t.Error("the oldest stream is still open after an 11th opened")
	}
	for i, s := range streams[1:] {
		if s.Ended(0) {
			t.Errorf("stream %d ended; only the oldest should", i+2)
		}
	}

	// EVENTS_MAX_STREAMS in all: past it, 503 with Retry-After.
	other := srv.NewUser(t)
	openEvents(t, other.Client, srv.URL()+"/events").Position(time.Second)
	openEvents(t, other.Client, srv.URL()+"/events").Position(time.Second)
	_, resp := tryEvents(t, other.Client, srv.URL()+"/events")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("stream past EVENTS_MAX_STREAMS = %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// TestEventsShutdown: open streams do not hold up a graceful shutdown.
func TestEventsShutdown(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: map[string]string{}}) // the default 25 s ping
	u := srv.NewUser(t)
	var streams []*sseStream
	for range 3 {
		s := openEvents(t, u.Client, srv.URL()+"/events")
		s.Position(time.Second)
		streams = append(streams, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown with 3 open streams took %v; want under 2s", d)
	}
	for i, s := range streams {
		if !s.Ended(time.Second) {
			t.Errorf("stream %d still open after shutdown", i)
		}
	}
}

// TestEventsOutliveServerTimeouts serves the app with short read and write
// timeouts (30 s in production): a stream must outlive both.
func TestEventsOutliveServerTimeouts(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: eventsEnv()})
	u := srv.NewUser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.App.Handler(), ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })

	st := openEvents(t, u.Client, "http://"+ln.Addr().String()+"/events")
	st.Position(time.Second)
	time.Sleep(time.Second) // past both timeouts, pinged every 100 ms
	u.Do("PATCH", "/user", map[string]any{"name": "still here"}).Expect(t, http.StatusOK)
	st.Expect(time.Second, "user.updated", "")
	if st.Ended(0) {
		t.Error("the stream ended")
	}
}

// TestEventsTodos: two devices of one user; what one does to its list
// reaches the other's stream within a second, in order, each todo as
// GET /todos/{id} returns it; another user's stream hears nothing.
func TestEventsTodos(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: eventsEnv()})
	laptop := srv.NewUser(t)
	phone := second(t, srv, laptop)
	bob := srv.NewUser(t)
	ps := openEvents(t, phone.Client, srv.URL()+"/events")
	bs := openEvents(t, bob.Client, srv.URL()+"/events")
	ps.Position(time.Second)
	bs.Position(time.Second)

	within := func(name, data string, skip ...string) {
		t.Helper()
		done := time.Now()
		e := ps.ExpectPast(time.Second, name, data, skip...)
		if lag := e.At.Sub(done); lag > time.Second {
			t.Errorf("%s arrived %v after the response; want under 1s", name, lag)
		}
	}
	created := laptop.Do("POST", "/todos", map[string]any{"title": "Buy milk", "notes": "oat"}).Expect(t, http.StatusCreated)
	within("todo.created", string(created.Body))
	id := created.JSON(t)["id"].(string)
	get := laptop.Do("GET", "/todos/"+id, nil).Expect(t, http.StatusOK)
	if !sameJSON(t, string(created.Body), string(get.Body)) {
		t.Fatalf("POST answered %s, GET %s", created.Body, get.Body)
	}

	completed := laptop.Do("PATCH", "/todos/"+id, map[string]any{"completed": true}, "If-Match", `"1"`).Expect(t, http.StatusOK)
	within("todo.updated", string(completed.Body))
	renamed := laptop.Do("PATCH", "/todos/"+id, map[string]any{"title": "Buy oat milk"}).Expect(t, http.StatusOK)
	within("todo.updated", string(renamed.Body))
	if v := renamed.JSON(t)["version"]; v != float64(3) {
		t.Errorf("version = %v; want 3", v)
	}
	laptop.Do("DELETE", "/todos/"+strings.ToUpper(id), nil).Expect(t, http.StatusNoContent)
	within("todo.deleted", `{"id":"`+id+`"}`)

	// Bulk changes: one todos.changed each, with the reason.
	for _, title := range []string{"a", "b", "c"} {
		laptop.Do("POST", "/todos", map[string]any{"title": title}).Expect(t, http.StatusCreated)
		ps.Expect(time.Second, "todo.created", "")
	}
	laptop.Do("PATCH", "/todos", map[string]any{"completed": true}).Expect(t, http.StatusOK)
	within("todos.changed", `{"reason":"toggle_all"}`, "todo.updated")
	laptop.Do("DELETE", "/todos?completed=true", nil).Expect(t, http.StatusOK)
	within("todos.changed", `{"reason":"clear_completed"}`, "todo.deleted")
	// A bulk change that changes nothing says nothing.
	laptop.Do("DELETE", "/todos?completed=true", nil).Expect(t, http.StatusOK)
	ps.Quiet(300 * time.Millisecond)

	// Failed writes say nothing either.
	laptop.Do("PATCH", "/todos/"+id, map[string]any{"title": "gone"}).Expect(t, http.StatusNotFound)
	ps.Quiet(200 * time.Millisecond)
	bs.Quiet(100 * time.Millisecond)
}

// TestEventsSlowReader: a client that never reads its stream is dropped
// once its queue is full, and the writes meanwhile do not wait for it. The
// stream is served from a listener whose sockets have small send buffers
// (the same app and hub), so the pipe fills after a few events rather than
// megabytes.
func TestEventsSlowReader(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Env: eventsEnv("EVENTS_QUEUE_SIZE", "4", "METRICS_ADDR", "127.0.0.1:0")})
	u := srv.NewUser(t)

	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 4096) })
		return errors.Join(err, serr)
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.App.Handler()}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })

	// A client with a tiny receive buffer that reads the response head
	// and nothing more.
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
		return errors.Join(err, serr)
	}}
	conn, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /events HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", ln.Addr(), u.Token)
	head, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(head, "200") {
		t.Fatalf("stream head %q, %v", head, err)
	}

	notes := strings.Repeat("n", 10_000)
	var slowest time.Duration
	for i := range 100 {
		start := time.Now()
		u.Do("POST", "/todos", map[string]any{"title": fmt.Sprint("todo ", i), "notes": notes}).Expect(t, http.StatusCreated)
		slowest = max(slowest, time.Since(start))
		if dropped(t, srv) > 0 {
			t.Logf("dropped after %d writes; slowest write %v", i+1, slowest)
			break
		}
	}
	if n := dropped(t, srv); n != 1 {
		t.Fatalf("streams dropped for a full queue = %v; want 1", n)
	}
	// A write that waited for the stuck stream would take the stream's
	// write deadline (10 s); the writes' own cost is milliseconds.
	if slowest > 2*time.Second {
		t.Errorf("slowest write beside a stream that does not read: %v; want well under the 10 s a stuck write could take", slowest)
	}
}

// dropped reads listo_events_streams_dropped_total from the metrics
// listener.
func dropped(t *testing.T, srv *apptest.Server) float64 {
	t.Helper()
	resp, err := http.Get("http://" + srv.MetricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "listo_events_streams_dropped_total "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	t.Fatal("no listo_events_streams_dropped_total in /metrics")
	return 0
}

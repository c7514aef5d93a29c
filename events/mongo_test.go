package events_test

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"listo/apptest"
	"listo/events"
	"listo/models"
	"listo/store"
)

// TestChangesWithoutReplicaSet: where the database has no change streams
// (the embedded database, a standalone MongoDB), Changes says so with
// ErrNoChangeStreams, which makes Listo feed its hub from its own writes.
func TestChangesWithoutReplicaSet(t *testing.T) {
	st := apptest.OpenStore(t)
	feed, err := st.Changes(context.Background())
	if err == nil {
		feed.Close(context.Background())
		t.Skipf("%s is a replica set: it has change streams (TestFollowMongoDB covers it)", apptest.TestMongoURI)
	}
	if !errors.Is(err, store.ErrNoChangeStreams) {
		t.Errorf("Changes() = %v; want ErrNoChangeStreams", err)
	}
}

// replicaSet skips the test unless LISTO_TEST_MONGODB_URI points at a
// MongoDB replica set, the only kind of server with change streams.
func replicaSet(t *testing.T) {
	t.Helper()
	if os.Getenv(apptest.TestMongoURI) == "" {
		t.Skipf("%s is not set: the change-stream hub needs MongoDB as a replica set (a single-node one: mongod --replSet rs0, then rs.initiate()); TestFollow tests the hub against a fake feed", apptest.TestMongoURI)
	}
	st := apptest.OpenStore(t)
	feed, err := st.Changes(context.Background())
	if errors.Is(err, store.ErrNoChangeStreams) {
		t.Skipf("%s is a standalone MongoDB: change streams need a replica set (%v)", apptest.TestMongoURI, err)
	}
	if err != nil {
		t.Fatalf("Changes() = %v", err)
	}
	feed.Close(context.Background())
}

// TestFollowMongoDB: two stores on one database, as two instances have; a
// write through one arrives on a hub that follows the other's change
// stream, once, with the stream's position as its id.
func TestFollowMongoDB(t *testing.T) {
	replicaSet(t)
	dir := t.TempDir()
	env := apptest.Env(t, dir)
	open := func() *store.Store {
		s, err := store.Open(context.Background(), store.Options{URI: env["MONGODB_URI"], Database: cmp.Or(env["MONGODB_DATABASE"], "listo"), DataDir: dir, Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		if err := s.EnsureIndexes(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := open(), open()
	ctx := context.Background()

	hub := events.New(events.Options{})
	feed, err := b.Changes(ctx)
	if err != nil {
		t.Fatalf("Changes() = %v", err)
	}
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- hub.Follow(fctx, feed, false) }()
	t.Cleanup(func() { cancel(); <-done; feed.Close(ctx) })

	u, err := a.CreateUser(ctx, models.User{Email: "follow@example.com", Role: models.RoleUser, CreatedAt: time.Now(), UpdatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	other, err := a.CreateUser(ctx, models.User{Email: "other@example.com", Role: models.RoleUser, CreatedAt: time.Now(), UpdatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	s, err := hub.Subscribe(u.ID, "s1", "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	o, err := hub.Subscribe(other.ID, "s2", "")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()

	td, err := a.CreateTodo(ctx, models.Todo{UserID: u.ID, Title: "Through A", CreatedAt: time.Now()}, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	name := "Renamed"
	if _, err := a.UpdateUser(ctx, u.ID, models.UserPatch{Name: &name}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteTodo(ctx, u.ID, td.ID, models.NoPrecondition()); err != nil {
		t.Fatal(err)
	}
	if err := a.NoticeBulkChange(ctx, u.ID, models.ReasonToggleAll, time.Now()); err != nil {
		t.Fatal(err)
	}
	want := []string{"todo.created", "user.updated", "todo.deleted", "todos.changed"}
	var last uint64
	for _, w := range want {
		select {
		case d := <-s.C():
			if d.Event.Name != w {
				t.Fatalf("event %s %s; want %s", d.Event.Name, d.Event.Data, w)
			}
			if d.Event.ID <= last {
				t.Errorf("id %d after %d", d.Event.ID, last)
			}
			last = d.Event.ID
			if w == "todo.created" && !strings.Contains(string(d.Event.Data), `"title":"Through A"`) {
				t.Errorf("todo.created = %s", d.Event.Data)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s from the change stream within 5s", w)
		}
	}
	select {
	case d := <-o.C():
		t.Errorf("the other user's stream got %s %s", d.Event.Name, d.Event.Data)
	case <-time.After(300 * time.Millisecond):
	}
}

// TestTwoInstancesMongoDB runs two Listo servers on one database: a change
// made through one reaches a client streaming from the other within a
// second, and a revoke made on one ends the stream on the other.
func TestTwoInstancesMongoDB(t *testing.T) {
	replicaSet(t)
	dir := t.TempDir()
	a := apptest.Start(t, apptest.Options{DataDir: dir})
	b := apptest.Start(t, apptest.Options{DataDir: dir})
	laptop := a.NewUser(t)
	phone := b.Login(t, laptop.Email, laptop.Password)
	waitFollowing(t, b)

	req, _ := http.NewRequest("GET", b.URL()+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+phone.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	expect := func(event string) {
		t.Helper()
		timeout := time.After(time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stream ended; want %s", event)
				}
				if l == "event: "+event {
					return
				}
			case <-timeout:
				t.Fatalf("no %s within 1s", event)
			}
		}
	}
	laptop.Do("POST", "/todos", map[string]any{"title": "From instance A"}).Expect(t, http.StatusCreated)
	expect("todo.created")
	laptop.Do("DELETE", "/user/sessions/"+phone.SessionID, nil).Expect(t, http.StatusNoContent)
	expect("session.revoked")
	select {
	case _, ok := <-lines:
		for ok {
			_, ok = <-lines
		}
	case <-time.After(2 * time.Second):
		t.Error("the revoked session's stream on the other instance is still open")
	}
}

// waitFollowing waits until the server logs that its hub follows the
// change stream.
func waitFollowing(t *testing.T, s *apptest.Server) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(s.Logs.String(), "live events follow the database's change stream") {
			return
		}
	}
	t.Fatalf("the server does not follow the change stream: %s", s.Logs.String())
}

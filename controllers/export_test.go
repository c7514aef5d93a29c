package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"listo/apptest"
	"listo/models"
)

// exportDoc is GET /user/export's document.
type exportDoc struct {
	Format     string         `json:"format"`
	Version    int            `json:"version"`
	ExportedAt time.Time      `json:"exported_at"`
	User       map[string]any `json:"user"`
	Sessions   []struct {
		ID         string    `json:"id"`
		Device     string    `json:"device"`
		UserAgent  string    `json:"user_agent"`
		IP         string    `json:"ip"`
		CreatedAt  time.Time `json:"created_at"`
		LastUsedAt time.Time `json:"last_used_at"`
		ExpiresAt  time.Time `json:"expires_at"`
	} `json:"sessions"`
	Todos []models.Todo `json:"todos"`
}

func byID(todos []models.Todo) []models.Todo {
	out := slices.Clone(todos)
	slices.SortFunc(out, func(a, b models.Todo) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func TestExport(t *testing.T) {
	srv := startTodoServer(t, apptest.Options{})
	alice, bob := srv.NewUser(t), srv.NewUser(t)
	phone := srv.Login(t, alice.Email, alice.Password)
	createTodo(t, alice, map[string]any{"title": "Buy milk", "notes": "two litres\n\tsemi-skimmed", "due": "2030-12-31T17:00:00Z"})
	createTodo(t, alice, map[string]any{"title": "Done already", "completed": true, "order": -3})
	createTodo(t, bob, map[string]any{"title": "Bob's secret plan"})

	r := alice.Do("GET", "/user/export", nil).Expect(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	if cd, want := r.Header.Get("Content-Disposition"), `attachment; filename="listo-export-2026-03-01.json"`; cd != want {
		t.Errorf("Content-Disposition = %q; want %q", cd, want)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", cc)
	}
	for _, secret := range []string{"$2a$", "password", "hash", "refresh", "secret", "Bob's"} {
		if strings.Contains(strings.ToLower(string(r.Body)), strings.ToLower(secret)) {
			t.Errorf("the export contains %q: %s", secret, r.Body)
		}
	}
	var doc exportDoc
	r.Decode(t, &doc)
	if doc.Format != "listo-export" || doc.Version != 1 || !doc.ExportedAt.Equal(srv.Clock.Now()) {
		t.Errorf("format, version, exported_at = %q, %d, %v", doc.Format, doc.Version, doc.ExportedAt)
	}
	me := alice.Do("GET", "/user", nil).Expect(t, http.StatusOK).JSON(t)
	for _, k := range []string{"id", "email", "name", "role", "email_verified", "created_at", "updated_at"} {
		if fmt.Sprint(doc.User[k]) != fmt.Sprint(me[k]) {
			t.Errorf("user.%s = %v; want %v", k, doc.User[k], me[k])
		}
	}
	var sessions []string
	for _, s := range doc.Sessions {
		sessions = append(sessions, s.ID)
		if s.Device != "test" || s.CreatedAt.IsZero() || s.ExpiresAt.IsZero() {
			t.Errorf("session %+v", s)
		}
	}
	slices.Sort(sessions)
	if want := []string{alice.SessionID, phone.SessionID}; !slices.Equal(sessions, slices.Sorted(slices.Values(want))) {
		t.Errorf("sessions = %v; want %v", sessions, want)
	}
	if diff := cmp.Diff(byID(listTodos(t, alice, "").Items), byID(doc.Todos)); diff != "" {
		t.Errorf("exported todos differ from the list (-list +export):\n%s", diff)
	}

	// A user without todos exports an empty list.
	empty := srv.NewUser(t)
	var none exportDoc
	empty.Do("GET", "/user/export", nil).Expect(t, http.StatusOK).Decode(t, &none)
	if none.Todos == nil || len(none.Todos) != 0 || len(none.Sessions) != 1 {
		t.Errorf("empty export: %d todos (%v), %d sessions", len(none.Todos), none.Todos == nil, len(none.Sessions))
	}
	srv.Client().Do("GET", "/user/export", nil).Expect(t, http.StatusUnauthorized)
}

// TestExportMemoryIsFlat: an export streams. Exporting 20,000 todos with
// 300-character notes (some 9 MB of JSON; some 10 MB as todos in memory)
// leaves the live heap of the process (server, embedded database and this
// client) within a few MB of where it started: it never holds the todos.
func TestExportMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 20,000 todos")
	}
	const n = 20_000
	srv := startTodoServer(t, apptest.Options{})
	alice := srv.NewUser(t)
	now := srv.Clock.Now()
	notes := strings.Repeat("All work and no play makes a dull todo. ", 8)[:300]
	seed := make([]models.Todo, n)
	for i := range seed {
		seed[i] = models.Todo{Title: fmt.Sprintf("Todo %05d", i), Notes: notes, Order: float64(i), CreatedAt: now, UpdatedAt: now}
	}
	if _, err := srv.Store().ImportUserTodos(context.Background(), alice.ID, seed, 0); err != nil {
		t.Fatal(err)
	}
	seed = nil

	// Frequent collections, so the live heap is measured often.
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	live := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	base := live()
	var peak uint64
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				v := live()
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
		}
	}()

	req, err := http.NewRequest("GET", srv.URL()+"/user/export", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+alice.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /user/export = %d", resp.StatusCode)
	}
	// Read as a stream too: the todos one at a time.
	dec := json.NewDecoder(resp.Body)
	count, size := 0, int64(0)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the export is not JSON: %v", err)
		}
		if tok == "todos" {
			if _, err := dec.Token(); err != nil { // [
				t.Fatal(err)
			}
			for dec.More() {
				var td models.Todo
				if err := dec.Decode(&td); err != nil {
					t.Fatal(err)
				}
				if td.Notes != notes {
					t.Fatalf("todo %s has other notes", td.ID)
				}
				count++
			}
		}
	}
	size = dec.InputOffset()
	close(stop)
	<-done
	if count != n {
		t.Fatalf("the export has %d todos; want %d", count, n)
	}
	grew := int64(peak) - int64(base)
	t.Logf("export of %d todos, %d MB: live heap %d MB at the start, at most %+.1f MB during it",
		n, size>>20, base>>20, float64(grew)/(1<<20))
	if limit := int64(4 << 20); grew > limit {
		t.Errorf("the live heap grew by %.1f MB during an export of %d MB; want less than %d MB (it should not hold the todos)", float64(grew)/(1<<20), size>>20, limit>>20)
	}
}

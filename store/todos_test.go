package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"

	"listo/apptest"
	"listo/models"
)

// testMongoURI points the store tests at a real MongoDB instead of the
// embedded FerretDB.
const testMongoURI = "LISTO_TEST_MONGODB_URI"

// wantTodoIndexes is what every todo query needs: each starts with user_id.
var wantTodoIndexes = map[string]bson.D{
	"todos_user_order":           {{Key: "user_id", Value: int32(1)}, {Key: "order", Value: int32(1)}, {Key: "created_at", Value: int32(1)}, {Key: "_id", Value: int32(1)}},
	"todos_user_completed_order": {{Key: "user_id", Value: int32(1)}, {Key: "completed", Value: int32(1)}, {Key: "order", Value: int32(1)}, {Key: "created_at", Value: int32(1)}, {Key: "_id", Value: int32(1)}},
	"todos_user_created":         {{Key: "user_id", Value: int32(1)}, {Key: "created_at", Value: int32(-1)}, {Key: "_id", Value: int32(-1)}},
	"todos_user_due":             {{Key: "user_id", Value: int32(1)}, {Key: "due_sort", Value: int32(1)}, {Key: "order", Value: int32(1)}, {Key: "created_at", Value: int32(1)}, {Key: "_id", Value: int32(1)}},
}

// TestTodoIndexesExist runs on whichever backend the suite uses (the
// embedded one by default) and checks the indexes of the collection that
// holds a user's todos: with LISTO_TEST_MONGODB_URI, the one todos
// collection has the indexes every todo query needs; on the embedded
// FerretDB the user's own collection has _id's alone (FerretDB v1 scans
// for every other filter, whatever the indexes).
func TestTodoIndexesExist(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	// Twice: EnsureIndexes is idempotent, also on a fresh Store over the
	// same database.
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	userID := bson.NewObjectID().Hex()
	if _, err := s.CreateTodo(ctx, models.Todo{UserID: userID, Title: "t", CreatedAt: time.Now()}, true, 0); err != nil {
		t.Fatal(err)
	}
	got, err := s.TodoIndexes(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	want := wantTodoIndexes
	if os.Getenv(testMongoURI) == "" {
		want = map[string]bson.D{"_id_": {{Key: "_id", Value: int32(1)}}}
		if len(got) != len(want) {
			t.Errorf("indexes of the user's todo collection = %v; want %v", got, want)
		}
	}
	for name, keys := range want {
		have, ok := got[name]
		if !ok {
			t.Errorf("index %s missing; have %v", name, got)
			continue
		}
		if diff := cmp.Diff(normaliseKeys(keys), normaliseKeys(have)); diff != "" {
			t.Errorf("index %s keys (-want +got):\n%s", name, diff)
		}
	}
}

// normaliseKeys prints index keys as "field:direction" whatever number
// type the backend answers with.
func normaliseKeys(d bson.D) []string {
	var out []string
	for _, e := range d {
		out = append(out, fmt.Sprintf("%s:%v", e.Key, e.Value))
	}
	return out
}

// TestTodoListUsesIndex checks with explain that MongoDB serves every shape
// of the list query from an index: the one proof that the indexes serve
// the list. Explain plans are MongoDB's own (FerretDB's embedded SQLite
// engine scans, and FerretDB 2 answers in PostgreSQL's terms), so it runs
// when the server says it is MongoDB (buildInfo), with
// LISTO_TEST_MONGODB_URI set to one.
func TestTodoListUsesIndex(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	server, err := s.Server(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if server.Name != "MongoDB" {
		t.Skipf("the server is %s: the list query plans are checked on MongoDB (set %s to a MongoDB URI)", server, testMongoURI)
	}
	var seed []models.Todo
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 200 {
		due := now.Add(time.Duration(i) * time.Hour)
		td := models.Todo{UserID: fmt.Sprintf("user%d", i%4), Title: fmt.Sprint("todo ", i), Order: float64(i),
			Completed: i%3 == 0, CreatedAt: now, UpdatedAt: now}
		if i%2 == 0 {
			td.Due = &due
		}
		seed = append(seed, td)
	}
	if _, err := s.ImportTodos(ctx, seed); err != nil {
		t.Fatal(err)
	}
	yes := true
	before := now.Add(50 * time.Hour)
	queries := map[string]models.TodoQuery{
		"default":             {Page: 1, PerPage: 50},
		"completed":           {Completed: &yes, Page: 1, PerPage: 50},
		"q":                   {Q: "todo 1.*", Page: 2, PerPage: 10},
		"newest first":        {Sort: models.TodoSortCreated, Page: 1, PerPage: 50},
		"due sort and before": {Sort: models.TodoSortDue, DueBefore: &before, Page: 1, PerPage: 50},
		"completed by due":    {Sort: models.TodoSortDue, Completed: &yes, Page: 1, PerPage: 50},
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			plan, err := s.ExplainTodoList(ctx, "user1", q)
			if err != nil {
				t.Fatal(err)
			}
			qp, _ := plan["queryPlanner"].(bson.M)
			b, _ := json.Marshal(qp["winningPlan"])
			if w := string(b); !strings.Contains(w, "IXSCAN") || strings.Contains(w, "COLLSCAN") {
				t.Errorf("winning plan of %s = %s; want an IXSCAN and no COLLSCAN", name, w)
			}
		})
	}
}

// TestTodoStore covers what the HTTP tests cannot see: import, the "last"
// placement, and the times the store keeps.
func TestTodoStore(t *testing.T) {
	s := apptest.OpenStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.FixedZone("CET", 3600))

	first, err := s.CreateTodo(ctx, models.Todo{UserID: "u1", Title: "first", CreatedAt: t0}, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := models.Todo{ID: first.ID, UserID: "u1", Title: "first", Order: 1,
		CreatedAt: t0.UTC().Truncate(time.Millisecond), UpdatedAt: t0.UTC().Truncate(time.Millisecond), Version: 1}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("CreateTodo (-want +got):\n%s", diff)
	}
	if read, err := s.TodoByID(ctx, "u1", first.ID); err != nil || !cmp.Equal(first, read) {
		t.Errorf("TodoByID = %+v, %v; want %+v", read, err, first)
	}
	if _, err := s.TodoByID(ctx, "u2", first.ID); err == nil || !strings.Contains(err.Error(), models.ErrNotFound.Error()) {
		t.Errorf("TodoByID by another user: err = %v; want not found", err)
	}
	if _, err := s.ImportTodos(ctx, []models.Todo{
		{UserID: "u1", Title: "imported high", Order: 41, CreatedAt: t0},
		{UserID: "u2", Title: "someone else's", Order: 1000, CreatedAt: t0},
	}); err != nil {
		t.Fatal(err)
	}
	last, err := s.CreateTodo(ctx, models.Todo{UserID: "u1", Title: "last", CreatedAt: t0}, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	if last.Order != 42 {
		t.Errorf("order of a todo placed last = %v; want 42 (the user's greatest + 1, others ignored)", last.Order)
	}
	p, err := s.ListTodos(ctx, "u1", models.TodoQuery{Page: 1, PerPage: 50})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, td := range p.Items {
		titles = append(titles, td.Title)
	}
	if diff := cmp.Diff([]string{"first", "imported high", "last"}, titles); diff != "" || p.Total != 3 {
		t.Errorf("ListTodos (total %d) (-want +got):\n%s", p.Total, diff)
	}
}

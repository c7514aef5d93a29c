package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"listo/models"
)

// noDue is the due_sort of a todo without a due date: after every date an
// RFC 3339 timestamp can name (years end at 9999), so an ascending sort on
// due_sort puts todos without due last (MongoDB sorts null first), and
// due_before is a range on the same field that never matches them.
func noDue() time.Time { return time.Date(10000, time.January, 1, 0, 0, 0, 0, time.UTC) }

// errRaced reports that a todo changed between the read and the conditional
// write of an update or delete (only where writes are not serialised: the
// layout's guard then matches nothing); the operation starts again from a
// fresh read.
var errRaced = errors.New("todo changed concurrently")

// maxTodoAttempts bounds the read-then-conditional-write retries of an
// update or delete without If-Match that keeps losing races.
const maxTodoAttempts = 10

type todoDoc struct {
	ID          bson.ObjectID `bson:"_id"`
	UserID      string        `bson:"user_id"`
	Title       string        `bson:"title"`
	Notes       string        `bson:"notes"`
	Completed   bool          `bson:"completed"`
	Order       float64       `bson:"order"`
	Due         *time.Time    `bson:"due"`
	DueSort     time.Time     `bson:"due_sort"`
	CreatedAt   time.Time     `bson:"created_at"`
	UpdatedAt   time.Time     `bson:"updated_at"`
	CompletedAt *time.Time    `bson:"completed_at"`
	Version     int           `bson:"version"`
}

func (d todoDoc) model() models.Todo {
	return models.Todo{
		ID: d.ID.Hex(), UserID: d.UserID, Title: d.Title, Notes: d.Notes, Completed: d.Completed,
		Order: d.Order, Due: utcPtr(d.Due), CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
		CompletedAt: utcPtr(d.CompletedAt), Version: d.Version,
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func dbTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := dbTime(*t)
	return &u
}

func dueSort(due *time.Time) time.Time {
	if due == nil {
		return noDue()
	}
	return dbTime(*due)
}

// todoIndexes serve every todo query; each is scoped by user_id and ends
// with _id so that pages are stable and MongoDB needs no in-memory sort:
//   - todos_user_order: the default list sort, and the "last order" lookup;
//   - todos_user_completed_order: the active/completed views, toggle-all and
//     clear-completed;
//   - todos_user_created: sort=-created_at;
//   - todos_user_due: sort=due and due_before.
//
// They exist where the layout is sharedTodos (MongoDB).
//
// (The foundation's "user_order" index, if a database still has it, is
// harmless and left alone; the new names avoid a key-spec conflict.)
func todoIndexes() []mongo.IndexModel {
	var out []mongo.IndexModel
	for _, spec := range todoIndexSpecs() {
		out = append(out, mongo.IndexModel{Keys: spec.keys, Options: options.Index().SetName(spec.name)})
	}
	return out
}

type todoIndexSpec struct {
	name string
	keys bson.D
}

func todoIndexSpecs() []todoIndexSpec {
	return []todoIndexSpec{
		{"todos_user_order", bson.D{{Key: "user_id", Value: 1}, {Key: "order", Value: 1}, {Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}},
		{"todos_user_completed_order", bson.D{{Key: "user_id", Value: 1}, {Key: "completed", Value: 1}, {Key: "order", Value: 1}, {Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}},
		{"todos_user_created", bson.D{{Key: "user_id", Value: 1}, {Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}},
		{"todos_user_due", bson.D{{Key: "user_id", Value: 1}, {Key: "due_sort", Value: 1}, {Key: "order", Value: 1}, {Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}},
	}
}

// TodoIndexes returns the indexes of the collection that holds userID's
// todos as the database reports them: name to key. (On MongoDB that is the
// one todos collection; on the embedded database the user's own, which
// exists from their first todo on.)
func (s *Store) TodoIndexes(ctx context.Context, userID string) (map[string]bson.D, error) {
	out := map[string]bson.D{}
	err := s.op(ctx, "todos.list_indexes", func(ctx context.Context) error {
		cur, err := s.todos.coll(userID).Indexes().List(ctx)
		if err != nil {
			return err
		}
		var specs []struct {
			Name string `bson:"name"`
			Key  bson.D `bson:"key"`
		}
		if err := cur.All(ctx, &specs); err != nil {
			return err
		}
		for _, spec := range specs {
			out[spec.Name] = spec.Key
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("todo indexes: %w", err)
	}
	return out, nil
}

// CreateTodo inserts t (for t.UserID, with t.CreatedAt as the time of
// creation) at version 1 and returns it with its id. When last is true,
// t.Order is ignored and the todo goes after the user's others: the
// greatest order plus one (1 for a first todo).
//
// Placing last is a read then an insert. The read runs outside the embedded
// write lock, because on FerretDB it scans the collection and would hold
// every writer up; so on both backends two concurrent creates may get the
// same order. The list sorts by order, then created_at, then _id, so such a
// tie still lists the todos in creation order, both after the others.
func (s *Store) CreateTodo(ctx context.Context, t models.Todo, last bool) (models.Todo, error) {
	if last {
		top, err := s.maxTodoOrder(ctx, t.UserID)
		if err != nil {
			return models.Todo{}, fmt.Errorf("create todo: %w", err)
		}
		t.Order = top + 1
	}
	now := dbTime(t.CreatedAt)
	d := todoDoc{
		ID: bson.NewObjectID(), UserID: t.UserID, Title: t.Title, Notes: t.Notes, Completed: t.Completed,
		Order: t.Order, Due: dbTimePtr(t.Due), DueSort: dueSort(t.Due), CreatedAt: now, UpdatedAt: now, Version: 1,
	}
	if t.Completed {
		d.CompletedAt = &now
	}
	err := s.write(ctx, "todos.insert", func(ctx context.Context) error {
		_, err := s.todos.coll(t.UserID).InsertOne(ctx, d)
		return err
	})
	if err != nil {
		return models.Todo{}, fmt.Errorf("create todo: %w", err)
	}
	return d.model(), nil
}

// maxTodoOrder returns the greatest order among userID's todos, 0 when they
// have none.
func (s *Store) maxTodoOrder(ctx context.Context, userID string) (float64, error) {
	var d struct {
		Order float64 `bson:"order"`
	}
	err := s.op(ctx, "todos.max_order", func(ctx context.Context) error {
		return s.todos.coll(userID).FindOne(ctx, bson.D{{Key: "user_id", Value: userID}},
			options.FindOne().
				SetSort(bson.D{{Key: "order", Value: -1}}).
				SetProjection(bson.D{{Key: "order", Value: 1}}),
		).Decode(&d)
	})
	if isNotFound(err) {
		return 0, nil
	}
	return d.Order, err
}

// ImportTodos inserts ready-made todos as they are (ids are assigned;
// versions below 1 become 1), in batches: for seeding, imports and
// benchmarks. It returns how many it inserted.
func (s *Store) ImportTodos(ctx context.Context, todos []models.Todo) (int, error) {
	n := 0
	for batch := range slices.Chunk(todos, 1000) {
		docs := make([]todoDoc, 0, len(batch))
		for _, t := range batch {
			d := todoDoc{
				ID: bson.NewObjectID(), UserID: t.UserID, Title: t.Title, Notes: t.Notes, Completed: t.Completed,
				Order: t.Order, Due: dbTimePtr(t.Due), DueSort: dueSort(t.Due),
				CreatedAt: dbTime(t.CreatedAt), UpdatedAt: dbTime(t.UpdatedAt),
				CompletedAt: dbTimePtr(t.CompletedAt), Version: max(t.Version, 1),
			}
			docs = append(docs, d)
		}
		err := s.write(ctx, "todos.import", func(ctx context.Context) error {
			byUser := map[string][]todoDoc{}
			for _, d := range docs {
				byUser[d.UserID] = append(byUser[d.UserID], d)
			}
			for userID, docs := range byUser {
				if _, err := s.todos.coll(userID).InsertMany(ctx, docs); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("import todos: %w", err)
		}
		n += len(docs)
	}
	return n, nil
}

// TodoByID returns one of userID's todos. An unknown or malformed id and
// another user's todo are all models.ErrNotFound.
func (s *Store) TodoByID(ctx context.Context, userID, id string) (models.Todo, error) {
	oid, err := parseID(id)
	if err != nil {
		return models.Todo{}, fmt.Errorf("todo: %w", err)
	}
	var d todoDoc
	err = s.op(ctx, "todos.by_id", func(ctx context.Context) (err error) {
		d, err = s.findTodo(ctx, userID, oid)
		return err
	})
	if err != nil {
		return models.Todo{}, fmt.Errorf("todo: %w", err)
	}
	return d.model(), nil
}

// findTodo reads one todo of userID with the layout's filter, and checks
// its owner.
func (s *Store) findTodo(ctx context.Context, userID string, oid bson.ObjectID) (todoDoc, error) {
	var d todoDoc
	if err := s.todos.coll(userID).FindOne(ctx, s.todos.byID(userID, oid)).Decode(&d); err != nil {
		return todoDoc{}, err
	}
	if d.UserID != userID {
		return todoDoc{}, mongo.ErrNoDocuments
	}
	return d, nil
}

// writeTodo is one conditional write on one of userID's todos: it reads
// the todo, checks pre against its version (models.ErrPreconditionFailed
// when not met: nothing is written), and calls write with the todo, its
// collection and the layout's guard for it, under Store.write. Of two
// concurrent writes with the same If-Match exactly one succeeds, on both
// backends. When write reports errRaced (the todo changed since the read)
// it starts again from a fresh read, at most maxTodoAttempts times, then
// gives up with models.ErrConflict.
func (s *Store) writeTodo(ctx context.Context, op, userID string, oid bson.ObjectID, pre models.Precondition,
	write func(ctx context.Context, coll *mongo.Collection, cur todoDoc, guard bson.D) error) error {
	for attempt := 1; ; attempt++ {
		err := s.write(ctx, op, func(ctx context.Context) error {
			cur, err := s.findTodo(ctx, userID, oid)
			if err != nil {
				return err
			}
			if err := pre.Check(cur.Version); err != nil {
				return err
			}
			return write(ctx, s.todos.coll(userID), cur, s.todos.guard(cur))
		})
		if !errors.Is(err, errRaced) {
			return err
		}
		if attempt == maxTodoAttempts {
			return fmt.Errorf("%w: %w", models.ErrConflict, err)
		}
	}
}

// UpdateTodo applies p to one of userID's todos at time now and returns it
// with its version incremented. When pre is not met (If-Match), the todo's
// version is not one it allows: models.ErrPreconditionFailed and
// nothing changes. Another user's or an unknown todo is models.ErrNotFound.
//
// The current todo is read, then written by one conditional update (see
// writeTodo). Reading first lets completed_at be set only when completed
// becomes true (and kept when it already was).
func (s *Store) UpdateTodo(ctx context.Context, userID, id string, p models.TodoPatch, pre models.Precondition, now time.Time) (models.Todo, error) {
	oid, err := parseID(id)
	if err != nil {
		return models.Todo{}, fmt.Errorf("update todo: %w", err)
	}
	var d todoDoc
	err = s.writeTodo(ctx, "todos.update", userID, oid, pre, func(ctx context.Context, coll *mongo.Collection, cur todoDoc, guard bson.D) error {
		err := coll.FindOneAndUpdate(ctx, guard, todoUpdate(cur, p, now),
			options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return errRaced
		}
		return err
	})
	if err != nil {
		return models.Todo{}, fmt.Errorf("update todo: %w", err)
	}
	return d.model(), nil
}

// todoUpdate is the update that applies p to cur at time now.
func todoUpdate(cur todoDoc, p models.TodoPatch, now time.Time) bson.D {
	now = dbTime(now)
	set := bson.D{{Key: "updated_at", Value: now}}
	if p.Title != nil {
		set = append(set, bson.E{Key: "title", Value: *p.Title})
	}
	if p.Notes != nil {
		set = append(set, bson.E{Key: "notes", Value: *p.Notes})
	}
	if p.Order != nil {
		set = append(set, bson.E{Key: "order", Value: *p.Order})
	}
	if p.SetDue {
		set = append(set, bson.E{Key: "due", Value: dbTimePtr(p.Due)}, bson.E{Key: "due_sort", Value: dueSort(p.Due)})
	}
	if p.Completed != nil {
		set = append(set, bson.E{Key: "completed", Value: *p.Completed})
		switch {
		case !*p.Completed:
			set = append(set, bson.E{Key: "completed_at", Value: nil})
		case !cur.Completed:
			set = append(set, bson.E{Key: "completed_at", Value: now})
		}
	}
	return bson.D{
		{Key: "$set", Value: set},
		{Key: "$inc", Value: bson.D{{Key: "version", Value: 1}}},
	}
}

// DeleteTodo deletes one of userID's todos, honouring pre as UpdateTodo
// does.
func (s *Store) DeleteTodo(ctx context.Context, userID, id string, pre models.Precondition) error {
	oid, err := parseID(id)
	if err != nil {
		return fmt.Errorf("delete todo: %w", err)
	}
	err = s.writeTodo(ctx, "todos.delete", userID, oid, pre, func(ctx context.Context, coll *mongo.Collection, _ todoDoc, guard bson.D) error {
		res, err := coll.DeleteOne(ctx, guard)
		if err == nil && res.DeletedCount == 0 {
			return errRaced
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete todo: %w", err)
	}
	return nil
}

// SetAllTodosCompleted marks every todo of userID completed (or not) at
// time now, and returns how many changed: only those whose completed
// differs are touched (their version incremented, completed_at set or
// cleared).
func (s *Store) SetAllTodosCompleted(ctx context.Context, userID string, completed bool, now time.Time) (int, error) {
	now = dbTime(now)
	var completedAt *time.Time
	if completed {
		completedAt = &now
	}
	var n int
	err := s.write(ctx, "todos.set_all_completed", func(ctx context.Context) error {
		res, err := s.todos.coll(userID).UpdateMany(ctx,
			bson.D{{Key: "user_id", Value: userID}, {Key: "completed", Value: !completed}},
			bson.D{
				{Key: "$set", Value: bson.D{
					{Key: "completed", Value: completed},
					{Key: "completed_at", Value: completedAt},
					{Key: "updated_at", Value: now},
				}},
				{Key: "$inc", Value: bson.D{{Key: "version", Value: 1}}},
			})
		if err == nil {
			n = int(res.ModifiedCount)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("set all todos completed: %w", err)
	}
	return n, nil
}

// DeleteCompletedTodos deletes userID's completed todos and returns how
// many it deleted.
func (s *Store) DeleteCompletedTodos(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.write(ctx, "todos.delete_completed", func(ctx context.Context) error {
		res, err := s.todos.coll(userID).DeleteMany(ctx, bson.D{{Key: "user_id", Value: userID}, {Key: "completed", Value: true}})
		if err == nil {
			n = int(res.DeletedCount)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete completed todos: %w", err)
	}
	return n, nil
}

// todoListQuery is the filter and sort of one list query (each layout's
// listFind runs them on its collection).
func todoListQuery(userID string, q models.TodoQuery) (filter, sort bson.D) {
	filter = bson.D{{Key: "user_id", Value: userID}}
	if q.Completed != nil {
		filter = append(filter, bson.E{Key: "completed", Value: *q.Completed})
	}
	if q.DueBefore != nil {
		filter = append(filter, bson.E{Key: "due_sort", Value: bson.D{{Key: "$lt", Value: dbTime(*q.DueBefore)}}})
	}
	if q.Q != "" {
		// Plain text: quoted, so regex metacharacters are literal, and
		// never an operator.
		re := bson.Regex{Pattern: regexp.QuoteMeta(q.Q), Options: "i"}
		filter = append(filter, bson.E{Key: "$or", Value: bson.A{
			bson.D{{Key: "title", Value: re}},
			bson.D{{Key: "notes", Value: re}},
		}})
	}
	switch q.Sort {
	case models.TodoSortCreated:
		sort = bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}
	case models.TodoSortDue:
		sort = bson.D{{Key: "due_sort", Value: 1}, {Key: "order", Value: 1}, {Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}
	default:
		sort = bson.D{{Key: "order", Value: 1}, {Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}
	}
	return filter, sort
}

func pageBounds(q models.TodoQuery) (skip, limit int64) {
	page, perPage := max(q.Page, 1), q.PerPage
	if perPage < 1 {
		perPage = models.DefaultPerPage
	}
	return int64(page-1) * int64(perPage), int64(perPage)
}

// ListTodos returns one page of userID's todos matching q, and how many
// match in all. q.Q is plain text matched case-insensitively against title
// and notes; q.DueBefore keeps todos due strictly before it (none without
// due); q.Sort is one of models.TodoSorts ("" is models.TodoSortOrder).
func (s *Store) ListTodos(ctx context.Context, userID string, q models.TodoQuery) (models.Page[models.Todo], error) {
	_, limit := pageBounds(q)
	page := models.Page[models.Todo]{Items: []models.Todo{}, Page: max(q.Page, 1), PerPage: int(limit)}
	docs, total, err := s.todos.list(ctx, userID, q)
	if err != nil {
		return page, fmt.Errorf("list todos: %w", err)
	}
	page.Total = total
	for _, d := range docs {
		page.Items = append(page.Items, d.model())
	}
	return page, nil
}

// ExplainTodoList returns the database's query plan (verbosity
// queryPlanner) for the find that ListTodos runs for userID and q, on the
// collection it runs on, so a test can check that MongoDB serves it from
// an index.
func (s *Store) ExplainTodoList(ctx context.Context, userID string, q models.TodoQuery) (bson.M, error) {
	var out bson.M
	err := s.op(ctx, "todos.explain", func(ctx context.Context) error {
		return s.db.RunCommand(ctx, bson.D{
			{Key: "explain", Value: s.todos.listFind(userID, q).command()},
			{Key: "verbosity", Value: "queryPlanner"},
		}).Decode(&out)
	})
	if err != nil {
		return nil, fmt.Errorf("explain todo list: %w", err)
	}
	return out, nil
}

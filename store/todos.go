package store

import (
	"context"
	"errors"
	"fmt"
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
// greatest order plus one (1 for a first todo). When the user already
// holds limit todos (limit <= 0: no limit), it is models.ErrLimitReached
// and nothing is stored (see insertTodos).
//
// Placing last is a read then an insert. The read runs outside the embedded
// write lock, because on FerretDB it reads every todo of the user and would
// hold every writer up; so on both backends two concurrent creates may get
// the same order. The list sorts by order, then created_at, then _id, so such a
// tie still lists the todos in creation order, both after the others.
func (s *Store) CreateTodo(ctx context.Context, t models.Todo, last bool, limit int) (models.Todo, error) {
	if limit > 0 {
		if err := s.todos.precheck(ctx, t.UserID, 1, limit); err != nil {
			return models.Todo{}, fmt.Errorf("create todo: %w", err)
		}
	}
	if last {
		top, err := s.todos.maxOrder(ctx, t.UserID)
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
	if err := s.insertTodos(ctx, "todos.insert", t.UserID, []todoDoc{d}, limit); err != nil {
		return models.Todo{}, fmt.Errorf("create todo: %w", err)
	}
	return d.model(), nil
}

// importBatch is how many todos one write of an import inserts: 200 todos
// with 10,000-character notes take about 80 ms on the embedded database
// (insert costs do not grow with the collection there), the longest an
// import holds the write lock at once.
const importBatch = 200

// ImportUserTodos stores todos as userID's, as they are (ids are assigned,
// versions below 1 become 1, user ids are userID), all or nothing: when
// userID would then hold more than limit todos (limit <= 0: no limit) it
// is models.ErrLimitReached and nothing is stored. It returns how many it
// stored. Large imports run in batches of importBatch, each a short write;
// when one fails, the batches already stored are deleted again, and only a
// process that stops half-way can leave part of an import behind.
func (s *Store) ImportUserTodos(ctx context.Context, userID string, todos []models.Todo, limit int) (int, error) {
	docs := make([]todoDoc, 0, len(todos))
	for _, t := range todos {
		t.UserID = userID
		docs = append(docs, importedDoc(t))
	}
	if err := s.insertTodos(ctx, "todos.import", userID, docs, limit); err != nil {
		return 0, fmt.Errorf("import todos: %w", err)
	}
	return len(docs), nil
}

// ImportTodos inserts ready-made todos of any users as they are (ids are
// assigned; versions below 1 become 1), with no limit, each user's in
// batches as ImportUserTodos does: for seeding and benchmarks. It returns
// how many it inserted (a user's todos are inserted all or none).
func (s *Store) ImportTodos(ctx context.Context, todos []models.Todo) (int, error) {
	var users []string
	byUser := map[string][]todoDoc{}
	for _, t := range todos {
		if _, ok := byUser[t.UserID]; !ok {
			users = append(users, t.UserID)
		}
		byUser[t.UserID] = append(byUser[t.UserID], importedDoc(t))
	}
	n := 0
	for _, userID := range users {
		if err := s.insertTodos(ctx, "todos.import", userID, byUser[userID], 0); err != nil {
			return n, fmt.Errorf("import todos: %w", err)
		}
		n += len(byUser[userID])
	}
	return n, nil
}

func importedDoc(t models.Todo) todoDoc {
	return todoDoc{
		ID: bson.NewObjectID(), UserID: t.UserID, Title: t.Title, Notes: t.Notes, Completed: t.Completed,
		Order: t.Order, Due: dbTimePtr(t.Due), DueSort: dueSort(t.Due),
		CreatedAt: dbTime(t.CreatedAt), UpdatedAt: dbTime(t.UpdatedAt),
		CompletedAt: dbTimePtr(t.CompletedAt), Version: max(t.Version, 1),
	}
}

// insertTodos stores docs, all userID's, unless userID would then hold
// more than limit todos (limit <= 0: no limit): models.ErrLimitReached,
// and nothing stays stored. It inserts importBatch todos per write; the
// layout's admit runs in the first (the embedded layout counts the whole
// insert in there, so a create between two batches sees it) and its
// overLimit after the last (MongoDB's second count: see sharedTodos). When
// a batch fails or the second count finds the user over the limit, the
// todos already inserted are deleted again.
func (s *Store) insertTodos(ctx context.Context, op, userID string, docs []todoDoc, limit int) error {
	if limit > 0 {
		if err := checkLimit(0, len(docs), limit); err != nil {
			return err
		}
		if err := s.todos.precheck(ctx, userID, len(docs), limit); err != nil {
			return err
		}
	}
	coll := s.todos.coll(userID)
	reserved, stored, tried := 0, 0, 0
	for batch := range slices.Chunk(docs, importBatch) {
		err := s.write(ctx, op, func(ctx context.Context) error {
			if reserved == 0 {
				if err := s.todos.admit(ctx, userID, len(docs), limit); err != nil {
					return err
				}
				reserved = len(docs)
			}
			tried += len(batch)
			if _, err := coll.InsertMany(ctx, batch); err != nil {
				s.todos.forgetCount(userID)
				s.todos.lost(userID) // part of the batch may be stored
				return err
			}
			s.todos.stored(userID, len(batch))
			s.todos.wrote(userID, batch...)
			stored += len(batch)
			return nil
		})
		if err != nil {
			s.todos.unreserve(userID, reserved-stored)
			if tried > 0 {
				s.undoInsert(ctx, userID, docs[:tried])
			}
			return err
		}
	}
	if limit > 0 {
		over, err := s.todos.overLimit(ctx, userID, limit)
		if err == nil && over {
			err = fmt.Errorf("%w: %d more passed %d with concurrent inserts", models.ErrLimitReached, len(docs), limit)
		}
		if err != nil {
			s.undoInsert(ctx, userID, docs)
			return err
		}
	}
	return nil
}

// undoInsert deletes docs, which an insert that failed may have stored,
// even when ctx has ended (that may be why it failed). On the embedded
// database this reads every todo of the user once (FerretDB does for
// {_id: {$in}}), under the write lock: only a failed import pays it.
func (s *Store) undoInsert(ctx context.Context, userID string, docs []todoDoc) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	for batch := range slices.Chunk(docs, 1000) {
		ids := make([]bson.ObjectID, len(batch))
		for i, d := range batch {
			ids[i] = d.ID
		}
		err := s.write(ctx, "todos.undo_insert", func(ctx context.Context) error {
			_, err := s.todos.coll(userID).DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
			s.todos.forgetCount(userID)
			if err != nil {
				s.todos.lost(userID)
			} else {
				s.todos.deleted(userID, ids...)
			}
			return err
		})
		if err != nil {
			s.log.Error("undoing an insert of todos failed; they stay", "user_id", userID, "todos", len(docs), "error", err)
			return
		}
	}
}

// TodoByID returns one of userID's todos. An unknown or malformed id and
// another user's todo are all models.ErrNotFound.
func (s *Store) TodoByID(ctx context.Context, userID, id string) (models.Todo, error) {
	oid, err := parseID(id)
	if err != nil {
		return models.Todo{}, fmt.Errorf("todo: %w", err)
	}
	d, err := s.todos.get(ctx, userID, oid)
	if err != nil {
		return models.Todo{}, fmt.Errorf("todo: %w", err)
	}
	return d.model(), nil
}

// writeTodo is one conditional write on one of userID's todos: it reads
// the todo (the layout's current), checks pre against its version (models.ErrPreconditionFailed
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
			cur, err := s.todos.current(ctx, userID, oid)
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
		switch {
		case errors.Is(err, mongo.ErrNoDocuments):
			s.todos.lost(userID) // the read found it, the write did not
			return errRaced
		case err != nil:
			if !refused(err) {
				s.todos.lost(userID)
			}
			return err
		}
		s.todos.wrote(userID, d)
		return nil
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
	err = s.writeTodo(ctx, "todos.delete", userID, oid, pre, func(ctx context.Context, coll *mongo.Collection, cur todoDoc, guard bson.D) error {
		res, err := coll.DeleteOne(ctx, guard)
		switch {
		case err != nil:
			s.todos.forgetCount(userID)
			if !refused(err) {
				s.todos.lost(userID)
			}
		case res.DeletedCount == 0:
			s.todos.lost(userID) // the read found it, the write did not
			return errRaced
		default:
			s.todos.counted(userID, -1)
			s.todos.deleted(userID, cur.ID)
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
// cleared). It runs in batches (see bulk.go): when ctx ends first it
// returns how many it changed so far with an error wrapping
// models.ErrUnavailable, and calling it again continues.
func (s *Store) SetAllTodosCompleted(ctx context.Context, userID string, completed bool, now time.Time) (int, error) {
	now = dbTime(now)
	var completedAt *time.Time
	if completed {
		completedAt = &now
	}
	n, err := s.todos.bulk(ctx, userID, todoChange{
		name:   "todos.set_all_completed",
		filter: bson.D{{Key: "user_id", Value: userID}, {Key: "completed", Value: !completed}},
		match:  func(d todoDoc) bool { return d.Completed != completed },
		update: bson.D{
			{Key: "$set", Value: bson.D{
				{Key: "completed", Value: completed},
				{Key: "completed_at", Value: completedAt},
				{Key: "updated_at", Value: now},
			}},
			{Key: "$inc", Value: bson.D{{Key: "version", Value: 1}}},
		},
	})
	if err != nil {
		return n, fmt.Errorf("set all todos completed (%d changed): %w", n, err)
	}
	return n, nil
}

// DeleteCompletedTodos deletes userID's completed todos and returns how
// many it deleted, in batches as SetAllTodosCompleted changes them (and
// with the same answer when ctx ends first).
func (s *Store) DeleteCompletedTodos(ctx context.Context, userID string) (int, error) {
	n, err := s.todos.bulk(ctx, userID, todoChange{
		name:   "todos.delete_completed",
		filter: bson.D{{Key: "user_id", Value: userID}, {Key: "completed", Value: true}},
		match:  func(d todoDoc) bool { return d.Completed },
	})
	if err != nil {
		return n, fmt.Errorf("delete completed todos (%d deleted): %w", n, err)
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
		// never an operator; case-insensitive by the rule of search.go,
		// spelled out in the pattern (no "i" option).
		re := bson.Regex{Pattern: searchPattern(q.Q)}
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
// match in all. q.Q is plain text matched case-insensitively (simple case
// folding, see search.go) against title and notes; q.DueBefore keeps todos due strictly before it (none without
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

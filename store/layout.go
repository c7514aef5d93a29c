package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"listo/models"
)

// todoLayout is where a backend keeps todos and how it answers todo
// queries. Open picks one per backend (sharedTodos on MongoDB,
// perUserTodos on the embedded FerretDB), so the todo code never asks which
// backend runs, and each query that runs is written in one place.
type todoLayout interface {
	// coll is the collection that holds userID's todos.
	coll(userID string) *mongo.Collection
	// indexes are the todo indexes that EnsureIndexes creates.
	indexes() []indexSet
	// byID is the filter that reads userID's todo oid (findTodo checks the
	// owner of what it read, whatever the filter).
	byID(userID string, oid bson.ObjectID) bson.D
	// guard is the filter of a conditional write on d as read: it matches
	// nothing once d changed since (see errRaced).
	guard(d todoDoc) bson.D
	// listFind is the find that list runs for userID and q.
	listFind(userID string, q models.TodoQuery) todoFind
	// list returns the todos of the page that q asks for, and how many of
	// userID's todos match q in all.
	list(ctx context.Context, userID string, q models.TodoQuery) ([]todoDoc, int, error)
	// deleteAll deletes all of userID's todos.
	deleteAll(ctx context.Context, userID string) error
}

// todoFind is one find on a todo collection: what a list runs, and what
// ExplainTodoList explains.
type todoFind struct {
	coll         *mongo.Collection
	filter, sort bson.D
	skip, limit  int64 // 0: none
}

func (f todoFind) run(ctx context.Context) ([]todoDoc, error) {
	opts := options.Find().SetSort(f.sort)
	if f.skip > 0 {
		opts.SetSkip(f.skip)
	}
	if f.limit > 0 {
		opts.SetLimit(f.limit)
	}
	var docs []todoDoc
	err := findAll(ctx, f.coll, f.filter, opts, &docs)
	return docs, err
}

// command is the find as a database command, for explain.
func (f todoFind) command() bson.D {
	cmd := bson.D{{Key: "find", Value: f.coll.Name()}, {Key: "filter", Value: f.filter}, {Key: "sort", Value: f.sort}}
	if f.skip > 0 {
		cmd = append(cmd, bson.E{Key: "skip", Value: f.skip})
	}
	if f.limit > 0 {
		cmd = append(cmd, bson.E{Key: "limit", Value: f.limit})
	}
	return cmd
}

// findAll runs a find and decodes every document it returns into docs.
func findAll[T any](ctx context.Context, c *mongo.Collection, filter bson.D, opts *options.FindOptionsBuilder, docs *[]T) error {
	cur, err := c.Find(ctx, filter, opts)
	if err != nil {
		return err
	}
	return cur.All(ctx, docs)
}

// sharedTodos is the MongoDB layout: one todos collection whose indexes
// (todoIndexes) all start with user_id, so that every todo query reads an
// index range of one user. Writes run concurrently, so a conditional write
// carries its whole condition in its filter.
type sharedTodos struct {
	todos *mongo.Collection
	op    opFunc
}

func newSharedTodos(db *mongo.Database, op opFunc) todoLayout {
	return sharedTodos{todos: db.Collection("todos"), op: op}
}

func (l sharedTodos) coll(string) *mongo.Collection { return l.todos }

func (l sharedTodos) indexes() []indexSet { return []indexSet{{l.todos, todoIndexes()}} }

func (l sharedTodos) byID(userID string, oid bson.ObjectID) bson.D {
	return bson.D{{Key: "_id", Value: oid}, {Key: "user_id", Value: userID}}
}

// guard is {_id, user_id, version}: the write is atomic by itself and
// matches nothing if the todo changed since the read.
func (l sharedTodos) guard(d todoDoc) bson.D {
	return bson.D{{Key: "_id", Value: d.ID}, {Key: "user_id", Value: d.UserID}, {Key: "version", Value: d.Version}}
}

// listFind reads one page, sorted and cut by the server from an index.
func (l sharedTodos) listFind(userID string, q models.TodoQuery) todoFind {
	filter, sort := todoListQuery(userID, q)
	skip, limit := pageBounds(q)
	return todoFind{coll: l.todos, filter: filter, sort: sort, skip: skip, limit: limit}
}

// list is a count and a find, both served by the user's indexes.
func (l sharedTodos) list(ctx context.Context, userID string, q models.TodoQuery) ([]todoDoc, int, error) {
	f := l.listFind(userID, q)
	var total int64
	err := l.op(ctx, "todos.count", func(ctx context.Context) (err error) {
		total, err = l.todos.CountDocuments(ctx, f.filter)
		return err
	})
	if err != nil || f.skip >= total {
		return nil, int(total), err
	}
	var docs []todoDoc
	err = l.op(ctx, "todos.list", func(ctx context.Context) (err error) {
		docs, err = f.run(ctx)
		return err
	})
	return docs, int(total), err
}

func (l sharedTodos) deleteAll(ctx context.Context, userID string) error {
	_, err := l.todos.DeleteMany(ctx, bson.D{{Key: "user_id", Value: userID}})
	return err
}

// perUserTodos is the embedded FerretDB v1 layout: every user's todos in a
// collection of their own, todos_<user id>. FerretDB v1 scans the whole
// collection for every filter but exactly {_id}, whatever the indexes, so
// partitioning by owner makes a user's queries cost what that user has,
// not what everybody has; and it keeps no todo indexes, which no query
// would use. Every todo query is scoped to one user, so none needs to cross
// partitions. The embedded store serialises its writes (Store.write), so a
// read and the write that follows it see the same todo.
type perUserTodos struct {
	db *mongo.Database
	// fallback holds the todos of user ids that are not ObjectIDs and so
	// cannot name a collection (real users' ids always are; some tests
	// use others).
	fallback *mongo.Collection
	op       opFunc
}

func newPerUserTodos(db *mongo.Database, op opFunc) todoLayout {
	return perUserTodos{db: db, fallback: db.Collection("todos"), op: op}
}

func (l perUserTodos) coll(userID string) *mongo.Collection {
	if _, err := bson.ObjectIDFromHex(userID); err != nil {
		return l.fallback
	}
	return l.db.Collection("todos_" + userID)
}

func (l perUserTodos) indexes() []indexSet { return nil }

// byID is exactly {_id}, the one filter FerretDB v1 does not answer with a
// scan; findTodo checks the owner.
func (l perUserTodos) byID(_ string, oid bson.ObjectID) bson.D {
	return bson.D{{Key: "_id", Value: oid}}
}

// guard is exactly {_id} too: the read and the write happen under the
// write lock, so nothing can change in between.
func (l perUserTodos) guard(d todoDoc) bson.D { return bson.D{{Key: "_id", Value: d.ID}} }

// listFind reads all of the user's matching todos, sorted: the scan reads
// them anyway, and a count would be a second scan.
func (l perUserTodos) listFind(userID string, q models.TodoQuery) todoFind {
	filter, sort := todoListQuery(userID, q)
	return todoFind{coll: l.coll(userID), filter: filter, sort: sort}
}

// list runs one find (one scan instead of a count's and a find's, about
// half the time) and cuts the page here; the extra cost is only the
// transfer of the matching todos outside the page.
func (l perUserTodos) list(ctx context.Context, userID string, q models.TodoQuery) ([]todoDoc, int, error) {
	var docs []todoDoc
	err := l.op(ctx, "todos.list", func(ctx context.Context) (err error) {
		docs, err = l.listFind(userID, q).run(ctx)
		return err
	})
	skip, limit := pageBounds(q)
	n := int64(len(docs))
	return docs[min(skip, n):min(skip+limit, n)], len(docs), err
}

// deleteAll drops the user's collection.
func (l perUserTodos) deleteAll(ctx context.Context, userID string) error {
	if c := l.coll(userID); c != l.fallback {
		return c.Drop(ctx)
	}
	_, err := l.fallback.DeleteMany(ctx, bson.D{{Key: "user_id", Value: userID}})
	return err
}

package store

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	// get reads userID's todo oid for a read request (mongo.ErrNoDocuments,
	// mapped, when userID has no such todo).
	get(ctx context.Context, userID string, oid bson.ObjectID) (todoDoc, error)
	// current reads userID's todo oid inside a write (under the write lock
	// where there is one): what a conditional write starts from.
	current(ctx context.Context, userID string, oid bson.ObjectID) (todoDoc, error)
	// guard is the filter of a conditional write on d as read: it matches
	// nothing once d changed since (see errRaced).
	guard(d todoDoc) bson.D
	// listFind is the (first) find that list runs for userID and q.
	listFind(userID string, q models.TodoQuery) todoFind
	// list returns the todos of the page that q asks for, and how many of
	// userID's todos match q in all.
	list(ctx context.Context, userID string, q models.TodoQuery) ([]todoDoc, int, error)

	// The embedded layout's write-through cache (cache.go) hears of every
	// todo write, inside the write and once the database acknowledged it:
	// wrote, that docs (userID's) are stored as they are (inserted, or
	// updated as the database answered); deleted, that userID's todos ids
	// are deleted; lost, that a write's outcome is unknown (it failed
	// without the server refusing it, see refused), or that userID's todos
	// were dropped. Every write of a todo collection calls them.
	wrote(userID string, docs ...todoDoc)
	deleted(userID string, ids ...bson.ObjectID)
	lost(userID string)
	// cacheStats describes the cache (the zero value where there is none).
	cacheStats() CacheStats

	// The per-user cap (see Store.insertTodos):
	//
	// precheck runs before the write lock is taken: it does what admit
	// needs that would hold up other writers, and may refuse early (with
	// models.ErrLimitReached) an insert of n that admit would refuse.
	precheck(ctx context.Context, userID string, n, limit int) error
	// admit runs inside the first write of an insert of n todos for
	// userID: it refuses with models.ErrLimitReached when userID would
	// then hold more than limit todos (limit <= 0: no limit), and counts
	// the n in before they are stored, as reserved.
	admit(ctx context.Context, userID string, n, limit int) error
	// stored records, inside the write that stored them, that n admitted
	// todos are stored; unreserve, that n admitted todos will not be.
	stored(userID string, n int)
	unreserve(userID string, n int)
	// counted records, inside a write, that userID's todos grew by delta
	// (shrank when negative); forgetCount, that they changed by an
	// unknown amount (a write that failed half-way).
	counted(userID string, delta int)
	forgetCount(userID string)
	// overLimit runs after the insert: where admit cannot be exact
	// (writers on other instances), it reports whether userID now holds
	// more than limit todos, and the insert must be undone.
	overLimit(ctx context.Context, userID string, limit int) (bool, error)

	// maxOrder returns the greatest order among userID's todos, 0 when
	// they have none.
	maxOrder(ctx context.Context, userID string) (float64, error)

	// bulk applies c to userID's todos in short batches, each a write of
	// its own, until none is left or ctx ends; it returns how many todos
	// it changed, also with an error (see bulk.go).
	bulk(ctx context.Context, userID string, c todoChange) (int, error)
	// deleteAll deletes all of userID's todos (in batches, or at once
	// where that is one short write).
	deleteAll(ctx context.Context, userID string) error
}

// todoFind is one find on a todo collection: what a list runs, and what
// ExplainTodoList explains.
type todoFind struct {
	coll         *mongo.Collection
	filter, sort bson.D // sort nil: unsorted
	skip, limit  int64  // 0: none
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
	cmd := bson.D{{Key: "find", Value: f.coll.Name()}, {Key: "filter", Value: f.filter}}
	if f.sort != nil {
		cmd = append(cmd, bson.E{Key: "sort", Value: f.sort})
	}
	if f.skip > 0 {
		cmd = append(cmd, bson.E{Key: "skip", Value: f.skip})
	}
	if f.limit > 0 {
		cmd = append(cmd, bson.E{Key: "limit", Value: f.limit})
	}
	return cmd
}

// findTodo reads one todo from c with filter, and checks that userID owns
// it (mongo.ErrNoDocuments otherwise).
func findTodo(ctx context.Context, c *mongo.Collection, filter bson.D, userID string) (todoDoc, error) {
	var d todoDoc
	if err := c.FindOne(ctx, filter).Decode(&d); err != nil {
		return todoDoc{}, err
	}
	if d.UserID != userID {
		return todoDoc{}, mongo.ErrNoDocuments
	}
	return d, nil
}

// sharedTodos is the MongoDB layout: one todos collection whose indexes
// (todoIndexes) all start with user_id, so that every todo query reads an
// index range of one user. Writes run concurrently, also on other
// instances, so a conditional write carries its whole condition in its
// filter.
type sharedTodos struct {
	todos     *mongo.Collection
	op, write opFunc
}

func newSharedTodos(db *mongo.Database, op, write opFunc) todoLayout {
	return sharedTodos{todos: db.Collection("todos"), op: op, write: write}
}

func (l sharedTodos) coll(string) *mongo.Collection { return l.todos }

func (l sharedTodos) indexes() []indexSet { return []indexSet{{l.todos, todoIndexes()}} }

func (l sharedTodos) byID(userID string, oid bson.ObjectID) bson.D {
	return bson.D{{Key: "_id", Value: oid}, {Key: "user_id", Value: userID}}
}

func (l sharedTodos) get(ctx context.Context, userID string, oid bson.ObjectID) (d todoDoc, err error) {
	err = l.op(ctx, "todos.by_id", func(ctx context.Context) (err error) {
		d, err = findTodo(ctx, l.todos, l.byID(userID, oid), userID)
		return err
	})
	return d, err
}

func (l sharedTodos) current(ctx context.Context, userID string, oid bson.ObjectID) (todoDoc, error) {
	return findTodo(ctx, l.todos, l.byID(userID, oid), userID)
}

// MongoDB has no cache: several instances may write one database.
func (l sharedTodos) wrote(string, ...todoDoc)         {}
func (l sharedTodos) deleted(string, ...bson.ObjectID) {}
func (l sharedTodos) lost(string)                      {}
func (l sharedTodos) cacheStats() CacheStats           { return CacheStats{} }

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

// list is a count and a find, both served by the user's indexes; the find
// returns the page alone.
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

// The cap on MongoDB is "check, insert, check again, undo": admit counts
// before the insert (from the index; a user at the cap is refused without
// a write), overLimit counts again after it, and Store.insertTodos deletes
// what it inserted when the user then holds more than the limit. Of
// concurrent creates that pass the cap together (on any instances), each
// sees the others' inserts in its second count, so the user never keeps
// more than the limit; under such a race all of them may be refused,
// although one would have fitted (the client tries again), and a list
// that runs in between may show a todo that is then undone.
func (l sharedTodos) precheck(context.Context, string, int, int) error { return nil }

func (l sharedTodos) admit(ctx context.Context, userID string, n, limit int) error {
	if limit <= 0 {
		return nil
	}
	have, err := l.todos.CountDocuments(ctx, bson.D{{Key: "user_id", Value: userID}})
	if err != nil {
		return err
	}
	return checkLimit(int(have), n, limit)
}

func (l sharedTodos) stored(string, int)    {}
func (l sharedTodos) unreserve(string, int) {}
func (l sharedTodos) counted(string, int)   {}
func (l sharedTodos) forgetCount(string)    {}

func (l sharedTodos) overLimit(ctx context.Context, userID string, limit int) (bool, error) {
	var have int64
	err := l.op(ctx, "todos.count", func(ctx context.Context) (err error) {
		have, err = l.todos.CountDocuments(ctx, bson.D{{Key: "user_id", Value: userID}})
		return err
	})
	return int(have) > limit, err
}

// maxOrder reads the first todo of the user's order index, backwards.
func (l sharedTodos) maxOrder(ctx context.Context, userID string) (float64, error) {
	var d struct {
		Order float64 `bson:"order"`
	}
	err := l.op(ctx, "todos.max_order", func(ctx context.Context) error {
		return l.todos.FindOne(ctx, bson.D{{Key: "user_id", Value: userID}},
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

// bulk reads the ids of at most bulkBatch todos that c applies to (from
// the index), then changes them with one conditional update or delete
// that carries c's filter too, so a todo that changed in between is left
// alone; and again, until the read finds none. Each batch is a short
// write, and a stop leaves only whole batches done.
func (l sharedTodos) bulk(ctx context.Context, userID string, c todoChange) (int, error) {
	n := 0
	for {
		var ids []bson.ObjectID
		err := l.op(ctx, c.name+".ids", func(ctx context.Context) (err error) {
			ids, err = findIDs(ctx, l.todos, c.filter, bulkBatch)
			return err
		})
		if err != nil || len(ids) == 0 {
			return n, err
		}
		guard := append(bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}, c.filter...)
		err = l.write(ctx, c.name, func(ctx context.Context) error {
			if c.update == nil {
				res, err := l.todos.DeleteMany(ctx, guard)
				if err == nil {
					n += int(res.DeletedCount)
				}
				return err
			}
			res, err := l.todos.UpdateMany(ctx, guard, c.update)
			if err == nil {
				n += int(res.ModifiedCount)
			}
			return err
		})
		if err != nil {
			return n, err
		}
	}
}

func (l sharedTodos) deleteAll(ctx context.Context, userID string) error {
	_, err := l.bulk(ctx, userID, deleteAllChange(userID))
	return err
}

// perUserTodos is the embedded FerretDB v1 layout: every user's todos in a
// collection of their own, todos_<user id>. FerretDB v1 reads and decodes
// every document of the collection for every filter but exactly {_id},
// whatever the indexes, so partitioning by owner makes a user's queries
// cost what that user has, not what everybody has; and it keeps no todo
// indexes, which no query would use. Every todo query is scoped to one
// user, so none needs to cross partitions. The embedded store serialises
// its writes (Store.write), so a read and the write that follows it see
// the same todo.
//
// Even {_id} is no index lookup there: FerretDB passes it to SQLite, which
// scans the table evaluating the _id of every row's JSON (without decoding
// it in Go), so one todo's update or delete costs about 20 µs per todo of
// its owner with 10 KB notes (100 ms at 5,000), a read by id about half
// that.
//
// Reads are answered from the write-through cache (cache.go) when there is
// one (EMBEDDED_CACHE_MB above 0): lists, reads by id and the "last order"
// of a create from memory, after one query per user on a miss; a write
// starts from the cached todo instead of reading it again. Without it, or
// for a user too large for it, they read the database as described here.
type perUserTodos struct {
	db *mongo.Database
	// fallback holds the todos of user ids that are not ObjectIDs and so
	// cannot name a collection (real users' ids always are; some tests
	// use others).
	fallback  *mongo.Collection
	op, write opFunc
	counts    *todoCounts
	cache     *todoCache // nil: no cache
}

// newPerUserTodos makes the embedded layout, with a cache of at most
// cacheBytes (none when it is not positive).
func newPerUserTodos(db *mongo.Database, op, write opFunc, cacheBytes int64) todoLayout {
	l := perUserTodos{db: db, fallback: db.Collection("todos"), op: op, write: write, counts: newTodoCounts()}
	if cacheBytes > 0 {
		l.cache = newTodoCache(cacheBytes, l.load)
	}
	return l
}

func (l perUserTodos) coll(userID string) *mongo.Collection {
	if _, err := bson.ObjectIDFromHex(userID); err != nil {
		return l.fallback
	}
	return l.db.Collection("todos_" + userID)
}

func (l perUserTodos) indexes() []indexSet { return nil }

// byID is exactly {_id}, the one filter FerretDB v1 passes to SQLite
// instead of decoding every document; findTodo checks the owner.
func (l perUserTodos) byID(oid bson.ObjectID) bson.D {
	return bson.D{{Key: "_id", Value: oid}}
}

// get answers from the cache (loading the user on a miss), or reads by id.
func (l perUserTodos) get(ctx context.Context, userID string, oid bson.ObjectID) (todoDoc, error) {
	if l.cache != nil {
		u, err := l.cache.get(ctx, userID)
		if err != nil {
			return todoDoc{}, err
		}
		if u != nil {
			d, err := u.get(oid)
			return d, mapErr(err)
		}
	}
	var d todoDoc
	err := l.op(ctx, "todos.by_id", func(ctx context.Context) (err error) {
		d, err = findTodo(ctx, l.coll(userID), l.byID(oid), userID)
		return err
	})
	return d, err
}

// current is the cached todo when the user is cached: under the write lock
// the cache holds exactly what the database does. Otherwise it reads by
// id; it never loads the user, which would hold every writer up.
func (l perUserTodos) current(ctx context.Context, userID string, oid bson.ObjectID) (todoDoc, error) {
	if u := l.cache.peek(userID); u != nil {
		return u.get(oid)
	}
	return findTodo(ctx, l.coll(userID), l.byID(oid), userID)
}

// guard is exactly {_id} too: the read and the write happen under the
// write lock, so nothing can change in between.
func (l perUserTodos) guard(d todoDoc) bson.D { return bson.D{{Key: "_id", Value: d.ID}} }

// listFind is the list's first read without the cache: the user's
// matching todos, unsorted (FerretDB v1 sorts by holding every document in
// memory; list sorts the keys instead, see list.go).
func (l perUserTodos) listFind(userID string, q models.TodoQuery) todoFind {
	filter, _ := todoListQuery(userID, q)
	return todoFind{coll: l.coll(userID), filter: filter}
}

// list answers from the cache (loading the user on a miss); without one,
// or for a user too large for it, it streams the user's matching todos,
// unsorted, counts them and keeps only the page's in a bounded heap (see
// list.go).
func (l perUserTodos) list(ctx context.Context, userID string, q models.TodoQuery) ([]todoDoc, int, error) {
	if l.cache != nil {
		u, err := l.cache.get(ctx, userID)
		if err != nil {
			return nil, 0, err
		}
		if u != nil {
			docs, total := u.list(q)
			return docs, total, nil
		}
	}
	return streamList(ctx, l.op, l.listFind(userID, q).coll, userID, q)
}

// load reads all of userID's todos with one query, for the cache; it
// stops with over set once they take more than budget bytes.
func (l perUserTodos) load(ctx context.Context, userID string, budget int64) (u *userTodos, over bool, err error) {
	var todos []*cachedTodo
	err = l.op(ctx, "todos.load", func(ctx context.Context) error {
		todos, over = nil, false
		cur, err := l.coll(userID).Find(ctx, bson.D{{Key: "user_id", Value: userID}}, options.Find().SetBatchSize(cacheLoadBatch))
		if err != nil {
			return err
		}
		defer cur.Close(context.WithoutCancel(ctx))
		size := int64(cacheUserBytes)
		for cur.Next(ctx) {
			var d todoDoc
			if err := cur.Decode(&d); err != nil {
				return err
			}
			t := cachedFrom(d)
			if size += t.size(); size > budget {
				over = true
				return nil
			}
			todos = append(todos, t)
		}
		return cur.Err()
	})
	if err != nil || over {
		return nil, over, err
	}
	return newUserTodos(userID, todos), false, nil
}

func (l perUserTodos) wrote(userID string, docs ...todoDoc)        { l.cache.wrote(userID, docs) }
func (l perUserTodos) deleted(userID string, ids ...bson.ObjectID) { l.cache.deleted(userID, ids) }
func (l perUserTodos) lost(userID string)                          { l.cache.lost(userID) }
func (l perUserTodos) cacheStats() CacheStats                      { return l.cache.stats() }

// The cap on the embedded database is exact: every write runs under the
// write lock in this process, so admit counts and the insert follows with
// nothing in between. The count is what todoCounts knows, learnt once
// outside the lock (precheck) and kept by every write. precheck refuses
// a user at the cap at once, before a create reads the user's todos for
// its order.
func (l perUserTodos) precheck(ctx context.Context, userID string, n, limit int) error {
	if limit <= 0 {
		return nil
	}
	have, known, gen := l.counts.get(userID)
	if !known {
		stored, err := l.countAll(ctx, userID)
		if err != nil {
			return err
		}
		l.counts.learn(userID, stored, gen)
		if have, known, _ = l.counts.get(userID); !known {
			return nil // overtaken by a write: admit counts
		}
	}
	return checkLimit(have, n, limit)
}

func (l perUserTodos) admit(ctx context.Context, userID string, n, limit int) error {
	if limit > 0 {
		have, known, gen := l.counts.get(userID)
		if !known {
			// A write changed the user's todos while prepareCount
			// counted: count again, now that no write can.
			stored, err := l.countAll(ctx, userID)
			if err != nil {
				return err
			}
			l.counts.learn(userID, stored, gen)
			have, _, _ = l.counts.get(userID)
		}
		if err := checkLimit(have, n, limit); err != nil {
			return err
		}
	}
	l.counts.reserve(userID, n)
	return nil
}

// countAll counts the user's todos: the cached ones when the user is
// cached (counted after the caller's counts.get, so learn keeps the count
// only if no write came in between), or with a count, for which FerretDB
// decodes each one.
func (l perUserTodos) countAll(ctx context.Context, userID string) (int, error) {
	if u := l.cache.peek(userID); u != nil {
		return u.len(), nil
	}
	var n int64
	err := l.op(ctx, "todos.count", func(ctx context.Context) (err error) {
		n, err = l.coll(userID).CountDocuments(ctx, bson.D{{Key: "user_id", Value: userID}})
		return err
	})
	return int(n), err
}

func (l perUserTodos) stored(userID string, n int)      { l.counts.stored(userID, n) }
func (l perUserTodos) unreserve(userID string, n int)   { l.counts.unreserve(userID, n) }
func (l perUserTodos) counted(userID string, delta int) { l.counts.add(userID, delta) }
func (l perUserTodos) forgetCount(userID string)        { l.counts.forget(userID) }

func (l perUserTodos) overLimit(context.Context, string, int) (bool, error) { return false, nil }

// maxOrder is the cache's (loading the user on a miss); without it, it
// streams the orders of the user's todos (FerretDB v1 would sort by
// holding every todo in memory, for one number) and keeps the greatest.
func (l perUserTodos) maxOrder(ctx context.Context, userID string) (float64, error) {
	if l.cache != nil {
		u, err := l.cache.get(ctx, userID)
		if err != nil {
			return 0, err
		}
		if u != nil {
			return u.maxOrder(), nil
		}
	}
	top := 0.0
	err := l.op(ctx, "todos.max_order", func(ctx context.Context) error {
		seen := 0
		_, err := scanTodos(ctx, l.coll(userID), bson.D{{Key: "user_id", Value: userID}}, bson.D{{Key: "order", Value: 1}},
			func(key todoKey, _ bson.Raw) {
				if seen == 0 || key.Order > top {
					top = key.Order
				}
				seen++
			})
		return err
	})
	return top, err
}

// bulk reads the ids of the todos that c applies to once, outside the
// write lock (FerretDB decodes every todo of the user for that filter),
// then changes them one by one by {_id}, each read again first (from the
// cache when the user is cached) and left alone when c no longer applies.
// A batch holds the write lock for at most bulkBatch todos and takes no
// more once it has run bulkBatchTime (it always takes one), so another
// user's write waits for at most one batch.
func (l perUserTodos) bulk(ctx context.Context, userID string, c todoChange) (int, error) {
	coll := l.coll(userID)
	var ids []bson.ObjectID
	err := l.op(ctx, c.name+".ids", func(ctx context.Context) (err error) {
		ids, err = findIDs(ctx, coll, c.filter, 0)
		return err
	})
	n := 0
	var last time.Duration // what the last todo took
	for err == nil && len(ids) > 0 {
		err = l.write(ctx, c.name, func(ctx context.Context) error {
			start := time.Now()
			for i := 0; len(ids) > 0 && i < bulkBatch && (i == 0 || time.Since(start) < bulkBatchTime); i++ {
				// Stop before a todo that would not finish in time: the
				// database would go on with it after the lock is released.
				if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < 2*last {
					return fmt.Errorf("stopping before the deadline: %w", context.DeadlineExceeded)
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				t := time.Now()
				changed, err := l.changeOne(ctx, coll, userID, ids[0], c)
				if err != nil {
					return err
				}
				last = time.Since(t)
				ids = ids[1:]
				if changed {
					n++
				}
			}
			return nil
		})
	}
	return n, err
}

// changeOne applies c to one todo, under the write lock, if it still
// applies. An update returns the todo as changed, for the cache.
func (l perUserTodos) changeOne(ctx context.Context, coll *mongo.Collection, userID string, id bson.ObjectID, c todoChange) (bool, error) {
	d, err := l.current(ctx, userID, id)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil || !c.match(d) {
		return false, err
	}
	if c.update == nil {
		res, err := coll.DeleteOne(ctx, l.byID(id))
		if err != nil {
			l.counts.forget(userID)
			if !refused(err) {
				l.cache.lost(userID)
			}
			return false, err
		}
		l.counts.add(userID, -int(res.DeletedCount))
		l.cache.deleted(userID, []bson.ObjectID{id})
		return res.DeletedCount == 1, nil
	}
	var after todoDoc
	err = coll.FindOneAndUpdate(ctx, l.byID(id), c.update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&after)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		l.cache.deleted(userID, []bson.ObjectID{id})
		return false, nil
	case err != nil:
		if !refused(err) {
			l.cache.lost(userID)
		}
		return false, err
	}
	// c.match held, so the update changed the todo (completed, version).
	l.cache.wrote(userID, []todoDoc{after})
	return true, nil
}

// deleteAll drops the user's collection: one write that takes about as
// long as one todo's update (30 ms at 3,000 todos with 10 KB notes).
func (l perUserTodos) deleteAll(ctx context.Context, userID string) error {
	c := l.coll(userID)
	if c == l.fallback {
		_, err := l.bulk(ctx, userID, deleteAllChange(userID))
		return err
	}
	return l.write(ctx, "todos.drop", func(ctx context.Context) error {
		err := c.Drop(ctx)
		l.counts.forget(userID)
		l.cache.lost(userID)
		return err
	})
}

package store

import (
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"math"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"listo/models"
)

// A list on the embedded database holds its page, not the user's todos.
// FerretDB v1 sorts by holding every matching document in memory (inside
// Listo's process), so streamList asks for the matching todos unsorted,
// a cursor batch at a time, counts them, and keeps the first skip+limit in
// a bounded heap, ordered as MongoDB orders the same sort:
//   - when skip+limit is at most listKeepDocs (the first pages), it is one
//     read, and the heap keeps the documents themselves;
//   - a later page is two reads: the first keeps the sort keys alone (a
//     projection) and finds the page's ids, the second reads those todos.
//
// What a list holds at once is one cursor batch (listBatch todos) and its
// page: at most listKeepDocs todos, or the keys of skip+limit todos (some
// 60 bytes each) and the page's todos.
const (
	// listBatch is the cursor batch of a list: 16 todos with
	// 10,000-character notes are about 160 KB (and as much again while
	// FerretDB encodes them).
	listBatch = 16
	// listKeepDocs is the most documents a one-read list keeps: a full
	// page (models.MaxPerPage).
	listKeepDocs = models.MaxPerPage
)

// todoKey is what a list sorts by.
type todoKey struct {
	ID        bson.ObjectID `bson:"_id"`
	Order     float64       `bson:"order"`
	CreatedAt time.Time     `bson:"created_at"`
	DueSort   time.Time     `bson:"due_sort"`
}

// keyProjection reads a todo's todoKey alone.
func keyProjection() bson.D {
	return bson.D{{Key: "_id", Value: 1}, {Key: "order", Value: 1}, {Key: "created_at", Value: 1}, {Key: "due_sort", Value: 1}}
}

// compareTodos is sort (one of models.TodoSorts) as a comparison of keys:
// the order of todoListQuery's sort document. Keys differ at least by _id.
func compareTodos(sort string) func(a, b todoKey) int {
	ids := func(a, b todoKey) int { return bytes.Compare(a.ID[:], b.ID[:]) }
	switch sort {
	case models.TodoSortCreated:
		return func(a, b todoKey) int { return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), ids(b, a)) }
	case models.TodoSortDue:
		return func(a, b todoKey) int {
			return cmp.Or(a.DueSort.Compare(b.DueSort), cmp.Compare(a.Order, b.Order), a.CreatedAt.Compare(b.CreatedAt), ids(a, b))
		}
	default:
		return func(a, b todoKey) int {
			return cmp.Or(cmp.Compare(a.Order, b.Order), a.CreatedAt.Compare(b.CreatedAt), ids(a, b))
		}
	}
}

// rankedTodo is one todo in a topTodos: its key, and its document when
// the heap keeps documents.
type rankedTodo struct {
	key todoKey
	raw bson.Raw
}

// topTodos keeps the first k todos offered, in the order of compare: a
// heap whose top is the last of them, which a todo that comes before it
// replaces.
type topTodos struct {
	compare func(a, b todoKey) int
	k       int
	items   []rankedTodo
}

func (t *topTodos) Len() int           { return len(t.items) }
func (t *topTodos) Less(i, j int) bool { return t.compare(t.items[i].key, t.items[j].key) > 0 }
func (t *topTodos) Swap(i, j int)      { t.items[i], t.items[j] = t.items[j], t.items[i] }
func (t *topTodos) Push(x any)         { t.items = append(t.items, x.(rankedTodo)) }
func (t *topTodos) Pop() any {
	last := t.items[len(t.items)-1]
	t.items = t.items[:len(t.items)-1]
	return last
}

// offer considers one todo; doc, when not nil, is called for the document
// to keep (a copy: the cursor reuses its buffer) only when the todo is
// kept.
func (t *topTodos) offer(key todoKey, doc func() bson.Raw) {
	keep := func() rankedTodo {
		r := rankedTodo{key: key}
		if doc != nil {
			r.raw = doc()
		}
		return r
	}
	switch {
	case t.k <= 0:
	case len(t.items) < t.k:
		heap.Push(t, keep())
	case t.compare(key, t.items[0].key) < 0:
		t.items[0] = keep()
		heap.Fix(t, 0)
	}
}

// sorted returns the kept todos in order.
func (t *topTodos) sorted() []rankedTodo {
	out := slices.Clone(t.items)
	slices.SortFunc(out, func(a, b rankedTodo) int { return t.compare(a.key, b.key) })
	return out
}

// scanTodos runs find(filter) unsorted, reading listBatch documents per
// round trip, and calls each with every document's key and its bytes
// (valid during the call only); it returns how many documents it read.
func scanTodos(ctx context.Context, c *mongo.Collection, filter, projection bson.D, each func(key todoKey, raw bson.Raw)) (int, error) {
	opts := options.Find().SetBatchSize(listBatch)
	if projection != nil {
		opts.SetProjection(projection)
	}
	cur, err := c.Find(ctx, filter, opts)
	if err != nil {
		return 0, err
	}
	defer cur.Close(context.WithoutCancel(ctx))
	n := 0
	for cur.Next(ctx) {
		var key todoKey
		if err := bson.Unmarshal(cur.Current, &key); err != nil {
			return n, err
		}
		each(key, cur.Current)
		n++
	}
	return n, cur.Err()
}

// streamList answers a list on the embedded layout from coll: the todos
// of the page q asks for, and how many of userID's todos match q.
func streamList(ctx context.Context, op opFunc, coll *mongo.Collection, userID string, q models.TodoQuery) ([]todoDoc, int, error) {
	filter, _ := todoListQuery(userID, q)
	skip, limit := pageBounds(q)
	compare := compareTodos(q.Sort)
	if skip+limit <= listKeepDocs {
		top := &topTodos{compare: compare, k: int(skip + limit)}
		var total int
		err := op(ctx, "todos.list", func(ctx context.Context) (err error) {
			total, err = scanTodos(ctx, coll, filter, nil, func(key todoKey, raw bson.Raw) {
				top.offer(key, func() bson.Raw { return slices.Clone(raw) })
			})
			return err
		})
		if err != nil {
			return nil, total, err
		}
		docs := make([]todoDoc, 0, limit)
		for _, r := range top.sorted()[min(int(skip), top.Len()):] {
			var d todoDoc
			if err := bson.Unmarshal(r.raw, &d); err != nil {
				return nil, total, err
			}
			docs = append(docs, d)
		}
		return docs, total, nil
	}

	top := &topTodos{compare: compare, k: int(min(skip+limit, math.MaxInt32))}
	var total int
	err := op(ctx, "todos.list_keys", func(ctx context.Context) (err error) {
		total, err = scanTodos(ctx, coll, filter, keyProjection(), func(key todoKey, _ bson.Raw) { top.offer(key, nil) })
		return err
	})
	ranked := top.sorted()
	if err != nil || int64(len(ranked)) <= skip {
		return nil, total, err
	}
	page := ranked[skip:]
	ids := make([]bson.ObjectID, len(page))
	for i, r := range page {
		ids[i] = r.key.ID
	}
	byID := make(map[bson.ObjectID]todoDoc, len(ids))
	var decodeErr error
	err = op(ctx, "todos.list", func(ctx context.Context) error {
		_, err := scanTodos(ctx, coll, bson.D{{Key: "user_id", Value: userID}, {Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}, nil,
			func(key todoKey, raw bson.Raw) {
				var d todoDoc
				if err := bson.Unmarshal(raw, &d); err != nil {
					decodeErr = err
					return
				}
				byID[d.ID] = d
			})
		return cmp.Or(err, decodeErr)
	})
	// A todo deleted between the two reads is left out of the page.
	docs := make([]todoDoc, 0, len(page))
	for _, id := range ids {
		if d, ok := byID[id]; ok {
			docs = append(docs, d)
		}
	}
	return docs, total, err
}

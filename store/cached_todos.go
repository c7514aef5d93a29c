package store

import (
	"bytes"
	"cmp"
	"slices"
	"sort"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"listo/models"
)

// One user's todos in the embedded cache (see cache.go), kept sorted in
// each of the three list orders, so that an unfiltered page is a slice of
// one of them and costs what the page holds, not what the user holds. A
// filtered list walks one order and counts (total needs every match); a
// list of one completed value stops once its page is full, as its total is
// counted ahead, and a due_before on the due order only reads the todos
// due before it.
//
// The Go list must answer exactly what the database's query answers
// (todoListQuery, on MongoDB and FerretDB alike); TestCacheListMatchesQuery
// and FuzzCacheListMatchesQuery check it item by item.

// The sorted views of a userTodos, one per models.TodoSorts value.
const (
	viewOrder   = iota // order, created_at, _id
	viewCreated        // created_at descending, _id descending
	viewDue            // due_sort, order, created_at, _id
	viewCount
)

func viewOf(sort string) int {
	switch sort {
	case models.TodoSortCreated:
		return viewCreated
	case models.TodoSortDue:
		return viewDue
	}
	return viewOrder
}

// compareView is view's sort as a comparison: todoListQuery's sort
// documents, as compareTodos has them for the streamed list. Two todos
// differ at least by id.
func compareView(view int) func(a, b *cachedTodo) int {
	switch view {
	case viewCreated:
		return func(a, b *cachedTodo) int {
			if c := cmp.Compare(b.created, a.created); c != 0 {
				return c
			}
			return bytes.Compare(b.id[:], a.id[:])
		}
	case viewDue:
		return func(a, b *cachedTodo) int {
			if c := cmp.Compare(a.dueSort, b.dueSort); c != 0 {
				return c
			}
			return compareOrder(a, b)
		}
	}
	return compareOrder
}

func compareOrder(a, b *cachedTodo) int {
	if c := cmp.Compare(a.order, b.order); c != 0 {
		return c
	}
	if c := cmp.Compare(a.created, b.created); c != 0 {
		return c
	}
	return bytes.Compare(a.id[:], b.id[:])
}

// cachedTodo is a todoDoc as the cache keeps it: times as milliseconds
// since the Unix epoch (what BSON dates hold), the owner once per user.
// The cache never changes one: a changed todo is a new cachedTodo.
type cachedTodo struct {
	title, notes string
	order        float64
	created      int64
	updated      int64
	dueSort      int64
	due          int64 // when hasDue
	completedAt  int64 // when hasCompletedAt
	version      int
	id           bson.ObjectID
	completed    bool
	hasDue       bool
	hasCompleted bool
}

// cacheTodoBytes estimates what one cachedTodo costs besides its texts:
// the struct (112 bytes with its allocation class), its pointer in the
// three views and its entry in byID (with the map's spare room).
// TestCacheSizeEstimate checks the estimate against the heap.
const cacheTodoBytes = 112 + 3*8 + 56

// cacheUserBytes estimates what one cached user costs besides the todos.
const cacheUserBytes = 512

// size is what t takes in the cache, as estimated.
func (t *cachedTodo) size() int64 {
	return cacheTodoBytes + textBytes(t.title) + textBytes(t.notes)
}

// textBytes is what a string's allocation takes, about.
func textBytes(s string) int64 {
	if s == "" {
		return 0
	}
	return int64(len(s)+15) &^ 15
}

// cachedFrom is d as the cache keeps it: what the database returns for
// it. (FerretDB v1 gives back an order of -0 as 0.)
func cachedFrom(d todoDoc) *cachedTodo {
	t := &cachedTodo{
		id: d.ID, title: d.Title, notes: d.Notes, completed: d.Completed, order: d.Order,
		created: d.CreatedAt.UnixMilli(), updated: d.UpdatedAt.UnixMilli(), dueSort: d.DueSort.UnixMilli(),
		version: d.Version,
	}
	if t.order == 0 {
		t.order = 0 // not -0
	}
	if d.Due != nil {
		t.due, t.hasDue = d.Due.UnixMilli(), true
	}
	if d.CompletedAt != nil {
		t.completedAt, t.hasCompleted = d.CompletedAt.UnixMilli(), true
	}
	return t
}

// doc is t as userID's todoDoc.
func (t *cachedTodo) doc(userID string) todoDoc {
	d := todoDoc{
		ID: t.id, UserID: userID, Title: t.title, Notes: t.notes, Completed: t.completed, Order: t.order,
		DueSort: msTime(t.dueSort), CreatedAt: msTime(t.created), UpdatedAt: msTime(t.updated), Version: t.version,
	}
	if t.hasDue {
		due := msTime(t.due)
		d.Due = &due
	}
	if t.hasCompleted {
		at := msTime(t.completedAt)
		d.CompletedAt = &at
	}
	return d
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// userTodos is one user's cached todos. Reads hold mu for reading; the
// cache's hooks change it holding mu, inside the write that changed the
// database.
type userTodos struct {
	userID string

	mu        sync.RWMutex
	byID      map[bson.ObjectID]*cachedTodo
	views     [viewCount][]*cachedTodo
	completed int   // how many are completed
	bytes     int64 // the estimate of what it takes

	prev, next *userTodos // the cache's LRU ring, under todoCache.mu
}

// newUserTodos makes userID's cached todos of todos (all of them).
func newUserTodos(userID string, todos []*cachedTodo) *userTodos {
	u := &userTodos{userID: userID, byID: make(map[bson.ObjectID]*cachedTodo, len(todos)), bytes: cacheUserBytes}
	for _, t := range todos {
		if old := u.byID[t.id]; old != nil { // not from one query
			u.count(old, -1)
		}
		u.byID[t.id] = t
		u.count(t, 1)
	}
	for view := range u.views {
		v := make([]*cachedTodo, 0, len(u.byID))
		for _, t := range u.byID {
			v = append(v, t)
		}
		slices.SortFunc(v, compareView(view))
		u.views[view] = v
	}
	return u
}

// count adds (sign 1) or takes away (-1) t's share of the totals.
func (u *userTodos) count(t *cachedTodo, sign int) {
	if t.completed {
		u.completed += sign
	}
	u.bytes += int64(sign) * t.size()
}

// put stores t, replacing the todo with its id; u.mu is held.
func (u *userTodos) put(t *cachedTodo) {
	u.remove(t.id)
	u.byID[t.id] = t
	u.count(t, 1)
	for view := range u.views {
		v := u.views[view]
		i, _ := slices.BinarySearchFunc(v, t, compareView(view))
		u.views[view] = slices.Insert(v, i, t)
	}
}

// remove deletes the todo with id, if any; u.mu is held.
func (u *userTodos) remove(id bson.ObjectID) {
	t := u.byID[id]
	if t == nil {
		return
	}
	delete(u.byID, id)
	u.count(t, -1)
	for view := range u.views {
		v := u.views[view]
		if i, ok := slices.BinarySearchFunc(v, t, compareView(view)); ok && v[i] == t {
			u.views[view] = slices.Delete(v, i, i+1)
		}
	}
}

// get returns the todo with id, or mongo.ErrNoDocuments.
func (u *userTodos) get(id bson.ObjectID) (todoDoc, error) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	t := u.byID[id]
	if t == nil {
		return todoDoc{}, mongo.ErrNoDocuments
	}
	return t.doc(u.userID), nil
}

// len is how many todos the user holds.
func (u *userTodos) len() int {
	u.mu.RLock()
	defer u.mu.RUnlock()
	return len(u.byID)
}

// maxOrder is the greatest order among the todos, 0 when there are none.
func (u *userTodos) maxOrder() float64 {
	u.mu.RLock()
	defer u.mu.RUnlock()
	v := u.views[viewOrder]
	if len(v) == 0 {
		return 0
	}
	return v[len(v)-1].order
}

// list answers q as the database would (todoListQuery, pageBounds): the
// page's todos and how many match in all.
func (u *userTodos) list(q models.TodoQuery) ([]todoDoc, int) {
	skip64, limit64 := pageBounds(q)
	u.mu.RLock()
	defer u.mu.RUnlock()
	view := viewOf(q.Sort)
	v := u.views[view]
	skip, limit := int(min(skip64, int64(len(v)))), int(min(limit64, int64(len(v))))

	var before int64
	if q.DueBefore != nil {
		before = dbTime(*q.DueBefore).UnixMilli()
		if view == viewDue {
			// Those due before it come first, and are all that match it.
			v = v[:sort.Search(len(v), func(i int) bool { return v[i].dueSort >= before })]
		}
	}
	var search *textSearch
	if q.Q != "" {
		search = newTextSearch(q.Q)
	}
	match := func(t *cachedTodo) bool {
		return (q.Completed == nil || t.completed == *q.Completed) &&
			(q.DueBefore == nil || t.dueSort < before) &&
			(search == nil || search.in(t.title) || search.in(t.notes))
	}

	page := make([]todoDoc, 0, min(limit, len(v)))
	switch {
	case q.Completed == nil && q.Q == "" && (q.DueBefore == nil || view == viewDue):
		// Every todo of v matches.
		for _, t := range v[min(skip, len(v)):min(skip+limit, len(v))] {
			page = append(page, t.doc(u.userID))
		}
		return page, len(v)
	case q.Completed != nil && q.Q == "" && q.DueBefore == nil:
		// The total is known: walk until the page is full.
		total := u.completed
		if !*q.Completed {
			total = len(v) - u.completed
		}
		n := 0
		for _, t := range v {
			if len(page) == limit || n >= skip+limit {
				break
			}
			if match(t) {
				if n >= skip {
					page = append(page, t.doc(u.userID))
				}
				n++
			}
		}
		return page, total
	}
	n := 0
	for _, t := range v {
		if match(t) {
			if n >= skip && len(page) < limit {
				page = append(page, t.doc(u.userID))
			}
			n++
		}
	}
	return page, n
}

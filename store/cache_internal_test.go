package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"listo/models"
)

// The tests in this file check the embedded store's todo cache (cache.go)
// against the database it copies: a list answered from memory equals the
// query the database answers (on MongoDB the only way, on the embedded
// FerretDB what a list ran before the cache), item by item.

// floatBits compares float64s by their bits, so that -0 and 0 differ.
func floatBits() cmp.Option {
	return cmp.Comparer(func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) })
}

// queryPage answers q for userID with the database's query: the filter and
// sort of todoListQuery (MongoDB's list, which FerretDB sorts itself), cut
// by pageBounds, and a count of the filter. regexOptions "i" replaces q's
// spelled-out pattern by the plain one with the "i" option (how the
// database itself folds case).
func queryPage(t testing.TB, s *Store, userID string, q models.TodoQuery, caseInsensitiveOption bool) ([]models.Todo, int) {
	t.Helper()
	ctx := context.Background()
	filter, sort := todoListQuery(userID, q)
	if caseInsensitiveOption && q.Q != "" {
		re := bson.Regex{Pattern: regexp.QuoteMeta(q.Q), Options: "i"}
		filter[len(filter)-1] = bson.E{Key: "$or", Value: bson.A{bson.D{{Key: "title", Value: re}}, bson.D{{Key: "notes", Value: re}}}}
	}
	skip, limit := pageBounds(q)
	coll := s.todos.coll(userID)
	total, err := coll.CountDocuments(ctx, filter)
	if err != nil {
		t.Fatalf("count %v: %v", filter, err)
	}
	var docs []todoDoc
	if err := findAll(ctx, coll, filter, options.Find().SetSort(sort).SetSkip(skip).SetLimit(limit), &docs); err != nil {
		t.Fatalf("find %v: %v", filter, err)
	}
	out := []models.Todo{}
	for _, d := range docs {
		out = append(out, d.model())
	}
	return out, int(total)
}

// checkList compares ListTodos (the cache's answer when userID is cached)
// with the database's query, item by item.
func checkList(t testing.TB, s *Store, userID string, q models.TodoQuery) bool {
	t.Helper()
	got, err := s.ListTodos(context.Background(), userID, q)
	if err != nil {
		t.Fatalf("ListTodos(%s) = %v", describeQuery(q), err)
	}
	want, total := queryPage(t, s, userID, q, false)
	ok := true
	if got.Total != total {
		t.Errorf("ListTodos(%s).Total = %d; the query counts %d", describeQuery(q), got.Total, total)
		ok = false
	}
	if diff := cmp.Diff(want, got.Items, floatBits()); diff != "" {
		t.Errorf("ListTodos(%s) items differ from the query's (-query +memory):\n%s", describeQuery(q), diff)
		ok = false
	}
	return ok
}

func describeQuery(q models.TodoQuery) string {
	var b strings.Builder
	fmt.Fprintf(&b, "sort=%s page=%d per_page=%d", q.Sort, q.Page, q.PerPage)
	if q.Completed != nil {
		fmt.Fprintf(&b, " completed=%t", *q.Completed)
	}
	if q.Q != "" {
		fmt.Fprintf(&b, " q=%+q", q.Q)
	}
	if q.DueBefore != nil {
		fmt.Fprintf(&b, " due_before=%s", q.DueBefore.Format(time.RFC3339Nano))
	}
	return b.String()
}

// cachedUser returns userID's cached todos, or nil.
func cachedUser(s *Store, userID string) *userTodos {
	return s.todos.(perUserTodos).cache.peek(userID)
}

// Texts that case folding treats specially, or that a regular expression
// would: each is a word of the random titles and notes.
func searchWords() []string {
	return []string{
		"milk", "MILK", "Milk", "bread", "Bread",
		"straße", "STRASSE", "Strasse", "ß", "ẞ", "ss",
		"σίσυφος", "ΣΊΣΥΦΟΣ", "Σίσυφος", "ς", "σ", "Σ",
		"ſ", "s", "S", "K", "k", "\u212a", // Kelvin sign
		"Å", "å", "\u212b", // Ångström sign
		"İstanbul", "istanbul", "ISTANBUL", "ı", "i", "I",
		"ǅ", "ǆ", "Ǆ", "ǈ",
		"é", "e\u0301", "É", "ﬁle", "file", "FILE",
		"\u0345", "ι", "Ι", "\u1fbe", "ᾳ", "ᾼ",
		"Ω", "ω", "\u2126", // Ohm sign
		"𐐀", "𐐨", // Deseret, 4 bytes
		"Ꭰ", "ꭰ", // Cherokee
		"日本語", "😀", "a.b*c", "(x)", "[y]", `\`, "$", "^", "|", "+?", "{2}",
		"  ", "\t",
	}
}

// randomText joins one to three random words, sometimes in another case.
func randomText(rnd *rand.Rand) string {
	words := searchWords()
	n := 1 + rnd.IntN(3)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = words[rnd.IntN(len(words))]
	}
	s := strings.Join(parts, " ")
	switch rnd.IntN(5) {
	case 0:
		s = strings.ToUpper(s)
	case 1:
		s = strings.ToLower(s)
	}
	return s
}

// randomTodo is a todo of userID with ties and edge values everywhere.
func randomTodo(rnd *rand.Rand, userID string, t0 time.Time) models.Todo {
	orders := []float64{0, math.Copysign(0, -1), 1, 1, 2, 2, 2.5, -1, -3.25, 1e9, 1e-300, 5e-324, math.MaxFloat64, -math.MaxFloat64, 1.0 / 3}
	title := strings.TrimSpace(randomText(rnd))
	if title == "" {
		title = "blank"
	}
	at := t0.Add(time.Duration(rnd.IntN(4))*time.Minute + time.Duration(rnd.IntN(3))*time.Millisecond)
	td := models.Todo{
		UserID: userID, Title: title, Order: orders[rnd.IntN(len(orders))],
		Completed: rnd.IntN(3) == 0, CreatedAt: at, UpdatedAt: at, Version: 1 + rnd.IntN(3),
	}
	if rnd.IntN(2) == 0 {
		td.Notes = randomText(rnd)
	}
	if td.Completed {
		td.CompletedAt = &at
	}
	td.Due = randomDue(rnd, t0)
	return td
}

func randomDue(rnd *rand.Rand, t0 time.Time) *time.Time {
	var due time.Time
	switch rnd.IntN(6) {
	case 0, 1:
		return nil
	case 2:
		due = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	case 3:
		due = time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)
	default:
		due = t0.Add(time.Duration(rnd.IntN(4)) * time.Hour)
	}
	return &due
}

// randomQuery is a query of the API's shape over todos: a text from them
// (in another case, cut anywhere) or any word, filters, a sort, a page.
func randomQuery(rnd *rand.Rand, todos []models.Todo, t0 time.Time) models.TodoQuery {
	q := models.TodoQuery{Sort: models.TodoSorts()[rnd.IntN(3)], PerPage: []int{1, 2, 3, 5, 7, 10, 50, 200}[rnd.IntN(8)]}
	q.Page = 1 + rnd.IntN(max(1, len(todos)/q.PerPage+2))
	if rnd.IntN(3) == 0 {
		b := rnd.IntN(2) == 0
		q.Completed = &b
	}
	if rnd.IntN(3) == 0 {
		before := randomDue(rnd, t0)
		if before == nil {
			b := t0.Add(90 * time.Minute)
			before = &b
		}
		q.DueBefore = before
	}
	if rnd.IntN(2) == 0 {
		var text string
		if len(todos) > 0 && rnd.IntN(3) > 0 {
			td := todos[rnd.IntN(len(todos))]
			text = td.Title
			if td.Notes != "" && rnd.IntN(2) == 0 {
				text = td.Notes
			}
			runes := []rune(text)
			i := rnd.IntN(len(runes))
			text = string(runes[i : i+1+rnd.IntN(len(runes)-i)])
		} else {
			text = searchWords()[rnd.IntN(len(searchWords()))]
		}
		switch rnd.IntN(4) {
		case 0:
			text = strings.ToUpper(text)
		case 1:
			text = strings.ToLower(text)
		case 2:
			text = strings.ToTitle(text)
		}
		q.Q = searchText(text)
	}
	return q
}

// searchText is text as the API passes ?q= to the store: trimmed, control
// characters refused (here: left out).
func searchText(text string) string {
	if models.TextProblem(models.TextPlain, text) != "" {
		return ""
	}
	return strings.TrimSpace(text)
}

// fillUser gives userID todos through every write path: an import before
// the user is cached (the cache loads them), then creates, updates,
// deletes and bulk changes while cached (written through). It returns the
// todos as created, for the queries.
func fillUser(t testing.TB, s *Store, rnd *rand.Rand, userID string, n int, t0 time.Time) []models.Todo {
	t.Helper()
	ctx := context.Background()
	var todos []models.Todo
	for range n / 2 {
		todos = append(todos, randomTodo(rnd, userID, t0))
	}
	if _, err := s.ImportUserTodos(ctx, userID, todos, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListTodos(ctx, userID, models.TodoQuery{}); err != nil { // loads the user
		t.Fatal(err)
	}
	if cachedUser(s, userID) == nil {
		t.Fatalf("user %s is not cached after a list", userID)
	}
	var ids []string
	for range n - n/2 {
		td := randomTodo(rnd, userID, t0)
		created, err := s.CreateTodo(ctx, td, rnd.IntN(3) == 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		todos = append(todos, td)
		ids = append(ids, created.ID)
	}
	for _, id := range ids {
		switch rnd.IntN(6) {
		case 0:
			if err := s.DeleteTodo(ctx, userID, id, models.NoPrecondition()); err != nil {
				t.Fatal(err)
			}
		case 1, 2:
			other := randomTodo(rnd, userID, t0)
			var p models.TodoPatch
			if rnd.IntN(2) == 0 {
				p.Title = &other.Title
			}
			if rnd.IntN(2) == 0 {
				p.Notes = &other.Notes
			}
			if rnd.IntN(2) == 0 {
				p.Order = &other.Order
			}
			if rnd.IntN(2) == 0 {
				p.Completed = &other.Completed
			}
			if rnd.IntN(2) == 0 {
				p.Due, p.SetDue = other.Due, true
			}
			if _, err := s.UpdateTodo(ctx, userID, id, p, models.NoPrecondition(), t0.Add(time.Duration(rnd.IntN(5))*time.Minute)); err != nil {
				t.Fatal(err)
			}
			todos = append(todos, other)
		}
	}
	switch rnd.IntN(4) {
	case 0:
		if _, err := s.SetAllTodosCompleted(ctx, userID, rnd.IntN(2) == 0, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	case 1:
		if _, err := s.DeleteCompletedTodos(ctx, userID); err != nil {
			t.Fatal(err)
		}
	}
	return todos
}

// TestCacheListMatchesQuery is the differential test: random users with
// random todos (unicode titles and notes that fold in every odd way, equal
// orders and creation times, missing and extreme due dates, -0 and
// extreme orders), written through every write path, and random queries
// (filters, search, the three sorts, pages), each answered from memory and
// by the database's query on the embedded FerretDB and compared item by
// item. The search is also compared with the database's own "i" option,
// which on FerretDB is Go's (?i): the rule of search.go.
func TestCacheListMatchesQuery(t *testing.T) {
	const users, queriesPerUser = 8, 40
	s := openEmbeddedStore(t)
	rnd := rand.New(rand.NewPCG(17, 2026))
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases, searches := 0, 0
	for u := range users {
		userID := bson.NewObjectID().Hex()
		todos := fillUser(t, s, rnd, userID, 10+u*12, t0)
		if cachedUser(s, userID) == nil {
			t.Fatalf("user %d is not cached", u)
		}
		for range queriesPerUser {
			q := randomQuery(rnd, todos, t0)
			cases++
			if !checkList(t, s, userID, q) {
				continue
			}
			if q.Q != "" {
				searches++
				want, total := queryPage(t, s, userID, q, true)
				got, _ := s.ListTodos(context.Background(), userID, q)
				if got.Total != total || cmp.Diff(want, got.Items, floatBits()) != "" {
					t.Errorf("ListTodos(%s) differs from the query with the \"i\" option: total %d vs %d", describeQuery(q), got.Total, total)
				}
			}
		}
	}
	t.Logf("%d queries compared (%d with a search)", cases, searches)
	if st := s.CacheStats(); st.Misses == 0 || st.Hits < uint64(cases) {
		t.Errorf("CacheStats = %+v; want every list answered from memory", st)
	}
}

// FuzzCacheListMatchesQuery is the differential test with a fuzzed title
// and search text (go test -fuzz FuzzCacheListMatchesQuery ./store/).
func FuzzCacheListMatchesQuery(f *testing.F) {
	for _, seed := range []struct {
		seed        uint64
		title, text string
	}{
		{1, "Buy milk", "MILK"},
		{2, "Straße", "STRASSE"},
		{3, "Kelvin \u212a", "k"},
		{4, "ſome", "SOME"},
		{5, "ΣΊΣΥΦΟΣ", "σίσυφος"},
		{6, "İstanbul", "istanbul"},
		{7, "cafe\u0301", "café"},
		{8, "a.b*c (x) [y]", ".B*C"},
		{9, "ǅemal", "ǆ"},
		{10, "𐐀", "𐐨"},
	} {
		f.Add(seed.seed, seed.title, seed.text)
	}
	s := openEmbeddedStoreAt(f, f.TempDir(), 0)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, seed uint64, title, text string) {
		title = strings.TrimSpace(title)
		if models.TextProblem(models.TextTitle, title) != "" || len(title) > 1000 {
			t.Skip("not a title the API stores")
		}
		text = searchText(text)
		if text == "" || utf8.RuneCountInString(text) > 200 {
			t.Skip("not a search the API passes")
		}
		rnd := rand.New(rand.NewPCG(seed, 17))
		userID := bson.NewObjectID().Hex()
		todos := fillUser(t, s, rnd, userID, 8, t0)
		mine := randomTodo(rnd, userID, t0)
		mine.Title = title
		if _, err := s.CreateTodo(context.Background(), mine, false, 0); err != nil {
			t.Fatal(err)
		}
		todos = append(todos, mine)
		for i := range 6 {
			q := randomQuery(rnd, todos, t0)
			if i < 3 {
				q.Q = text
			}
			checkList(t, s, userID, q)
		}
	})
}

// A write whose database call fails because the database is down changes
// nothing in memory: its outcome is unknown, so the user's cached todos
// are dropped, and once the database is back a list equals the database
// (which never saw the write).
func TestCacheWriteFailsWithTheDatabaseStopped(t *testing.T) {
	dir := t.TempDir()
	s := openEmbeddedStoreAt(t, dir, 0)
	ctx := context.Background()
	userID, before := filledUser(t, s, 3)
	victim := before.Items[0]

	s.stop() // the embedded FerretDB stops; the driver stays connected
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	title := "never stored"
	if _, err := s.UpdateTodo(wctx, userID, victim.ID, models.TodoPatch{Title: &title}, models.NoPrecondition(), time.Now()); err == nil {
		t.Fatal("UpdateTodo with the database stopped succeeded")
	}
	if u := cachedUser(s, userID); u != nil {
		if d, err := u.get(mustOID(t, victim.ID)); err != nil || d.Title == title {
			t.Errorf("after a failed update the cache holds %q, %v", d.Title, err)
		}
	}
	if _, err := s.CreateTodo(wctx, models.Todo{UserID: userID, Title: title, CreatedAt: time.Now()}, true, 0); err == nil {
		t.Fatal("CreateTodo with the database stopped succeeded")
	}
	if u := cachedUser(s, userID); u != nil && u.len() != len(before.Items) {
		t.Errorf("after a failed create the cache holds %d todos; want %d", u.len(), len(before.Items))
	}

	e, err := startEmbedded(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s.stopEmbedded = e.stop
	after, err := s.ListTodos(ctx, userID, models.TodoQuery{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, after, floatBits()); diff != "" {
		t.Errorf("list after the failed writes (-before +after):\n%s", diff)
	}
	checkList(t, s, userID, models.TodoQuery{PerPage: 200})
}

// replyDropper is a Unix socket proxy to the embedded database that, once
// armed, forwards the next command that contains a given name and closes
// the connection instead of forwarding the answer: the database applied
// the write, and the client sees a broken connection.
type replyDropper struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	armed   []byte // the command name to drop the answer of; nil: none
	dropped chan struct{}
}

func newReplyDropper(t *testing.T, target string) *replyDropper {
	t.Helper()
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "proxy.sock"))
	if err != nil {
		t.Fatal(err)
	}
	p := &replyDropper{ln: ln, target: target, dropped: make(chan struct{}, 1)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *replyDropper) arm(command string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.armed = []byte(command)
}

func (p *replyDropper) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("unix", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	var doomed atomic.Bool
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := client.Read(buf)
			if n > 0 {
				p.mu.Lock()
				if p.armed != nil && bytes.Contains(buf[:n], p.armed) {
					p.armed = nil
					doomed.Store(true)
				}
				p.mu.Unlock()
				if _, err := server.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := server.Read(buf)
		if n > 0 && doomed.Load() {
			p.dropped <- struct{}{}
			return // the answer is lost with the connection
		}
		if n > 0 {
			if _, err := client.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// A write that the database applied but whose answer never arrived (the
// connection broke) has an unknown outcome for the store: the user's
// cached todos are dropped, so the next list loads them again and shows
// the write, as the database does.
func TestCacheWriteWithALostAnswerReloads(t *testing.T) {
	dir := t.TempDir()
	s := openEmbeddedStoreAt(t, dir, 0)
	ctx := context.Background()
	userID, before := filledUser(t, s, 11)

	// The layout's writes go through the proxy; its cache stays.
	proxy := newReplyDropper(t, filepath.Join(dir, "db", socketName))
	uri, err := socketURI(proxy.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(10 * time.Second).SetRetryWrites(false))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	l := s.todos.(perUserTodos)
	l.db, l.fallback = client.Database("listo"), client.Database("listo").Collection("todos")
	s.todos = l

	victim := before.Items[0]
	title := "stored, answer lost"
	proxy.arm("findAndModify")
	if _, err := s.UpdateTodo(ctx, userID, victim.ID, models.TodoPatch{Title: &title}, models.NoPrecondition(), time.Now()); err == nil {
		t.Fatal("UpdateTodo succeeded although its answer was dropped")
	}
	select {
	case <-proxy.dropped:
	default:
		t.Fatal("no answer was dropped")
	}
	if cachedUser(s, userID) != nil {
		t.Error("the user's todos stayed cached after a write of unknown outcome")
	}
	got, err := s.TodoByID(ctx, userID, victim.ID)
	if err != nil || got.Title != title {
		t.Errorf("TodoByID after the lost answer = %q, %v; want %q (the database applied it)", got.Title, err, title)
	}
	checkList(t, s, userID, models.TodoQuery{PerPage: 200})
}

// refusingLayout is the embedded layout whose writes go to a collection
// name the server refuses (InvalidNamespace): a write the database
// answers with an error, without applying it.
type refusingLayout struct{ perUserTodos }

func (l refusingLayout) coll(string) *mongo.Collection { return l.db.Collection("$refused") }

// A write that the database refuses leaves the memory exactly as it was,
// and a following list equals the database.
func TestCacheWriteRefusedLeavesMemoryUnchanged(t *testing.T) {
	s := openEmbeddedStore(t)
	ctx := context.Background()
	userID, before := filledUser(t, s, 5)
	u := cachedUser(s, userID)
	if u == nil {
		t.Fatal("user not cached")
	}
	victim := before.Items[0]
	good := s.todos
	s.todos = refusingLayout{good.(perUserTodos)}
	title := "never stored"
	_, err := s.UpdateTodo(ctx, userID, victim.ID, models.TodoPatch{Title: &title}, models.NoPrecondition(), time.Now())
	var ce mongo.CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("UpdateTodo = %v; want the server's refusal", err)
	}
	if err := s.DeleteTodo(ctx, userID, victim.ID, models.NoPrecondition()); !errors.As(err, &ce) {
		t.Fatalf("DeleteTodo = %v; want the server's refusal", err)
	}
	s.todos = good
	if cachedUser(s, userID) != u {
		t.Fatal("a refused write dropped the cached user")
	}
	hits := s.CacheStats().Hits
	after, err := s.ListTodos(ctx, userID, models.TodoQuery{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	if s.CacheStats().Hits != hits+1 {
		t.Error("the list after the refused writes was not answered from memory")
	}
	if diff := cmp.Diff(before, after, floatBits()); diff != "" {
		t.Errorf("memory after the refused writes (-before +after):\n%s", diff)
	}
	checkList(t, s, userID, models.TodoQuery{PerPage: 200})
}

// filledUser gives a new user 20 random todos (rand.NewPCG(seed, seed+1))
// and returns the user's id and the list of all of them.
func filledUser(t *testing.T, s *Store, seed uint64) (string, models.Page[models.Todo]) {
	t.Helper()
	userID := bson.NewObjectID().Hex()
	fillUser(t, s, rand.New(rand.NewPCG(seed, seed+1)), userID, 20, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	page, err := s.ListTodos(context.Background(), userID, models.TodoQuery{PerPage: 200})
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("ListTodos = %d todos, %v", len(page.Items), err)
	}
	return userID, page
}

func mustOID(t testing.TB, id string) bson.ObjectID {
	t.Helper()
	oid, err := bson.ObjectIDFromHex(id)
	if err != nil {
		t.Fatal(err)
	}
	return oid
}

// Concurrent writes and lists of one user (run it with -race): every list
// shows a writer's own acknowledged creates and updates and none of its
// acknowledged deletes, never a todo that no create returned, and
// afterwards the memory equals the database. A goroutine drops the cached
// user now and then, so loads race with the writes too.
func TestCacheConcurrentWritesAndLists(t *testing.T) {
	s := openEmbeddedStore(t)
	ctx := context.Background()
	userID := bson.NewObjectID().Hex()
	t0 := time.Now()
	const writers, rounds = 4, 25

	listed := func() map[string]int {
		p, err := s.ListTodos(ctx, userID, models.TodoQuery{PerPage: models.MaxPerPage})
		if err != nil {
			t.Error(err)
			return nil
		}
		out := map[string]int{}
		for _, td := range p.Items {
			out[td.ID] = td.Version
		}
		return out
	}
	var mu sync.Mutex
	created := map[string]bool{}
	var seen []string // ids lists showed before their create was recorded
	var writing, reading sync.WaitGroup
	for w := range writers {
		writing.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(w), 99))
			var mine []string
			for i := range rounds {
				td, err := s.CreateTodo(ctx, models.Todo{UserID: userID, Title: fmt.Sprintf("w%d %d", w, i), CreatedAt: t0}, true, 0)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				created[td.ID] = true
				mu.Unlock()
				mine = append(mine, td.ID)
				if got := listed(); got != nil && got[td.ID] == 0 {
					t.Errorf("writer %d: a list after creating %s does not show it", w, td.ID)
				}
				switch rnd.IntN(4) {
				case 0:
					id := mine[rnd.IntN(len(mine))]
					done := rnd.IntN(2) == 0
					up, err := s.UpdateTodo(ctx, userID, id, models.TodoPatch{Completed: &done}, models.NoPrecondition(), time.Now())
					if err != nil {
						t.Error(err)
						continue
					}
					if got := listed(); got != nil && got[id] < up.Version {
						t.Errorf("writer %d: a list after updating %s to version %d shows version %d", w, id, up.Version, got[id])
					}
				case 1:
					id := mine[len(mine)-1]
					mine = mine[:len(mine)-1]
					if err := s.DeleteTodo(ctx, userID, id, models.NoPrecondition()); err != nil {
						t.Error(err)
					}
					if got := listed(); got != nil && got[id] != 0 {
						t.Errorf("writer %d: a list after deleting %s still shows it", w, id)
					}
				case 2:
					if _, err := s.SetAllTodosCompleted(ctx, userID, rnd.IntN(2) == 0, time.Now()); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	done := make(chan struct{})
	for range 2 {
		reading.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				got := listed()
				mu.Lock()
				for id := range got {
					if !created[id] {
						seen = append(seen, id) // its create may not have returned yet
					}
				}
				mu.Unlock()
				if _, err := s.TodoByID(ctx, userID, "0123456789abcdef01234567"); !errors.Is(err, models.ErrNotFound) {
					t.Errorf("TodoByID(unknown) = %v", err)
				}
			}
		})
	}
	reading.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(3 * time.Millisecond):
				s.todos.lost(userID)
			}
		}
	})
	writing.Wait()
	close(done)
	reading.Wait()

	for _, id := range seen {
		if !created[id] {
			t.Errorf("a list showed %s, which no create returned", id)
		}
	}
	if _, err := s.ListTodos(ctx, userID, models.TodoQuery{}); err != nil { // cached again
		t.Fatal(err)
	}
	if cachedUser(s, userID) == nil {
		t.Fatal("user not cached")
	}
	for _, q := range []models.TodoQuery{{PerPage: 200}, {PerPage: 200, Sort: models.TodoSortCreated}, {PerPage: 200, Sort: models.TodoSortDue}} {
		checkList(t, s, userID, q)
	}
	t.Logf("cache after the race: %+v", s.CacheStats())
}

// Under a small bound the least recently used users are dropped, the bound
// holds, and every list stays equal to the database, also for users
// written to while dropped.
func TestCacheEvictionKeepsListsCorrect(t *testing.T) {
	const limit = 48 << 10
	s := openEmbeddedStoreAt(t, t.TempDir(), limit)
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(7, 8))
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var users []string
	todos := map[string][]models.Todo{}
	for range 16 {
		userID := bson.NewObjectID().Hex()
		users = append(users, userID)
		todos[userID] = fillUser(t, s, rnd, userID, 24, t0)
	}
	for i := range 300 {
		userID := users[rnd.IntN(len(users))]
		if i%7 == 0 {
			td := randomTodo(rnd, userID, t0)
			if _, err := s.CreateTodo(ctx, td, false, 0); err != nil {
				t.Fatal(err)
			}
			todos[userID] = append(todos[userID], td)
		}
		checkList(t, s, userID, randomQuery(rnd, todos[userID], t0))
		if st := s.CacheStats(); st.Bytes > st.LimitBytes {
			t.Fatalf("cache at %d bytes over its bound %d", st.Bytes, st.LimitBytes)
		}
	}
	st := s.CacheStats()
	t.Logf("cache: %+v", st)
	if st.Evictions == 0 || st.Users >= len(users) {
		t.Errorf("CacheStats = %+v; want users dropped under a %d-byte bound", st, limit)
	}
}

// A user whose todos would take more than a quarter of the bound is not
// cached: the list streams from the database, correct all the same.
func TestCacheOversizeUserStreams(t *testing.T) {
	s := openEmbeddedStoreAt(t, t.TempDir(), 64<<10)
	ctx := context.Background()
	userID := bson.NewObjectID().Hex()
	notes := strings.Repeat("n", 1000)
	var todos []models.Todo
	for i := range 40 {
		todos = append(todos, models.Todo{UserID: userID, Title: fmt.Sprint("todo ", i), Notes: notes, Order: float64(i % 7), CreatedAt: time.Now()})
	}
	if _, err := s.ImportUserTodos(ctx, userID, todos, 0); err != nil {
		t.Fatal(err)
	}
	for _, q := range []models.TodoQuery{{}, {Sort: models.TodoSortCreated, PerPage: 7, Page: 2}, {Q: "TODO 1"}} {
		checkList(t, s, userID, q)
	}
	if cachedUser(s, userID) != nil {
		t.Error("a user over the budget was cached")
	}
	if _, err := s.CreateTodo(ctx, models.Todo{UserID: userID, Title: "one more", CreatedAt: time.Now()}, true, 0); err != nil {
		t.Fatal(err)
	}
	checkList(t, s, userID, models.TodoQuery{PerPage: 200})
}

// A restart starts cold and loses nothing: the first list of a user is a
// miss and equals what the store answered before.
func TestCacheRestartIsColdAndCorrect(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(9, 10))
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := openEmbeddedStoreAt(t, dir, 0)
	userID := bson.NewObjectID().Hex()
	fillUser(t, s, rnd, userID, 30, t0)
	q := models.TodoQuery{PerPage: 200, Sort: models.TodoSortDue}
	before, err := s.ListTodos(ctx, userID, q)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}

	s = openEmbeddedStoreAt(t, dir, 0)
	if st := s.CacheStats(); st.Users != 0 || st.Bytes != 0 || st.Hits+st.Misses != 0 {
		t.Errorf("CacheStats after a restart = %+v; want empty", st)
	}
	after, err := s.ListTodos(ctx, userID, q)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, after, floatBits()); diff != "" {
		t.Errorf("list after a restart (-before +after):\n%s", diff)
	}
	if st := s.CacheStats(); st.Misses != 1 || st.Users != 1 {
		t.Errorf("CacheStats after the first list = %+v; want one miss, one user", st)
	}
	checkList(t, s, userID, q)
}

// The cache's size estimate follows what the cached todos take on the
// heap, so that EMBEDDED_CACHE_MB bounds memory: within 30 % either way
// for 200 users of 100 todos with short titles and some notes.
func TestCacheSizeEstimate(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 20,000 todos")
	}
	s := openEmbeddedStore(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var users []string
	var all []models.Todo
	for u := range 200 {
		userID := bson.NewObjectID().Hex()
		users = append(users, userID)
		for i := range 100 {
			td := models.Todo{UserID: userID, Title: fmt.Sprintf("todo %d of user %d", i, u), Order: float64(i), CreatedAt: t0, UpdatedAt: t0}
			if i%4 == 0 {
				td.Notes = strings.Repeat("note ", 1+i%20)
			}
			if i%3 == 0 {
				td.Due = &t0
			}
			all = append(all, td)
		}
	}
	if _, err := s.ImportTodos(ctx, all); err != nil {
		t.Fatal(err)
	}
	// Warm the database's own state, then measure the cache alone.
	for _, userID := range users {
		if _, err := s.TodoIndexes(ctx, userID); err != nil {
			t.Fatal(err)
		}
	}
	s.todos.(perUserTodos).cache.limit = math.MaxInt64
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	base := heap()
	for _, userID := range users {
		if _, err := s.ListTodos(ctx, userID, models.TodoQuery{}); err != nil {
			t.Fatal(err)
		}
	}
	grew := int64(heap()) - int64(base)
	st := s.CacheStats()
	ratio := float64(st.Bytes) / float64(grew)
	t.Logf("%d users cached: estimate %.2f MB, heap grew %.2f MB (%.2f×)", st.Users, float64(st.Bytes)/(1<<20), float64(grew)/(1<<20), ratio)
	if st.Users != len(users) || ratio < 0.7 || ratio > 1.3 {
		t.Errorf("estimate %d bytes for a heap growth of %d (%.2f×), %d users; want within 30 %%", st.Bytes, grew, ratio, st.Users)
	}
}

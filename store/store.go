// Package store keeps Listo's users, sessions and todos in MongoDB through the
// official driver. Without a MongoDB URI it starts an embedded FerretDB
// (SQLite files under the data folder, a Unix socket, see embedded.go)
// in-process and talks to it with the same code.
//
// What differs between the two backends is decided once, in Open:
//   - the embedded engine loses concurrent updates to one document, so there
//     every write holds one write lock (the embedded database has no other
//     client); on MongoDB the same single-document conditional updates are
//     atomic by themselves. Waiting for the lock gives up when the request's
//     context ends, and no write holds it for long: bulk changes release it
//     between short batches (bulk.go);
//   - where todos live and how a todo query runs is a todoLayout (layout.go):
//     one indexed collection on MongoDB, one collection per user on the
//     embedded engine, which scans.
package store

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"listo/models"
)

// Options configures Open.
type Options struct {
	URI      string        // MongoDB URI; empty starts the embedded FerretDB
	Database string        // database name
	DataDir  string        // where the embedded FerretDB keeps its SQLite files
	Timeout  time.Duration // bound on server selection and on each operation
	Logger   *slog.Logger
	// Observe, when set, is called after every database operation with its
	// name and duration (for metrics).
	Observe func(op string, d time.Duration, err error)
	// CacheBytes bounds the embedded database's cache of todos (see
	// cache.go): 0 is DefaultCacheBytes, a negative value turns it off.
	// MongoDB has none.
	CacheBytes int64
}

// Store is the MongoDB-backed storage of Listo.
type Store struct {
	client   *mongo.Client
	db       *mongo.Database
	users    *mongo.Collection
	sessions *mongo.Collection
	todos    todoLayout
	timeout  time.Duration
	log      *slog.Logger
	observe  func(op string, d time.Duration, err error)

	// writeLock is the embedded mode's write lock, a one-slot semaphore
	// (nil on MongoDB): a channel, so that waiting for it can give up
	// when the request's context ends, and waiters are served in order.
	writeLock chan struct{}

	stopEmbedded func()
	soleWriter   bool // the embedded database: see SoleWriter

	indexesMu    sync.Mutex
	indexesReady bool
}

// Open connects to MongoDB, or starts the embedded FerretDB and connects to
// it. It does not fail when the database is unreachable: the driver
// reconnects by itself, and Ready reports the state.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Second
	}
	s := &Store{timeout: o.Timeout, log: o.Logger, observe: o.Observe}
	uri, layout := o.URI, newSharedTodos
	if uri == "" {
		cacheBytes := o.CacheBytes
		if cacheBytes == 0 {
			cacheBytes = DefaultCacheBytes
		}
		e, err := startEmbedded(o.DataDir, o.Logger)
		if err != nil {
			return nil, err
		}
		uri, s.stopEmbedded, s.soleWriter = e.uri, e.stop, true
		s.writeLock = make(chan struct{}, 1)
		layout = func(db *mongo.Database, op, write opFunc) todoLayout {
			return newPerUserTodos(db, op, write, cacheBytes)
		}
	}
	opts := options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(o.Timeout).
		SetConnectTimeout(o.Timeout).
		SetTimeout(o.Timeout).
		SetAppName("listo")
	client, err := mongo.Connect(opts)
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("db: connect: %w", err)
	}
	s.client = client
	s.db = client.Database(o.Database)
	s.users = s.db.Collection("users")
	s.sessions = s.db.Collection("sessions")
	s.todos = layout(s.db, s.op, s.write)
	return s, nil
}

// Close disconnects the driver, then stops the embedded database (in that
// order: FerretDB waits for open connections).
func (s *Store) Close(ctx context.Context) error {
	err := s.client.Disconnect(ctx)
	s.stop()
	return err
}

func (s *Store) stop() {
	if s.stopEmbedded != nil {
		s.stopEmbedded()
		s.stopEmbedded = nil
	}
}

// SoleWriter reports whether this process is the only one that writes the
// database: true for the embedded one, which is private to it (a second
// process on the same data folder is refused at start), false on MongoDB,
// which several instances may share.
func (s *Store) SoleWriter() bool { return s.soleWriter }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.op(ctx, "ping", func(ctx context.Context) error {
		return s.client.Ping(ctx, nil)
	})
}

// Ready reports whether the database answers and the indexes exist; it
// creates them when they do not yet (after a start with the database down).
func (s *Store) Ready(ctx context.Context) error {
	if err := s.Ping(ctx); err != nil {
		return err
	}
	return s.EnsureIndexes(ctx)
}

// EnsureIndexes creates the collections' indexes. It is idempotent, and
// remembers success so later calls cost nothing.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	s.indexesMu.Lock()
	defer s.indexesMu.Unlock()
	if s.indexesReady {
		return nil
	}
	specs := []indexSet{
		{s.users, []mongo.IndexModel{
			{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetUnique(true).SetName("email_unique")},
			{Keys: bson.D{{Key: "role", Value: 1}}, Options: options.Index().SetName("role")},
		}},
		{s.sessions, []mongo.IndexModel{
			{Keys: bson.D{{Key: "user_id", Value: 1}}, Options: options.Index().SetName("user_id")},
			{Keys: bson.D{{Key: "refresh_hash", Value: 1}}, Options: options.Index().SetName("refresh_hash")},
			{Keys: bson.D{{Key: "expires_at", Value: 1}}, Options: options.Index().SetName("expires_at")},
		}},
		s.linkTokenIndexes(),
		s.patIndexes(),
		s.passkeyIndexes(),
		s.challengeIndexes(),
	}
	for _, spec := range append(specs, s.todos.indexes()...) {
		err := s.write(ctx, "create_indexes", func(ctx context.Context) error {
			missing, err := missingIndexes(ctx, spec.coll, spec.indexes)
			if err != nil || len(missing) == 0 {
				return err
			}
			_, err = spec.coll.Indexes().CreateMany(ctx, missing)
			return err
		})
		if err != nil {
			return fmt.Errorf("db: indexes of %s: %w", spec.coll.Name(), err)
		}
	}
	s.indexesReady = true
	return nil
}

// indexSet is the indexes that one collection needs.
type indexSet struct {
	coll    *mongo.Collection
	indexes []mongo.IndexModel
}

// missingIndexes lists the wanted indexes whose names do not exist yet.
// (FerretDB v1 fails createIndexes on a restart when the indexes exist, so
// only what is missing is created.)
func missingIndexes(ctx context.Context, c *mongo.Collection, want []mongo.IndexModel) ([]mongo.IndexModel, error) {
	cur, err := c.Indexes().List(ctx)
	if err != nil {
		return nil, err
	}
	var have []struct {
		Name string `bson:"name"`
	}
	if err := cur.All(ctx, &have); err != nil {
		return nil, err
	}
	exists := map[string]bool{}
	for _, h := range have {
		exists[h.Name] = true
	}
	var missing []mongo.IndexModel
	for _, m := range want {
		if name := indexName(m); name == "" || !exists[name] {
			missing = append(missing, m)
		}
	}
	return missing, nil
}

func indexName(m mongo.IndexModel) string {
	if m.Options == nil {
		return ""
	}
	var o options.IndexOptions
	for _, set := range m.Options.List() {
		if err := set(&o); err != nil {
			return ""
		}
	}
	if o.Name == nil {
		return ""
	}
	return *o.Name
}

// opFunc is the signature of Store.op, for the layouts that run their own
// operations.
type opFunc func(ctx context.Context, name string, f func(ctx context.Context) error) error

// op runs one read operation with the store's timeout, observes it and maps
// driver errors to model errors.
func (s *Store) op(ctx context.Context, name string, f func(ctx context.Context) error) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := mapErr(f(ctx))
	if s.observe != nil {
		s.observe(name, time.Since(start), err)
	}
	return err
}

// write is op for writes: in embedded mode it holds the write lock, so a
// conditional update is atomic against every other write. Waiting for the
// lock ends with ctx: a request whose deadline passes while it waits gets
// models.ErrUnavailable (503) instead of queueing behind others' work.
func (s *Store) write(ctx context.Context, name string, f func(ctx context.Context) error) error {
	if s.writeLock != nil {
		if err := s.lockWrites(ctx); err != nil {
			return fmt.Errorf("db: %s: %w", name, err)
		}
		defer func() { <-s.writeLock }()
	}
	return s.op(ctx, name, f)
}

// findAll runs a find and decodes every document it returns into docs.
func findAll[T any](ctx context.Context, c *mongo.Collection, filter bson.D, opts *options.FindOptionsBuilder, docs *[]T) error {
	cur, err := c.Find(ctx, filter, opts)
	if err != nil {
		return err
	}
	return cur.All(ctx, docs)
}

// deleteMany deletes what filter matches in coll, as one write named
// name, and returns how many documents went.
func (s *Store) deleteMany(ctx context.Context, name string, coll *mongo.Collection, filter bson.D) (int, error) {
	var n int
	err := s.write(ctx, name, func(ctx context.Context) error {
		res, err := coll.DeleteMany(ctx, filter)
		if err == nil {
			n = int(res.DeletedCount)
		}
		return err
	})
	return n, err
}

// expiredBy is the filter of the documents whose expires_at is at or
// before now (the cleanups; a document without one never matches).
func expiredBy(now time.Time) bson.D {
	return bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lte", Value: dbTime(now)}}}}
}

// lockWrites takes the embedded write lock, or gives up when ctx ends
// first.
func (s *Store) lockWrites(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: waiting for the write lock: %w", models.ErrUnavailable, context.Cause(ctx))
	}
	select {
	case s.writeLock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for the write lock: %w", models.ErrUnavailable, context.Cause(ctx))
	}
}

// Server names the database server behind a store.
type Server struct {
	Name    string // "MongoDB" or "FerretDB"
	Version string // its own version (FerretDB's, not the MongoDB version it answers as)
}

// String is the name and version, for messages.
func (v Server) String() string { return v.Name + " " + v.Version }

// Server asks the database which server it is (buildInfo): FerretDB names
// itself in keys of its own ("ferretdbVersion"); anything else is taken
// for MongoDB.
func (s *Store) Server(ctx context.Context) (Server, error) {
	var info bson.M
	err := s.op(ctx, "build_info", func(ctx context.Context) error {
		return s.db.RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info)
	})
	if err != nil {
		return Server{}, fmt.Errorf("build info: %w", err)
	}
	v := Server{Name: "MongoDB", Version: fmt.Sprint(info["version"])}
	for k := range info {
		if strings.HasPrefix(strings.ToLower(k), "ferretdb") {
			v.Name = "FerretDB"
		}
	}
	if v.Name == "FerretDB" {
		// An embedded FerretDB may not know its own version.
		if fv, _ := info["ferretdbVersion"].(string); fv != "" && fv != "unknown" {
			v.Version = fv
		} else {
			v.Version = "compatible with MongoDB " + v.Version
		}
	}
	return v, nil
}

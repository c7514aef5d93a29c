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

// Change streams: with several Listo instances on one MongoDB, every
// instance reads every write of todos, sessions and users back from the
// database's change stream and tells its own live clients (GET /events),
// whichever instance made the write. That needs a replica set (a
// single-node one is enough); a standalone server, FerretDB and the
// embedded database have none.

// ErrNoChangeStreams means the database cannot stream its changes: a
// standalone MongoDB, FerretDB, the embedded database.
var ErrNoChangeStreams = errors.New("db: no change streams (they need a MongoDB replica set)")

// ErrChangesLost means the change stream cannot resume where it stopped
// (its point has left the oplog): a new feed starts from now, and what
// happened in between is lost.
var ErrChangesLost = errors.New("db: the change stream cannot resume; changes were lost")

// noticesTTL is how long a bulk-change notice stays in its collection; it
// only has to reach the change stream.
const noticesTTL = time.Hour

// notices is the collection of bulk-change notices: a toggle-all or a
// clear reaches the change stream as one change per todo, and the notice
// after them tells clients to reload (models.TodosChanged).
func (s *Store) notices() *mongo.Collection { return s.db.Collection("notices") }

// ChangeFeed reads the changes of todos, sessions and users from the
// database's change stream, in the order the database applied them.
type ChangeFeed struct {
	s     *Store
	cs    *mongo.ChangeStream
	start uint64
	token bson.Raw
}

// Start is the feed's first position (cluster time, as models.Change.At):
// every change after it comes through the feed.
func (f *ChangeFeed) Start() uint64 { return f.start }

// Changes opens a change stream of todos, sessions and users starting now.
// It is ErrNoChangeStreams where the database has none. It turns on the
// pre-images of deleted todos (MongoDB 6 or newer), which tell whose todo
// was deleted, and the bulk-change notices' collection.
func (s *Store) Changes(ctx context.Context) (*ChangeFeed, error) {
	if s.writeLock != nil {
		return nil, ErrNoChangeStreams // the embedded database
	}
	var hello struct {
		SetName string `bson:"setName"`
		Msg     string `bson:"msg"`
	}
	if err := s.db.RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello); err != nil {
		return nil, fmt.Errorf("db: hello: %w", mapErr(err))
	}
	if hello.SetName == "" && hello.Msg != "isdbgrid" {
		return nil, ErrNoChangeStreams
	}
	if err := s.preImages(ctx); err != nil {
		return nil, err
	}
	if _, err := s.notices().Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "at", Value: 1}},
		Options: options.Index().SetName("at_ttl").SetExpireAfterSeconds(int32(noticesTTL / time.Second)),
	}); err != nil {
		return nil, fmt.Errorf("db: notices index: %w", mapErr(err))
	}
	ping, err := s.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Raw()
	if err != nil {
		return nil, fmt.Errorf("db: ping: %w", mapErr(err))
	}
	t, i, ok := ping.Lookup("operationTime").TimestampOK()
	if !ok {
		t, i, ok = ping.Lookup("$clusterTime", "clusterTime").TimestampOK()
	}
	if !ok {
		return nil, fmt.Errorf("db: no operationTime in a reply: %w", ErrNoChangeStreams)
	}
	start := bson.Timestamp{T: t, I: i}
	f := &ChangeFeed{s: s, start: position(start)}
	if f.cs, err = s.watch(ctx, options.ChangeStream().SetStartAtOperationTime(&start)); err != nil {
		return nil, err
	}
	return f, nil
}

// preImages makes deletes of todos carry the deleted document in the
// change stream: it alone tells the owner.
func (s *Store) preImages(ctx context.Context) error {
	on := bson.D{{Key: "enabled", Value: true}}
	err := s.db.RunCommand(ctx, bson.D{{Key: "collMod", Value: "todos"}, {Key: "changeStreamPreAndPostImages", Value: on}}).Err()
	var se mongo.ServerError
	if errors.As(err, &se) && se.HasErrorCode(26) { // NamespaceNotFound: a new database
		err = s.db.CreateCollection(ctx, "todos", options.CreateCollection().SetChangeStreamPreAndPostImages(on))
		if errors.As(err, &se) && se.HasErrorCode(48) { // NamespaceExists: another instance made it
			err = s.db.RunCommand(ctx, bson.D{{Key: "collMod", Value: "todos"}, {Key: "changeStreamPreAndPostImages", Value: on}}).Err()
		}
	}
	if err != nil {
		return fmt.Errorf("db: pre-images of todos (MongoDB 6 or newer, and the collMod privilege): %w", mapErr(err))
	}
	return nil
}

// watch opens the change stream from where opts say.
func (s *Store) watch(ctx context.Context, opts *options.ChangeStreamOptionsBuilder) (*mongo.ChangeStream, error) {
	match := bson.D{{Key: "$match", Value: bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "ns.coll", Value: "todos"}, {Key: "operationType", Value: bson.D{{Key: "$in", Value: bson.A{"insert", "update", "replace", "delete"}}}}},
		bson.D{{Key: "ns.coll", Value: "users"}, {Key: "operationType", Value: bson.D{{Key: "$in", Value: bson.A{"update", "replace", "delete"}}}}},
		bson.D{{Key: "ns.coll", Value: "sessions"}, {Key: "operationType", Value: "update"},
			{Key: "updateDescription.updatedFields.revoked_at", Value: bson.D{{Key: "$exists", Value: true}}}},
		bson.D{{Key: "ns.coll", Value: "notices"}, {Key: "operationType", Value: "insert"}},
	}}}}}
	opts.SetFullDocument(options.UpdateLookup).SetFullDocumentBeforeChange(options.WhenAvailable)
	cs, err := s.db.Watch(ctx, mongo.Pipeline{match}, opts)
	var se mongo.ServerError
	if errors.As(err, &se) && (se.HasErrorCode(40573) || se.HasErrorCode(59) || se.HasErrorCode(115)) {
		// Only on replica sets; CommandNotFound; CommandNotSupported.
		return nil, fmt.Errorf("%w: %v", ErrNoChangeStreams, err)
	}
	if err != nil {
		return nil, fmt.Errorf("db: watch: %w", mapErr(err))
	}
	return cs, nil
}

// position is a cluster time as one number: seconds << 32 | increment.
func position(ts bson.Timestamp) uint64 { return uint64(ts.T)<<32 | uint64(ts.I) }

type changeEvent struct {
	OperationType string `bson:"operationType"`
	NS            struct {
		Coll string `bson:"coll"`
	} `bson:"ns"`
	DocumentKey struct {
		ID bson.ObjectID `bson:"_id"`
	} `bson:"documentKey"`
	ClusterTime bson.Timestamp `bson:"clusterTime"`
	Full        bson.Raw       `bson:"fullDocument"`
	Before      bson.Raw       `bson:"fullDocumentBeforeChange"`
}

type noticeDoc struct {
	UserID string    `bson:"user_id"`
	Reason string    `bson:"reason"`
	At     time.Time `bson:"at"`
}

// Next waits for the next change (ctx bounds the wait). When the stream
// breaks (the database restarted or was unreachable), it opens it again
// where it stopped, until ctx ends; ErrChangesLost when that point is gone.
func (f *ChangeFeed) Next(ctx context.Context) (models.Change, error) {
	for {
		if f.cs.Next(ctx) {
			f.token = f.cs.ResumeToken()
			var ev changeEvent
			if err := f.cs.Decode(&ev); err != nil {
				f.s.log.Warn("change stream: undecodable event skipped", "error", err.Error())
				continue
			}
			if c, ok := ev.change(); ok {
				return c, nil
			}
			continue
		}
		if ctx.Err() != nil {
			return models.Change{}, ctx.Err()
		}
		err := f.cs.Err()
		f.s.log.Warn("change stream broke; resuming", "error", fmt.Sprint(err))
		_ = f.cs.Close(context.WithoutCancel(ctx))
		if err := f.resume(ctx); err != nil {
			return models.Change{}, err
		}
	}
}

// resume opens the stream again after the last event read (or at the
// start), retrying while the database is unreachable.
func (f *ChangeFeed) resume(ctx context.Context) error {
	for delay := 250 * time.Millisecond; ; delay = min(delay*2, 10*time.Second) {
		opts := options.ChangeStream()
		if f.token != nil {
			opts.SetStartAfter(f.token)
		} else {
			start := bson.Timestamp{T: uint32(f.start >> 32), I: uint32(f.start)}
			opts.SetStartAtOperationTime(&start)
		}
		cs, err := f.s.watch(ctx, opts)
		if err == nil {
			f.cs = cs
			return nil
		}
		var se mongo.ServerError
		if errors.As(err, &se) && (se.HasErrorCode(286) || se.HasErrorCode(280) || se.HasErrorCode(136)) {
			// ChangeStreamHistoryLost, ChangeStreamFatalError,
			// CappedPositionLost.
			return fmt.Errorf("%w: %v", ErrChangesLost, err)
		}
		if errors.Is(err, ErrNoChangeStreams) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

// Close ends the stream.
func (f *ChangeFeed) Close(ctx context.Context) error { return f.cs.Close(ctx) }

// change is the models.Change of a change event; ok is false for one
// that live clients need not hear of.
func (ev changeEvent) change() (models.Change, bool) {
	c := models.Change{At: position(ev.ClusterTime)}
	switch ev.NS.Coll {
	case "todos":
		if ev.OperationType == "delete" {
			var d todoDoc
			if ev.Before == nil || bson.Unmarshal(ev.Before, &d) != nil {
				return c, false // whose it was is unknown
			}
			c.Kind, c.UserID, c.ID = models.TodoDeleted, d.UserID, ev.DocumentKey.ID.Hex()
			return c, true
		}
		var d todoDoc
		if ev.Full == nil || bson.Unmarshal(ev.Full, &d) != nil {
			return c, false // deleted since: its delete follows
		}
		c.Kind, c.UserID, c.Todo = models.TodoUpdated, d.UserID, d.model()
		if ev.OperationType == "insert" {
			c.Kind = models.TodoCreated
		}
		return c, true
	case "users":
		if ev.OperationType == "delete" {
			c.Kind, c.UserID = models.UserDeleted, ev.DocumentKey.ID.Hex()
			return c, true
		}
		var d userDoc
		if ev.Full == nil || bson.Unmarshal(ev.Full, &d) != nil {
			return c, false
		}
		c.Kind, c.UserID, c.User = models.UserUpdated, d.ID.Hex(), d.model()
		return c, true
	case "sessions":
		var d sessionDoc
		if ev.Full == nil || bson.Unmarshal(ev.Full, &d) != nil || d.RevokedAt == nil {
			return c, false
		}
		c.Kind, c.UserID, c.ID = models.SessionRevoked, d.UserID, d.ID.Hex()
		return c, true
	case "notices":
		var d noticeDoc
		if ev.Full == nil || bson.Unmarshal(ev.Full, &d) != nil {
			return c, false
		}
		c.Kind, c.UserID, c.Reason = models.TodosChanged, d.UserID, d.Reason
		return c, true
	}
	return c, false
}

// NoticeBulkChange records that a bulk change of a user's todos is done,
// for the change stream (see notices).
func (s *Store) NoticeBulkChange(ctx context.Context, userID, reason string, now time.Time) error {
	return s.op(ctx, "notices.insert", func(ctx context.Context) error {
		_, err := s.notices().InsertOne(ctx, noticeDoc{UserID: userID, Reason: reason, At: dbTime(now)})
		return err
	})
}

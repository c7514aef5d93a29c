package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"listo/models"
)

// Bulk changes (toggle-all, clear-completed, the todos of a deleted user)
// run in batches, each a short write of its own: on the embedded database
// the write lock is released between batches, so another user's write
// waits for one batch at most, not for the whole change. A change stops
// between batches, or in one, when its context ends (the handler gives it
// a deadline): it returns how many todos it changed so far and an error
// wrapping models.ErrUnavailable, and what it changed stays changed. The
// changes are idempotent, so the same request again continues where the
// first stopped.
const (
	// bulkBatch is the most todos one batch changes: on MongoDB the size
	// of one {_id: {$in: ids}} update or delete (an index read and a
	// write of a few milliseconds).
	bulkBatch = 100
	// bulkBatchTime is how long a batch on the embedded database keeps
	// taking todos: there each todo is its own update or delete, whose
	// cost grows with its owner's collection (FerretDB v1 has SQLite scan
	// the table for the _id): from about 1 ms with a hundred small todos
	// to 150 ms at 5,000 todos with 10,000-character notes. A batch takes
	// at least one todo, so it holds the lock for about
	// max(bulkBatchTime, one todo).
	bulkBatchTime = 100 * time.Millisecond
)

// todoChange is one bulk change of a user's todos.
type todoChange struct {
	name string // the operation's name, for metrics
	// filter selects the todos to change, user_id first (an index prefix
	// on MongoDB, where it also guards each batch's write).
	filter bson.D
	// match is filter as a check of one todo read under the embedded
	// write lock, where the write's own filter is {_id} alone.
	match func(todoDoc) bool
	// update is the update to apply; nil deletes.
	update bson.D
}

func deleteAllChange(userID string) todoChange {
	return todoChange{
		name:   "todos.delete_all",
		filter: bson.D{{Key: "user_id", Value: userID}},
		match:  func(todoDoc) bool { return true },
	}
}

// findIDs returns the ids of the documents that filter matches, at most
// limit of them (0: all).
func findIDs(ctx context.Context, c *mongo.Collection, filter bson.D, limit int64) ([]bson.ObjectID, error) {
	opts := options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetBatchSize(1000)
	if limit > 0 {
		opts.SetLimit(limit)
	}
	var docs []struct {
		ID bson.ObjectID `bson:"_id"`
	}
	if err := findAll(ctx, c, filter, opts, &docs); err != nil {
		return nil, err
	}
	ids := make([]bson.ObjectID, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids, nil
}

// checkLimit refuses adding n todos to a user who has have, when that
// would pass limit.
func checkLimit(have, n, limit int) error {
	if have+n > limit {
		return fmt.Errorf("%w: %d todos and %d more would pass %d", models.ErrLimitReached, have, n, limit)
	}
	return nil
}

package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"listo/models"
)

// exportBatch is the cursor batch of EachTodo: 64 todos with
// 10,000-character notes are some 640 KB, whatever the user holds.
const exportBatch = 64

// EachTodo calls each with every one of userID's todos, in no particular
// order (each carries its order), reading one cursor batch at a time: what
// it holds at once does not grow with the number of todos. It is one
// unsorted find on every backend (sorting would make FerretDB hold them
// all). The store's timeout bounds each round trip, not the whole walk,
// which ends with ctx or at each's first error (returned as it is).
func (s *Store) EachTodo(ctx context.Context, userID string, each func(models.Todo) error) error {
	start := time.Now()
	err := s.eachTodo(ctx, userID, each)
	if s.observe != nil {
		s.observe("todos.each", time.Since(start), err)
	}
	return err
}

func (s *Store) eachTodo(ctx context.Context, userID string, each func(models.Todo) error) error {
	opts := options.Find().SetBatchSize(exportBatch)
	// The find itself runs under the store's timeout; the cursor's later
	// round trips get the driver's (the client's timeout) each.
	fctx, cancel := context.WithTimeout(ctx, s.timeout)
	cur, err := s.todos.coll(userID).Find(fctx, bson.D{{Key: "user_id", Value: userID}}, opts)
	cancel()
	if err != nil {
		return fmt.Errorf("todos of user: %w", mapErr(err))
	}
	defer cur.Close(context.WithoutCancel(ctx))
	for cur.Next(ctx) {
		var d todoDoc
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("todos of user: %w", mapErr(err))
		}
		if err := each(d.model()); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("todos of user: %w", mapErr(err))
	}
	return nil
}

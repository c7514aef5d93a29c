package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"listo/models"
)

// mapErr turns driver errors into model errors, keeping the driver error in
// the chain for the log.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return fmt.Errorf("db: %w", models.ErrNotFound)
	case mongo.IsDuplicateKeyError(err), isInternalDuplicate(err):
		return fmt.Errorf("db: %w: %w", models.ErrConflict, err)
	case unavailable(err):
		return fmt.Errorf("db: %w: %w", models.ErrUnavailable, err)
	}
	return fmt.Errorf("db: %w", err)
}

func unavailable(err error) bool {
	var sel topology.ServerSelectionError
	return mongo.IsTimeout(err) || mongo.IsNetworkError(err) ||
		errors.As(err, &sel) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, mongo.ErrClientDisconnected) ||
		errors.Is(err, topology.ErrTopologyClosed)
}

// isInternalDuplicate recognises FerretDB's answer to an update that breaks
// a unique index: InternalError (code 1) instead of MongoDB's 11000 (to
// an insert FerretDB v1 answers 11000 too), with the storage engine's
// message.
func isInternalDuplicate(err error) bool {
	var se mongo.ServerError
	if !errors.As(err, &se) || !se.HasErrorCode(1) {
		return false
	}
	msg := strings.ToLower(err.Error())
	// FerretDB v1 on SQLite (the embedded database): "... constraint
	// failed: UNIQUE constraint failed: index 'users_5e7cc513_email_unique'
	// (2067)".
	return strings.Contains(msg, "unique constraint failed") ||
		// FerretDB 2 on PostgreSQL with DocumentDB, whose unique indexes
		// are exclusion constraints: `conflicting key value violates
		// exclusion constraint "documents_rum_index_<n>"`.
		strings.Contains(msg, "conflicting key value violates exclusion constraint")
}

// parseID turns an API id into an ObjectID; a malformed id is simply not
// found, so probing ids reveals nothing.
func parseID(id string) (bson.ObjectID, error) {
	oid, err := bson.ObjectIDFromHex(id)
	if err != nil {
		return bson.ObjectID{}, fmt.Errorf("db: %w", models.ErrNotFound)
	}
	return oid, nil
}

func isNotFound(err error) bool { return errors.Is(err, models.ErrNotFound) }

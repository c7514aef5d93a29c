package store

import (
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"listo/models"
)

// TestMapErrDuplicateKey feeds mapErr the answers that MongoDB and the
// supported FerretDB versions give to a write that breaks a unique index
// (as the driver returns them), and a few that look alike but are not.
func TestMapErrDuplicateKey(t *testing.T) {
	const (
		ferretV1 = "[msg_findandmodify.go:196 handler.(*Handler).findAndModifyDocument] [update.go:114 common.UpdateDocument] " +
			"[collection.go:191 sqlite.(*collection).UpdateAll] [collection.go:177 sqlite.(*collection).UpdateAll.func1] " +
			"constraint failed: UNIQUE constraint failed: index 'users_5e7cc513_email_unique' (2067)"
		ferretV2 = `conflicting key value violates exclusion constraint "documents_rum_index_2"`
	)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"MongoDB insert", mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 11000, Message: "E11000 duplicate key error collection: listo.users index: email_unique dup key: { email: \"a@example.com\" }"}}}, models.ErrConflict},
		{"MongoDB findAndModify", mongo.CommandError{Code: 11000, Name: "DuplicateKey", Message: "E11000 duplicate key error"}, models.ErrConflict},
		{"FerretDB v1 (SQLite) findAndModify", mongo.CommandError{Code: 1, Name: "InternalError", Message: ferretV1}, models.ErrConflict},
		{"FerretDB 2 (PostgreSQL) findAndModify", mongo.CommandError{Code: 1, Name: "InternalError", Message: ferretV2}, models.ErrConflict},
		{"FerretDB 2 (PostgreSQL) update", mongo.WriteException{WriteErrors: []mongo.WriteError{{Code: 1, Message: ferretV2}}}, models.ErrConflict},
		{"another internal error", mongo.CommandError{Code: 1, Name: "InternalError", Message: "could not serialize access due to concurrent update"}, nil},
		{"the message with another code", mongo.CommandError{Code: 2, Name: "BadValue", Message: ferretV2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mapErr(tt.err)
			if se := mongo.ServerError(nil); !errors.As(got, &se) {
				t.Errorf("mapErr(%v) = %v; want the driver error kept in the chain", tt.err, got)
			}
			if tt.want != nil && !errors.Is(got, tt.want) {
				t.Errorf("mapErr(%v) = %v; want %v", tt.err, got, tt.want)
			}
			if tt.want == nil && errors.Is(got, models.ErrConflict) {
				t.Errorf("mapErr(%v) = %v; want no conflict", tt.err, got)
			}
		})
	}
}

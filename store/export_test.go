package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// InsertLegacyUserForTest stores a user as a version before email
// verification did: without the email_verified field.
func (s *Store) InsertLegacyUserForTest(ctx context.Context, email string) error {
	now := dbTime(time.Now())
	return s.write(ctx, "users.insert", func(ctx context.Context) error {
		_, err := s.users.InsertOne(ctx, bson.D{
			{Key: "_id", Value: bson.NewObjectID()}, {Key: "email", Value: email}, {Key: "name", Value: ""},
			{Key: "password_hash", Value: "x"}, {Key: "role", Value: "user"}, {Key: "disabled", Value: false},
			{Key: "created_at", Value: now}, {Key: "updated_at", Value: now},
		})
		return err
	})
}

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

// linkTokenDoc is a mailed token: _id is the SHA-256 of the token, so a
// lookup is by primary key on every backend.
type linkTokenDoc struct {
	Hash      string    `bson:"_id"`
	UserID    string    `bson:"user_id"`
	Purpose   string    `bson:"purpose"`
	Email     string    `bson:"email"`
	CreatedAt time.Time `bson:"created_at"`
	ExpiresAt time.Time `bson:"expires_at"`
}

func (d linkTokenDoc) model() models.LinkToken {
	return models.LinkToken{
		Hash: d.Hash, UserID: d.UserID, Purpose: d.Purpose, Email: d.Email,
		CreatedAt: d.CreatedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC(),
	}
}

func (s *Store) linkTokens() *mongo.Collection { return s.db.Collection("tokens") }

// CreateLinkToken stores t. With replace, the user's other tokens of the
// same purpose are deleted first, so at most one lives (a new reset link
// replaces the old one).
func (s *Store) CreateLinkToken(ctx context.Context, t models.LinkToken, replace bool) error {
	d := linkTokenDoc{
		Hash: t.Hash, UserID: t.UserID, Purpose: t.Purpose, Email: t.Email,
		CreatedAt: dbTime(t.CreatedAt), ExpiresAt: dbTime(t.ExpiresAt),
	}
	err := s.write(ctx, "tokens.insert", func(ctx context.Context) error {
		if replace {
			if _, err := s.linkTokens().DeleteMany(ctx, bson.D{{Key: "user_id", Value: t.UserID}, {Key: "purpose", Value: t.Purpose}}); err != nil {
				return err
			}
		}
		_, err := s.linkTokens().InsertOne(ctx, d)
		return err
	})
	if err != nil {
		return fmt.Errorf("create link token: %w", err)
	}
	return nil
}

// liveToken is the filter of a token of purpose that is still valid at now.
func liveToken(hash, purpose string, now time.Time) bson.D {
	return bson.D{
		{Key: "_id", Value: hash},
		{Key: "purpose", Value: purpose},
		{Key: "expires_at", Value: bson.D{{Key: "$gt", Value: dbTime(now)}}},
	}
}

// LinkToken returns the live token of purpose with this hash, without
// using it up; anything else is models.ErrNotFound.
func (s *Store) LinkToken(ctx context.Context, hash, purpose string, now time.Time) (models.LinkToken, error) {
	var d linkTokenDoc
	err := s.op(ctx, "tokens.find", func(ctx context.Context) error {
		return s.linkTokens().FindOne(ctx, liveToken(hash, purpose, now)).Decode(&d)
	})
	if err != nil {
		return models.LinkToken{}, fmt.Errorf("link token: %w", err)
	}
	return d.model(), nil
}

// ConsumeLinkToken uses up the live token of purpose with this hash in one
// atomic find-and-delete: of two concurrent uses exactly one gets it, the
// other models.ErrNotFound (as for an unknown, expired or other-purpose
// token).
func (s *Store) ConsumeLinkToken(ctx context.Context, hash, purpose string, now time.Time) (models.LinkToken, error) {
	var d linkTokenDoc
	err := s.write(ctx, "tokens.consume", func(ctx context.Context) error {
		return s.linkTokens().FindOneAndDelete(ctx, liveToken(hash, purpose, now)).Decode(&d)
	})
	if err != nil {
		return models.LinkToken{}, fmt.Errorf("consume link token: %w", err)
	}
	return d.model(), nil
}

// DeleteUserLinkTokens deletes the user's tokens of purpose (a pending
// email change that is replaced or dropped).
func (s *Store) DeleteUserLinkTokens(ctx context.Context, userID, purpose string) error {
	filter := bson.D{{Key: "user_id", Value: userID}, {Key: "purpose", Value: purpose}}
	if _, err := s.deleteMany(ctx, "tokens.delete_user", s.linkTokens(), filter); err != nil {
		return fmt.Errorf("delete link tokens: %w", err)
	}
	return nil
}

// DeleteExpiredLinkTokens removes the tokens that expired before now (the
// periodic cleanup; the embedded backend has no TTL indexes).
func (s *Store) DeleteExpiredLinkTokens(ctx context.Context, now time.Time) (int, error) {
	n, err := s.deleteMany(ctx, "tokens.cleanup", s.linkTokens(), expiredBy(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired link tokens: %w", err)
	}
	return n, nil
}

// linkTokenIndexes serve the lookups that are not by _id: a user's tokens of
// a purpose (replaced by a new link) and the expired ones (the cleanup).
func (s *Store) linkTokenIndexes() indexSet {
	return indexSet{s.linkTokens(), []mongo.IndexModel{
		{Keys: bson.D{{Key: "user_id", Value: 1}, {Key: "purpose", Value: 1}}, Options: options.Index().SetName("user_purpose")},
		{Keys: bson.D{{Key: "expires_at", Value: 1}}, Options: options.Index().SetName("expires_at")},
	}}
}

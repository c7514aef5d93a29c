package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"listo/models"
)

// patDoc is a personal access token: _id is the SHA-256 of the token, so
// the lookup every request with a token makes is by primary key on every
// backend (the embedded one included); id is its public name.
type patDoc struct {
	Hash       string     `bson:"_id"`
	ID         string     `bson:"id"`
	UserID     string     `bson:"user_id"`
	Name       string     `bson:"name"`
	Scopes     []string   `bson:"scopes"`
	CreatedAt  time.Time  `bson:"created_at"`
	ExpiresAt  *time.Time `bson:"expires_at"`
	LastUsedAt *time.Time `bson:"last_used_at"`
}

func (d patDoc) model() models.PAT {
	return models.PAT{
		ID: d.ID, UserID: d.UserID, Name: d.Name, Scopes: d.Scopes, Hash: d.Hash,
		CreatedAt: d.CreatedAt.UTC(), ExpiresAt: utcPtr(d.ExpiresAt), LastUsedAt: utcPtr(d.LastUsedAt),
	}
}

func (s *Store) pats() *mongo.Collection { return s.db.Collection("pats") }

// patIndexes serve the listing of a user's tokens and the lookup by public
// id (unique).
func (s *Store) patIndexes() indexSet {
	return indexSet{s.pats(), []mongo.IndexModel{
		{Keys: bson.D{{Key: "id", Value: 1}}, Options: options.Index().SetUnique(true).SetName("id_unique")},
		{Keys: bson.D{{Key: "user_id", Value: 1}}, Options: options.Index().SetName("user_id")},
		{Keys: bson.D{{Key: "expires_at", Value: 1}}, Options: options.Index().SetName("expires_at")},
	}}
}

// CreatePAT stores t with a new id and returns it. A user who already
// holds max tokens (max <= 0: no limit) gets models.ErrLimitReached. The
// count and the insert are one write on the embedded database; on MongoDB
// concurrent creates of one user may pass max by the few that race.
func (s *Store) CreatePAT(ctx context.Context, t models.PAT, max int) (models.PAT, error) {
	d := patDoc{
		Hash: t.Hash, ID: bson.NewObjectID().Hex(), UserID: t.UserID, Name: t.Name, Scopes: slices.Clone(t.Scopes),
		CreatedAt: dbTime(t.CreatedAt), ExpiresAt: dbTimePtr(t.ExpiresAt),
	}
	err := s.write(ctx, "pats.insert", func(ctx context.Context) error {
		if max > 0 {
			n, err := s.pats().CountDocuments(ctx, bson.D{{Key: "user_id", Value: t.UserID}})
			if err != nil {
				return err
			}
			if err := checkLimit(int(n), 1, max); err != nil {
				return err
			}
		}
		_, err := s.pats().InsertOne(ctx, d)
		return err
	})
	if err != nil {
		return models.PAT{}, fmt.Errorf("create personal access token: %w", err)
	}
	return d.model(), nil
}

// PATByHash returns the token whose SHA-256 is hash, expired or not; an
// unknown one is models.ErrNotFound.
func (s *Store) PATByHash(ctx context.Context, hash string) (models.PAT, error) {
	var d patDoc
	err := s.op(ctx, "pats.by_hash", func(ctx context.Context) error {
		return s.pats().FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&d)
	})
	if err != nil {
		return models.PAT{}, fmt.Errorf("personal access token: %w", err)
	}
	return d.model(), nil
}

// ListPATs returns the user's tokens, newest first.
func (s *Store) ListPATs(ctx context.Context, userID string) ([]models.PAT, error) {
	var docs []patDoc
	err := s.op(ctx, "pats.list", func(ctx context.Context) error {
		return findAll(ctx, s.pats(), bson.D{{Key: "user_id", Value: userID}}, options.Find(), &docs)
	})
	if err != nil {
		return nil, fmt.Errorf("list personal access tokens: %w", err)
	}
	out := make([]models.PAT, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.model())
	}
	// A user holds a few tokens: sorting here spares FerretDB its
	// in-memory sort and MongoDB an index.
	slices.SortFunc(out, func(a, b models.PAT) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return out, nil
}

// DeletePAT deletes one of the user's tokens and returns it (its hash is
// what a cache knows it by); another user's or an unknown id is
// models.ErrNotFound.
func (s *Store) DeletePAT(ctx context.Context, userID, id string) (models.PAT, error) {
	var d patDoc
	err := s.write(ctx, "pats.delete", func(ctx context.Context) error {
		return s.pats().FindOneAndDelete(ctx, bson.D{{Key: "id", Value: id}, {Key: "user_id", Value: userID}}).Decode(&d)
	})
	if err != nil {
		return models.PAT{}, fmt.Errorf("delete personal access token: %w", err)
	}
	return d.model(), nil
}

// DeleteUserPATs deletes every token of the user and returns how many.
func (s *Store) DeleteUserPATs(ctx context.Context, userID string) (int, error) {
	n, err := s.deleteMany(ctx, "pats.delete_user", s.pats(), bson.D{{Key: "user_id", Value: userID}})
	if err != nil {
		return 0, fmt.Errorf("delete personal access tokens of user: %w", err)
	}
	return n, nil
}

// DeleteExpiredPATs deletes the tokens that expired at or before now (the
// periodic cleanup: they are refused already, but they would stay in their
// owner's list and count toward the number a user may hold); a token
// without an expiry stays. It returns how many it deleted.
func (s *Store) DeleteExpiredPATs(ctx context.Context, now time.Time) (int, error) {
	n, err := s.deleteMany(ctx, "pats.cleanup", s.pats(), expiredBy(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired personal access tokens: %w", err)
	}
	return n, nil
}

// TouchPAT records that the token was used at at, unless its last use was
// recorded less than models.PATTouchEvery before: one conditional update,
// so of several instances (or requests) in one minute one writes. It
// reports whether it wrote.
func (s *Store) TouchPAT(ctx context.Context, hash string, at time.Time) (bool, error) {
	at = dbTime(at)
	filter := bson.D{
		{Key: "_id", Value: hash},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "last_used_at", Value: nil}},
			bson.D{{Key: "last_used_at", Value: bson.D{{Key: "$lte", Value: at.Add(-models.PATTouchEvery)}}}},
		}},
	}
	var touched bool
	err := s.write(ctx, "pats.touch", func(ctx context.Context) error {
		res, err := s.pats().UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "last_used_at", Value: at}}}})
		if err == nil {
			touched = res.ModifiedCount > 0
		}
		return err
	})
	if err != nil {
		return false, fmt.Errorf("touch personal access token: %w", err)
	}
	return touched, nil
}

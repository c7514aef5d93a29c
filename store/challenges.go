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

// challengeDoc is a login's second step or a WebAuthn ceremony between
// its two requests: _id is the SHA-256 of what the client holds, so every
// lookup is by primary key, and a use is one atomic update or delete.
type challengeDoc struct {
	ID        string    `bson:"_id"`
	Kind      string    `bson:"kind"`
	UserID    string    `bson:"user_id"`
	Ceremony  []byte    `bson:"ceremony,omitempty"`
	Device    string    `bson:"device"`
	Cookie    bool      `bson:"cookie"`
	Attempts  int       `bson:"attempts"`
	CreatedAt time.Time `bson:"created_at"`
	ExpiresAt time.Time `bson:"expires_at"`
}

func (d challengeDoc) model() models.Challenge {
	return models.Challenge{
		ID: d.ID, Kind: d.Kind, UserID: d.UserID, Ceremony: d.Ceremony, Device: d.Device, Cookie: d.Cookie,
		Attempts: d.Attempts, CreatedAt: d.CreatedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC(),
	}
}

func (s *Store) challenges() *mongo.Collection { return s.db.Collection("challenges") }

// challengeIndexes serve the lookups that are not by _id: a user's
// challenges (their factors removed) and the expired ones (the cleanup).
func (s *Store) challengeIndexes() indexSet {
	return indexSet{s.challenges(), []mongo.IndexModel{
		{Keys: bson.D{{Key: "user_id", Value: 1}}, Options: options.Index().SetName("user_id")},
		{Keys: bson.D{{Key: "expires_at", Value: 1}}, Options: options.Index().SetName("expires_at")},
	}}
}

// liveChallenge is the filter of the challenge of kind with this id that
// is unexpired at now.
func liveChallenge(id, kind string, now time.Time) bson.D {
	return bson.D{
		{Key: "_id", Value: id},
		{Key: "kind", Value: kind},
		{Key: "expires_at", Value: bson.D{{Key: "$gt", Value: dbTime(now)}}},
	}
}

// CreateChallenge stores c.
func (s *Store) CreateChallenge(ctx context.Context, c models.Challenge) error {
	d := challengeDoc{
		ID: c.ID, Kind: c.Kind, UserID: c.UserID, Ceremony: c.Ceremony, Device: c.Device, Cookie: c.Cookie,
		CreatedAt: dbTime(c.CreatedAt), ExpiresAt: dbTime(c.ExpiresAt),
	}
	err := s.write(ctx, "challenges.insert", func(ctx context.Context) error {
		_, err := s.challenges().InsertOne(ctx, d)
		return err
	})
	if err != nil {
		return fmt.Errorf("create challenge: %w", err)
	}
	return nil
}

// Challenge returns the live challenge of kind with this id, without
// using it; anything else is models.ErrNotFound.
func (s *Store) Challenge(ctx context.Context, id, kind string, now time.Time) (models.Challenge, error) {
	var d challengeDoc
	err := s.op(ctx, "challenges.find", func(ctx context.Context) error {
		return s.challenges().FindOne(ctx, liveChallenge(id, kind, now)).Decode(&d)
	})
	if err != nil {
		return models.Challenge{}, fmt.Errorf("challenge: %w", err)
	}
	return d.model(), nil
}

// AttemptChallenge spends one of a live challenge's max attempts before
// its answer is checked, in one conditional update, and returns the
// challenge as it was: concurrent answers cannot get more than max
// checks. With dropCeremony, the WebAuthn ceremony goes too (one
// assertion per options). A challenge unknown, expired, used up or out of
// attempts is models.ErrNotFound.
func (s *Store) AttemptChallenge(ctx context.Context, id, kind string, max int, dropCeremony bool, now time.Time) (models.Challenge, error) {
	filter := append(liveChallenge(id, kind, now), bson.E{Key: "attempts", Value: bson.D{{Key: "$lt", Value: max}}})
	update := bson.D{{Key: "$inc", Value: bson.D{{Key: "attempts", Value: 1}}}}
	if dropCeremony {
		update = append(update, bson.E{Key: "$unset", Value: bson.D{{Key: "ceremony", Value: ""}}})
	}
	var d challengeDoc
	err := s.write(ctx, "challenges.attempt", func(ctx context.Context) error {
		return s.challenges().FindOneAndUpdate(ctx, filter, update,
			options.FindOneAndUpdate().SetReturnDocument(options.Before)).Decode(&d)
	})
	if err != nil {
		return models.Challenge{}, fmt.Errorf("attempt challenge: %w", err)
	}
	return d.model(), nil
}

// SetChallengeCeremony stores a WebAuthn ceremony on a live challenge
// that still has attempts left (the passkey options of a login's second
// step); otherwise models.ErrNotFound.
func (s *Store) SetChallengeCeremony(ctx context.Context, id, kind string, max int, ceremony []byte, now time.Time) error {
	filter := append(liveChallenge(id, kind, now), bson.E{Key: "attempts", Value: bson.D{{Key: "$lt", Value: max}}})
	err := s.write(ctx, "challenges.ceremony", func(ctx context.Context) error {
		res, err := s.challenges().UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: bson.D{{Key: "ceremony", Value: ceremony}}}})
		if err == nil && res.MatchedCount == 0 {
			return mongo.ErrNoDocuments
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("set challenge ceremony: %w", err)
	}
	return nil
}

// ConsumeChallenge uses up the live challenge of kind with this id in one
// atomic find-and-delete: of two concurrent uses exactly one gets it, the
// other models.ErrNotFound (as for an unknown or expired one).
func (s *Store) ConsumeChallenge(ctx context.Context, id, kind string, now time.Time) (models.Challenge, error) {
	var d challengeDoc
	err := s.write(ctx, "challenges.consume", func(ctx context.Context) error {
		return s.challenges().FindOneAndDelete(ctx, liveChallenge(id, kind, now)).Decode(&d)
	})
	if err != nil {
		return models.Challenge{}, fmt.Errorf("consume challenge: %w", err)
	}
	return d.model(), nil
}

// DeleteUserChallenges removes the user's challenges (their factors were
// removed, or the user deleted).
func (s *Store) DeleteUserChallenges(ctx context.Context, userID string) error {
	if _, err := s.deleteMany(ctx, "challenges.delete_user", s.challenges(), bson.D{{Key: "user_id", Value: userID}}); err != nil {
		return fmt.Errorf("delete challenges: %w", err)
	}
	return nil
}

// DeleteExpiredChallenges removes the challenges that expired before now
// (the embedded backend has no TTL indexes).
func (s *Store) DeleteExpiredChallenges(ctx context.Context, now time.Time) (int, error) {
	n, err := s.deleteMany(ctx, "challenges.cleanup", s.challenges(), expiredBy(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired challenges: %w", err)
	}
	return n, nil
}

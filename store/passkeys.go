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

// passkeyDoc is a WebAuthn credential: _id is derived from the credential
// id, so a login finds it by primary key on every backend; a user's list
// is by user_id (indexed on MongoDB).
type passkeyDoc struct {
	ID         string     `bson:"_id"`
	UserID     string     `bson:"user_id"`
	Name       string     `bson:"name"`
	Record     []byte     `bson:"record"`
	SignCount  int64      `bson:"sign_count"`
	BackedUp   bool       `bson:"backed_up"`
	CreatedAt  time.Time  `bson:"created_at"`
	LastUsedAt *time.Time `bson:"last_used_at"`
}

func (d passkeyDoc) model() models.Passkey {
	p := models.Passkey{
		ID: d.ID, UserID: d.UserID, Name: d.Name, Record: d.Record, SignCount: uint32(d.SignCount),
		BackedUp: d.BackedUp, CreatedAt: d.CreatedAt.UTC(),
	}
	if d.LastUsedAt != nil {
		t := d.LastUsedAt.UTC()
		p.LastUsedAt = &t
	}
	return p
}

func (s *Store) passkeys() *mongo.Collection { return s.db.Collection("passkeys") }

// passkeyIndexes serve a user's list (and its count, and the deletion of a
// user's passkeys); a login finds a passkey by _id.
func (s *Store) passkeyIndexes() indexSet {
	return indexSet{s.passkeys(), []mongo.IndexModel{
		{Keys: bson.D{{Key: "user_id", Value: 1}, {Key: "created_at", Value: 1}}, Options: options.Index().SetName("user_created")},
	}}
}

// CreatePasskey stores p, unless its user already has max passkeys
// (models.ErrLimitReached). A credential stored already is
// models.ErrConflict.
func (s *Store) CreatePasskey(ctx context.Context, p models.Passkey, max int) (models.Passkey, error) {
	d := passkeyDoc{
		ID: p.ID, UserID: p.UserID, Name: p.Name, Record: p.Record, SignCount: int64(p.SignCount),
		BackedUp: p.BackedUp, CreatedAt: dbTime(p.CreatedAt),
	}
	err := s.write(ctx, "passkeys.insert", func(ctx context.Context) error {
		n, err := s.passkeys().CountDocuments(ctx, bson.D{{Key: "user_id", Value: p.UserID}})
		if err != nil {
			return err
		}
		if n >= int64(max) {
			return models.ErrLimitReached
		}
		_, err = s.passkeys().InsertOne(ctx, d)
		return err
	})
	if err != nil {
		return models.Passkey{}, fmt.Errorf("create passkey: %w", err)
	}
	return d.model(), nil
}

// PasskeyByID returns one passkey, whoever's it is.
func (s *Store) PasskeyByID(ctx context.Context, id string) (models.Passkey, error) {
	var d passkeyDoc
	err := s.op(ctx, "passkeys.by_id", func(ctx context.Context) error {
		return s.passkeys().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
	})
	if err != nil {
		return models.Passkey{}, fmt.Errorf("find passkey: %w", err)
	}
	return d.model(), nil
}

// ListPasskeys returns the user's passkeys, oldest first.
func (s *Store) ListPasskeys(ctx context.Context, userID string) ([]models.Passkey, error) {
	out := []models.Passkey{}
	err := s.op(ctx, "passkeys.list", func(ctx context.Context) error {
		var docs []passkeyDoc
		err := findAll(ctx, s.passkeys(), bson.D{{Key: "user_id", Value: userID}},
			options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(1000), &docs)
		if err != nil {
			return err
		}
		for _, d := range docs {
			out = append(out, d.model())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	return out, nil
}

// RenamePasskey names one of the user's passkeys; another user's or an
// unknown one is models.ErrNotFound.
func (s *Store) RenamePasskey(ctx context.Context, userID, id, name string) (models.Passkey, error) {
	var d passkeyDoc
	err := s.write(ctx, "passkeys.rename", func(ctx context.Context) error {
		return s.passkeys().FindOneAndUpdate(ctx,
			bson.D{{Key: "_id", Value: id}, {Key: "user_id", Value: userID}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "name", Value: name}}}},
			options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	})
	if err != nil {
		return models.Passkey{}, fmt.Errorf("rename passkey: %w", err)
	}
	return d.model(), nil
}

// UsePasskey records a successful assertion: the counter moves from u.From
// to u.To, only if it is still at u.From (of two concurrent uses that read
// one counter, one is recorded and the other is models.ErrConflict).
func (s *Store) UsePasskey(ctx context.Context, u models.PasskeyUse) error {
	err := s.write(ctx, "passkeys.use", func(ctx context.Context) error {
		res, err := s.passkeys().UpdateOne(ctx,
			bson.D{{Key: "_id", Value: u.ID}, {Key: "sign_count", Value: int64(u.From)}},
			bson.D{{Key: "$set", Value: bson.D{
				{Key: "sign_count", Value: int64(u.To)},
				{Key: "backed_up", Value: u.BackedUp},
				{Key: "last_used_at", Value: dbTime(u.UsedAt)},
			}}})
		if err == nil && res.MatchedCount == 0 {
			return models.ErrConflict
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("use passkey: %w", err)
	}
	return nil
}

// DeletePasskey deletes one of the user's passkeys; another user's or an
// unknown one is models.ErrNotFound.
func (s *Store) DeletePasskey(ctx context.Context, userID, id string) error {
	err := s.write(ctx, "passkeys.delete", func(ctx context.Context) error {
		res, err := s.passkeys().DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "user_id", Value: userID}})
		if err == nil && res.DeletedCount == 0 {
			return mongo.ErrNoDocuments
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete passkey: %w", err)
	}
	return nil
}

// DeleteUserPasskeys deletes every passkey of the user.
func (s *Store) DeleteUserPasskeys(ctx context.Context, userID string) error {
	if _, err := s.deleteMany(ctx, "passkeys.delete_user", s.passkeys(), bson.D{{Key: "user_id", Value: userID}}); err != nil {
		return fmt.Errorf("delete passkeys: %w", err)
	}
	return nil
}

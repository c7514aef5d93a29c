package store

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"listo/models"
)

// factorsDoc is a user's TOTP and recovery codes: one document per user,
// _id the user id, so every read and every conditional update is by
// primary key on every backend, and atomic as one document is.
type factorsDoc struct {
	UserID        string   `bson:"_id"`
	TOTPSecret    []byte   `bson:"totp_secret,omitempty"`
	TOTPPending   []byte   `bson:"totp_pending,omitempty"`
	PendingID     string   `bson:"pending_id,omitempty"`
	LastStep      int64    `bson:"last_step"`
	RecoveryCodes []string `bson:"recovery_codes"`
}

func (d factorsDoc) model() models.Factors {
	return models.Factors{
		UserID: d.UserID, TOTPSecret: d.TOTPSecret, TOTPPending: d.TOTPPending, PendingID: d.PendingID,
		LastStep: d.LastStep, RecoveryCodes: d.RecoveryCodes,
	}
}

func (s *Store) factors() *mongo.Collection { return s.db.Collection("factors") }

// Factors returns the user's factors; a user without any has the zero
// value (with UserID set), not an error.
func (s *Store) Factors(ctx context.Context, userID string) (models.Factors, error) {
	var d factorsDoc
	err := s.op(ctx, "factors.find", func(ctx context.Context) error {
		return s.factors().FindOne(ctx, bson.D{{Key: "_id", Value: userID}}).Decode(&d)
	})
	if isNotFound(err) {
		return models.Factors{UserID: userID}, nil
	}
	if err != nil {
		return models.Factors{}, fmt.Errorf("factors: %w", err)
	}
	return d.model(), nil
}

// SetPendingTOTP records a TOTP setup to confirm (sealed secret and its
// id), replacing any earlier pending one; an active secret is untouched.
func (s *Store) SetPendingTOTP(ctx context.Context, userID string, sealed []byte, pendingID string) error {
	err := s.write(ctx, "factors.pending", func(ctx context.Context) error {
		_, err := s.factors().UpdateOne(ctx, bson.D{{Key: "_id", Value: userID}},
			bson.D{
				{Key: "$set", Value: bson.D{{Key: "totp_pending", Value: sealed}, {Key: "pending_id", Value: pendingID}}},
				{Key: "$setOnInsert", Value: bson.D{{Key: "last_step", Value: int64(0)}, {Key: "recovery_codes", Value: bson.A{}}}},
			},
			options.UpdateOne().SetUpsert(true))
		return err
	})
	if err != nil {
		return fmt.Errorf("set pending totp: %w", err)
	}
	return nil
}

// ConfirmTOTP makes the pending setup pendingID the active secret, with
// step as the last accepted time step and codes as the recovery codes, in
// one conditional update. A setup replaced meanwhile (or none) is
// models.ErrConflict.
func (s *Store) ConfirmTOTP(ctx context.Context, userID, pendingID string, step int64, codes []string) error {
	err := s.write(ctx, "factors.confirm", func(ctx context.Context) error {
		var d factorsDoc
		if err := s.factors().FindOne(ctx, bson.D{{Key: "_id", Value: userID}, {Key: "pending_id", Value: pendingID}}).Decode(&d); err != nil {
			return err
		}
		res, err := s.factors().UpdateOne(ctx,
			bson.D{{Key: "_id", Value: userID}, {Key: "pending_id", Value: pendingID}},
			bson.D{
				{Key: "$set", Value: bson.D{
					{Key: "totp_secret", Value: d.TOTPPending},
					{Key: "last_step", Value: step},
					{Key: "recovery_codes", Value: codes},
				}},
				{Key: "$unset", Value: bson.D{{Key: "totp_pending", Value: ""}, {Key: "pending_id", Value: ""}}},
			})
		if err == nil && res.MatchedCount == 0 {
			return mongo.ErrNoDocuments
		}
		return err
	})
	if isNotFound(err) {
		return fmt.Errorf("confirm totp: %w", models.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("confirm totp: %w", err)
	}
	return nil
}

// UseTOTPStep records step as accepted, only if it is later than the last
// accepted one: of two uses of one code (or of an older one), at most one
// succeeds. Otherwise it is models.ErrConflict.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	err := s.write(ctx, "factors.use_step", func(ctx context.Context) error {
		res, err := s.factors().UpdateOne(ctx,
			bson.D{
				{Key: "_id", Value: userID},
				{Key: "totp_secret", Value: bson.D{{Key: "$exists", Value: true}}},
				{Key: "last_step", Value: bson.D{{Key: "$lt", Value: step}}},
			},
			bson.D{{Key: "$set", Value: bson.D{{Key: "last_step", Value: step}}}})
		if err == nil && res.MatchedCount == 0 {
			return fmt.Errorf("step %d not after the last one: %w", step, models.ErrConflict)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("use totp step: %w", err)
	}
	return nil
}

// UseRecoveryCode removes the code with this hash from the user's unused
// codes in one conditional update; an unknown or used one is
// models.ErrNotFound.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string) error {
	err := s.write(ctx, "factors.use_code", func(ctx context.Context) error {
		res, err := s.factors().UpdateOne(ctx,
			bson.D{{Key: "_id", Value: userID}, {Key: "recovery_codes", Value: hash}},
			bson.D{{Key: "$pull", Value: bson.D{{Key: "recovery_codes", Value: hash}}}})
		if err == nil && res.ModifiedCount == 0 {
			return mongo.ErrNoDocuments
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("use recovery code: %w", err)
	}
	return nil
}

// SetRecoveryCodes replaces the user's recovery codes (nil: none left).
func (s *Store) SetRecoveryCodes(ctx context.Context, userID string, hashes []string) error {
	if hashes == nil {
		hashes = []string{}
	}
	err := s.write(ctx, "factors.set_codes", func(ctx context.Context) error {
		_, err := s.factors().UpdateOne(ctx, bson.D{{Key: "_id", Value: userID}},
			bson.D{
				{Key: "$set", Value: bson.D{{Key: "recovery_codes", Value: hashes}}},
				{Key: "$setOnInsert", Value: bson.D{{Key: "last_step", Value: int64(0)}}},
			},
			options.UpdateOne().SetUpsert(true))
		return err
	})
	if err != nil {
		return fmt.Errorf("set recovery codes: %w", err)
	}
	return nil
}

// DisableTOTP turns TOTP off (active and pending secrets); with
// dropCodes, the recovery codes go too.
func (s *Store) DisableTOTP(ctx context.Context, userID string, dropCodes bool) error {
	unset := bson.D{{Key: "totp_secret", Value: ""}, {Key: "totp_pending", Value: ""}, {Key: "pending_id", Value: ""}}
	update := bson.D{{Key: "$unset", Value: unset}}
	if dropCodes {
		update = append(update, bson.E{Key: "$set", Value: bson.D{{Key: "recovery_codes", Value: bson.A{}}}})
	}
	err := s.write(ctx, "factors.disable_totp", func(ctx context.Context) error {
		_, err := s.factors().UpdateOne(ctx, bson.D{{Key: "_id", Value: userID}}, update)
		return err
	})
	if err != nil {
		return fmt.Errorf("disable totp: %w", err)
	}
	return nil
}

// DeleteFactors removes the user's TOTP and recovery codes.
func (s *Store) DeleteFactors(ctx context.Context, userID string) error {
	err := s.write(ctx, "factors.delete", func(ctx context.Context) error {
		_, err := s.factors().DeleteOne(ctx, bson.D{{Key: "_id", Value: userID}})
		return err
	})
	if err != nil {
		return fmt.Errorf("delete factors: %w", err)
	}
	return nil
}

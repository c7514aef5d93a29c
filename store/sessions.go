package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"listo/models"
)

type sessionDoc struct {
	ID          bson.ObjectID `bson:"_id"`
	UserID      string        `bson:"user_id"`
	RefreshHash string        `bson:"refresh_hash"`
	Generation  int           `bson:"generation"`
	Device      string        `bson:"device"`
	UserAgent   string        `bson:"user_agent"`
	IP          string        `bson:"ip"`
	CreatedAt   time.Time     `bson:"created_at"`
	LastUsedAt  time.Time     `bson:"last_used_at"`
	ExpiresAt   time.Time     `bson:"expires_at"`
	RevokedAt   *time.Time    `bson:"revoked_at"`
	AMR         []string      `bson:"amr,omitempty"`
}

func (d sessionDoc) model() models.Session {
	s := models.Session{
		ID: d.ID.Hex(), UserID: d.UserID, RefreshHash: d.RefreshHash, Generation: d.Generation,
		Device: d.Device, UserAgent: d.UserAgent, IP: d.IP,
		CreatedAt: d.CreatedAt.UTC(), LastUsedAt: d.LastUsedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC(),
		AMR: d.AMR,
	}
	if d.RevokedAt != nil {
		t := d.RevokedAt.UTC()
		s.RevokedAt = &t
	}
	return s
}

// CreateSession stores a new session under the id the caller chose (24 hex
// digits), so the first refresh token can carry it.
func (s *Store) CreateSession(ctx context.Context, sess models.Session) (models.Session, error) {
	oid, err := parseID(sess.ID)
	if err != nil {
		return models.Session{}, fmt.Errorf("create session: bad id: %w", err)
	}
	d := sessionDoc{
		ID: oid, UserID: sess.UserID, RefreshHash: sess.RefreshHash, Generation: sess.Generation,
		Device: sess.Device, UserAgent: sess.UserAgent, IP: sess.IP,
		CreatedAt: dbTime(sess.CreatedAt), LastUsedAt: dbTime(sess.LastUsedAt), ExpiresAt: dbTime(sess.ExpiresAt),
		AMR: sess.AMR,
	}
	err = s.write(ctx, "sessions.insert", func(ctx context.Context) error {
		_, err := s.sessions.InsertOne(ctx, d)
		return err
	})
	if err != nil {
		return models.Session{}, fmt.Errorf("create session: %w", err)
	}
	return d.model(), nil
}

// SessionByID returns one session, revoked or not.
func (s *Store) SessionByID(ctx context.Context, id string) (models.Session, error) {
	oid, err := parseID(id)
	if err != nil {
		return models.Session{}, err
	}
	var d sessionDoc
	err = s.op(ctx, "sessions.by_id", func(ctx context.Context) error {
		return s.sessions.FindOne(ctx, bson.D{{Key: "_id", Value: oid}}).Decode(&d)
	})
	if err != nil {
		return models.Session{}, fmt.Errorf("find session: %w", err)
	}
	return d.model(), nil
}

// RotateSession moves a live session from generation r.From to r.From+1 in
// one conditional update: it matches only while the session is unrevoked,
// unexpired and still at that generation with that token hash, so of two
// concurrent refreshes of one token exactly one succeeds. No match is
// models.ErrConflict; the caller then reads the session to tell reuse from
// expiry.
func (s *Store) RotateSession(ctx context.Context, r models.Rotation) (models.Session, error) {
	oid, err := parseID(r.SessionID)
	if err != nil {
		return models.Session{}, err
	}
	var d sessionDoc
	err = s.write(ctx, "sessions.rotate", func(ctx context.Context) error {
		return s.sessions.FindOneAndUpdate(ctx,
			bson.D{
				{Key: "_id", Value: oid},
				{Key: "generation", Value: r.From},
				{Key: "refresh_hash", Value: r.FromHash},
				{Key: "revoked_at", Value: nil},
				{Key: "expires_at", Value: bson.D{{Key: "$gt", Value: dbTime(r.UsedAt)}}},
			},
			bson.D{{Key: "$set", Value: bson.D{
				{Key: "generation", Value: r.From + 1},
				{Key: "refresh_hash", Value: r.NewHash},
				{Key: "last_used_at", Value: dbTime(r.UsedAt)},
				{Key: "ip", Value: r.IP},
				{Key: "user_agent", Value: r.UserAgent},
			}}},
			options.FindOneAndUpdate().SetReturnDocument(options.After),
		).Decode(&d)
	})
	if err != nil {
		if isNotFound(err) {
			return models.Session{}, fmt.Errorf("rotate session: %w", models.ErrConflict)
		}
		return models.Session{}, fmt.Errorf("rotate session: %w", err)
	}
	return d.model(), nil
}

// RevokeSession revokes one live session of userID. Another user's session,
// an unknown id or an already revoked session is models.ErrNotFound.
func (s *Store) RevokeSession(ctx context.Context, userID, id string, now time.Time) error {
	oid, err := parseID(id)
	if err != nil {
		return err
	}
	err = s.write(ctx, "sessions.revoke", func(ctx context.Context) error {
		res, err := s.sessions.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: oid}, {Key: "user_id", Value: userID}, {Key: "revoked_at", Value: nil}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "revoked_at", Value: dbTime(now)}}}})
		if err == nil && res.MatchedCount == 0 {
			return fmt.Errorf("revoke session: %w", models.ErrNotFound)
		}
		return err
	})
	return err
}

// RevokeUserSessions revokes every live session of userID except the one
// with id except (none when empty) and returns how many it revoked.
func (s *Store) RevokeUserSessions(ctx context.Context, userID, except string, now time.Time) (int, error) {
	filter := bson.D{{Key: "user_id", Value: userID}, {Key: "revoked_at", Value: nil}}
	if except != "" {
		oid, err := parseID(except)
		if err == nil {
			filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$ne", Value: oid}}})
		}
	}
	var n int
	err := s.write(ctx, "sessions.revoke_many", func(ctx context.Context) error {
		res, err := s.sessions.UpdateMany(ctx, filter,
			bson.D{{Key: "$set", Value: bson.D{{Key: "revoked_at", Value: dbTime(now)}}}})
		if err == nil {
			n = int(res.ModifiedCount)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	return n, nil
}

// ListSessions returns the live sessions of userID, most recently used first.
func (s *Store) ListSessions(ctx context.Context, userID string, now time.Time) ([]models.Session, error) {
	out := []models.Session{}
	err := s.op(ctx, "sessions.list", func(ctx context.Context) error {
		var docs []sessionDoc
		err := findAll(ctx, s.sessions,
			bson.D{
				{Key: "user_id", Value: userID},
				{Key: "revoked_at", Value: nil},
				{Key: "expires_at", Value: bson.D{{Key: "$gt", Value: dbTime(now)}}},
			},
			options.Find().SetSort(bson.D{{Key: "last_used_at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(1000), &docs)
		if err != nil {
			return err
		}
		for _, d := range docs {
			out = append(out, d.model())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return out, nil
}

// DeleteStaleSessions removes sessions that expired before now, and those
// revoked before revokedBefore (kept that long so a stolen token's reuse
// still finds its session). It returns how many it removed.
func (s *Store) DeleteStaleSessions(ctx context.Context, now, revokedBefore time.Time) (int, error) {
	n, err := s.deleteMany(ctx, "sessions.cleanup", s.sessions, bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "expires_at", Value: bson.D{{Key: "$lt", Value: dbTime(now)}}}},
		bson.D{{Key: "revoked_at", Value: bson.D{{Key: "$lt", Value: dbTime(revokedBefore)}}}},
	}}})
	if err != nil {
		return 0, fmt.Errorf("delete stale sessions: %w", err)
	}
	return n, nil
}

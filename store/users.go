package store

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"listo/models"
)

type userDoc struct {
	ID           bson.ObjectID `bson:"_id"`
	Email        string        `bson:"email"`
	Name         string        `bson:"name"`
	PasswordHash string        `bson:"password_hash"`
	Role         string        `bson:"role"`
	Disabled     bool          `bson:"disabled"`
	CreatedAt    time.Time     `bson:"created_at"`
	UpdatedAt    time.Time     `bson:"updated_at"`
	// EmailVerified is absent on users from before verification existed;
	// MigrateUsers sets it (they count as verified).
	EmailVerified bool   `bson:"email_verified"`
	PendingEmail  string `bson:"pending_email,omitempty"`
}

func (d userDoc) model() models.User {
	return models.User{
		ID: d.ID.Hex(), Email: d.Email, Name: d.Name, PasswordHash: d.PasswordHash,
		Role: d.Role, Disabled: d.Disabled, CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(),
		EmailVerified: d.EmailVerified, PendingEmail: d.PendingEmail,
	}
}

// dbTime rounds t to what BSON dates keep (milliseconds, UTC), so what a
// write returns equals what a later read returns.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// CreateUser inserts u (its email already normalised) and returns it with its
// id. An email already taken is models.ErrConflict: the unique index decides.
func (s *Store) CreateUser(ctx context.Context, u models.User) (models.User, error) {
	oid := bson.NewObjectID()
	d := userDoc{
		ID: oid, Email: u.Email, Name: u.Name, PasswordHash: u.PasswordHash, Role: u.Role,
		Disabled: u.Disabled, CreatedAt: dbTime(u.CreatedAt), UpdatedAt: dbTime(u.UpdatedAt),
		EmailVerified: u.EmailVerified, PendingEmail: u.PendingEmail,
	}
	err := s.write(ctx, "users.insert", func(ctx context.Context) error {
		_, err := s.users.InsertOne(ctx, d)
		return err
	})
	if err != nil {
		return models.User{}, fmt.Errorf("create user: %w", err)
	}
	return d.model(), nil
}

// UserByID returns one user.
func (s *Store) UserByID(ctx context.Context, id string) (models.User, error) {
	oid, err := parseID(id)
	if err != nil {
		return models.User{}, err
	}
	return s.findUser(ctx, "users.by_id", bson.D{{Key: "_id", Value: oid}})
}

// UserByEmail returns the user with this (normalised) email.
func (s *Store) UserByEmail(ctx context.Context, email string) (models.User, error) {
	return s.findUser(ctx, "users.by_email", bson.D{{Key: "email", Value: email}})
}

func (s *Store) findUser(ctx context.Context, op string, filter bson.D) (models.User, error) {
	var d userDoc
	err := s.op(ctx, op, func(ctx context.Context) error {
		return s.users.FindOne(ctx, filter).Decode(&d)
	})
	if err != nil {
		return models.User{}, fmt.Errorf("find user: %w", err)
	}
	return d.model(), nil
}

func userSet(p models.UserPatch, now time.Time) bson.D {
	set := bson.D{{Key: "updated_at", Value: dbTime(now)}}
	if p.Email != nil {
		set = append(set, bson.E{Key: "email", Value: *p.Email})
	}
	if p.Name != nil {
		set = append(set, bson.E{Key: "name", Value: *p.Name})
	}
	if p.PasswordHash != nil {
		set = append(set, bson.E{Key: "password_hash", Value: *p.PasswordHash})
	}
	if p.Role != nil {
		set = append(set, bson.E{Key: "role", Value: *p.Role})
	}
	if p.Disabled != nil {
		set = append(set, bson.E{Key: "disabled", Value: *p.Disabled})
	}
	if p.EmailVerified != nil {
		set = append(set, bson.E{Key: "email_verified", Value: *p.EmailVerified})
	}
	if p.PendingEmail != nil {
		set = append(set, bson.E{Key: "pending_email", Value: *p.PendingEmail})
	}
	return set
}

// MigrateUsers brings users stored by older versions up to date: those
// without email_verified count as verified (they registered before
// verification existed). It is idempotent and runs at every start.
func (s *Store) MigrateUsers(ctx context.Context) (int, error) {
	var n int
	err := s.write(ctx, "users.migrate", func(ctx context.Context) error {
		res, err := s.users.UpdateMany(ctx,
			bson.D{{Key: "email_verified", Value: bson.D{{Key: "$exists", Value: false}}}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "email_verified", Value: true}}}})
		if err == nil {
			n = int(res.ModifiedCount)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("migrate users: %w", err)
	}
	return n, nil
}

// UpdateUser applies p and returns the updated user. Taking an email that
// another user has is models.ErrConflict on both backends.
//
// A patch that would leave no enabled admin (a demotion or a disabling of an
// admin) is refused with models.ErrConflict. Without transactions this is
// "write, verify, undo": the change is written conditionally on the user
// still being an enabled admin, then the enabled admins are counted, and the
// change is undone when none is left. Two admins demoting each other at once
// may both be undone, but the system is never left without an admin.
func (s *Store) UpdateUser(ctx context.Context, id string, p models.UserPatch, now time.Time) (models.User, error) {
	oid, err := parseID(id)
	if err != nil {
		return models.User{}, err
	}
	before, err := s.UserByID(ctx, id)
	if err != nil {
		return models.User{}, err
	}
	losesAdmin := before.Role == models.RoleAdmin && !before.Disabled &&
		((p.Role != nil && *p.Role != models.RoleAdmin) || (p.Disabled != nil && *p.Disabled))
	if losesAdmin {
		if err := s.ensureOtherAdmin(ctx, oid); err != nil {
			return models.User{}, err
		}
	}
	var d userDoc
	err = s.write(ctx, "users.update", func(ctx context.Context) error {
		return s.users.FindOneAndUpdate(ctx,
			bson.D{{Key: "_id", Value: oid}},
			bson.D{{Key: "$set", Value: userSet(p, now)}},
			options.FindOneAndUpdate().SetReturnDocument(options.After),
		).Decode(&d)
	})
	if err != nil {
		return models.User{}, fmt.Errorf("update user: %w", err)
	}
	if losesAdmin {
		n, err := s.countEnabledAdmins(ctx)
		if err == nil && n == 0 {
			undo := models.UserPatch{Role: &before.Role, Disabled: &before.Disabled}
			_ = s.write(ctx, "users.update", func(ctx context.Context) error {
				_, err := s.users.UpdateOne(ctx, bson.D{{Key: "_id", Value: oid}}, bson.D{{Key: "$set", Value: userSet(undo, now)}})
				return err
			})
			return models.User{}, fmt.Errorf("update user: %w", models.ErrLastAdmin)
		}
	}
	return d.model(), nil
}

func (s *Store) ensureOtherAdmin(ctx context.Context, except bson.ObjectID) error {
	var n int64
	err := s.op(ctx, "users.count", func(ctx context.Context) (err error) {
		n, err = s.users.CountDocuments(ctx, bson.D{
			{Key: "role", Value: models.RoleAdmin},
			{Key: "disabled", Value: false},
			{Key: "_id", Value: bson.D{{Key: "$ne", Value: except}}},
		})
		return err
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return models.ErrLastAdmin
	}
	return nil
}

func (s *Store) countEnabledAdmins(ctx context.Context) (int64, error) {
	var n int64
	err := s.op(ctx, "users.count", func(ctx context.Context) (err error) {
		n, err = s.users.CountDocuments(ctx, bson.D{{Key: "role", Value: models.RoleAdmin}, {Key: "disabled", Value: false}})
		return err
	})
	return n, err
}

// DeleteUser deletes a user's sessions, then their todos, then the user.
// Sessions go first, so the user's tokens stop at once; the user document
// goes last, so a failure half-way leaves an account that a retry finishes
// deleting, never orphaned todos. Deleting the last enabled admin is refused
// (models.ErrLastAdmin): an enabled admin is first disabled through
// UpdateUser's guard (write, verify, undo), so two admins deleting each
// other at once cannot leave Listo without one.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	oid, err := parseID(id)
	if err != nil {
		return err
	}
	u, err := s.UserByID(ctx, id)
	if err != nil {
		return err
	}
	if u.Role == models.RoleAdmin && !u.Disabled {
		disabled := true
		if _, err := s.UpdateUser(ctx, id, models.UserPatch{Disabled: &disabled}, time.Now()); err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
	}
	if err := s.deleteOwned(ctx, id); err != nil {
		return err
	}
	err = s.write(ctx, "users.delete", func(ctx context.Context) error {
		res, err := s.users.DeleteOne(ctx, bson.D{{Key: "_id", Value: oid}})
		if err == nil && res.DeletedCount == 0 {
			return mongo.ErrNoDocuments
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}

// deleteOwned removes the sessions, then the todos, of a user being
// deleted (as the layout deletes them: on the embedded database it drops
// the user's collection, on MongoDB it deletes them in batches, each a
// short write, until ctx ends; a retry continues).
func (s *Store) deleteOwned(ctx context.Context, userID string) error {
	if _, err := s.deleteMany(ctx, "sessions.delete_many", s.sessions, bson.D{{Key: "user_id", Value: userID}}); err != nil {
		return fmt.Errorf("delete sessions of user: %w", err)
	}
	if err := s.todos.deleteAll(ctx, userID); err != nil {
		return fmt.Errorf("delete todos of user: %w", err)
	}
	return nil
}

// ListUsers returns a page of users, newest first. Q is matched as plain
// text (quoted), case-insensitively, against email and name.
func (s *Store) ListUsers(ctx context.Context, q models.UserQuery) (models.Page[models.User], error) {
	filter := bson.D{}
	if q.Q != "" {
		re := bson.Regex{Pattern: regexp.QuoteMeta(q.Q), Options: "i"}
		filter = bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "email", Value: re}},
			bson.D{{Key: "name", Value: re}},
		}}}
	}
	page := models.Page[models.User]{Items: []models.User{}, Page: q.Page, PerPage: q.PerPage}
	err := s.op(ctx, "users.list", func(ctx context.Context) error {
		n, err := s.users.CountDocuments(ctx, filter)
		if err != nil {
			return err
		}
		page.Total = int(n)
		var docs []userDoc
		err = findAll(ctx, s.users, filter, options.Find().
			SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).
			SetSkip(int64((q.Page-1)*q.PerPage)).SetLimit(int64(q.PerPage)), &docs)
		if err != nil {
			return err
		}
		for _, d := range docs {
			page.Items = append(page.Items, d.model())
		}
		return nil
	})
	if err != nil {
		return page, fmt.Errorf("list users: %w", err)
	}
	return page, nil
}

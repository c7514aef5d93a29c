// Package models holds Listo's domain types and the sentinel errors shared by
// the store, the token service and the HTTP layer. It knows nothing of Gin,
// BSON or MongoDB.
package models

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Stores and services wrap them with context
// (fmt.Errorf("users: %w", models.ErrNotFound)); the HTTP layer maps them to
// statuses in one place with errors.Is.
var (
	// ErrNotFound means the document does not exist or is not visible to the caller.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a uniqueness rule or an invariant would be broken.
	ErrConflict = errors.New("conflict")
	// ErrPreconditionFailed means an If-Match version no longer matches.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrUnavailable means the database could not be reached in time.
	ErrUnavailable = errors.New("database unavailable")
	// ErrUnauthorized means the caller is not authenticated.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden means the caller is authenticated but may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrLimitReached means a per-user limit (a count of things one user may
	// hold) would be passed; it is also an ErrConflict.
	ErrLimitReached = fmt.Errorf("limit reached: %w", ErrConflict)
	// ErrLastAdmin means a change would leave no enabled admin; it is also
	// an ErrConflict.
	ErrLastAdmin = fmt.Errorf("the last admin cannot be demoted, disabled or deleted: %w", ErrConflict)
)

// Roles a user can have.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// User is an account. PasswordHash never leaves the server: its JSON tag is "-".
type User struct {
	ID           string `json:"id"`
	Email        string `json:"email"`
	Name         string `json:"name"`
	PasswordHash string `json:"-"`
	Role         string `json:"role"`
	Disabled     bool   `json:"disabled,omitempty"`
	// EmailVerified: the user followed a verification link sent to Email
	// (or an admin created the account).
	EmailVerified bool `json:"email_verified"`
	// PendingEmail is the address the user asked to move to, until they
	// confirm it from the link sent there.
	PendingEmail string    `json:"pending_email,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// UserPatch lists the fields of a user to change; nil means unchanged.
type UserPatch struct {
	Email        *string
	Name         *string
	PasswordHash *string
	Role         *string
	Disabled     *bool
	// EmailVerified and PendingEmail ("" clears it) come with the mail
	// flows.
	EmailVerified *bool
	PendingEmail  *string
}

// UserQuery selects a page of users for the admin list.
type UserQuery struct {
	Q       string // plain text matched against email and name
	Page    int
	PerPage int
}

// Session is one login (a device). RefreshHash is the SHA-256 of the current
// refresh token; Generation counts rotations, and every refresh token carries
// the session id and its generation, so a rotated-away token is recognised
// as reuse.
type Session struct {
	ID          string
	UserID      string
	RefreshHash string
	Generation  int
	Device      string
	UserAgent   string
	IP          string
	CreatedAt   time.Time
	LastUsedAt  time.Time
	ExpiresAt   time.Time
	RevokedAt   *time.Time
	// AMR names how the session logged in (RFC 8176 values, AMRPassword
	// and the others); empty for sessions from before it was recorded,
	// which were all password logins.
	AMR []string
}

// Live reports whether the session may still be used at now.
func (s Session) Live(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// Rotation describes one refresh: the session moves from generation From
// (whose token hash is FromHash) to From+1 with NewHash.
type Rotation struct {
	SessionID string
	From      int
	FromHash  string
	NewHash   string
	ExpiresAt time.Time
	UsedAt    time.Time
	IP        string
	UserAgent string
}

// Todo is one item of a user's list.
type Todo struct {
	ID          string     `json:"id"`
	UserID      string     `json:"-"`
	Title       string     `json:"title"`
	Notes       string     `json:"notes"`
	Completed   bool       `json:"completed"`
	Order       float64    `json:"order"`
	Due         *time.Time `json:"due"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Version     int        `json:"version"`
}

// TodoPatch lists the fields of a todo to change; nil means unchanged.
// SetDue distinguishes "due": null (clear) from an absent due.
type TodoPatch struct {
	Title     *string
	Notes     *string
	Completed *bool
	Order     *float64
	Due       *time.Time
	SetDue    bool
}

// TodoQuery selects a page of one user's todos.
type TodoQuery struct {
	Completed *bool
	Q         string
	DueBefore *time.Time
	Sort      string // "order", "-created_at" or "due"
	Page      int
	PerPage   int
}

// Page is one page of a list.
type Page[T any] struct {
	Items   []T `json:"items"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
	Total   int `json:"total"`
}

// Purposes of the tokens sent in links by mail. A token of one purpose is
// refused by the others.
const (
	PurposeReset       = "reset"        // set a new password
	PurposeVerify      = "verify"       // prove an address belongs to its user
	PurposeEmailChange = "email_change" // confirm a move to a new address
)

// LinkToken is a single-use token mailed in a link. Only its SHA-256 is
// stored (Hash); Email is the address it was sent to (for an email change,
// the new address).
type LinkToken struct {
	Hash      string
	UserID    string
	Purpose   string
	Email     string
	CreatedAt time.Time
	ExpiresAt time.Time
}

package models

import (
	"slices"
	"time"
)

// Scopes of personal access tokens: what a token may be used for. Each
// allows its own routes only (a write scope does not include its read
// scope); the routes are listed where they are routed (app.PATScopes).
const (
	ScopeTodosRead   = "todos:read"   // list and read todos
	ScopeTodosWrite  = "todos:write"  // create, change, delete and import todos
	ScopeEventsRead  = "events:read"  // the live event stream
	ScopeAccountRead = "account:read" // the account, and with todos:read its export
)

// PATScopes lists every scope a personal access token may have, in the
// order they are shown.
func PATScopes() []string {
	return []string{ScopeTodosRead, ScopeTodosWrite, ScopeEventsRead, ScopeAccountRead}
}

// Limits of personal access tokens.
const (
	// PATPrefix starts every personal access token, so that secret
	// scanners can recognise a leaked one.
	PATPrefix = "listo_pat_"
	// MaxPATDays is the longest lifetime a token may be given.
	MaxPATDays = 365
	// MaxPATsPerUser is how many tokens one user may hold at once.
	MaxPATsPerUser = 50
	// PATTouchEvery is how often, at most, a token's LastUsedAt is
	// written: a busy script does not write on every request.
	PATTouchEvery = time.Minute
)

// PAT is a personal access token: a long-lived credential a user creates
// for a script, limited to its Scopes. Hash is the SHA-256 (hex) of the
// token, which is shown once and never stored; ID is the public name of
// the token in the API.
type PAT struct {
	ID         string
	UserID     string
	Name       string
	Scopes     []string
	Hash       string
	CreatedAt  time.Time
	ExpiresAt  *time.Time // nil: never
	LastUsedAt *time.Time // nil: never used
}

// Live reports whether the token may still be used at now.
func (t PAT) Live(now time.Time) bool {
	return t.ExpiresAt == nil || now.Before(*t.ExpiresAt)
}

// Allows reports whether the token has every scope of need (none: false,
// so a route that names no scope refuses every token).
func (t PAT) Allows(need []string) bool {
	if len(need) == 0 {
		return false
	}
	for _, s := range need {
		if !slices.Contains(t.Scopes, s) {
			return false
		}
	}
	return true
}

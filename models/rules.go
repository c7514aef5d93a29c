package models

import (
	"slices"
	"strings"
)

// NormalizeEmail is how emails are stored and looked up: trimmed and
// lower-cased (the embedded backend has no collations, so the rule lives in
// the application, and the unique index sees normalised values only).
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Todo sorts a list accepts.
const (
	TodoSortOrder   = "order"       // manual order, then creation (the default)
	TodoSortCreated = "-created_at" // newest first
	TodoSortDue     = "due"         // soonest due first, todos without due last
)

// TodoSorts lists the accepted todo sorts, the default first.
func TodoSorts() []string { return []string{TodoSortOrder, TodoSortCreated, TodoSortDue} }

// Page sizes of every list.
const (
	DefaultPerPage = 50
	MaxPerPage     = 200
)

// Precondition is an If-Match condition on a document's version. Its zero
// value is "no condition". A required precondition with no versions (an
// If-Match naming only tags Listo never issues) matches nothing, so a
// careless edit cannot silently turn a failed condition into none.
type Precondition struct {
	required bool
	versions []int
}

// NoPrecondition is the zero Precondition: any version is accepted.
func NoPrecondition() Precondition { return Precondition{} }

// IfVersion requires the version to be one of versions (none: never
// matches).
func IfVersion(versions ...int) Precondition {
	return Precondition{required: true, versions: slices.Clone(versions)}
}

// Required reports whether there is a condition at all.
func (p Precondition) Required() bool { return p.required }

// Versions returns the accepted versions of a required precondition.
func (p Precondition) Versions() []int { return slices.Clone(p.versions) }

// Allows reports whether a document at version satisfies the condition.
func (p Precondition) Allows(version int) bool {
	return !p.required || slices.Contains(p.versions, version)
}

// Check is Allows as an error: ErrPreconditionFailed when not allowed.
func (p Precondition) Check(version int) error {
	if p.Allows(version) {
		return nil
	}
	return ErrPreconditionFailed
}

package models

// ChangeKind names what a Change did.
type ChangeKind string

// The kinds of change that live clients hear about (GET /events).
const (
	TodoCreated    ChangeKind = "todo.created"    // Todo is the new todo
	TodoUpdated    ChangeKind = "todo.updated"    // Todo is the todo after the change
	TodoDeleted    ChangeKind = "todo.deleted"    // ID is the todo's id
	TodosChanged   ChangeKind = "todos.changed"   // Reason says which bulk change
	UserUpdated    ChangeKind = "user.updated"    // User is the user after the change
	UserDeleted    ChangeKind = "user.deleted"    // the user and everything of theirs is gone
	SessionRevoked ChangeKind = "session.revoked" // ID is the revoked session's id
	// TokenRevoked ends the event streams opened with a personal access
	// token of UserID: ID is the token's hash, "" for all of them. It is
	// not an event: a client of that token can no longer receive any.
	TokenRevoked ChangeKind = "token.revoked"
)

// Reasons of a TodosChanged change.
const (
	ReasonToggleAll      = "toggle_all"
	ReasonClearCompleted = "clear_completed"
	ReasonImport         = "import"
)

// Change is one successful write that the owner's other devices should
// hear about: reported by the service that made it (one instance), or read
// back from the database's change stream (several instances). UserID is
// always the owner; only the fields its Kind names are set.
type Change struct {
	Kind   ChangeKind
	UserID string
	ID     string // todo or session id
	Todo   Todo
	User   User
	Reason string
	// At is the change's position in the database's change stream
	// (cluster time: seconds << 32 | increment); 0 for a change reported
	// by the service that made it.
	At uint64
}

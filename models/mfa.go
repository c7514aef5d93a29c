package models

import "time"

// Authentication methods a session logged in with: the "amr" values of
// RFC 8176 that Listo uses.
const (
	AMRPassword    = "pwd" // the account's password
	AMROTP         = "otp" // a TOTP code or a recovery code
	AMRHardwareKey = "hwk" // a passkey bound to its device
	AMRSoftwareKey = "swk" // a passkey that may be synced (backup eligible)
	AMRMFA         = "mfa" // two factors: a password and a second one, or a passkey that verified its user
)

// Factors is what a user has set up beyond the password: TOTP and
// recovery codes (passkeys are Passkey records). The zero value is none.
type Factors struct {
	UserID string
	// TOTPSecret is the active TOTP secret, sealed (nil: TOTP is off).
	TOTPSecret []byte
	// TOTPPending is a setup not confirmed yet, sealed; PendingID names
	// it, so a confirmation never activates a newer setup than the one
	// its code was made for.
	TOTPPending []byte
	PendingID   string
	// LastStep is the last TOTP time step accepted: a code of that step or
	// an earlier one is refused (replay).
	LastStep int64
	// RecoveryCodes are the keyed hashes of the unused recovery codes.
	RecoveryCodes []string
}

// TOTP reports whether TOTP is on.
func (f Factors) TOTP() bool { return len(f.TOTPSecret) > 0 }

// MFAStatus is what GET /user says of a user's second factors.
type MFAStatus struct {
	TOTP              bool `json:"totp"`
	Passkeys          int  `json:"passkeys"`
	RecoveryCodesLeft int  `json:"recovery_codes_left"`
}

// Passkey is a WebAuthn credential of a user. ID is derived from the
// credential id (so a login finds it by primary key) and is what the API
// names it by; Record is the credential record as the account service
// keeps it (public key, flags, attestation), opaque here.
type Passkey struct {
	ID         string     `json:"id"`
	UserID     string     `json:"-"`
	Name       string     `json:"name"`
	Record     []byte     `json:"-"`
	SignCount  uint32     `json:"-"`
	BackedUp   bool       `json:"backed_up"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// PasskeyUse is a successful assertion to record: the counter moves from
// From to To (a conditional update: of two concurrent uses of one counter
// value only one is recorded).
type PasskeyUse struct {
	ID       string
	From, To uint32
	BackedUp bool
	UsedAt   time.Time
}

// Kinds of Challenge.
const (
	ChallengeMFA             = "mfa"              // the second step of a login (the mfa_token)
	ChallengePasskeyLogin    = "passkey_login"    // a passwordless login's WebAuthn challenge
	ChallengePasskeyRegister = "passkey_register" // a passkey registration's WebAuthn challenge
)

// Challenge is a short-lived, single-use state between two requests of a
// login or a passkey registration, kept in the database so that every
// instance sees it. ID is the SHA-256 of what the client holds.
type Challenge struct {
	ID     string
	Kind   string
	UserID string // "" for a passwordless login's challenge
	// Ceremony is the WebAuthn ceremony's state (opaque here).
	Ceremony []byte
	// Device and Cookie are the choices made at POST /auth, applied when
	// the second step starts the session.
	Device    string
	Cookie    bool
	Attempts  int // answers tried so far (ChallengeMFA)
	CreatedAt time.Time
	ExpiresAt time.Time
}

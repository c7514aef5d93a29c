package auth

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPasswordPolicyCheck(t *testing.T) {
	const (
		tooShort  = "must be at least 8 characters"
		tooLong   = "must be at most 72 bytes (bcrypt ignores anything longer)"
		tooCommon = "is too common: it is one of the 10,000 most used passwords"
	)
	p := NewPasswordPolicy()
	tests := []struct {
		name     string
		password string
		want     string // the PasswordError's Message; "" means accepted
	}{
		{"empty", "", tooShort},
		{"7 characters", "xQ7#vb2", tooShort},
		{"8 characters", "xQ7#vb2k", ""},
		{"72 bytes", strings.Repeat("Tr0ub4dor&3-", 6), ""},
		{"73 bytes", strings.Repeat("Tr0ub4dor&3-", 6) + "x", tooLong},
		{"7 runes of 3 bytes: 21 bytes but 7 characters", "日本語のパスワ", tooShort},
		{"8 runes of 2 bytes", "éàüöçñßø", ""},
		{"8 runes of 4 bytes", "🔒🔑🗝🐉🦄🌈🍕🎲", ""},
		{"18 emoji: 72 bytes", strings.Repeat("🔒", 18), ""},
		{"19 emoji: 19 characters but 76 bytes", strings.Repeat("🔒", 19), tooLong},
		{"37 two-byte runes: 74 bytes", strings.Repeat("é", 37), tooLong},
		{"password", "password", tooCommon},
		{"upper case common", "PASSWORD", tooCommon},
		{"123456789", "123456789", tooCommon},
		{"Password1 (password1 is listed)", "Password1", tooCommon},
		{"iloveyou", "iloveyou", tooCommon},
		{"trustno1", "TrustNo1", tooCommon},
		{"common word with a space is not the word", "password ", ""},
		{"passphrase", "correct horse battery staple", ""},
		{"long passphrase", "Listo keeps my groceries & my plans 2026!", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Check(tt.password)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v; want nil", tt.password, err)
				}
				return
			}
			var pe *PasswordError
			if !errors.As(err, &pe) {
				t.Fatalf("Check(%q) = %v (%T); want *PasswordError", tt.password, err, err)
			}
			if pe.Message != tt.want {
				t.Errorf("Check(%q).Message = %q; want %q", tt.password, pe.Message, tt.want)
			}
			if got, want := err.Error(), "password "+tt.want; got != want {
				t.Errorf("Check(%q).Error() = %q; want %q", tt.password, got, want)
			}
		})
	}
}

// TestCommonPasswordsList checks the shipped data: exactly 10,000 distinct,
// non-empty, lower-case, trimmed lines, each ending in a newline.
func TestCommonPasswordsList(t *testing.T) {
	if !strings.HasSuffix(commonPasswords, "\n") {
		t.Errorf("common-passwords.txt does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(commonPasswords, "\n"), "\n")
	if len(lines) != 10000 {
		t.Errorf("common-passwords.txt has %d lines; want 10000", len(lines))
	}
	seen := make(map[string]int, len(lines))
	for i, pw := range lines {
		switch {
		case pw == "":
			t.Errorf("line %d is empty", i+1)
		case pw != strings.ToLower(strings.TrimSpace(pw)):
			t.Errorf("line %d = %q; want it lower-case and trimmed", i+1, pw)
		case !utf8.ValidString(pw):
			t.Errorf("line %d = %q is not valid UTF-8", i+1, pw)
		}
		if j, dup := seen[pw]; dup {
			t.Errorf("line %d = %q repeats line %d", i+1, pw, j)
		}
		seen[pw] = i + 1
	}
	if got := len(NewPasswordPolicy().common); got != 10000 {
		t.Errorf("NewPasswordPolicy() holds %d passwords; want 10000", got)
	}
}

// TestPasswordPolicyRejectsEveryListedPassword makes sure that every listed
// password long enough to pass the length rule, and its upper-case form, is
// refused as common.
func TestPasswordPolicyRejectsEveryListedPassword(t *testing.T) {
	p := NewPasswordPolicy()
	checked := 0
	for line := range strings.Lines(commonPasswords) {
		pw := strings.TrimSuffix(line, "\n")
		if utf8.RuneCountInString(pw) < MinPasswordLength || len(pw) > MaxPasswordBytes {
			continue
		}
		checked++
		for _, candidate := range []string{pw, strings.ToUpper(pw)} {
			var pe *PasswordError
			if err := p.Check(candidate); !errors.As(err, &pe) || !strings.HasPrefix(pe.Message, "is too common") {
				t.Errorf("Check(%q) = %v; want too common", candidate, err)
			}
		}
	}
	if checked < 3000 {
		t.Errorf("only %d listed passwords have at least 8 characters; want the list's 3,000 or so", checked)
	}
}

func BenchmarkPasswordPolicyCheck(b *testing.B) {
	p := NewPasswordPolicy()
	for b.Loop() {
		_ = p.Check("correct horse battery staple")
	}
}

func BenchmarkNewPasswordPolicy(b *testing.B) {
	for b.Loop() {
		_ = NewPasswordPolicy()
	}
}

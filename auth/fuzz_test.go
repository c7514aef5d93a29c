package auth_test

import (
	"strings"
	"testing"
	"time"

	"listo/auth"
)

// FuzzParseRefreshToken: any input either parses into a token that prints
// back as itself, or is ErrInvalidToken; it never panics.
func FuzzParseRefreshToken(f *testing.F) {
	tok := auth.NewRefreshTokens([]byte("fuzz-secret")).New("0123456789abcdef01234567", 3)
	for _, s := range []string{tok.String(), "", ".", "..", "a.b.c", "0123456789abcdef01234567.-1.x", strings.Repeat("A", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rt, err := auth.ParseRefreshToken(s)
		if err != nil {
			return
		}
		if rt.String() != s || len(rt.Hash()) != 64 || rt.Generation < 0 {
			t.Fatalf("ParseRefreshToken(%q) = %+v", s, rt)
		}
	})
}

// FuzzVerify: whatever the input, Verify never panics, and what it accepts
// carries exactly the claims Listo signed (the seed token's): a mutation
// that changes a claim or the encoding is refused. (Each fuzz worker issues
// its own seed token, with its own random jti, so the check is on the
// signed claims rather than on the string.)
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	tokens := auth.NewTokens([]byte("fuzz-secret-fuzz-secret-fuzz-secret-0123"), "listo", 15*time.Minute, func() time.Time { return now })
	good, err := tokens.Issue("user", "0123456789abcdef01234567", "user")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.e30.")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		claims, err := tokens.Verify(s)
		if err == nil && (claims.Subject != "user" || claims.SessionID != "0123456789abcdef01234567" || claims.Role != "user") {
			t.Fatalf("Verify accepted forged claims: %q (%+v)", s, claims)
		}
	})
}

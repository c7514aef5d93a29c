package auth_test

import (
	"context"
	"testing"
	"time"

	"listo/auth"
	"listo/models"
)

var benchNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func benchTokens() *auth.Tokens {
	return auth.NewTokens([]byte("bench-secret-bench-secret-bench-secret-0123"), "listo", 15*time.Minute, func() time.Time { return benchNow })
}

// BenchmarkTokenIssue signs one access token (HS256), as login and refresh do.
func BenchmarkTokenIssue(b *testing.B) {
	tokens := benchTokens()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tokens.Issue("6650f0c2a1b2c3d4e5f60718", "6650f0c2a1b2c3d4e5f60719", models.RoleUser); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenVerify checks an access token seen before, as every
// authenticated request after a client's first does (the verified-token
// cache answers).
func BenchmarkTokenVerify(b *testing.B) {
	tokens := benchTokens()
	tok, err := tokens.Issue("6650f0c2a1b2c3d4e5f60718", "6650f0c2a1b2c3d4e5f60719", models.RoleUser)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tokens.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenVerifyFirstSight checks a token never seen before: the full
// parse, signature and claim checks.
func BenchmarkTokenVerifyFirstSight(b *testing.B) {
	issuer := benchTokens()
	tok, err := issuer.Issue("6650f0c2a1b2c3d4e5f60718", "6650f0c2a1b2c3d4e5f60719", models.RoleUser)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		tokens := benchTokens() // an empty cache
		b.StartTimer()
		if _, err := tokens.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// memSessions is an in-memory SessionSource that counts its lookups.
type memSessions struct {
	sessions map[string]models.Session
	users    map[string]models.User
	lookups  int
}

func (m *memSessions) SessionByID(_ context.Context, id string) (models.Session, error) {
	m.lookups++
	s, ok := m.sessions[id]
	if !ok {
		return models.Session{}, models.ErrNotFound
	}
	return s, nil
}

func (m *memSessions) UserByID(_ context.Context, id string) (models.User, error) {
	m.lookups++
	u, ok := m.users[id]
	if !ok {
		return models.User{}, models.ErrNotFound
	}
	return u, nil
}

func benchChecker(b *testing.B, ttl time.Duration) (*auth.Checker, *memSessions, auth.AccessClaims) {
	const userID, sessionID = "6650f0c2a1b2c3d4e5f60718", "6650f0c2a1b2c3d4e5f60719"
	src := &memSessions{
		sessions: map[string]models.Session{sessionID: {ID: sessionID, UserID: userID, ExpiresAt: benchNow.Add(time.Hour)}},
		users:    map[string]models.User{userID: {ID: userID, Email: "a@example.com", Role: models.RoleUser}},
	}
	tokens := benchTokens()
	tok, err := tokens.Issue(userID, sessionID, models.RoleUser)
	if err != nil {
		b.Fatal(err)
	}
	claims, err := tokens.Verify(tok)
	if err != nil {
		b.Fatal(err)
	}
	return auth.NewChecker(src, ttl, func() time.Time { return benchNow }, 100_000), src, claims
}

// BenchmarkCheckerCheckCached is the per-request session check on a cache
// hit: no database lookup at all.
func BenchmarkCheckerCheckCached(b *testing.B) {
	c, src, claims := benchChecker(b, time.Minute)
	ctx := context.Background()
	if _, err := c.Check(ctx, claims); err != nil { // fill the cache
		b.Fatal(err)
	}
	src.lookups = 0
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Check(ctx, claims); err != nil {
			b.Fatal(err)
		}
	}
	if src.lookups != 0 {
		b.Fatalf("cached Check made %d lookups; want 0", src.lookups)
	}
}

// BenchmarkCheckerCheckUncached is the same check with the cache off (TTL
// 0): two lookups per request, here against memory, so it measures the
// checker's own cost, not a database's.
func BenchmarkCheckerCheckUncached(b *testing.B) {
	c, _, claims := benchChecker(b, 0)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Check(ctx, claims); err != nil {
			b.Fatal(err)
		}
	}
}

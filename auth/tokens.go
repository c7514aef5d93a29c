// Package auth holds Listo's token and credential logic: signed access
// tokens, opaque rotating refresh tokens, the bcrypt hasher with its
// concurrency limit, the password policy and the per-request session check.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AccessTokenType is the JOSE "typ" of access tokens (RFC 9068).
const AccessTokenType = "at+jwt"

// MaxTokenLength bounds what Verify will even look at: a longer string is
// refused before any parsing or allocation.
const MaxTokenLength = 4096

// ErrInvalidToken is returned for every token that is not honoured; the
// reason is wrapped for the log but never shown to the client.
var ErrInvalidToken = errors.New("invalid token")

// AccessClaims are the claims of an access token.
type AccessClaims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
	Role      string `json:"role"`
	// AMR names how the session logged in (RFC 8176 values: "pwd",
	// "otp", "hwk", "swk", "mfa").
	AMR []string `json:"amr,omitempty"`
}

// Tokens signs and verifies access tokens (HS256).
//
// Verified tokens are remembered until they expire: the same string always
// verifies the same way, and parsing (two JSON documents and an HMAC) is
// most of an authenticated request's own CPU. Expiry is still checked on
// every use, and whether the session lives is the Checker's job.
type Tokens struct {
	key    []byte
	issuer string
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser

	mu       sync.Mutex
	verified map[string]AccessClaims
}

// maxVerified bounds the verified-token cache; it is emptied when full.
const maxVerified = 50_000

// leeway is the clock skew allowed on exp and iat.
const leeway = 10 * time.Second

// NewTokens returns a token service. now is the clock (time.Now in
// production, a fake in tests).
func NewTokens(key []byte, issuer string, ttl time.Duration, now func() time.Time) *Tokens {
	return &Tokens{
		key: key, issuer: issuer, ttl: ttl, now: now,
		verified: map[string]AccessClaims{},
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithIssuer(issuer),
			jwt.WithAudience(issuer),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(leeway),
			jwt.WithTimeFunc(now),
			jwt.WithStrictDecoding(),
		),
	}
}

// TTL is the lifetime of an access token.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue signs an access token for a user's session; amr names how the
// session logged in (its "amr" claim).
func (t *Tokens) Issue(userID, sessionID, role string, amr ...string) (string, error) {
	now := t.now()
	var jti [16]byte
	_, _ = rand.Read(jti[:])
	claims := AccessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Audience:  jwt.ClaimStrings{t.issuer},
			Subject:   userID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
			ID:        hex.EncodeToString(jti[:]),
		},
		SessionID: sessionID,
		Role:      role,
		AMR:       amr,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["typ"] = AccessTokenType
	s, err := tok.SignedString(t.key)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return s, nil
}

// Verify checks an access token's signature, algorithm, type, issuer,
// audience and expiry, and returns its claims. Whether its session is still
// live is the Checker's job.
func (t *Tokens) Verify(token string) (AccessClaims, error) {
	if len(token) > MaxTokenLength || strings.Count(token, ".") != 2 {
		return AccessClaims{}, fmt.Errorf("%w: malformed", ErrInvalidToken)
	}
	t.mu.Lock()
	claims, ok := t.verified[token]
	t.mu.Unlock()
	if ok {
		if !t.now().Before(claims.ExpiresAt.Add(leeway)) {
			return AccessClaims{}, fmt.Errorf("%w: expired", ErrInvalidToken)
		}
		return claims, nil
	}
	claims, err := t.parse(token)
	if err != nil {
		return AccessClaims{}, err
	}
	t.mu.Lock()
	if len(t.verified) >= maxVerified {
		clear(t.verified)
	}
	t.verified[token] = claims
	t.mu.Unlock()
	return claims, nil
}

func (t *Tokens) parse(token string) (AccessClaims, error) {
	var claims AccessClaims
	tok, err := t.parser.ParseWithClaims(token, &claims, func(tok *jwt.Token) (any, error) {
		if typ, _ := tok.Header["typ"].(string); !strings.EqualFold(typ, AccessTokenType) {
			return nil, fmt.Errorf("typ %q", typ)
		}
		return t.key, nil
	})
	if err != nil || !tok.Valid {
		return AccessClaims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if claims.Subject == "" || claims.SessionID == "" {
		return AccessClaims{}, fmt.Errorf("%w: missing sub or sid", ErrInvalidToken)
	}
	return claims, nil
}

// RefreshToken is a parsed refresh token: "<session id>.<generation>.<secret>",
// where the secret is 32 bytes in base64url. Carrying the session id and the
// generation lets Listo recognise any token of a session that was rotated
// away, and only its SHA-256 is stored.
type RefreshToken struct {
	SessionID  string
	Generation int
	raw        string
}

// RefreshTokens makes refresh tokens whose secret is an HMAC of the session
// id and the generation under a server key. Only the newest generation's
// hash is stored, yet a token of an earlier generation can be told apart
// from a forgery: reuse of a token Listo really issued revokes its session,
// while a made-up token naming a (public) session id is merely refused.
type RefreshTokens struct {
	key []byte
}

// NewRefreshTokens derives the refresh-token key from the server secret
// (the JWT key), labelled so it is never the same key as another use's.
func NewRefreshTokens(secret []byte) *RefreshTokens {
	return &RefreshTokens{key: DeriveKey(secret, "listo refresh tokens v1")}
}

// DeriveKey derives a purpose-bound key from the server secret.
func DeriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

func (k *RefreshTokens) secret(sessionID string, generation int) string {
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(sessionID + "." + strconv.Itoa(generation)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// New makes the refresh token of a session's generation.
func (k *RefreshTokens) New(sessionID string, generation int) RefreshToken {
	raw := sessionID + "." + strconv.Itoa(generation) + "." + k.secret(sessionID, generation)
	return RefreshToken{SessionID: sessionID, Generation: generation, raw: raw}
}

// Issued reports whether rt is a token this key made (in constant time).
func (k *RefreshTokens) Issued(rt RefreshToken) bool {
	want := k.New(rt.SessionID, rt.Generation)
	return hmac.Equal([]byte(want.raw), []byte(rt.raw))
}

// ParseRefreshToken splits a presented refresh token; anything that is not
// of the right shape is ErrInvalidToken.
func ParseRefreshToken(s string) (RefreshToken, error) {
	parts := strings.Split(s, ".")
	if len(s) > 200 || len(parts) != 3 || len(parts[0]) != 24 {
		return RefreshToken{}, fmt.Errorf("%w: malformed refresh token", ErrInvalidToken)
	}
	if _, err := hex.DecodeString(parts[0]); err != nil {
		return RefreshToken{}, fmt.Errorf("%w: malformed refresh token", ErrInvalidToken)
	}
	gen, err := strconv.Atoi(parts[1])
	if err != nil || gen < 0 {
		return RefreshToken{}, fmt.Errorf("%w: malformed refresh token", ErrInvalidToken)
	}
	if b, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil || len(b) != 32 {
		return RefreshToken{}, fmt.Errorf("%w: malformed refresh token", ErrInvalidToken)
	}
	return RefreshToken{SessionID: parts[0], Generation: gen, raw: s}, nil
}

// String is the token to hand to the client.
func (r RefreshToken) String() string { return r.raw }

// Hash is the SHA-256 of the token, as stored.
func (r RefreshToken) Hash() string {
	sum := sha256.Sum256([]byte(r.raw))
	return hex.EncodeToString(sum[:])
}

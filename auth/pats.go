package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"listo/models"
)

// patSecretBytes is the randomness of a personal access token.
const patSecretBytes = 32

// NewPAT returns a new personal access token ("listo_pat_" and 32 random
// bytes in unpadded base64url) and the hash it is stored under.
func NewPAT() (token, hash string) {
	var b [patSecretBytes]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	token = models.PATPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, PATHash(token)
}

// PATHash is the SHA-256 (hex) of a token: what is stored and looked up.
// The token is 256 random bits, so a fast hash is enough.
func PATHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// IsPAT reports whether a bearer credential claims to be a personal
// access token (by its prefix; whether it is one is CheckPAT's question).
func IsPAT(token string) bool { return strings.HasPrefix(token, models.PATPrefix) }

// wellFormedPAT reports whether token has the exact shape NewPAT makes.
func wellFormedPAT(token string) bool {
	secret, ok := strings.CutPrefix(token, models.PATPrefix)
	if !ok || len(secret) != base64.RawURLEncoding.EncodedLen(patSecretBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(secret)
	return err == nil
}

// PATSource is what CheckPAT reads and writes: the token by its hash, and
// the record of its last use. The Checker's SessionSource provides it when
// it implements it too (the store does); otherwise every token is refused.
type PATSource interface {
	PATByHash(ctx context.Context, hash string) (models.PAT, error)
	TouchPAT(ctx context.Context, hash string, at time.Time) (bool, error)
}

// CheckPAT returns the principal of a personal access token: it must
// exist and be unexpired, and its user must exist and be enabled. As
// Check, answers are cached, and every revoke on this instance calls
// ForgetPAT or ForgetUser, so this instance is exact. The token's last use
// is recorded at most once per models.PATTouchEvery; a failure to record
// it does not refuse the token.
func (c *Checker) CheckPAT(ctx context.Context, token string) (Principal, error) {
	if !wellFormedPAT(token) {
		return Principal{}, fmt.Errorf("malformed personal access token: %w", models.ErrUnauthorized)
	}
	return c.checkPAT(ctx, PATHash(token), true)
}

// RecheckPAT tells whether a token CheckPAT accepted, named by its hash,
// is still honoured (an open event stream asks at every ping): nil, or an
// error as CheckPAT's.
func (c *Checker) RecheckPAT(ctx context.Context, hash string) error {
	_, err := c.checkPAT(ctx, hash, false)
	return err
}

func (c *Checker) checkPAT(ctx context.Context, hash string, touch bool) (Principal, error) {
	src, ok := c.src.(PATSource)
	if !ok {
		return Principal{}, fmt.Errorf("personal access tokens are not available: %w", models.ErrUnauthorized)
	}
	now := c.now()
	pat, err := load(c, ctx, c.pats, hash, now, src.PATByHash)
	if err != nil {
		return Principal{}, err
	}
	if !pat.Live(now) {
		return Principal{}, fmt.Errorf("personal access token %s expired: %w", pat.ID, models.ErrUnauthorized)
	}
	user, err := load(c, ctx, c.users, pat.UserID, now, c.src.UserByID)
	if err != nil {
		return Principal{}, err
	}
	if user.Disabled {
		return Principal{}, fmt.Errorf("user is disabled: %w", models.ErrUnauthorized)
	}
	if touch && (pat.LastUsedAt == nil || now.Sub(*pat.LastUsedAt) >= models.PATTouchEvery) {
		if _, err := src.TouchPAT(ctx, hash, now); err == nil {
			c.touched(hash, now)
			pat.LastUsedAt = &now
		}
	}
	p := Principal{User: user, PAT: &pat}
	if pat.ExpiresAt != nil {
		p.TokenExpiresAt = *pat.ExpiresAt
	}
	return p, nil
}

// touched notes in the cached token that its use at was recorded, so the
// next requests do not write it again.
func (c *Checker) touched(hash string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.pats[hash]; ok {
		e.v.LastUsedAt = &at
		c.pats[hash] = e
	}
}

// ForgetPAT drops a personal access token from the cache (after a revoke).
func (c *Checker) ForgetPAT(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	delete(c.pats, hash)
}

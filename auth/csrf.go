package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// CSRF issues and checks the double-submit tokens of cookie mode, signed
// and bound to a session: "<nonce>.<HMAC(session id, nonce)>". A cookie an
// attacker plants (from a sibling subdomain, say) with a header to match is
// refused, because they cannot sign it for the victim's session.
type CSRF struct {
	key []byte
}

// NewCSRF derives the CSRF key from the server secret.
func NewCSRF(secret []byte) *CSRF {
	return &CSRF{key: DeriveKey(secret, "listo csrf tokens v1")}
}

func (c *CSRF) sign(sessionID, nonce string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(sessionID + "." + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Issue makes a token for a session.
func (c *CSRF) Issue(sessionID string) string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	nonce := base64.RawURLEncoding.EncodeToString(b[:])
	return nonce + "." + c.sign(sessionID, nonce)
}

// Valid reports whether token was issued for the session (constant time).
func (c *CSRF) Valid(sessionID, token string) bool {
	nonce, mac, ok := strings.Cut(token, ".")
	if !ok || nonce == "" || len(token) > 200 {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(c.sign(sessionID, nonce)))
}

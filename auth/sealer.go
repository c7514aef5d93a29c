package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// ErrUnsealed is returned for a sealed value that does not open: another
// key, another binding, or bytes changed at rest.
var ErrUnsealed = errors.New("sealed value does not open")

// Sealer encrypts small secrets kept at rest (a TOTP secret) with
// AES-256-GCM under a key derived for that purpose. Each sealed value is
// bound to a context (the user it belongs to): a value copied to another
// user's record does not open there.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer derives a key for purpose from secret (the server key) and
// returns a Sealer with it.
func NewSealer(secret []byte, purpose string) (*Sealer, error) {
	if len(secret) == 0 {
		return nil, errors.New("sealer: empty key")
	}
	block, err := aes.NewCipher(DeriveKey(secret, purpose)) // 32 bytes: AES-256
	if err != nil {
		return nil, fmt.Errorf("sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sealer: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext bound to context: a random nonce followed by the
// ciphertext and its tag.
func (s *Sealer) Seal(plaintext []byte, context string) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, []byte(context))
}

// Open decrypts what Seal made for the same context; anything else is
// ErrUnsealed.
func (s *Sealer) Open(sealed []byte, context string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrUnsealed
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(context))
	if err != nil {
		return nil, ErrUnsealed
	}
	return out, nil
}

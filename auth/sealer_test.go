package auth_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"listo/auth"
)

func TestSealer(t *testing.T) {
	s, err := auth.NewSealer([]byte("server secret server secret 0123"), "listo test v1")
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("JBSWY3DPEHPK3PXP")
	sealed := s.Seal(secret, "user-1")
	if bytes.Contains(sealed, secret) {
		t.Fatalf("Seal(%q) = %x holds the plaintext", secret, sealed)
	}
	if again := s.Seal(secret, "user-1"); bytes.Equal(again, sealed) {
		t.Errorf("two Seals of one value are equal: the nonce is not random")
	}
	got, err := s.Open(sealed, "user-1")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v; want %q", got, err, secret)
	}

	other, err := auth.NewSealer([]byte("server secret server secret 0123"), "listo other v1")
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-1] ^= 1
	for name, try := range map[string]func() ([]byte, error){
		"another user":    func() ([]byte, error) { return s.Open(sealed, "user-2") },
		"another purpose": func() ([]byte, error) { return other.Open(sealed, "user-1") },
		"changed at rest": func() ([]byte, error) { return s.Open(flipped, "user-1") },
		"too short":       func() ([]byte, error) { return s.Open(sealed[:10], "user-1") },
	} {
		if got, err := try(); !errors.Is(err, auth.ErrUnsealed) || got != nil {
			t.Errorf("%s: Open = %q, %v; want ErrUnsealed", name, got, err)
		}
	}
	if _, err := auth.NewSealer(nil, "x"); err == nil {
		t.Error("NewSealer(nil key) succeeded")
	}
}

func TestAccessTokenAMR(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC) }
	tokens := auth.NewTokens([]byte("server secret server secret 0123"), "listo", time.Minute, now)
	tok, err := tokens.Issue("u1", "0123456789abcdef01234567", "user", "pwd", "otp", "mfa")
	if err != nil {
		t.Fatal(err)
	}
	claims, err := tokens.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(claims.AMR, ","); got != "pwd,otp,mfa" {
		t.Errorf("amr = %q; want pwd,otp,mfa", got)
	}
	plain, _ := tokens.Issue("u1", "0123456789abcdef01234567", "user")
	if claims, _ := tokens.Verify(plain); claims.AMR != nil {
		t.Errorf("a token issued without amr has amr %q", claims.AMR)
	}
}

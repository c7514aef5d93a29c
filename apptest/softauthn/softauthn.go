// Package softauthn is a software WebAuthn authenticator for tests: it
// answers the options Listo sends with the JSON a browser would send back
// (PublicKeyCredential.toJSON()), with ES256 keys, "none" attestation and
// CBOR made with fxamacker/cbor. Its fields let a test play a cloned key, a
// phishing origin or a forged user handle.
package softauthn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/fxamacker/cbor/v2"
)

// Authenticator flags (authenticator data, WebAuthn §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

// Authenticator holds discoverable credentials and answers ceremonies for
// one origin. Its fields may be changed between ceremonies.
type Authenticator struct {
	// Origin is what the client data says the page was; another one than
	// the relying party's plays a phishing site.
	Origin string
	// UV says whether the user was verified (the UV flag); true by
	// default.
	UV bool
	// Synced makes new credentials backup eligible and backed up (a
	// synced passkey).
	Synced bool

	creds []*Credential
}

// Credential is one key pair the authenticator made. A test may set
// Counter back to play a cloned key, or UserHandle to forge one.
type Credential struct {
	ID         []byte
	RPID       string
	UserHandle []byte
	Counter    uint32
	key        *ecdsa.PrivateKey
	synced     bool
}

// New returns an authenticator that says its pages come from origin and
// verifies its user.
func New(origin string) *Authenticator { return &Authenticator{Origin: origin, UV: true} }

// Credentials lists the credentials made so far, oldest first.
func (a *Authenticator) Credentials() []*Credential { return a.creds }

// ErrExcluded is Create's answer when the options exclude a credential it
// holds (the browser's InvalidStateError).
var ErrExcluded = errors.New("softauthn: a credential of this authenticator is excluded")

// ErrNoCredential is Get's answer when it holds no credential the options
// allow (the browser's NotAllowedError).
var ErrNoCredential = errors.New("softauthn: no credential for these options")

var b64 = base64.RawURLEncoding

type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		PubKeyCredParams []struct {
			Alg int `json:"alg"`
		} `json:"pubKeyCredParams"`
		ExcludeCredentials []struct {
			ID string `json:"id"`
		} `json:"excludeCredentials"`
	} `json:"publicKey"`
}

// Create answers creation options ({"publicKey": ...}) with a new
// credential, as navigator.credentials.create() and toJSON() would.
func (a *Authenticator) Create(options []byte) ([]byte, *Credential, error) {
	var o creationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, nil, fmt.Errorf("softauthn: creation options: %w", err)
	}
	pk := o.PublicKey
	if !slices.ContainsFunc(pk.PubKeyCredParams, func(p struct {
		Alg int `json:"alg"`
	}) bool {
		return p.Alg == -7
	}) {
		return nil, nil, errors.New("softauthn: the options do not allow ES256")
	}
	for _, ex := range pk.ExcludeCredentials {
		for _, c := range a.creds {
			if b64.EncodeToString(c.ID) == ex.ID {
				return nil, nil, ErrExcluded
			}
		}
	}
	userHandle, err := b64.DecodeString(pk.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("softauthn: user.id: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	c := &Credential{ID: make([]byte, 32), RPID: pk.RP.ID, UserHandle: userHandle, key: key, synced: a.Synced}
	_, _ = rand.Read(c.ID)

	cose, err := coseKey(&key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	authData := a.authData(c, flagAT)
	authData = append(authData, make([]byte, 16)...) // AAGUID: none
	authData = binary.BigEndian.AppendUint16(authData, uint16(len(c.ID)))
	authData = append(authData, c.ID...)
	authData = append(authData, cose...)
	attestation, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": authData})
	if err != nil {
		return nil, nil, err
	}
	clientData := a.clientData("webauthn.create", pk.Challenge)
	out, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"attestationObject": b64.EncodeToString(attestation),
			"transports":        []string{"internal"},
		},
	})
	if err != nil {
		return nil, nil, err
	}
	a.creds = append(a.creds, c)
	return out, c, nil
}

type requestOptions struct {
	PublicKey struct {
		Challenge        string `json:"challenge"`
		RPID             string `json:"rpId"`
		AllowCredentials []struct {
			ID string `json:"id"`
		} `json:"allowCredentials"`
	} `json:"publicKey"`
}

// Get answers request options ({"publicKey": ...}) with an assertion of
// c, or of the newest credential the options allow when c is nil, as
// navigator.credentials.get() and toJSON() would. It counts the use.
func (a *Authenticator) Get(options []byte, c *Credential) ([]byte, error) {
	var o requestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, fmt.Errorf("softauthn: request options: %w", err)
	}
	pk := o.PublicKey
	allowed := func(c *Credential) bool {
		if c.RPID != pk.RPID {
			return false
		}
		if len(pk.AllowCredentials) == 0 {
			return true // discoverable
		}
		for _, al := range pk.AllowCredentials {
			if al.ID == b64.EncodeToString(c.ID) {
				return true
			}
		}
		return false
	}
	if c == nil {
		for _, cand := range slices.Backward(a.creds) {
			if allowed(cand) {
				c = cand
				break
			}
		}
		if c == nil {
			return nil, ErrNoCredential
		}
	}
	c.Counter++
	authData := a.authData(c, 0)
	clientData := a.clientData("webauthn.get", pk.Challenge)
	hash := sha256.Sum256(clientData)
	digest := sha256.Sum256(append(slices.Clone(authData), hash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, c.key, digest[:])
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"id": b64.EncodeToString(c.ID), "rawId": b64.EncodeToString(c.ID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(clientData),
			"authenticatorData": b64.EncodeToString(authData),
			"signature":         b64.EncodeToString(sig),
			"userHandle":        b64.EncodeToString(c.UserHandle),
		},
	})
}

// authData is the authenticator data up to the counter: the RP ID's hash,
// the flags (UP always, UV, BE/BS as set, and extra) and c's counter.
func (a *Authenticator) authData(c *Credential, extra byte) []byte {
	rpHash := sha256.Sum256([]byte(c.RPID))
	flags := flagUP | extra
	if a.UV {
		flags |= flagUV
	}
	if c.synced {
		flags |= flagBE | flagBS
	}
	out := append(rpHash[:], flags)
	return binary.BigEndian.AppendUint32(out, c.Counter)
}

func (a *Authenticator) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.Origin, "crossOrigin": false})
	return b
}

// coseKey encodes an ES256 public key as a COSE_Key (RFC 9053): kty EC2,
// alg ES256, crv P-256, x, y; in CTAP2's canonical CBOR.
func coseKey(pub *ecdsa.PublicKey) ([]byte, error) {
	raw, err := pub.Bytes() // 0x04 || x || y
	if err != nil {
		return nil, err
	}
	enc, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		return nil, err
	}
	return enc.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:65]})
}

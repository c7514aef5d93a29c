package controllers

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/go-webauthn/webauthn/protocol"

	"listo/account"
	"listo/auth"
	"listo/httpx"
	"listo/models"
	"listo/schemas"
)

// PasskeyService registers and manages a person's passkeys.
type PasskeyService interface {
	PasskeyCreationOptions(ctx context.Context, p auth.Principal) (*protocol.CredentialCreation, error)
	AddPasskey(ctx context.Context, p auth.Principal, name string, credential []byte) (models.Passkey, error)
	ListPasskeys(ctx context.Context, userID string) ([]models.Passkey, error)
	RenamePasskey(ctx context.Context, userID, id, name string) (models.Passkey, error)
	DeletePasskey(ctx context.Context, p auth.Principal, id, currentPassword string) error
}

// Passkeys handles the caller's passkeys.
type Passkeys struct {
	Accounts PasskeyService
	Validate *schemas.Validator
}

// Options handles POST /user/passkeys/options: WebAuthn creation options
// ({"publicKey": ...}) for navigator.credentials.create(), excluding the
// caller's passkeys.
func (h *Passkeys) Options(c *gin.Context) error {
	options, err := h.Accounts.PasskeyCreationOptions(c.Request.Context(), httpx.Principal(c))
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, options)
	return nil
}

type passkeyCreateRequest struct {
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

// Create handles POST /user/passkeys: the authenticator's answer to the
// options registers a passkey.
func (h *Passkeys) Create(c *gin.Context) error {
	var req passkeyCreateRequest
	if err := bind(c, h.Validate, "passkey_create", &req); err != nil {
		return err
	}
	pk, err := h.Accounts.AddPasskey(c.Request.Context(), httpx.Principal(c), req.Name, req.Credential)
	if err != nil {
		return err
	}
	c.Header("Location", "/user/passkeys/"+pk.ID)
	c.JSON(http.StatusCreated, pk)
	return nil
}

// List handles GET /user/passkeys.
func (h *Passkeys) List(c *gin.Context) error {
	list, err := h.Accounts.ListPasskeys(c.Request.Context(), httpx.Principal(c).User.ID)
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, gin.H{"items": list})
	return nil
}

type passkeyPatchRequest struct {
	Name string `json:"name"`
}

// Rename handles PATCH /user/passkeys/{id}.
func (h *Passkeys) Rename(c *gin.Context) error {
	var req passkeyPatchRequest
	if err := bind(c, h.Validate, "passkey_patch", &req); err != nil {
		return err
	}
	pk, err := h.Accounts.RenamePasskey(c.Request.Context(), httpx.Principal(c).User.ID, c.Param("id"), req.Name)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, pk)
	return nil
}

// Delete handles DELETE /user/passkeys/{id}, with the current password.
func (h *Passkeys) Delete(c *gin.Context) error {
	var req currentPasswordRequest
	if err := bind(c, h.Validate, "current_password", &req); err != nil {
		return err
	}
	if err := h.Accounts.DeletePasskey(c.Request.Context(), httpx.Principal(c), c.Param("id"), req.CurrentPassword); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// PasskeyLogins logs people in with passkeys.
type PasskeyLogins interface {
	PasskeyLoginOptions(ctx context.Context) (string, *protocol.CredentialAssertion, error)
	PasskeyLogin(ctx context.Context, pc account.PasskeyCredentials) (account.Grant, error)
	MFAPasskeyOptions(ctx context.Context, token string) (*protocol.CredentialAssertion, error)
}

// PasskeyLogin handles passwordless logins and a passkey as a login's
// second step.
type PasskeyLogin struct {
	Accounts PasskeyLogins
	Validate *schemas.Validator
	Cookies  Cookies
}

// loginOptionsResponse is a passwordless login's options and the
// challenge_id to answer with.
type loginOptionsResponse struct {
	ChallengeID string                                     `json:"challenge_id"`
	PublicKey   protocol.PublicKeyCredentialRequestOptions `json:"publicKey"`
	Mediation   protocol.CredentialMediationRequirement    `json:"mediation,omitempty"`
}

// Options handles POST /auth/passkey/options: request options with no
// allowed credentials (the authenticator offers its own) and a
// challenge_id, single use for 5 minutes.
func (h *PasskeyLogin) Options(c *gin.Context) error {
	id, options, err := h.Accounts.PasskeyLoginOptions(c.Request.Context())
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, loginOptionsResponse{ChallengeID: id, PublicKey: options.Response, Mediation: options.Mediation})
	return nil
}

type authPasskeyRequest struct {
	ChallengeID string          `json:"challenge_id"`
	Credential  json.RawMessage `json:"credential"`
	Device      string          `json:"device"`
	Cookie      bool            `json:"cookie"`
}

// Handle handles POST /auth/passkey: an assertion for the options logs in
// as POST /auth does, with no second step.
func (h *PasskeyLogin) Handle(c *gin.Context) error {
	var req authPasskeyRequest
	if err := bind(c, h.Validate, "auth_passkey", &req); err != nil {
		return err
	}
	g, err := h.Accounts.PasskeyLogin(c.Request.Context(), account.PasskeyCredentials{
		ChallengeID: req.ChallengeID, Credential: req.Credential, Device: req.Device, Client: client(c),
	})
	if err != nil {
		return err
	}
	h.Cookies.sendGrant(c, g, req.Cookie)
	return nil
}

type mfaTokenRequest struct {
	MFAToken string `json:"mfa_token"`
}

// MFAOptions handles POST /auth/mfa/passkey/options: request options for
// the user's passkeys, to answer POST /auth/mfa with a credential.
func (h *PasskeyLogin) MFAOptions(c *gin.Context) error {
	var req mfaTokenRequest
	if err := bind(c, h.Validate, "mfa_token", &req); err != nil {
		return err
	}
	options, err := h.Accounts.MFAPasskeyOptions(c.Request.Context(), req.MFAToken)
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, options)
	return nil
}

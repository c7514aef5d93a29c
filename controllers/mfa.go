package controllers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"listo/account"
	"listo/auth"
	"listo/httpx"
	"listo/schemas"
)

// FactorService sets up and removes a person's second factors.
type FactorService interface {
	SetupTOTP(ctx context.Context, p auth.Principal, currentPassword string) (account.TOTPSetup, error)
	ConfirmTOTP(ctx context.Context, p auth.Principal, code string) ([]string, error)
	DisableTOTP(ctx context.Context, p auth.Principal, currentPassword, code string) error
	RegenerateRecoveryCodes(ctx context.Context, p auth.Principal, currentPassword string) ([]string, error)
}

// MFA handles the caller's TOTP and recovery codes.
type MFA struct {
	Accounts FactorService
	Validate *schemas.Validator
}

type currentPasswordRequest struct {
	CurrentPassword string `json:"current_password"`
}

type totpSetupResponse struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRPNG      string `json:"qr_png"`
}

// SetupTOTP handles POST /user/mfa/totp: a new secret, pending until
// confirmed, shown this once.
func (h *MFA) SetupTOTP(c *gin.Context) error {
	var req currentPasswordRequest
	if err := bind(c, h.Validate, "current_password", &req); err != nil {
		return err
	}
	setup, err := h.Accounts.SetupTOTP(c.Request.Context(), httpx.Principal(c), req.CurrentPassword)
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, totpSetupResponse{
		Secret: setup.Secret, OTPAuthURL: setup.URL,
		QRPNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(setup.QRPNG),
	})
	return nil
}

type codeRequest struct {
	Code string `json:"code"`
}

type recoveryCodesResponse struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

// ConfirmTOTP handles POST /user/mfa/totp/confirm: TOTP is on from now,
// and the new recovery codes are shown this once.
func (h *MFA) ConfirmTOTP(c *gin.Context) error {
	var req codeRequest
	if err := bind(c, h.Validate, "totp_confirm", &req); err != nil {
		return err
	}
	codes, err := h.Accounts.ConfirmTOTP(c.Request.Context(), httpx.Principal(c), req.Code)
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, recoveryCodesResponse{RecoveryCodes: codes})
	return nil
}

type totpDeleteRequest struct {
	CurrentPassword string `json:"current_password"`
	Code            string `json:"code"`
}

// DisableTOTP handles DELETE /user/mfa/totp, with the current password
// and a TOTP or a recovery code.
func (h *MFA) DisableTOTP(c *gin.Context) error {
	var req totpDeleteRequest
	if err := bind(c, h.Validate, "totp_delete", &req); err != nil {
		return err
	}
	if err := h.Accounts.DisableTOTP(c.Request.Context(), httpx.Principal(c), req.CurrentPassword, req.Code); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// RecoveryCodes handles POST /user/mfa/recovery-codes: a fresh list, and
// the old codes stop working.
func (h *MFA) RecoveryCodes(c *gin.Context) error {
	var req currentPasswordRequest
	if err := bind(c, h.Validate, "current_password", &req); err != nil {
		return err
	}
	codes, err := h.Accounts.RegenerateRecoveryCodes(c.Request.Context(), httpx.Principal(c), req.CurrentPassword)
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, recoveryCodesResponse{RecoveryCodes: codes})
	return nil
}

// LoginCompleter finishes logins that need a second step.
type LoginCompleter interface {
	CompleteLogin(ctx context.Context, f account.SecondFactor) (account.Grant, bool, error)
}

// SecondStep handles the second step of a login.
type SecondStep struct {
	Accounts LoginCompleter
	Validate *schemas.Validator
	Cookies  Cookies
}

type authMFARequest struct {
	MFAToken     string          `json:"mfa_token"`
	Code         string          `json:"code"`
	RecoveryCode string          `json:"recovery_code"`
	Credential   json.RawMessage `json:"credential"`
}

// Handle handles POST /auth/mfa: with the mfa_token and a right code,
// recovery code or passkey, the answer is POST /auth's, in the mode chosen
// there.
func (h *SecondStep) Handle(c *gin.Context) error {
	var req authMFARequest
	if err := bind(c, h.Validate, "auth_mfa", &req); err != nil {
		return err
	}
	g, cookie, err := h.Accounts.CompleteLogin(c.Request.Context(), account.SecondFactor{
		Token: req.MFAToken, Code: req.Code, RecoveryCode: req.RecoveryCode, Credential: req.Credential, Client: client(c),
	})
	if err != nil {
		return err
	}
	h.Cookies.sendGrant(c, g, cookie)
	return nil
}

// mfaRequiredResponse is POST /auth's answer when a second step is needed.
type mfaRequiredResponse struct {
	MFARequired bool     `json:"mfa_required"`
	MFAToken    string   `json:"mfa_token"`
	Methods     []string `json:"methods"`
	ExpiresIn   int      `json:"expires_in"`
}

// sendMFARequired answers a login whose password was right but that needs
// a second step, if err says so: no session, no tokens, no cookies.
func sendMFARequired(c *gin.Context, err error) bool {
	var need *account.MFARequired
	if !errors.As(err, &need) {
		return false
	}
	httpx.NoStore(c)
	c.Header("Pragma", "no-cache")
	c.JSON(http.StatusOK, mfaRequiredResponse{
		MFARequired: true, MFAToken: need.Token, Methods: need.Methods, ExpiresIn: int(need.ExpiresIn.Seconds()),
	})
	return true
}

// FactorRemover removes a user's factors (admin).
type FactorRemover interface {
	RemoveFactors(ctx context.Context, userID string) error
}

// MFAAdmin handles an admin's help with second factors.
type MFAAdmin struct {
	Accounts FactorRemover
}

// Remove handles DELETE /users/{id}/mfa: every second factor of the user
// goes, their sessions end, and they are told by mail.
func (h *MFAAdmin) Remove(c *gin.Context) error {
	if err := h.Accounts.RemoveFactors(c.Request.Context(), c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

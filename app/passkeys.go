package app

import (
	"log/slog"

	"github.com/go-webauthn/webauthn/webauthn"

	"listo/account"
	"listo/config"
)

// passkeys is the WebAuthn relying party of the configuration, or nil
// (passkeys off, logged) without an RP ID or an origin on it.
func passkeys(cfg config.Config, log *slog.Logger) (*webauthn.WebAuthn, error) {
	origins := cfg.RelyingPartyOrigins()
	if cfg.WebAuthnRPID == "" || len(origins) == 0 {
		log.Warn("passkeys are off: set WEBAUTHN_RP_ID (or PUBLIC_URL) and WEBAUTHN_ORIGINS", "rp_id", cfg.WebAuthnRPID, "origins", origins)
		return nil, nil
	}
	return account.NewPasskeys(account.RelyingParty{ID: cfg.WebAuthnRPID, Origins: origins})
}

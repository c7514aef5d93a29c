package account

import (
	"context"

	"listo/models"
)

// passkeyCount is how many passkeys the user has (none until passkeys
// come).
func (s *Service) passkeyCount(context.Context, string) (int, error) { return 0, nil }

// deletePasskeys deletes the user's passkeys.
func (s *Service) deletePasskeys(context.Context, string) error { return nil }

// checkPasskeyFactor checks a passkey assertion as a login's second
// factor.
func (s *Service) checkPasskeyFactor(context.Context, models.User, models.Challenge, []byte) ([]string, bool, error) {
	return nil, false, nil
}

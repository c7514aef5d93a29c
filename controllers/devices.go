package controllers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"listo/account"
	"listo/httpx"
	"listo/models"
)

// SessionLister lists a user's live sessions.
type SessionLister interface {
	ListSessions(ctx context.Context, userID string, now time.Time) ([]models.Session, error)
}

// DeviceRevoker ends one of a user's sessions.
type DeviceRevoker interface {
	RevokeDevice(ctx context.Context, userID, sessionID string) error
}

// Devices handles the caller's sessions (devices).
type Devices struct {
	Sessions SessionLister
	Accounts DeviceRevoker
	Now      func() time.Time
}

// deviceJSON is a session as the devices list and the export show it:
// never a token or its hash.
type deviceJSON struct {
	ID         string    `json:"id"`
	Device     string    `json:"device"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

func deviceOf(s models.Session) deviceJSON {
	return deviceJSON{
		ID: s.ID, Device: s.Device, UserAgent: s.UserAgent, IP: s.IP,
		CreatedAt: s.CreatedAt, LastUsedAt: s.LastUsedAt, ExpiresAt: s.ExpiresAt,
	}
}

// sessionJSON is an item of GET /user/sessions.
type sessionJSON struct {
	deviceJSON
	Current bool `json:"current"`
	// AMR is how the session logged in (RFC 8176 values).
	AMR []string `json:"amr"`
}

// List handles GET /user/sessions: the caller's live sessions.
func (h *Devices) List(c *gin.Context) error {
	p := httpx.Principal(c)
	list, err := h.Sessions.ListSessions(c.Request.Context(), p.User.ID, h.Now())
	if err != nil {
		return err
	}
	items := make([]sessionJSON, 0, len(list))
	for _, s := range list {
		items = append(items, sessionJSON{deviceOf(s), s.ID == p.SessionID, account.SessionAMR(s)})
	}
	httpx.NoStore(c)
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

// Revoke handles DELETE /user/sessions/{id}: another user's or an unknown
// session is 404.
func (h *Devices) Revoke(c *gin.Context) error {
	if err := h.Accounts.RevokeDevice(c.Request.Context(), httpx.Principal(c).User.ID, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

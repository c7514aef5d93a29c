package controllers

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"listo/account"
	"listo/auth"
	"listo/httpx"
	"listo/models"
)

// tokenResponse is the body of /auth and /refresh. In cookie mode the
// tokens are in cookies and CSRFToken is set instead.
type tokenResponse struct {
	AccessToken  string      `json:"access_token,omitempty"`
	TokenType    string      `json:"token_type,omitempty"`
	ExpiresIn    int         `json:"expires_in"`
	RefreshToken string      `json:"refresh_token,omitempty"`
	CSRFToken    string      `json:"csrf_token,omitempty"`
	SessionID    string      `json:"session_id"`
	User         models.User `json:"user"`
}

// Cookies writes the tokens of cookie mode: the access token for every
// path, the refresh token for /refresh only, both HttpOnly; the CSRF token
// readable by the page, which echoes it in X-CSRF-Token.
type Cookies struct {
	Secure    bool          // Secure attribute (production, behind HTTPS)
	AccessTTL time.Duration // lifetime of an access token
	CSRF      *auth.CSRF    // signs the CSRF token for the session
	Now       func() time.Time
}

// sendGrant writes a login's or a refresh's tokens: in the body, or in
// cookies when cookie is true.
func (k Cookies) sendGrant(c *gin.Context, g account.Grant, cookie bool) {
	resp := tokenResponse{ExpiresIn: int(k.AccessTTL.Seconds()), SessionID: g.Session.ID, User: g.User}
	httpx.NoStore(c)
	c.Header("Pragma", "no-cache")
	if cookie {
		csrf := k.CSRF.Issue(g.Session.ID)
		session := int(g.Session.ExpiresAt.Sub(k.Now()).Seconds())
		k.set(c, httpx.AccessCookie, g.Access, "/", int(k.AccessTTL.Seconds()), true)
		k.set(c, httpx.RefreshCookie, g.Refresh.String(), "/refresh", session, true)
		k.set(c, httpx.CSRFCookie, csrf, "/", session, false)
		resp.CSRFToken = csrf
	} else {
		resp.AccessToken, resp.TokenType, resp.RefreshToken = g.Access, "Bearer", g.Refresh.String()
	}
	c.JSON(http.StatusOK, resp)
}

func (k Cookies) set(c *gin.Context, name, value, path string, maxAge int, httpOnly bool) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: httpOnly, Secure: k.Secure, SameSite: http.SameSiteStrictMode,
	})
}

// clear removes the cookies of cookie mode.
func (k Cookies) clear(c *gin.Context) {
	k.set(c, httpx.AccessCookie, "", "/", -1, true)
	k.set(c, httpx.RefreshCookie, "", "/refresh", -1, true)
	k.set(c, httpx.CSRFCookie, "", "/", -1, false)
}

// csrfValid reports whether a cookie-mode request carries the CSRF token
// of the session.
func (k Cookies) csrfValid(r *http.Request, sessionID string) bool {
	tok, ok := httpx.CSRFToken(r)
	return ok && k.CSRF.Valid(sessionID, tok)
}

// client describes the caller for the session record.
func client(c *gin.Context) account.Client {
	return account.Client{IP: c.ClientIP(), UserAgent: c.Request.UserAgent()}
}

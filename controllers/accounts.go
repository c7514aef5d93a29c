package controllers

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"listo/auth"
	"listo/middleware"
	"listo/models"
	"listo/problem"
	"listo/ratelimit"
	"listo/schemas"
)

// AccountStore is the storage the account handlers need.
type AccountStore interface {
	CreateUser(ctx context.Context, u models.User) (models.User, error)
	UserByID(ctx context.Context, id string) (models.User, error)
	UserByEmail(ctx context.Context, email string) (models.User, error)
	UpdateUser(ctx context.Context, id string, p models.UserPatch, now time.Time) (models.User, error)
	DeleteUser(ctx context.Context, id string) error
	ListUsers(ctx context.Context, q models.UserQuery) (models.Page[models.User], error)
	CreateSession(ctx context.Context, s models.Session) (models.Session, error)
	SessionByID(ctx context.Context, id string) (models.Session, error)
	RotateSession(ctx context.Context, r models.Rotation) (models.Session, error)
	RevokeSession(ctx context.Context, userID, id string, now time.Time) error
	RevokeUserSessions(ctx context.Context, userID, except string, now time.Time) (int, error)
	ListSessions(ctx context.Context, userID string, now time.Time) ([]models.Session, error)
}

// Events receives what the account handlers do, for metrics. Every field
// may be nil.
type Events struct {
	SessionCreated  func()
	SessionsRevoked func(n int)
	ReuseDetected   func()
	RateLimited     func()
}

// Accounts handles registration, login, refresh, logout, the caller's own
// account and sessions, and the admin's user management.
type Accounts struct {
	Store    AccountStore
	Validate *schemas.Validator
	Tokens   *auth.Tokens
	Checker  *auth.Checker
	Hasher   *auth.Hasher
	Policy   *auth.PasswordPolicy
	Failures *ratelimit.Failures // per-email login failures
	Now      func() time.Time
	// RefreshTTL is how long a session lives without a refresh... and at
	// most: expires_at is fixed at login.
	RefreshTTL time.Duration
	Secure     bool // Secure attribute on cookies
	Events     Events
}

func emit(f func()) {
	if f != nil {
		f()
	}
}

// checkPassword applies the password policy and names the field on failure.
func (h *Accounts) checkPassword(field, password string) error {
	if err := h.Policy.Check(password); err != nil {
		var pe *auth.PasswordError
		if errors.As(err, &pe) {
			return problem.Validation("The password is not acceptable.", problem.FieldError{Field: field, Message: pe.Message})
		}
		return err
	}
	return nil
}

type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// Register handles POST /register.
func (h *Accounts) Register(c *gin.Context) error {
	var req registerRequest
	if err := bind(c, h.Validate, "register", &req); err != nil {
		return err
	}
	u, err := h.createUser(c.Request.Context(), req.Email, req.Password, req.Name, models.RoleUser)
	if err != nil {
		return err
	}
	c.Header("Location", "/user")
	c.JSON(http.StatusCreated, u)
	return nil
}

// createUser checks the password, hashes it and inserts the user; the unique
// index on email decides between concurrent registrations.
func (h *Accounts) createUser(ctx context.Context, email, password, name, role string) (models.User, error) {
	if err := h.checkPassword("/password", password); err != nil {
		return models.User{}, err
	}
	hash, err := h.Hasher.Hash(ctx, password)
	if err != nil {
		return models.User{}, busyOr(err)
	}
	now := h.Now()
	u, err := h.Store.CreateUser(ctx, models.User{
		Email: models.NormalizeEmail(email), Name: strings.TrimSpace(name), PasswordHash: hash,
		Role: role, CreatedAt: now, UpdatedAt: now,
	})
	if errors.Is(err, models.ErrConflict) {
		return models.User{}, emailTaken()
	}
	return u, err
}

func emailTaken() *problem.Problem {
	p := problem.New(http.StatusConflict, "An account with this email already exists.")
	p.Errors = []problem.FieldError{{Field: "/email", Message: "is already registered"}}
	return p
}

func busyOr(err error) error {
	if errors.Is(err, auth.ErrBusy) {
		return problem.New(http.StatusServiceUnavailable, "The server is busy; try again shortly.").WithHeader("Retry-After", "2")
	}
	return err
}

type authRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Device   string `json:"device"`
	Cookie   bool   `json:"cookie"`
}

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

func loginFailed() *problem.Problem {
	p := problem.New(http.StatusUnauthorized, "The email or password is incorrect.")
	return p.WithHeader("WWW-Authenticate", `Bearer realm="listo"`)
}

// Login handles POST /auth. Unknown email and wrong password give the same
// 401 after the same bcrypt work; after too many failures for one email,
// that email is refused with 429 for the rest of the window.
func (h *Accounts) Login(c *gin.Context) error {
	var req authRequest
	if err := bind(c, h.Validate, "auth", &req); err != nil {
		return err
	}
	ctx := c.Request.Context()
	email := models.NormalizeEmail(req.Email)
	// Begin counts attempts still in flight, so a burst of concurrent
	// guesses cannot all slip past the lock before the first one fails.
	attempt, allowed, wait := h.Failures.Begin(email)
	if !allowed {
		emit(h.Events.RateLimited)
		return middleware.TooManyRequests(wait)
	}
	defer attempt.End() // an error (database down, bcrypt busy) counts as neither
	u, err := h.Store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	ok, err := h.Hasher.Compare(ctx, u.PasswordHash, req.Password)
	if err != nil {
		return busyOr(err)
	}
	if !ok {
		attempt.Fail()
		return loginFailed()
	}
	attempt.Succeed()
	if u.Disabled {
		return problem.New(http.StatusForbidden, "This account is disabled.")
	}
	device := strings.TrimSpace(req.Device)
	if device == "" {
		device = "Unnamed device"
	}
	now := h.Now()
	sid := newSessionID()
	rt, err := auth.NewRefreshToken(sid, 0)
	if err != nil {
		return err
	}
	sess, err := h.Store.CreateSession(ctx, models.Session{
		ID: sid, UserID: u.ID, RefreshHash: rt.Hash(), Generation: 0,
		Device: device, UserAgent: truncate(c.Request.UserAgent(), 512), IP: c.ClientIP(),
		CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(h.RefreshTTL),
	})
	if err != nil {
		return err
	}
	emit(h.Events.SessionCreated)
	return h.respondTokens(c, u, sess, rt, req.Cookie)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// respondTokens issues an access token and writes the token response, in the
// body or (cookie mode) in cookies.
func (h *Accounts) respondTokens(c *gin.Context, u models.User, sess models.Session, rt auth.RefreshToken, cookie bool) error {
	access, err := h.Tokens.Issue(u.ID, sess.ID, u.Role)
	if err != nil {
		return err
	}
	resp := tokenResponse{ExpiresIn: int(h.Tokens.TTL().Seconds()), SessionID: sess.ID, User: u}
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	if cookie {
		csrf := randomToken()
		h.setCookie(c, middleware.AccessCookie, access, "/", int(h.Tokens.TTL().Seconds()), true)
		h.setCookie(c, middleware.RefreshCookie, rt.String(), "/refresh", int(sess.ExpiresAt.Sub(h.Now()).Seconds()), true)
		h.setCookie(c, middleware.CSRFCookie, csrf, "/", int(sess.ExpiresAt.Sub(h.Now()).Seconds()), false)
		resp.CSRFToken = csrf
	} else {
		resp.AccessToken, resp.TokenType, resp.RefreshToken = access, "Bearer", rt.String()
	}
	c.JSON(http.StatusOK, resp)
	return nil
}

func (h *Accounts) setCookie(c *gin.Context, name, value, path string, maxAge int, httpOnly bool) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: httpOnly, Secure: h.Secure, SameSite: http.SameSiteStrictMode,
	})
}

func (h *Accounts) clearCookies(c *gin.Context) {
	h.setCookie(c, middleware.AccessCookie, "", "/", -1, true)
	h.setCookie(c, middleware.RefreshCookie, "", "/refresh", -1, true)
	h.setCookie(c, middleware.CSRFCookie, "", "/", -1, false)
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// Refresh handles POST /refresh: it rotates the session's refresh token in
// one conditional update. Presenting a token that was already rotated away
// revokes the whole session.
func (h *Accounts) Refresh(c *gin.Context) error {
	var req refreshRequest
	if err := bindOptional(c, h.Validate, "refresh", &req); err != nil {
		return err
	}
	presented, cookie := req.RefreshToken, false
	if presented == "" {
		ck, err := c.Request.Cookie(middleware.RefreshCookie)
		if err != nil || ck.Value == "" {
			return middleware.Unauthorized(errors.New("no refresh token"))
		}
		if !middleware.CSRFMatches(c.Request) {
			return problem.New(http.StatusForbidden, "The X-CSRF-Token header must match the listo_csrf cookie.")
		}
		presented, cookie = ck.Value, true
	}
	rt, err := auth.ParseRefreshToken(presented)
	if err != nil {
		return middleware.Unauthorized(err)
	}
	ctx := c.Request.Context()
	now := h.Now()
	next, err := auth.NewRefreshToken(rt.SessionID, rt.Generation+1)
	if err != nil {
		return err
	}
	sess, err := h.Store.RotateSession(ctx, models.Rotation{
		SessionID: rt.SessionID, From: rt.Generation, FromHash: rt.Hash(), NewHash: next.Hash(),
		UsedAt: now, IP: c.ClientIP(), UserAgent: truncate(c.Request.UserAgent(), 512),
	})
	if errors.Is(err, models.ErrConflict) || errors.Is(err, models.ErrNotFound) {
		return h.refused(ctx, rt, now)
	}
	if err != nil {
		return err
	}
	u, err := h.Store.UserByID(ctx, sess.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return middleware.Unauthorized(err)
	}
	if err != nil {
		return err
	}
	if u.Disabled {
		return middleware.Unauthorized(errors.New("user disabled"))
	}
	return h.respondTokens(c, u, sess, next, cookie)
}

// refused explains a failed rotation: a token from an earlier generation of
// a live session is reuse of a stolen or replayed token, and the session is
// revoked so its newest tokens stop working too.
func (h *Accounts) refused(ctx context.Context, rt auth.RefreshToken, now time.Time) error {
	sess, err := h.Store.SessionByID(ctx, rt.SessionID)
	if errors.Is(err, models.ErrNotFound) {
		return middleware.Unauthorized(errors.New("refresh: unknown session"))
	}
	if err != nil {
		return err
	}
	if sess.Live(now) && rt.Generation < sess.Generation {
		if err := h.Store.RevokeSession(ctx, sess.UserID, sess.ID, now); err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		h.Checker.ForgetSession(sess.ID)
		emit(h.Events.ReuseDetected)
		if h.Events.SessionsRevoked != nil {
			h.Events.SessionsRevoked(1)
		}
		return middleware.Unauthorized(fmt.Errorf("refresh token reuse: session %s revoked", sess.ID))
	}
	return middleware.Unauthorized(errors.New("refresh: session revoked, expired or token unknown"))
}

// Logout handles POST /logout: it revokes this session, or with
// ?scope=others every other session of the user, or with ?scope=global all.
func (h *Accounts) Logout(c *gin.Context) error {
	p := middleware.PrincipalFrom(c)
	ctx := c.Request.Context()
	now := h.Now()
	var n int
	switch scope := c.Query("scope"); scope {
	case "", "local":
		if err := h.Store.RevokeSession(ctx, p.User.ID, p.SessionID, now); err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		h.Checker.ForgetSession(p.SessionID)
		n = 1
	case "others", "global":
		except := p.SessionID
		if scope == "global" {
			except = ""
		}
		var err error
		if n, err = h.Store.RevokeUserSessions(ctx, p.User.ID, except, now); err != nil {
			return err
		}
		h.Checker.ForgetUser(p.User.ID)
	default:
		return problem.Validation("Unknown logout scope.", problem.FieldError{Field: "scope", Message: `must be "local", "others" or "global"`})
	}
	if h.Events.SessionsRevoked != nil {
		h.Events.SessionsRevoked(n)
	}
	if c.Query("scope") != "others" {
		h.clearCookies(c)
	}
	c.Status(http.StatusNoContent)
	return nil
}

func newSessionID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}

// Package middleware holds Listo's Gin middleware, and nothing else: request
// ids, access logging, problem rendering, recovery, body limits, content
// types, security headers, CORS, cross-origin and CSRF checks,
// authentication and rate limits. Each is a constructor that takes its
// dependencies. The request helpers that handlers share with it live in
// httpx.
package middleware

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"

	"listo/httpx"
	"listo/problem"
)

// RequestID echoes a well-formed incoming X-Request-ID or makes a new one,
// and puts it on the response and in the context.
func RequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if !validRequestID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		httpx.SetRequestID(c, id)
		c.Header("X-Request-ID", id)
		c.Next()
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		ok := r == '-' || r == '_' || r == '.' || r == ':' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

// AccessLog logs one line per request: method, path, route, status,
// duration, size, client IP and request id. Never bodies, queries or
// headers, so no token or password can reach the log.
func AccessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		log.LogAttrs(c.Request.Context(), level, "request",
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.String("route", c.FullPath()),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.Int("bytes", c.Writer.Size()),
			slog.String("ip", c.ClientIP()),
			slog.String("request_id", httpx.RequestID(c)),
		)
	}
}

// Problems renders the last error a handler or middleware recorded with
// c.Error as an RFC 9457 problem, unless a response was already written.
// Server errors are logged with their cause; the client sees none of it.
func Problems(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) == 0 || c.Writer.Written() {
			return
		}
		err := c.Errors.Last().Err
		p := problem.From(err)
		if p.Status >= 500 {
			log.LogAttrs(c.Request.Context(), slog.LevelError, "request failed",
				slog.String("request_id", httpx.RequestID(c)),
				slog.String("route", c.FullPath()),
				slog.Int("status", p.Status),
				slog.String("error", err.Error()))
		}
		httpx.WriteProblem(c, p)
	}
}

// Recovery turns a panic into a 500 problem and logs the stack.
func Recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == http.ErrAbortHandler {
				panic(r)
			}
			log.LogAttrs(c.Request.Context(), slog.LevelError, "panic",
				slog.String("request_id", httpx.RequestID(c)),
				slog.String("panic", fmt.Sprint(r)),
				slog.String("stack", string(debug.Stack())))
			httpx.Fail(c, fmt.Errorf("panic: %v", r))
		}()
		c.Next()
	}
}

// BodyLimit refuses bodies larger than max bytes with 413, up front when the
// length is declared and while reading when it is not.
func BodyLimit(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > max {
			httpx.Fail(c, problem.New(http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body must be at most %d bytes.", max)))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		c.Next()
	}
}

// RequireJSON refuses a request that carries a body in any other media type
// than application/json with 415.
func RequireJSON() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength == 0 || c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
			c.Next()
			return
		}
		mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
		if err != nil || mt != "application/json" {
			httpx.Fail(c, problem.New(http.StatusUnsupportedMediaType, "Send the request body as application/json.").
				WithHeader("Accept-Post", "application/json"))
			return
		}
		c.Next()
	}
}

// SecurityHeaders sets the headers every response carries; HSTS only in
// production, where Listo sits behind HTTPS.
func SecurityHeaders(hsts bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		c.Next()
	}
}

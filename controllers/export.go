package controllers

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"listo/httpx"
	"listo/models"
)

// ExportFormat and ExportVersion name Listo's export document; POST
// /todos/import reads it back.
const (
	ExportFormat  = "listo-export"
	ExportVersion = 1
)

// exportWriteWait bounds each write of an export: the server's
// WriteTimeout (30 s from the request) would cut a long one, so every
// write gets a deadline of its own, and a client that stops reading is
// dropped after it.
const exportWriteWait = 30 * time.Second

// ExportStore is what GET /user/export reads: the caller's sessions, and
// their todos one at a time.
type ExportStore interface {
	ListSessions(ctx context.Context, userID string, now time.Time) ([]models.Session, error)
	EachTodo(ctx context.Context, userID string, each func(models.Todo) error) error
}

// Export handles GET /user/export.
type Export struct {
	Store ExportStore
	Now   func() time.Time
	Log   *slog.Logger
}

// exportHead is the export document up to its todos, which are streamed.
type exportHead struct {
	Format     string       `json:"format"`
	Version    int          `json:"version"`
	ExportedAt time.Time    `json:"exported_at"`
	User       models.User  `json:"user"`
	Sessions   []deviceJSON `json:"sessions"`
}

// Export handles GET /user/export: everything Listo keeps of the caller,
// as a JSON attachment {format, version, exported_at, user, sessions,
// todos}, without a password hash, a token or a secret. The todos are
// streamed as the database hands them out, in no particular order (each
// has its order): the memory an export holds does not grow with the
// number of todos. A failure before the first bytes are sent is an
// ordinary problem answer; one after is a cut connection, so that a
// partial file is never mistaken for a whole one.
func (h *Export) Export(c *gin.Context) error {
	ctx := c.Request.Context()
	user := httpx.Principal(c).User
	now := h.Now().UTC()
	list, err := h.Store.ListSessions(ctx, user.ID, now)
	if err != nil {
		return err
	}
	head := exportHead{Format: ExportFormat, Version: ExportVersion, ExportedAt: now, User: user, Sessions: make([]deviceJSON, 0, len(list))}
	for _, s := range list {
		head.Sessions = append(head.Sessions, deviceOf(s))
	}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}

	hdr := c.Writer.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Disposition", `attachment; filename="listo-export-`+now.Format(time.DateOnly)+`.json"`)
	httpx.NoStore(c)
	rc := http.NewResponseController(c.Writer)
	// The buffer reaches the client when it fills: until then nothing is
	// sent, and a failure can still be a problem answer.
	w := bufio.NewWriterSize(deadlineWriter{c.Writer, rc}, 32<<10)
	_, _ = w.Write(b[:len(b)-1]) // without the closing brace
	_, _ = w.WriteString(`,"todos":[`)
	n := 0
	err = h.Store.EachTodo(ctx, user.ID, func(t models.Todo) error {
		exportable(&t)
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if n > 0 {
			_ = w.WriteByte(',')
		}
		_ = w.WriteByte('\n')
		n++
		_, err = w.Write(b)
		return err
	})
	if err == nil {
		_, _ = w.WriteString("\n]}\n")
		err = w.Flush()
	}
	if err == nil {
		return nil
	}
	if !c.Writer.Written() {
		hdr.Del("Content-Disposition")
		return err
	}
	if !errors.Is(err, context.Canceled) {
		h.Log.LogAttrs(ctx, slog.LevelWarn, "export cut short", slog.String("request_id", httpx.RequestID(c)),
			slog.Int("todos_sent", n), slog.String("error", err.Error()))
	}
	panic(http.ErrAbortHandler)
}

// exportable drops from t what JSON cannot carry: a time outside the
// years 0001-9999 (written before due dates were checked).
func exportable(t *models.Todo) {
	if t.Due != nil && !models.TimeInRange(*t.Due) {
		t.Due = nil
	}
	if t.CompletedAt != nil && !models.TimeInRange(*t.CompletedAt) {
		t.CompletedAt = nil
	}
}

// deadlineWriter gives every write to the client exportWriteWait.
type deadlineWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func (d deadlineWriter) Write(p []byte) (int, error) {
	if err := d.rc.SetWriteDeadline(time.Now().Add(exportWriteWait)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, err
	}
	return d.w.Write(p)
}

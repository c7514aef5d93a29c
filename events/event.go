package events

import (
	"encoding/json"
	"strconv"

	"listo/models"
)

// event is the wire form of a change, without its id; ok is false for a
// change that has none (a user deletion only ends streams) or cannot be
// encoded.
func event(c models.Change) (Event, bool) {
	var v any
	switch c.Kind {
	case models.TodoCreated, models.TodoUpdated:
		v = encodable(c.Todo)
	case models.TodoDeleted:
		v = struct {
			ID string `json:"id"`
		}{c.ID}
	case models.TodosChanged:
		v = struct {
			Reason string `json:"reason"`
		}{c.Reason}
	case models.UserUpdated:
		v = c.User
	case models.SessionRevoked:
		v = struct {
			SessionID string `json:"session_id"`
		}{c.ID}
	default:
		return Event{}, false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return Event{}, false
	}
	return Event{Name: string(c.Kind), Data: b}, true
}

// encodable drops the times a JSON date cannot carry, as GET /todos/{id}
// does (a todo stored before due dates were checked).
func encodable(t models.Todo) models.Todo {
	if t.Due != nil && !models.TimeInRange(*t.Due) {
		t.Due = nil
	}
	if t.CompletedAt != nil && !models.TimeInRange(*t.CompletedAt) {
		t.CompletedAt = nil
	}
	return t
}

// Frame is e in the text/event-stream format: its id, its name and its
// data on one line (JSON has no raw line breaks), then a blank line.
func Frame(e Event) []byte {
	b := make([]byte, 0, len(e.Data)+len(e.Name)+40)
	b = append(b, "id: "...)
	b = strconv.AppendUint(b, e.ID, 10)
	b = append(b, "\nevent: "...)
	b = append(b, e.Name...)
	b = append(b, "\ndata: "...)
	b = append(b, e.Data...)
	return append(b, "\n\n"...)
}

// IDFrame sets the client's Last-Event-ID to id without dispatching an
// event: a message with an id and no data (WHATWG HTML, 9.2.6).
func IDFrame(id uint64) []byte {
	b := strconv.AppendUint([]byte("id: "), id, 10)
	return append(b, "\n\n"...)
}

// Ping is the comment that keeps proxies from closing an idle stream.
func Ping() []byte { return []byte(": ping\n\n") }

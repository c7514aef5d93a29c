package models

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Text kinds, by where the text is shown.
const (
	// TextLine is one line shown among others (a name, a device, a todo
	// title): no control characters but tab, and no bidirectional override
	// or isolate, which could make one entry of a list pass for another.
	// Lines are stored trimmed, so only what is left after trimming white
	// space (a trailing newline, say) is checked.
	TextLine = "line"
	// TextTitle is a line that must not be blank once trimmed (a todo's
	// title).
	TextTitle = "title"
	// TextMultiline is free text (a todo's notes): a line, plus newlines.
	TextMultiline = "multiline"
	// TextPlain is any text without control characters, as it is (a
	// password, a search).
	TextPlain = "plain"
)

// TextProblem says why s is not acceptable as text of the kind, or returns
// "" when it is. Invalid UTF-8 is never acceptable.
func TextProblem(kind, s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8 text"
	}
	if kind == TextLine || kind == TextTitle {
		s = strings.TrimSpace(s)
		if s == "" && kind == TextTitle {
			return "must not be blank"
		}
	}
	for _, r := range s {
		switch {
		case r == '\t':
		case r == '\n' && kind == TextMultiline:
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			return "must not contain control characters"
		case kind != TextPlain && isBidiControl(r):
			return "must not contain bidirectional override or isolate characters"
		}
	}
	return ""
}

// isBidiControl reports the embedding, override and isolate controls
// (U+202A–U+202E, U+2066–U+2069).
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// TimeInRange reports whether t, in UTC, falls in the years 0001 to 9999:
// what RFC 3339 and JSON can carry.
func TimeInRange(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

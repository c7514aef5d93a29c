package mail

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour:                     "1 hour",
		2 * time.Hour:                 "2 hours",
		30 * time.Minute:              "30 minutes",
		time.Minute:                   "1 minute",
		10 * time.Second:              "1 minute",
		24 * time.Hour:                "1 day",
		72 * time.Hour:                "3 days",
		90 * time.Minute:              "1 hour 30 minutes",
		25*time.Hour + 29*time.Second: "1 day 1 hour",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q; want %q", d, got, want)
		}
	}
}

func TestScrubMasksTheRecipient(t *testing.T) {
	msg := Message{To: "Nina <Nina.Pop@Example.com>"}
	err := errors.New(`550 5.1.1 <Nina.Pop@Example.com>: unknown; also nina.pop@example.com, affected recipient(s): <Nina.Pop@Example.com>`)
	got := scrub(err, msg)
	if strings.Contains(strings.ToLower(got), "nina.pop@") {
		t.Errorf("scrub = %q; want the address masked", got)
	}
	if !strings.Contains(got, "N***@Example.com") {
		t.Errorf("scrub = %q; want N***@Example.com in place of the address", got)
	}
}

func TestDomain(t *testing.T) {
	for in, want := range map[string]string{
		"nina@Example.COM":        "example.com",
		"Nina <nina@example.org>": "example.org",
		"nobody":                  "(none)",
		"trailing@":               "(none)",
	} {
		if got := domain(in); got != want {
			t.Errorf("domain(%q) = %q; want %q", in, got, want)
		}
	}
}

package mail_test

import (
	"fmt"
	"html"
	"strings"
	"testing"
	"time"

	"listo/mail"
)

var when = time.Date(2026, 3, 2, 14, 5, 0, 0, time.FixedZone("CET", 3600))

func TestTemplates(t *testing.T) {
	const (
		old    = "nina@example.com"
		masked = "n***@new.example.org"
	)
	tests := []struct {
		msg  mail.Message
		kind string
		// want are the texts both parts must hold (the HTML escaped).
		want []string
	}{
		{mail.ResetPassword(nina, link, time.Hour), mail.KindResetPassword, []string{link, "expires in 1 hour", "If it wasn't you", nina}},
		{mail.VerifyEmail(nina, link, 24*time.Hour), mail.KindVerifyEmail, []string{link, "expires in 1 day", "If it wasn't you", nina}},
		{mail.ConfirmEmailChange(nina, link, 30*time.Minute), mail.KindConfirmEmailChange, []string{link, "expires in 30 minutes", "If it wasn't you", nina}},
		{mail.EmailChangeRequested(old, masked), mail.KindEmailChangeRequested, []string{masked, "Nothing has changed yet", "If it wasn't you", "change your password"}},
		{mail.PasswordChanged(nina, when), mail.KindPasswordChanged, []string{"Monday 2 March 2026, 13:05 UTC", "If it wasn't you", "Forgot password?"}},
		{mail.EmailChanged(old, masked, when), mail.KindEmailChanged, []string{masked, "13:05 UTC", "If it wasn't you"}},
		{mail.FactorsRemoved(nina, when), mail.KindFactorsRemoved, []string{"13:05 UTC", "every device was signed out", "If you didn't", nina}},
		{mail.NewDevice(nina, "Work laptop", "Firefox 140 on Linux", "203.0.113.7", when), mail.KindNewDevice, []string{"Work laptop", "Firefox 140 on Linux", "203.0.113.7", "13:05 UTC", "If it wasn't you", "change your password"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			m := tt.msg
			if m.Kind != tt.kind {
				t.Errorf("Kind = %q; want %q", m.Kind, tt.kind)
			}
			if m.To != nina {
				t.Errorf("To = %q; want %q", m.To, nina)
			}
			if !strings.Contains(m.Subject, "Listo") {
				t.Errorf("Subject = %q; want the product name", m.Subject)
			}
			flat := strings.Join(strings.Fields(m.Text), " ") // the text part is wrapped
			for _, w := range tt.want {
				if !strings.Contains(flat, w) {
					t.Errorf("Text lacks %q:\n%s", w, m.Text)
				}
				if !strings.Contains(m.HTML, html.EscapeString(w)) {
					t.Errorf("HTML lacks %q:\n%s", html.EscapeString(w), m.HTML)
				}
			}
			if strings.Contains(tt.want[0], "token=") && !strings.Contains(m.HTML, `href="`+link+`"`) {
				t.Errorf("HTML has no href to the link:\n%s", m.HTML)
			}
			for i, line := range strings.Split(m.Text, "\n") {
				if len([]rune(line)) > 72 && !strings.Contains(line, "://") {
					t.Errorf("Text line %d has %d characters; want at most 72: %q", i+1, len([]rune(line)), line)
				}
			}
		})
	}
}

func TestTemplatesEscapeHTML(t *testing.T) {
	m := mail.NewDevice(nina, `<script>alert("x")</script>`, "<b>Browser</b>", "203.0.113.7", when)
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<b>Browser") {
		t.Errorf("HTML holds the device's markup unescaped:\n%s", m.HTML)
	}
	if !strings.Contains(m.HTML, "&lt;script&gt;") {
		t.Errorf("HTML lacks the escaped device name:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, `<script>alert("x")</script>`) {
		t.Errorf("Text should show the device name as it is:\n%s", m.Text)
	}
	bad := mail.ResetPassword(nina, `javascript:alert(1)`, time.Hour)
	if strings.Contains(bad.HTML, `href="javascript:`) {
		t.Errorf("HTML links to a javascript: URL:\n%s", bad.HTML)
	}
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"nina@example.com":  "n***@example.com",
		"n@example.com":     "n***@example.com",
		"élodie@example.fr": "é***@example.fr",
		"@example.com":      "***@example.com",
		"not an address":    "***",
		"a@b@example.com":   "a***@example.com",
	} {
		if got := mail.MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q; want %q", in, got, want)
		}
	}
}

func ExampleResetPassword() {
	m := mail.ResetPassword("nina@example.com", "https://todo.example.com/#/reset-password?token=hQ3v9ZpZ2c0m2Jx8b6kqS0n7w1rT4yU5iO9pA3sD2fG", time.Hour)
	fmt.Println("Subject:", m.Subject)
	fmt.Println()
	fmt.Print(m.Text)
	// Output:
	// Subject: Reset your Listo password
	//
	// Hello,
	//
	// Someone asked to reset the password of the Listo account
	// nina@example.com. To choose a new password, open this link:
	//
	// https://todo.example.com/#/reset-password?token=hQ3v9ZpZ2c0m2Jx8b6kqS0n7w1rT4yU5iO9pA3sD2fG
	//
	// The link works once and expires in 1 hour. Setting a new password signs
	// the account out on every device.
	//
	// If it wasn't you, ignore this mail: your password stays as it is, and
	// the link is no use to anyone who cannot read this mailbox.
	//
	// — Listo
}

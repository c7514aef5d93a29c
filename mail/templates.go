package mail

import (
	"fmt"
	"html/template"
	"strings"
	"time"
	"unicode/utf8"
)

// Kinds of mail, as logged.
const (
	KindResetPassword        = "reset-password"
	KindVerifyEmail          = "verify-email"
	KindConfirmEmailChange   = "confirm-email-change"
	KindEmailChangeRequested = "email-change-requested"
	KindPasswordChanged      = "password-changed"
	KindEmailChanged         = "email-changed"
	KindNewDevice            = "new-device"
	KindFactorsRemoved       = "factors-removed"
)

// ResetPassword is the mail with a password-reset link, valid for ttl.
func ResetPassword(to, link string, ttl time.Duration) Message {
	return content{
		kind:    KindResetPassword,
		to:      to,
		subject: "Reset your Listo password",
		intro:   []string{"Someone asked to reset the password of the Listo account " + to + ". To choose a new password, open this link:"},
		link:    link,
		button:  "Choose a new password",
		after: []string{
			"The link works once and expires in " + humanDuration(ttl) + ". Setting a new password signs the account out on every device.",
			"If it wasn't you, ignore this mail: your password stays as it is, and the link is no use to anyone who cannot read this mailbox.",
		},
	}.message()
}

// VerifyEmail is the mail that asks a new user to confirm their address.
func VerifyEmail(to, link string, ttl time.Duration) Message {
	return content{
		kind:    KindVerifyEmail,
		to:      to,
		subject: "Confirm your email address for Listo",
		intro:   []string{"Welcome to Listo. To confirm that " + to + " is your address, open this link:"},
		link:    link,
		button:  "Confirm my address",
		after: []string{
			"The link works once and expires in " + humanDuration(ttl) + ". Once it has expired, Listo can send you a new one.",
			"If it wasn't you, ignore this mail: someone typed your address by mistake, and the address stays unconfirmed.",
		},
	}.message()
}

// ConfirmEmailChange is the mail sent to the NEW address of an email
// change: the change happens only when its link is opened.
func ConfirmEmailChange(to, link string, ttl time.Duration) Message {
	return content{
		kind:    KindConfirmEmailChange,
		to:      to,
		subject: "Confirm your new email address for Listo",
		intro:   []string{"Someone asked to move a Listo account to " + to + ". To confirm, and sign in with this address from now on, open this link:"},
		link:    link,
		button:  "Confirm the new address",
		after: []string{
			"The link works once and expires in " + humanDuration(ttl) + ". Nothing changes until it is opened.",
			"If it wasn't you, ignore this mail: without the link, the account keeps its old address.",
		},
	}.message()
}

// EmailChangeRequested is the notice sent to the OLD address when an email
// change is asked for; masked is the new address, masked (MaskEmail).
func EmailChangeRequested(to, masked string) Message {
	return content{
		kind:    KindEmailChangeRequested,
		to:      to,
		subject: "Your Listo account: email change requested",
		intro: []string{
			"Someone signed in to your Listo account " + to + " asked to move it to " + masked + ". Nothing has changed yet: the change happens only if the new address confirms it.",
		},
		after: []string{
			"If it was you, there is nothing to do here.",
			"If it wasn't you, someone else is signed in to your account: change your password now, which signs out every other device.",
		},
	}.message()
}

// PasswordChanged is the notice that an account's password was changed or
// reset at when.
func PasswordChanged(to string, when time.Time) Message {
	return content{
		kind:    KindPasswordChanged,
		to:      to,
		subject: "Your Listo password was changed",
		intro: []string{
			"The password of your Listo account " + to + " was changed on " + humanTime(when) + ". Devices signed in with the old password were signed out.",
		},
		after: []string{
			"If it was you, there is nothing to do here.",
			"If it wasn't you, set a new password now with \"Forgot password?\" on Listo's sign-in screen, and check that the account's email address is still yours.",
		},
	}.message()
}

// EmailChanged is the notice sent to the OLD address once an email change
// is done; masked is the new address, masked (MaskEmail).
func EmailChanged(to, masked string, when time.Time) Message {
	return content{
		kind:    KindEmailChanged,
		to:      to,
		subject: "Your Listo email address was changed",
		intro: []string{
			"The email address of your Listo account was changed from " + to + " to " + masked + " on " + humanTime(when) + ". This address no longer signs in to the account and gets no more mail about it.",
		},
		after: []string{
			"If it was you, there is nothing to do here.",
			"If it wasn't you, your account may have been taken over: contact the people who run this Listo service.",
		},
	}.message()
}

// NewDevice is the notice that a device signed in to an account.
func NewDevice(to, device, browser, ip string, when time.Time) Message {
	or := func(s, def string) string {
		if s = strings.TrimSpace(s); s == "" {
			return def
		}
		return s
	}
	return content{
		kind:    KindNewDevice,
		to:      to,
		subject: "New sign-in to your Listo account",
		intro:   []string{"A new device signed in to your Listo account " + to + ":"},
		facts: [][2]string{
			{"Device", or(device, "(no name)")},
			{"Browser", or(browser, "(unknown)")},
			{"IP address", or(ip, "(unknown)")},
			{"Time", humanTime(when)},
		},
		after: []string{
			"If it was you, there is nothing to do here.",
			"If it wasn't you, change your password now, which signs out every other device, and check the devices listed in your account.",
		},
	}.message()
}

// FactorsRemoved is the notice that an admin removed every second factor
// of an account (authenticator app, recovery codes, passkeys) at when.
func FactorsRemoved(to string, when time.Time) Message {
	return content{
		kind:    KindFactorsRemoved,
		to:      to,
		subject: "Two-step verification was removed from your Listo account",
		intro: []string{
			"An administrator removed two-step verification from your Listo account " + to + " on " + humanTime(when) + ": the authenticator app, the recovery codes and the passkeys no longer work for it, and every device was signed out. Your password is unchanged.",
		},
		after: []string{
			"If you asked for this, sign in with your password and set up two-step verification again on your account page.",
			"If you didn't, change your password now and contact the people who run this Listo service.",
		},
	}.message()
}

// MaskEmail hides an address's local part but its first character:
// "nina@example.com" is "n***@example.com".
func MaskEmail(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return "***"
	}
	local, host := email[:i], email[i+1:]
	r, size := utf8.DecodeRuneInString(local)
	if size == 0 || r == utf8.RuneError {
		return "***@" + host
	}
	return string(r) + "***@" + host
}

// content is what every mail says, rendered once as text and once as HTML.
type content struct {
	kind, to, subject string
	intro             []string    // paragraphs before the link
	facts             [][2]string // name: value lines
	link, button      string      // the link and the HTML button's label; empty: no link
	after             []string    // paragraphs after the link
}

func (c content) message() Message {
	return Message{To: c.to, Subject: c.subject, Text: c.text(), HTML: c.html(), Kind: c.kind}
}

const lineWidth = 72

func (c content) text() string {
	var b strings.Builder
	b.WriteString("Hello,\n\n")
	for _, p := range c.intro {
		b.WriteString(wrap(p, lineWidth) + "\n\n")
	}
	if len(c.facts) > 0 {
		for _, f := range c.facts {
			fmt.Fprintf(&b, "  %-11s %s\n", f[0]+":", f[1])
		}
		b.WriteString("\n")
	}
	if c.link != "" {
		b.WriteString(c.link + "\n\n") // on its own line, never wrapped
	}
	for _, p := range c.after {
		b.WriteString(wrap(p, lineWidth) + "\n\n")
	}
	b.WriteString("— Listo\n")
	return b.String()
}

// htmlPage is the HTML alternative: simple markup, inline styles (mail
// clients drop style sheets), every value escaped by html/template.
const htmlPage = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:24px;background:#f6f7f9;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:15px;line-height:1.5;color:#1f2328">
<div style="max-width:560px;margin:0 auto;padding:24px;background:#ffffff;border-radius:8px">
<p>Hello,</p>
{{range .Intro}}<p>{{.}}</p>
{{end}}{{with .Facts}}<table role="presentation" style="border-collapse:collapse;margin:0 0 16px">
{{range .}}<tr><td style="padding:2px 16px 2px 0;color:#57606a">{{index . 0}}</td><td style="padding:2px 0">{{index . 1}}</td></tr>
{{end}}</table>
{{end}}{{with .Link}}<p><a href="{{.}}" style="display:inline-block;padding:10px 18px;background:#2563eb;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600">{{$.Button}}</a></p>
<p style="font-size:13px;color:#57606a">Or copy this link into your browser:<br><a href="{{.}}" style="color:#2563eb;word-break:break-all">{{.}}</a></p>
{{end}}{{range .After}}<p>{{.}}</p>
{{end}}<p style="color:#57606a">— Listo</p>
</div>
</body>
</html>
`

func (c content) html() string {
	// Parsed per mail (a few microseconds): no package-level template.
	t := template.Must(template.New("mail").Parse(htmlPage))
	var b strings.Builder
	err := t.Execute(&b, struct {
		Subject, Link, Button string
		Intro, After          []string
		Facts                 [][2]string
	}{c.subject, c.link, c.button, c.intro, c.after, c.facts})
	if err != nil {
		return "" // cannot happen with strings; the text part still goes out
	}
	return b.String()
}

// wrap breaks s into lines of at most width columns at spaces; a longer
// word (a link, an address) stays whole on its own line.
func wrap(s string, width int) string {
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(s) {
		l := utf8.RuneCountInString(w)
		switch {
		case i == 0:
		case n+1+l > width:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += l
	}
	return b.String()
}

// humanDuration says how long a link lives: "1 hour", "30 minutes",
// "2 days", "1 hour 30 minutes". Under a minute counts as one minute.
func humanDuration(d time.Duration) string {
	if d < time.Minute {
		d = time.Minute
	}
	d = d.Round(time.Minute)
	unit := func(n int64, name string) string {
		if n == 1 {
			return "1 " + name
		}
		return fmt.Sprintf("%d %ss", n, name)
	}
	days, hours, minutes := int64(d/(24*time.Hour)), int64(d%(24*time.Hour)/time.Hour), int64(d%time.Hour/time.Minute)
	var parts []string
	if days > 0 {
		parts = append(parts, unit(days, "day"))
	}
	if hours > 0 {
		parts = append(parts, unit(hours, "hour"))
	}
	if minutes > 0 {
		parts = append(parts, unit(minutes, "minute"))
	}
	return strings.Join(parts, " ")
}

// humanTime is when, in UTC: "Monday 2 March 2026, 14:05 UTC".
func humanTime(when time.Time) string {
	return when.UTC().Format("Monday 2 January 2006, 15:04 UTC")
}

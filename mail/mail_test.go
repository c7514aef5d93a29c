package mail_test

import (
	"bytes"
	"context"
	"log/slog"
	netmail "net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"listo/config"
	"listo/mail"
	"listo/mailtest"
)

// wait bounds every wait on something that should happen within
// milliseconds: generous, since the machine running the tests may be busy.
const wait = 10 * time.Second

const (
	token = "tok3n-Zm9vYmFyYmF6cXV4LXNlY3JldC10b2tlbg"
	link  = "https://todo.example.com/#/reset-password?token=" + token
	nina  = "nina@example.com"
)

// logs records what a Mailer logs, at every level, one line per record.
type logs struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newLogs() (*logs, *slog.Logger) {
	l := &logs{changed: make(chan struct{})}
	return l, slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Write takes one record (slog handlers write each in one call).
func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	close(l.changed)
	l.changed = make(chan struct{})
	return len(p), nil
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// count is how many lines contain every one of parts.
func (l *logs) count(parts ...string) int {
	n := 0
	for line := range strings.Lines(l.String()) {
		if containsAll(line, parts...) {
			n++
		}
	}
	return n
}

// waitFor waits until n lines contain every one of parts.
func (l *logs) waitFor(t *testing.T, n int, parts ...string) {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		changed := l.changed
		l.mu.Unlock()
		if l.count(parts...) >= n {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no %d log lines with %q within %v; logs:\n%s", n, parts, wait, l.String())
		}
	}
}

// assertNoSecrets fails if the logs hold the token, the link, the
// recipient's full address or a body.
func (l *logs) assertNoSecrets(t *testing.T, secrets ...string) {
	t.Helper()
	s := l.String()
	for _, secret := range append([]string{token, link, nina, "Hello,"}, secrets...) {
		if strings.Contains(s, secret) {
			t.Errorf("the logs contain %q:\n%s", secret, s)
		}
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// newMailer starts a Mailer and closes it when the test ends.
func newMailer(t *testing.T, o mail.Options, log *slog.Logger) *mail.Mailer {
	t.Helper()
	m, err := mail.New(o, log)
	if err != nil {
		t.Fatalf("New(%+v) = %v", o, err)
	}
	t.Cleanup(func() { m.Close(context.Background()) })
	return m
}

// fast are Options that retry without waiting.
func fast(url string) mail.Options {
	return mail.Options{SMTPURL: url, From: "Listo <no-reply@example.com>", Backoff: []time.Duration{time.Millisecond}}
}

func TestSendDeliversAMultipartMailOverSMTP(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{})
	l, log := newLogs()
	m := newMailer(t, fast(srv.URL()), log)
	if !m.Configured() {
		t.Error("Configured() = false with SMTP_URL; want true")
	}
	start := time.Now()
	m.Send(mail.ResetPassword(nina, link, time.Hour))

	got := srv.WaitFor(t, nina, wait)
	if diff := cmp.Diff([]string{"text/plain", "text/html"}, got.Parts); diff != "" {
		t.Errorf("parts (-want +got):\n%s", diff)
	}
	if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative;") {
		t.Errorf("Content-Type = %q; want multipart/alternative", ct)
	}
	if !strings.Contains(got.Text, link) {
		t.Errorf("text part has no link %q:\n%s", link, got.Text)
	}
	if !strings.Contains(got.HTML, `href="`+link+`"`) {
		t.Errorf("HTML part has no href to %q:\n%s", link, got.HTML)
	}
	if want := "Reset your Listo password"; got.Subject != want {
		t.Errorf("Subject = %q; want %q", got.Subject, want)
	}
	from, err := netmail.ParseAddress(got.Header.Get("From"))
	if err != nil || from.Name != "Listo" || from.Address != "no-reply@example.com" {
		t.Errorf("From = %q (%v); want Listo <no-reply@example.com>", got.Header.Get("From"), err)
	}
	if got.From != "no-reply@example.com" || !slices.Equal(got.To, []string{nina}) {
		t.Errorf("envelope = %q -> %q; want no-reply@example.com -> %s", got.From, got.To, nina)
	}
	if to := got.Header.Get("To"); !strings.Contains(to, nina) {
		t.Errorf("To = %q; want %s", to, nina)
	}
	if id := got.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.com>") || len(id) < 20 {
		t.Errorf("Message-ID = %q; want <random@example.com>", id)
	}
	if date, err := got.Header.Date(); err != nil || date.Before(start.Add(-time.Minute)) || date.After(time.Now().Add(time.Minute)) {
		t.Errorf("Date = %q (%v); want about now", got.Header.Get("Date"), err)
	}
	if a := got.Header.Get("Auto-Submitted"); a != "auto-generated" {
		t.Errorf("Auto-Submitted = %q; want auto-generated", a)
	}
	if got.TLS {
		t.Error("a tls=none mail came over TLS?")
	}
	l.waitFor(t, 1, "mail: sent", "kind=reset-password", "domain=example.com", "attempt=1")
	l.assertNoSecrets(t)
}

func TestSendReturnsAtOnceAndCloseDrainsTheQueue(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{})
	_, log := newLogs()
	m, err := mail.New(fast(srv.URL()), log)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 20 {
		to := "user" + string(rune('a'+i)) + "@example.com"
		want = append(want, to)
		m.Send(mail.PasswordChanged(to, time.Now()))
	}
	m.Close(context.Background())
	var got []string
	for _, r := range srv.Messages() {
		got = append(got, r.To...)
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after Close, received (-want +got):\n%s", diff)
	}
}

func TestAuthPlain(t *testing.T) {
	const password = "smtp-pa$$word never logged"
	t.Run("right password", func(t *testing.T) {
		srv := mailtest.NewServer(t, mailtest.Options{Username: "listo", Password: password})
		l, log := newLogs()
		m := newMailer(t, fast(srv.URL()), log)
		m.Send(mail.VerifyEmail(nina, link, 24*time.Hour))
		if got := srv.WaitFor(t, nina, wait); got.Auth != "listo" {
			t.Errorf("authenticated as %q; want listo", got.Auth)
		}
		l.assertNoSecrets(t, password)
	})
	t.Run("wrong password", func(t *testing.T) {
		srv := mailtest.NewServer(t, mailtest.Options{Username: "listo", Password: "the right one"})
		l, log := newLogs()
		u := strings.Replace(srv.URL(), "the%20right%20one", "smtp-pa$$word%20never%20logged", 1)
		if u == srv.URL() {
			t.Fatalf("URL() = %s; cannot swap its password", u)
		}
		m := newMailer(t, fast(u), log)
		m.Send(mail.VerifyEmail(nina, link, 24*time.Hour))
		l.waitFor(t, 1, "mail: not sent, giving up", "attempt=3")
		if n := len(srv.Messages()); n != 0 {
			t.Errorf("received %d messages with a wrong password; want 0", n)
		}
		l.assertNoSecrets(t, password)
	})
}

func TestStartTLS(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{Security: mailtest.StartTLS, Username: "listo", Password: "secret"})
	if !strings.HasPrefix(srv.URL(), "smtp://") || strings.Contains(srv.URL(), "tls=") {
		t.Fatalf("URL() = %s; want smtp:// without tls=", srv.URL())
	}
	t.Run("delivers over TLS", func(t *testing.T) {
		o := fast(srv.URL())
		o.RootCAs = srv.RootCAs()
		m := newMailer(t, o, nil)
		m.Send(mail.ResetPassword(nina, link, time.Hour))
		if got := srv.WaitFor(t, nina, wait); !got.TLS || got.Auth != "listo" {
			t.Errorf("TLS = %v, Auth = %q; want a mail over STARTTLS, authenticated", got.TLS, got.Auth)
		}
	})
	t.Run("refuses an untrusted certificate", func(t *testing.T) {
		l, log := newLogs()
		m := newMailer(t, fast(srv.URL()), log) // the system's CAs do not know mailtest's
		m.Send(mail.ResetPassword(nina, link, time.Hour))
		l.waitFor(t, 1, "mail: not sent, giving up", "certificate")
		l.assertNoSecrets(t)
	})
}

func TestStartTLSIsRequired(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{}) // no STARTTLS
	l, log := newLogs()
	m := newMailer(t, fast("smtp://"+srv.Addr()), log)
	m.Send(mail.ResetPassword(nina, link, time.Hour))
	l.waitFor(t, 1, "mail: not sent, giving up", "STARTTLS", "attempt=3")
	if n, a := len(srv.Messages()), srv.Attempts(); n != 0 || a != 0 {
		t.Errorf("a server without STARTTLS received %d messages (%d DATA commands); want none: nothing goes in clear", n, a)
	}
	l.assertNoSecrets(t)
}

func TestImplicitTLS(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{Security: mailtest.ImplicitTLS})
	if !strings.HasPrefix(srv.URL(), "smtps://") {
		t.Fatalf("URL() = %s; want smtps://", srv.URL())
	}
	o := fast(srv.URL())
	o.RootCAs = srv.RootCAs()
	m := newMailer(t, o, nil)
	m.Send(mail.ResetPassword(nina, link, time.Hour))
	if got := srv.WaitFor(t, nina, wait); !got.TLS {
		t.Error("TLS = false; want the mail over TLS")
	}
}

func TestRetriesATemporaryFailure(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{FailFirst: 2}) // 451
	l, log := newLogs()
	m := newMailer(t, fast(srv.URL()), log)
	m.Send(mail.ResetPassword(nina, link, time.Hour))
	srv.WaitFor(t, nina, wait)
	if a := srv.Attempts(); a != 3 {
		t.Errorf("Attempts() = %d; want 3 (2 refused, then sent)", a)
	}
	l.waitFor(t, 1, "mail: sent", "attempt=3")
	if n := l.count("mail: not sent, will retry", "domain=example.com", "451"); n != 2 {
		t.Errorf("%d retry lines; want 2:\n%s", n, l)
	}
	l.assertNoSecrets(t)
}

func TestAPermanentFailureIsNotRetried(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{FailFirst: 10, FailCode: 550})
	l, log := newLogs()
	m := newMailer(t, fast(srv.URL()), log)
	m.Send(mail.ResetPassword(nina, link, time.Hour))
	l.waitFor(t, 1, "mail: not sent, giving up", "attempt=1", "permanent=true", "550")
	m.Close(context.Background())
	if a := srv.Attempts(); a != 1 {
		t.Errorf("Attempts() = %d; want 1: a 5xx is not retried", a)
	}
	l.assertNoSecrets(t)
}

func TestDeadServer(t *testing.T) {
	t.Run("retries, then gives up without the token", func(t *testing.T) {
		l, log := newLogs()
		m := newMailer(t, fast(mailtest.DeadURL(t)), log)
		m.Send(mail.ResetPassword(nina, link, time.Hour))
		l.waitFor(t, 1, "mail: not sent, giving up", "kind=reset-password", "domain=example.com", "attempt=3", "refused")
		if n := l.count("mail: not sent, will retry"); n != 2 {
			t.Errorf("%d retry lines; want 2:\n%s", n, l)
		}
		l.assertNoSecrets(t)
	})
	t.Run("Send returns at once and Close within a few seconds", func(t *testing.T) {
		// The real defaults: 3 attempts, 1 s then 4 s apart, Close waits 3 s.
		l, log := newLogs()
		m, err := mail.New(mail.Options{SMTPURL: mailtest.DeadURL(t)}, log)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for range 50 {
			m.Send(mail.ResetPassword(nina, link, time.Hour))
		}
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("50 Sends to a dead server took %v; want them at once", d)
		}
		start = time.Now()
		m.Close(context.Background())
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Close took %v; want at most a few seconds", d)
		}
		l.waitFor(t, 1, "mail: shutting down: gave up mails not yet sent", "count=50")
		l.assertNoSecrets(t)
	})
	t.Run("Close honours its context", func(t *testing.T) {
		m, err := mail.New(mail.Options{SMTPURL: mailtest.DeadURL(t)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		m.Send(mail.ResetPassword(nina, link, time.Hour))
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		m.Close(ctx)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Close(100ms context) took %v", d)
		}
	})
}

func TestQueueFullDropsWithAWarning(t *testing.T) {
	l, log := newLogs()
	o := mail.Options{SMTPURL: mailtest.DeadURL(t), QueueSize: 1, Workers: 1, Backoff: []time.Duration{time.Hour}}
	m := newMailer(t, o, log)
	for range 5 {
		m.Send(mail.ResetPassword(nina, link, time.Hour))
	}
	// One in the worker at most, one in the queue: three or more dropped.
	if n := l.count("mail: dropped: the queue is full", "kind=reset-password", "domain=example.com"); n < 3 {
		t.Errorf("%d queue-full lines; want at least 3:\n%s", n, l)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	m.Close(ctx)
	l.assertNoSecrets(t)
}

func TestSendAfterCloseDrops(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{})
	l, log := newLogs()
	m := newMailer(t, fast(srv.URL()), log)
	m.Close(context.Background())
	m.Close(context.Background()) // idempotent
	m.Send(mail.ResetPassword(nina, link, time.Hour))
	l.waitFor(t, 1, "mail: dropped: the mailer is closed", "domain=example.com")
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("received %d messages after Close; want 0", n)
	}
}

func TestABadRecipientIsDropped(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{})
	l, log := newLogs()
	m := newMailer(t, fast(srv.URL()), log)
	m.Send(mail.ResetPassword("nina@example.com\r\nBcc: eve@example.net", link, time.Hour))
	l.waitFor(t, 1, "mail: dropped: bad recipient address")
	m.Close(context.Background())
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("received %d messages; want 0", n)
	}
	l.assertNoSecrets(t)
}

func TestLogModeWritesTheWholeMail(t *testing.T) {
	l, log := newLogs()
	m := newMailer(t, mail.Options{Development: true}, log)
	if !m.Configured() {
		t.Error("Configured() = false in log mode; want true")
	}
	m.Send(mail.ResetPassword(nina, link, time.Hour))
	if n := l.count("level=INFO", "to="+nina, "Reset your Listo password", link); n != 1 {
		t.Errorf("log mode: %d info lines with the recipient, subject and link; want 1:\n%s", n, l)
	}
}

func TestOffModeSendsNothing(t *testing.T) {
	l, log := newLogs()
	m := newMailer(t, mail.Options{}, log)
	if m.Configured() {
		t.Error("Configured() = true in production without SMTP_URL; want false")
	}
	l.waitFor(t, 1, "level=WARN", "no SMTP_URL", "503")
	m.Send(mail.ResetPassword(nina, link, time.Hour))
	if n := l.count("level=DEBUG", "mail: not sent: no SMTP_URL", "kind=reset-password", "domain=example.com"); n != 1 {
		t.Errorf("off mode: %d debug lines for the dropped mail; want 1:\n%s", n, l)
	}
	l.assertNoSecrets(t)
}

func TestNew(t *testing.T) {
	const password = "hunter2-smtp-password"
	t.Run("bad SMTP URL, password not in the error", func(t *testing.T) {
		_, err := mail.New(mail.Options{SMTPURL: "smtp://listo:" + password + "@mail.example.com:99999"}, nil)
		if err == nil || strings.Contains(err.Error(), password) || !strings.Contains(err.Error(), "SMTP_URL") {
			t.Errorf("New(bad port) = %v; want an error naming SMTP_URL, without the password", err)
		}
	})
	t.Run("bad From", func(t *testing.T) {
		if _, err := mail.New(mail.Options{SMTPURL: "smtp://mail.example.com", From: "Listo"}, nil); err == nil || !strings.Contains(err.Error(), "MAIL_FROM") {
			t.Errorf("New(From: Listo) = %v; want an error naming MAIL_FROM", err)
		}
	})
	t.Run("tls=none is a warning", func(t *testing.T) {
		l, log := newLogs()
		newMailer(t, mail.Options{SMTPURL: "smtp://listo:" + password + "@127.0.0.1:1025?tls=none"}, log)
		l.waitFor(t, 1, "level=WARN", "tls=none", `server="smtp://listo@127.0.0.1:1025?tls=none"`)
		l.assertNoSecrets(t, password)
	})
	t.Run("a localhost From in production is a warning", func(t *testing.T) {
		l, log := newLogs()
		newMailer(t, mail.Options{SMTPURL: "smtps://mail.example.com"}, log)
		l.waitFor(t, 1, "level=WARN", "MAIL_FROM", "no-reply@localhost")
	})
}

func TestOptionsFrom(t *testing.T) {
	cfg, err := config.Load(func(k string) string {
		return map[string]string{
			"ENV": config.Production, "JWT_SECRET": strings.Repeat("k", 32),
			"SMTP_URL": "smtps://u:p@mail.example.com", "MAIL_FROM": "Todo <todo@example.com>", "PUBLIC_URL": "https://todo.example.com",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	got := mail.OptionsFrom(cfg)
	want := mail.Options{SMTPURL: "smtps://u:p@mail.example.com", From: "Todo <todo@example.com>"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("OptionsFrom (-want +got):\n%s", diff)
	}
	dev, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if got := mail.OptionsFrom(dev); !got.Development || got.SMTPURL != "" || got.From != config.DefaultMailFrom {
		t.Errorf("OptionsFrom(development defaults) = %+v; want log mode from %s", got, config.DefaultMailFrom)
	}
}

// Package mail sends Listo's mails off the request path, over real SMTP
// (github.com/wneessen/go-mail).
//
// A Mailer has one of three modes, chosen once by New from its Options:
//
//   - SMTP (SMTP_URL set): Send puts the mail in a bounded in-process queue
//     and returns at once; a few workers deliver it, retrying a temporary
//     failure with a backoff. A slow or dead server never delays the
//     caller, and Close never holds shutdown for more than a few seconds.
//   - log (no SMTP_URL, development): Send writes the whole mail, link
//     included, to the log at info level, so `go run .` still lets a person
//     reset a password.
//   - off (no SMTP_URL, production): Configured reports false, so the flows
//     that need a mail can answer 503; Send drops the mail with a debug line.
//
// Outside log mode no log line holds a body, a link or a token: lines name
// the recipient's domain and the mail's kind, never the address or the body.
//
// The mails themselves are built by the functions in templates.go
// (ResetPassword, VerifyEmail, ...), each returning a Message.
package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gomail "github.com/wneessen/go-mail"

	"listo/config"
)

// Message is one mail to one recipient.
type Message struct {
	To      string // the recipient's address
	Subject string
	Text    string // the plain-text body
	HTML    string // the HTML alternative; empty: text only
	// Kind names the mail in logs instead of its subject and body
	// ("reset-password", "verify-email", ...); empty is "other".
	Kind string
}

// Options configure a Mailer. Only SMTPURL, From and Development come from
// the configuration (see OptionsFrom); the rest have working defaults and
// exist for tests.
type Options struct {
	// SMTPURL is an SMTP_URL (see config.ParseSMTPURL); empty: no server.
	SMTPURL string
	// From is the From address (MAIL_FROM); empty is config.DefaultMailFrom.
	From string
	// Development, without SMTPURL, writes each mail to the log instead of
	// dropping it.
	Development bool

	QueueSize int             // mails waiting at most; 0 is 1000
	Workers   int             // deliveries at once; 0 is 2
	Attempts  int             // tries per mail; 0 is 3
	Backoff   []time.Duration // waits before the 2nd, 3rd... try (the last repeats); nil is 1s, 4s
	Timeout   time.Duration   // one connection's dial and each SMTP command; 0 is 15s
	CloseWait time.Duration   // the longest Close waits for the queue; 0 is 3s
	RootCAs   *x509.CertPool  // the CAs trusted for the server's certificate; nil is the system's
}

// OptionsFrom takes a Mailer's options from the configuration.
func OptionsFrom(c config.Config) Options {
	return Options{SMTPURL: c.SMTPURL, From: c.MailFrom, Development: c.Env == config.Development}
}

func (o Options) withDefaults() Options {
	if o.From == "" {
		o.From = config.DefaultMailFrom
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1000
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.Backoff == nil {
		o.Backoff = []time.Duration{time.Second, 4 * time.Second}
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.CloseWait <= 0 {
		o.CloseWait = 3 * time.Second
	}
	return o
}

type mode int

const (
	modeOff mode = iota
	modeLog
	modeSMTP
)

// Mailer sends mails. Its methods are safe for concurrent use.
type Mailer struct {
	o      Options
	log    *slog.Logger
	mode   mode
	from   *netmail.Address
	server config.SMTPServer

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool
	queue  chan Message

	abort     context.CancelFunc // ends backoff waits and dials at Close's deadline
	workers   sync.WaitGroup
	gaveUp    atomic.Int64 // mails dropped unsent because of Close
	closeOnce sync.Once
}

// New returns a Mailer in SMTP, log or off mode (see the package comment)
// and, in SMTP mode, starts its workers: call Close when done. Its errors
// never contain the SMTP password.
func New(o Options, log *slog.Logger) (*Mailer, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o = o.withDefaults()
	from, err := netmail.ParseAddress(o.From)
	if err != nil {
		return nil, fmt.Errorf("mail: MAIL_FROM %q: %w", o.From, err)
	}
	m := &Mailer{o: o, log: log, from: from}
	switch {
	case o.SMTPURL == "" && o.Development:
		m.mode = modeLog
		log.Info("mail: no SMTP_URL: mails are written to this log, not sent (development)")
		return m, nil
	case o.SMTPURL == "":
		m.mode = modeOff
		log.Warn("mail: no SMTP_URL: no mail is sent, and password reset, email verification and email change answer 503")
		return m, nil
	}
	if m.server, err = config.ParseSMTPURL(o.SMTPURL); err != nil {
		return nil, fmt.Errorf("mail: SMTP_URL %w", err) // ParseSMTPURL's errors never quote the URL
	}
	m.mode = modeSMTP
	log.Info("mail: sending over SMTP", "server", m.server, "from", from.Address)
	if m.server.Security == config.SMTPPlain {
		log.Warn("mail: SMTP_URL has tls=none: mails, and the SMTP password if any, cross the network unencrypted; use it for a local relay or a mail catcher only", "server", m.server)
	}
	if !o.Development && strings.HasSuffix(strings.ToLower(from.Address), "@localhost") {
		log.Warn("mail: MAIL_FROM is an address at localhost, which most mail servers refuse or junk; set MAIL_FROM", "from", from.Address)
	}
	var ctx context.Context
	ctx, m.abort = context.WithCancel(context.Background())
	m.queue = make(chan Message, o.QueueSize)
	m.workers.Add(o.Workers)
	for range o.Workers {
		go m.work(ctx)
	}
	return m, nil
}

// Configured reports whether mails go anywhere: false in production
// without SMTP_URL, where the flows that need a mail answer 503
// "mail is not configured".
func (m *Mailer) Configured() bool { return m.mode != modeOff }

// Send hands msg over for delivery and returns at once: it never waits for
// the SMTP server. In SMTP mode a full queue, a bad recipient or a closed
// Mailer drops the mail with a warning naming the recipient's domain.
func (m *Mailer) Send(msg Message) {
	switch m.mode {
	case modeOff:
		m.log.Debug("mail: not sent: no SMTP_URL", "kind", kind(msg), "domain", domain(msg.To))
		return
	case modeLog:
		m.log.Info("mail (development: not sent, no SMTP_URL)", "to", msg.To, "subject", msg.Subject, "text", msg.Text)
		return
	}
	if _, err := netmail.ParseAddress(msg.To); err != nil {
		m.log.Warn("mail: dropped: bad recipient address", "kind", kind(msg), "domain", domain(msg.To))
		return
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		m.log.Warn("mail: dropped: the mailer is closed", "kind", kind(msg), "domain", domain(msg.To))
		return
	}
	select {
	case m.queue <- msg:
	default:
		m.log.Warn("mail: dropped: the queue is full", "kind", kind(msg), "domain", domain(msg.To), "queue", cap(m.queue))
	}
}

// Close stops taking mails and lets the workers deliver what is queued
// until ctx is done or CloseWait (3 s) has passed, whichever comes first;
// the mails still unsent then are given up with one log line. It never
// blocks for more than a second past that. Close is idempotent.
func (m *Mailer) Close(ctx context.Context) {
	if m.mode != modeSMTP {
		return
	}
	m.closeOnce.Do(func() {
		m.mu.Lock()
		m.closed = true
		close(m.queue)
		m.mu.Unlock()

		done := make(chan struct{})
		go func() {
			m.workers.Wait()
			close(done)
		}()
		ctx, cancel := context.WithTimeout(ctx, m.o.CloseWait)
		defer cancel()
		select {
		case <-done:
		case <-ctx.Done():
			m.abort() // the workers count the rest of the queue as given up
			select {
			case <-done:
			case <-time.After(time.Second):
				m.log.Warn("mail: a delivery was still talking to the SMTP server at shutdown; not waiting for it")
			}
		}
		m.abort()
		if n := m.gaveUp.Load(); n > 0 {
			m.log.Warn("mail: shutting down: gave up mails not yet sent", "count", n)
		}
	})
}

// work delivers queued mails until the queue is closed and empty; once ctx
// is cancelled it only counts what is left.
func (m *Mailer) work(ctx context.Context) {
	defer m.workers.Done()
	for msg := range m.queue {
		if ctx.Err() != nil {
			m.gaveUp.Add(1)
			continue
		}
		m.deliver(ctx, msg)
	}
}

// deliver sends msg, retrying temporary failures. Its log lines name the
// recipient's domain and the kind, never the address, subject or body.
func (m *Mailer) deliver(ctx context.Context, msg Message) {
	attrs := []any{"kind", kind(msg), "domain", domain(msg.To)}
	gm, err := m.build(msg)
	if err != nil {
		m.log.Error("mail: dropped: cannot build it", append(attrs, "error", scrub(err, msg))...)
		return
	}
	for attempt := 1; ; attempt++ {
		err := m.sendOnce(ctx, gm)
		if err == nil {
			m.log.Info("mail: sent", append(attrs, "attempt", attempt)...)
			return
		}
		if ctx.Err() != nil {
			m.gaveUp.Add(1)
			return
		}
		permanent := isPermanent(err)
		if permanent || attempt >= m.o.Attempts {
			m.log.Error("mail: not sent, giving up", append(attrs, "attempt", attempt, "permanent", permanent, "error", scrub(err, msg))...)
			return
		}
		wait := m.o.Backoff[min(attempt-1, len(m.o.Backoff)-1)]
		m.log.Warn("mail: not sent, will retry", append(attrs, "attempt", attempt, "retry_in", wait, "error", scrub(err, msg))...)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			m.gaveUp.Add(1)
			return
		}
	}
}

// build turns msg into a multipart (text + HTML) mail with From, To,
// Subject, Date and a Message-ID at the From address's domain.
func (m *Mailer) build(msg Message) (*gomail.Msg, error) {
	gm := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	gm.FromMailAddress(m.from)
	if err := gm.To(msg.To); err != nil {
		return nil, err
	}
	gm.Subject(msg.Subject)
	_, host, _ := strings.Cut(m.from.Address, "@")
	gm.SetMessageIDWithValue(strings.ToLower(rand.Text()) + "@" + host)
	gm.SetDate()
	// RFC 3834: automatic mail, so vacation responders stay quiet.
	gm.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	gm.SetBodyString(gomail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		gm.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	}
	return gm, nil
}

// sendOnce opens one connection, sends gm and quits.
func (m *Mailer) sendOnce(ctx context.Context, gm *gomail.Msg) error {
	s := m.server
	opts := []gomail.Option{
		gomail.WithPort(s.Port),
		gomail.WithTimeout(m.o.Timeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12, RootCAs: m.o.RootCAs}),
	}
	switch s.Security {
	case config.SMTPImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case config.SMTPStartTLS:
		// Mandatory: a server without STARTTLS (or a man in the middle
		// stripping it) gets nothing in clear.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.Username != "" {
		auth := gomail.SMTPAuthAutoDiscover // the strongest mechanism the server offers over TLS
		if s.Security == config.SMTPPlain {
			auth = gomail.SMTPAuthPlainNoEnc // tls=none asked for it; New warned
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(s.Username), gomail.WithPassword(s.Password))
	}
	c, err := gomail.NewClient(s.Host, opts...)
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, gm)
}

// isPermanent reports whether the server refused the mail for good (a 5xx
// reply to MAIL, RCPT or DATA): retrying would only be refused again.
func isPermanent(err error) bool {
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		return code >= 500 && code < 600
	}
	return false
}

// scrub is err's text with the recipient's address masked: server replies
// and go-mail's errors quote it.
func scrub(err error, msg Message) string {
	s := err.Error()
	if msg.To == "" {
		return s
	}
	masked := MaskEmail(msg.To)
	s = strings.ReplaceAll(s, msg.To, masked)
	if a, perr := netmail.ParseAddress(msg.To); perr == nil {
		s = strings.ReplaceAll(s, a.Address, masked)
		if l := strings.ToLower(a.Address); l != a.Address {
			s = strings.ReplaceAll(s, l, masked)
		}
	}
	return s
}

func kind(msg Message) string {
	if msg.Kind == "" {
		return "other"
	}
	return msg.Kind
}

// domain is the part of an address after its last @, lower-cased: what
// logs may say about a recipient.
func domain(addr string) string {
	if a, err := netmail.ParseAddress(addr); err == nil {
		addr = a.Address
	}
	i := strings.LastIndexByte(addr, '@')
	if i < 0 || i == len(addr)-1 {
		return "(none)"
	}
	return strings.ToLower(strings.TrimRight(addr[i+1:], ">"))
}

// Package mailtest runs a real SMTP server inside a test
// (github.com/emersion/go-smtp on 127.0.0.1:0), so tests read what Listo
// really sends over the wire: every message received, parsed into its
// recipients, subject, text part and HTML part.
//
//	srv := mailtest.NewServer(t, mailtest.Options{})
//	// start Listo with SMTP_URL=srv.URL() ...
//	got := srv.WaitFor(t, "nina@example.com", 5*time.Second)
//
// DeadURL gives an SMTP_URL where nothing listens, for the failure paths.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Security is how the server protects its connections.
type Security int

const (
	// Plain is SMTP without TLS; URL ends in ?tls=none.
	Plain Security = iota
	// StartTLS offers STARTTLS (not required by the server); URL is smtp://.
	StartTLS
	// ImplicitTLS speaks TLS from the first byte; URL is smtps://.
	ImplicitTLS
)

// Options shape the server. The zero value is a plain server without
// authentication that accepts everything.
type Options struct {
	// Username and Password, when set, make the server offer AUTH PLAIN
	// (also without TLS) and refuse mail from a client that did not
	// authenticate with them.
	Username, Password string
	// Security is Plain, StartTLS or ImplicitTLS; the TLS ones use a
	// self-signed certificate for 127.0.0.1 that RootCAs trusts.
	Security Security
	// FailFirst makes the first n messages fail at DATA with FailCode.
	FailFirst int
	// FailCode is the SMTP reply code of those failures; 0 is 451
	// (temporary). A 5xx code is a permanent refusal.
	FailCode int
}

// Received is one message the server accepted.
type Received struct {
	From    string      // envelope sender (MAIL FROM)
	To      []string    // envelope recipients (RCPT TO)
	TLS     bool        // whether it came over TLS
	Auth    string      // the user it authenticated as; empty: none
	Header  mail.Header // the message's header
	Subject string      // decoded Subject
	Text    string      // the text/plain part, decoded; empty: none
	HTML    string      // the text/html part, decoded; empty: none
	Parts   []string    // the content types of the leaf parts, in order
	Raw     []byte      // the message as received
}

// claim is a message WaitFor returned for a recipient (lower-cased).
type claim struct {
	i  int
	to string
}

// Server is a running SMTP server. Its methods are safe for concurrent use.
type Server struct {
	o    Options
	srv  *smtp.Server
	ln   net.Listener
	pool *x509.CertPool
	done chan struct{} // closed when Serve has returned

	mu       sync.Mutex
	msgs     []Received
	claimed  map[claim]bool // messages WaitFor has returned, per recipient
	attempts int            // DATA commands seen, failed ones included
	changed  chan struct{}
	closed   bool
}

// NewServer starts a server on 127.0.0.1:0 and stops it when the test ends.
func NewServer(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{o: o, claimed: map[claim]bool{}, changed: make(chan struct{}), done: make(chan struct{})}
	s.srv = smtp.NewServer(backend{s})
	s.srv.Domain = "mailtest.localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.MaxRecipients = 50
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	if o.Security != Plain {
		cert, pool := selfSigned(t)
		s.pool = pool
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if o.Security == ImplicitTLS {
			ln = tls.NewListener(ln, s.srv.TLSConfig)
		}
	}
	s.ln = ln
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	t.Cleanup(s.Close)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is an SMTP_URL for the server, with its user and password when it
// has them: smtp://127.0.0.1:PORT?tls=none, smtp://127.0.0.1:PORT
// (STARTTLS) or smtps://127.0.0.1:PORT.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr()}
	switch s.o.Security {
	case Plain:
		u.RawQuery = "tls=none"
	case ImplicitTLS:
		u.Scheme = "smtps"
	}
	if s.o.Username != "" {
		u.User = url.UserPassword(s.o.Username, s.o.Password)
	}
	return u.String()
}

// RootCAs trusts the server's certificate; nil for a Plain server.
func (s *Server) RootCAs() *x509.CertPool { return s.pool }

// Messages returns every message received so far, oldest first.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Attempts is the number of messages clients tried to send (DATA
// commands), the ones FailFirst refused included.
func (s *Server) Attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts
}

// WaitFor returns the oldest message to the envelope recipient to (any
// case) that no earlier WaitFor for that recipient returned, waiting for it
// until timeout;
// after that it fails the test, listing what did arrive. It waits on
// arrivals, not on a clock: timeout is only a generous upper bound.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) Received {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for i, m := range s.msgs {
			c := claim{i, strings.ToLower(to)}
			if !s.claimed[c] && hasRecipient(m, to) {
				s.claimed[c] = true
				s.mu.Unlock()
				return m
			}
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			var got []string
			for _, m := range s.Messages() {
				got = append(got, fmt.Sprintf("%v %q", m.To, m.Subject))
			}
			t.Fatalf("mailtest: no message to %s within %v; received %d: %v", to, timeout, len(got), got)
		}
	}
}

// Close stops the server and waits for it. It is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	closed := s.closed
	s.closed = true
	s.mu.Unlock()
	if closed {
		return
	}
	_ = s.srv.Close()
	// Serve registers the listener with the server only once it runs: a
	// Close right after NewServer must close the listener itself.
	_ = s.ln.Close()
	<-s.done
}

// DeadURL is an SMTP_URL (plain, tls=none) for a port on 127.0.0.1 where
// nothing listens any more: every connection is refused at once.
func DeadURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "smtp://" + addr + "?tls=none"
}

func hasRecipient(m Received, to string) bool {
	for _, r := range m.To {
		if strings.EqualFold(r, to) {
			return true
		}
	}
	return false
}

// add records a message and wakes the waiters.
func (s *Server) add(m Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

// attempt counts a DATA command and says whether FailFirst refuses it.
func (s *Server) attempt() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	if s.attempts > s.o.FailFirst {
		return nil
	}
	code := s.o.FailCode
	if code == 0 {
		code = 451
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 3, 0}, Message: "mailtest: failing on purpose"}
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{s: b.s, conn: c, tls: isTLS}, nil
}

type session struct {
	s    *Server
	conn *smtp.Conn
	tls  bool
	user string
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.o.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || ss.s.o.Username == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.o.Username || password != ss.s.o.Password || (identity != "" && identity != username) {
			return errors.New("mailtest: invalid username or password")
		}
		ss.user = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.o.Username != "" && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if _, isTLS := ss.conn.TLSConnectionState(); isTLS {
		ss.tls = true // upgraded with STARTTLS
	}
	if err := ss.s.attempt(); err != nil {
		return err
	}
	m, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "mailtest: unparsable message: " + err.Error()}
	}
	m.From, m.To, m.TLS, m.Auth = ss.from, append([]string(nil), ss.to...), ss.tls, ss.user
	ss.s.add(m)
	return nil
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// parse reads a message: its header, decoded subject and its text and HTML
// parts, walking nested multiparts.
func parse(raw []byte) (Received, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Received{}, err
	}
	m := Received{Header: msg.Header, Raw: raw}
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Received{}, fmt.Errorf("subject: %w", err)
	}
	err = walk(&m, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return m, err
}

func walk(m *Received, ctype, cte string, body io.Reader) error {
	if ctype == "" {
		ctype = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("content type %q: %w", ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			// NextPart already decodes quoted-printable (and drops the
			// header); base64 is left to walk.
			if err := walk(m, p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &newlineSkipper{r: body})
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return fmt.Errorf("%s part: %w", mt, err)
	}
	m.Parts = append(m.Parts, mt)
	switch {
	case mt == "text/plain" && m.Text == "":
		m.Text = string(b)
	case mt == "text/html" && m.HTML == "":
		m.HTML = string(b)
	}
	return nil
}

// newlineSkipper drops CR and LF, which base64 bodies carry every 76
// characters.
type newlineSkipper struct{ r io.Reader }

func (n *newlineSkipper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a pool
// that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("mailtest: key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mailtest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("mailtest: certificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("mailtest: certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

package mailtest_test

import (
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"listo/mailtest"
)

const wait = 10 * time.Second

// raw is a multipart/alternative message with a quoted-printable text part
// and a base64 HTML part, nested in multipart/mixed, with an encoded subject.
const raw = "From: Listo <no-reply@example.com>\r\n" +
	"To: nina@example.com\r\n" +
	"Subject: =?UTF-8?q?R=C3=A9initialiser?= Listo\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=outer\r\n" +
	"\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=inner\r\n" +
	"\r\n" +
	"--inner\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Open https://todo.example.com/#/reset-password?token=3Dabc and a long lin=\r\n" +
	"e.\r\n" +
	"--inner\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+SGVsbG8sIDxiPk5pbmE8L2I+PC9w\r\n" +
	"Pg==\r\n" +
	"--inner--\r\n" +
	"--outer--\r\n"

func TestServerParsesWhatItReceives(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{})
	if !strings.HasSuffix(srv.URL(), "?tls=none") || !strings.HasPrefix(srv.URL(), "smtp://127.0.0.1:") {
		t.Errorf("URL() = %q; want smtp://127.0.0.1:PORT?tls=none", srv.URL())
	}
	if err := smtp.SendMail(srv.Addr(), nil, "no-reply@example.com", []string{"nina@example.com", "Ada@Example.com"}, []byte(raw)); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	got := srv.WaitFor(t, "ada@example.com", wait)
	want := mailtest.Received{
		From:    "no-reply@example.com",
		To:      []string{"nina@example.com", "Ada@Example.com"},
		Subject: "Réinitialiser Listo",
		Text:    "Open https://todo.example.com/#/reset-password?token=abc and a long line.",
		HTML:    "<p>Hello, <b>Nina</b></p>",
		Parts:   []string{"text/plain", "text/html"},
	}
	got.Header, got.Raw = nil, nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("Messages() has %d; want 1", n)
	}
	// WaitFor hands each message out once per recipient.
	if again := srv.WaitFor(t, "nina@example.com", wait); again.Subject != got.Subject {
		t.Errorf("WaitFor(nina) = %q; want the same message as for ada", again.Subject)
	}
}

func TestWaitForWaitsForTheNextMessage(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{})
	send := func(subject string) {
		msg := "Subject: " + subject + "\r\n\r\nbody\r\n"
		if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"nina@example.com"}, []byte(msg)); err != nil {
			t.Errorf("SendMail: %v", err)
		}
	}
	send("first")
	if got := srv.WaitFor(t, "nina@example.com", wait); got.Subject != "first" || got.Text != "body\r\n" || got.HTML != "" {
		t.Errorf("first WaitFor = %q %q %q; want the first message, text only", got.Subject, got.Text, got.HTML)
	}
	done := make(chan mailtest.Received)
	go func() { done <- srv.WaitFor(t, "nina@example.com", wait) }()
	send("second")
	if got := <-done; got.Subject != "second" {
		t.Errorf("second WaitFor = %q; want the second message", got.Subject)
	}
}

func TestAuthRequired(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{Username: "listo", Password: "p@ss word"})
	if want := "smtp://listo:p%40ss%20word@" + srv.Addr() + "?tls=none"; srv.URL() != want {
		t.Errorf("URL() = %q; want %q", srv.URL(), want)
	}
	msg := []byte("Subject: hi\r\n\r\nbody\r\n")
	err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"nina@example.com"}, msg)
	var tpErr *textproto.Error
	if !errors.As(err, &tpErr) || tpErr.Code/100 != 5 {
		t.Errorf("SendMail without AUTH = %v; want a 5xx refusal", err)
	}
	err = smtp.SendMail(srv.Addr(), smtp.PlainAuth("", "listo", "wrong", "127.0.0.1"), "a@example.com", []string{"nina@example.com"}, msg)
	if err == nil {
		t.Error("SendMail with a wrong password = nil; want an error")
	}
	if err := smtp.SendMail(srv.Addr(), smtp.PlainAuth("", "listo", "p@ss word", "127.0.0.1"), "a@example.com", []string{"nina@example.com"}, msg); err != nil {
		t.Fatalf("SendMail with the password: %v", err)
	}
	if got := srv.WaitFor(t, "nina@example.com", wait); got.Auth != "listo" {
		t.Errorf("Auth = %q; want listo", got.Auth)
	}
}

func TestFailFirst(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{FailFirst: 1, FailCode: 550})
	msg := []byte("Subject: hi\r\n\r\nbody\r\n")
	err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"nina@example.com"}, msg)
	var tpErr *textproto.Error
	if !errors.As(err, &tpErr) || tpErr.Code != 550 {
		t.Errorf("first SendMail = %v; want 550", err)
	}
	if err := smtp.SendMail(srv.Addr(), nil, "a@example.com", []string{"nina@example.com"}, msg); err != nil {
		t.Errorf("second SendMail = %v; want it accepted", err)
	}
	if a, n := srv.Attempts(), len(srv.Messages()); a != 2 || n != 1 {
		t.Errorf("Attempts() = %d, Messages() = %d; want 2 and 1", a, n)
	}
}

func TestDeadURLRefuses(t *testing.T) {
	u := mailtest.DeadURL(t)
	addr := strings.TrimSuffix(strings.TrimPrefix(u, "smtp://"), "?tls=none")
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err == nil {
		c.Close()
		t.Errorf("dial %s (DeadURL %s) succeeded; want refused", addr, u)
	}
}

func TestCloseStopsTheServer(t *testing.T) {
	srv := mailtest.NewServer(t, mailtest.Options{})
	srv.Close()
	srv.Close() // idempotent
	if c, err := net.DialTimeout("tcp", srv.Addr(), 5*time.Second); err == nil {
		c.Close()
		t.Error("dial after Close succeeded; want refused")
	}
}

package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// SMTP security modes, the ways SMTP_URL may ask to protect the connection.
const (
	// SMTPStartTLS is smtp://: the connection starts in clear and must be
	// upgraded with STARTTLS before anything is sent; a server without
	// STARTTLS is refused.
	SMTPStartTLS = "starttls"
	// SMTPImplicitTLS is smtps://: TLS from the first byte.
	SMTPImplicitTLS = "tls"
	// SMTPPlain is smtp://...?tls=none: no encryption at all, for a relay on
	// the same host or network, or a mail catcher.
	SMTPPlain = "none"
)

// SMTPServer is a parsed SMTP_URL. Printing or logging it never shows the
// password.
type SMTPServer struct {
	Host     string
	Port     int
	Username string // empty: no SMTP AUTH
	Password string
	Security string // SMTPStartTLS, SMTPImplicitTLS or SMTPPlain
}

// String shows the server without its password.
func (s SMTPServer) String() string {
	scheme, query := "smtp", ""
	switch s.Security {
	case SMTPImplicitTLS:
		scheme = "smtps"
	case SMTPPlain:
		query = "?tls=none"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(s.Host, strconv.Itoa(s.Port))}
	if s.Username != "" {
		u.User = url.User(s.Username)
	}
	return u.String() + query
}

// GoString hides the password from %#v too.
func (s SMTPServer) GoString() string { return "config.SMTPServer(" + s.String() + ")" }

// LogValue hides the password from slog.
func (s SMTPServer) LogValue() slog.Value { return slog.StringValue(s.String()) }

// ParseSMTPURL parses an SMTP_URL:
//
//	smtp://user:pass@host:587        STARTTLS required (port 587 when omitted)
//	smtps://user:pass@host:465       implicit TLS (port 465 when omitted)
//	smtp://host:1025?tls=none        no encryption: a local relay or a mail catcher
//
// (smtp://...?tls=starttls is the same as no option.)
// User and password are optional and percent-encoded like any URL's
// (a password with / ? # or % must be encoded). Its errors never quote the
// URL, so never its password.
func ParseSMTPURL(s string) (SMTPServer, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url's own error quotes the input: say less.
		return SMTPServer{}, errors.New("is not a URL like smtp://user:password@host:587 (percent-encode / ? # % in the password)")
	}
	var srv SMTPServer
	switch u.Scheme {
	case "smtp":
		srv.Security, srv.Port = SMTPStartTLS, 587
	case "smtps":
		srv.Security, srv.Port = SMTPImplicitTLS, 465
	default:
		return SMTPServer{}, errors.New("must start with smtp:// (STARTTLS) or smtps:// (TLS)")
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return SMTPServer{}, errors.New("has no host: want smtp://host:port")
	}
	if u.User == nil && strings.Contains(s, "@") {
		// An @ outside the user part: a password with an unencoded / ? or #.
		return SMTPServer{}, errors.New("is not a URL like smtp://user:password@host:587 (percent-encode / ? # % in the password)")
	}
	if u.Path != "" && u.Path != "/" || u.Fragment != "" {
		return SMTPServer{}, errors.New("must have no path or fragment: want smtp://host:port")
	}
	srv.Host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTPServer{}, errors.New("has a bad port: want 1 to 65535")
		}
		srv.Port = n
	}
	if u.User != nil {
		srv.Username = u.User.Username()
		srv.Password, _ = u.User.Password()
		if srv.Username == "" {
			return SMTPServer{}, errors.New("has a password without a user name")
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return SMTPServer{}, errors.New("has a bad query: the only option is tls=none")
	}
	for k, vs := range q {
		if k != "tls" {
			return SMTPServer{}, fmt.Errorf("has an unknown option %q: the only option is tls=none", k)
		}
		if len(vs) != 1 {
			return SMTPServer{}, errors.New("has tls more than once")
		}
		switch tls := vs[0]; {
		case tls == "none" && srv.Security == SMTPStartTLS:
			srv.Security = SMTPPlain
		case tls == "starttls" && srv.Security == SMTPStartTLS:
		case srv.Security == SMTPImplicitTLS:
			return SMTPServer{}, fmt.Errorf("has tls=%q, but smtps:// is always TLS: drop the option", tls)
		default:
			return SMTPServer{}, fmt.Errorf("has tls=%q: want tls=none (plain) or no option (STARTTLS required)", tls)
		}
	}
	return srv, nil
}

// redactSMTPURL shows an SMTP_URL (or PUBLIC_URL) without its password,
// as LogValue and Load's errors print it.
func redactSMTPURL(s string) string {
	if s == "" {
		return "(unset)"
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable)"
	}
	if u.User == nil && strings.Contains(s, "@") {
		// The @ is not where a URL's user ends, so a password with an
		// unencoded / ? or # spilled into the host, path or query.
		return "(hidden: it holds an @ outside the user part)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	redacted := false
	for k := range q {
		if k != "tls" {
			q[k], redacted = []string{"xxxxx"}, true
		}
	}
	if redacted {
		u.RawQuery = q.Encode()
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// Package config reads Listo's configuration from the environment, once, into
// a typed struct. It is the only reader of the environment.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/mail"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Environments.
const (
	Development = "development"
	Production  = "production"
)

// Config is the whole configuration of one Listo process.
type Config struct {
	Env          string
	Host         string
	Port         int
	MongoURI     string // empty: run the embedded FerretDB
	MongoDB      string
	DataDir      string
	LogLevel     slog.Level
	LogFormat    string
	JWTSecret    string // empty in development: generated and kept in DataDir
	JWTIssuer    string
	AccessTTL    time.Duration
	RefreshTTL   time.Duration
	BcryptCost   int
	BcryptWait   time.Duration
	BcryptSlots  int // bcrypt worker threads; 0 in the environment means one per CPU
	CORSOrigins  []string
	TrustedProxy []string
	MetricsAddr  string
	SessionCache time.Duration
	DBTimeout    time.Duration

	// EmbeddedCacheMB bounds the embedded database's todo cache, in MiB;
	// 0 turns it off. MongoDB has none.
	EmbeddedCacheMB int

	RateAuthPerMinute     int
	RateRegisterPerMinute int
	RateRefreshPerMinute  int
	AuthFailureMax        int
	AuthFailureWindow     time.Duration

	MaxTodosPerUser      int     // todos one user may hold
	RateTodoWritesPerSec float64 // todo writes per second per user (0: no limit)
	RateTodoWritesBurst  int     // ...and the burst above that rate
	RatePATPerMinute     int     // requests per personal access token per minute (0: no limit)
	Pprof                bool    // serve /debug/pprof on METRICS_ADDR

	// Live events (GET /events).
	EventsMaxStreams int           // open event streams in all; past it 503
	EventsPerUser    int           // open event streams of one user; one more closes the oldest
	EventsQueue      int           // events queued for one stream before it is dropped
	EventsPing       time.Duration // keep-alive comment interval

	// Mail and account recovery.
	SMTPURL              string // empty: no SMTP server (mails go to the log in development, nowhere in production); see ParseSMTPURL
	MailFrom             string // From of every mail, an RFC 5322 address
	PublicURL            string // base of every link in a mail, without a final slash; empty without PUBLIC_URL in production, or with PORT=0
	NotifyNewDevice      bool   // mail a notice when a new device logs in
	RequireVerifiedEmail bool   // refuse logins of unverified addresses
	RateForgotPerHour    int    // password-forgot and verification-resend requests per client IP per hour (0: no limit)
	MailPerEmailPerHour  int    // recovery mails to one address per hour (0: no limit)

	// Second factors.
	EncryptionKey string // seals secrets kept at rest (TOTP) and keys the recovery codes' hashes; empty: JWTSecret does (AtRestKey)
	// WebAuthnRPID is the passkeys' relying party: the domain their
	// credentials are scoped to; empty turns passkeys off.
	WebAuthnRPID string
	// WebAuthnOrigins are the origins passkeys may be used from, as set;
	// empty: RelyingPartyOrigins derives them from PUBLIC_URL.
	WebAuthnOrigins []string
}

// DefaultMailFrom is MAIL_FROM when it is unset.
const DefaultMailFrom = "Listo <no-reply@localhost>"

// Addr is the listen address.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// AtRestKey is the key that secrets kept at rest are sealed with:
// ENCRYPTION_KEY, or JWT_SECRET without one.
func (c Config) AtRestKey() []byte {
	if c.EncryptionKey != "" {
		return []byte(c.EncryptionKey)
	}
	return []byte(c.JWTSecret)
}

// RelyingPartyOrigins are the origins passkeys may be used from:
// WEBAUTHN_ORIGINS, or else PUBLIC_URL's origin and, in development with
// the RP ID localhost, http://localhost on PUBLIC_URL's port (what a
// browser opens); only origins on the RP ID (it or a subdomain) are kept.
func (c Config) RelyingPartyOrigins() []string {
	if len(c.WebAuthnOrigins) > 0 || c.WebAuthnRPID == "" {
		return c.WebAuthnOrigins
	}
	var out []string
	u, err := url.Parse(c.PublicURL)
	if err != nil || u.Host == "" {
		return nil
	}
	if onRPID(u.Hostname(), c.WebAuthnRPID) {
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	if c.Env == Development && c.WebAuthnRPID == "localhost" && u.Hostname() != "localhost" {
		local := "http://localhost"
		if p := u.Port(); p != "" {
			local += ":" + p
		}
		out = append(out, local)
	}
	return out
}

// onRPID reports whether host may use passkeys of rpID: it is rpID or a
// subdomain of it.
func onRPID(host, rpID string) bool {
	host, rpID = strings.ToLower(host), strings.ToLower(rpID)
	return host == rpID || strings.HasSuffix(host, "."+rpID)
}

// validRPID reports whether v can be a WebAuthn RP ID: a domain name
// (browsers refuse an IP address), without scheme, port or path.
func validRPID(v string) bool {
	if net.ParseIP(v) != nil || len(v) > 253 {
		return false
	}
	for _, label := range strings.Split(v, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// Embedded reports whether Listo runs its own embedded database.
func (c Config) Embedded() bool { return c.MongoURI == "" }

// EmbeddedCacheBytes is EMBEDDED_CACHE_MB in bytes as store.Options takes
// it: negative for 0, which turns the cache off.
func (c Config) EmbeddedCacheBytes() int64 {
	if c.EmbeddedCacheMB == 0 {
		return -1
	}
	return int64(c.EmbeddedCacheMB) << 20
}

// Secure reports whether cookies must carry the Secure attribute.
func (c Config) Secure() bool { return c.Env != Development }

// LogValue masks secrets when the config is logged.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("env", c.Env),
		slog.String("addr", c.Addr()),
		slog.String("mongodb_uri", redactURI(c.MongoURI)),
		slog.String("mongodb_database", c.MongoDB),
		slog.String("data_dir", c.DataDir),
		slog.Bool("jwt_secret_set", c.JWTSecret != ""),
		slog.Bool("encryption_key_set", c.EncryptionKey != ""),
		slog.String("webauthn_rp_id", c.WebAuthnRPID),
		slog.Any("webauthn_origins", c.RelyingPartyOrigins()),
		slog.Duration("access_token_ttl", c.AccessTTL),
		slog.Duration("refresh_token_ttl", c.RefreshTTL),
		slog.Int("bcrypt_cost", c.BcryptCost),
		slog.Any("cors_origins", c.CORSOrigins),
		slog.Any("trusted_proxies", c.TrustedProxy),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.Bool("pprof", c.Pprof),
		slog.Int("max_todos_per_user", c.MaxTodosPerUser),
		slog.Int("embedded_cache_mb", c.EmbeddedCacheMB),
		slog.Float64("rate_todo_writes_per_second", c.RateTodoWritesPerSec),
		slog.Int("rate_pat_per_minute", c.RatePATPerMinute),
		slog.Int("events_max_streams", c.EventsMaxStreams),
		slog.Int("events_max_streams_per_user", c.EventsPerUser),
		slog.Int("events_queue_size", c.EventsQueue),
		slog.Duration("events_ping_interval", c.EventsPing),
		slog.String("smtp_url", redactSMTPURL(c.SMTPURL)),
		slog.String("mail_from", c.MailFrom),
		slog.String("public_url", c.PublicURL),
		slog.Bool("notify_new_device", c.NotifyNewDevice),
		slog.Bool("require_verified_email", c.RequireVerifiedEmail),
		slog.Int("rate_forgot_per_hour", c.RateForgotPerHour),
		slog.Int("mail_per_email_per_hour", c.MailPerEmailPerHour),
	)
}

// String masks secrets when the config is printed with fmt (%v, %+v, %s):
// it shows what LogValue logs.
func (c Config) String() string { return c.LogValue().String() }

// GoString masks secrets for %#v too.
func (c Config) GoString() string { return "config.Config" + c.String() }

// redactURI drops the password of a connection string and the values of
// its options that hold secrets (tlsCertificateKeyFilePassword,
// authMechanismProperties, which may carry AWS_SESSION_TOKEN).
func redactURI(s string) string {
	if s == "" {
		return "(embedded)"
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	redacted := false
	for k := range q {
		if lk := strings.ToLower(k); strings.Contains(lk, "password") || lk == "authmechanismproperties" {
			q[k], redacted = []string{"xxxxx"}, true
		}
	}
	if redacted {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// shown is how Load's error quotes a bad value: secrets are not echoed.
// A new secret variable needs a case here.
func shown(name, val string) string {
	switch name {
	case "JWT_SECRET", "ENCRYPTION_KEY":
		return fmt.Sprintf("(%d bytes, hidden)", len(val))
	case "MONGODB_URI":
		return strconv.Quote(redactURI(val))
	case "SMTP_URL", "PUBLIC_URL":
		return strconv.Quote(redactSMTPURL(val))
	}
	return strconv.Quote(val)
}

type variable struct {
	name, def, help string
	set             func(c *Config, v string) error
}

// variables lists every setting: the single source for parsing and --help.
func variables() []variable {
	return []variable{
		{"ENV", Development, "development or production", func(c *Config, v string) error {
			if v != Development && v != Production {
				return errors.New("must be development or production")
			}
			c.Env = v
			return nil
		}},
		{"HOST", "", "listen host (default 127.0.0.1 in development, 0.0.0.0 in production)", func(c *Config, v string) error {
			c.Host = v
			return nil
		}},
		{"PORT", "8080", "listen port (1-65535; 0 picks a free port)", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 65535 {
				return errors.New("must be a port number from 0 to 65535")
			}
			c.Port = n
			return nil
		}},
		{"MONGODB_URI", "", "MongoDB connection string; unset runs an embedded FerretDB under DATA_DIR", func(c *Config, v string) error {
			if v != "" && !strings.HasPrefix(v, "mongodb://") && !strings.HasPrefix(v, "mongodb+srv://") {
				return errors.New("must start with mongodb:// or mongodb+srv://")
			}
			c.MongoURI = v
			return nil
		}},
		{"MONGODB_DATABASE", "listo", "database name", func(c *Config, v string) error {
			if v == "" || strings.ContainsAny(v, `/\. "$`) {
				return errors.New("must be a valid MongoDB database name")
			}
			c.MongoDB = v
			return nil
		}},
		{"DATA_DIR", "./data", "folder for the embedded database and the development JWT secret", func(c *Config, v string) error {
			c.DataDir = v
			return nil
		}},
		{"LOG_LEVEL", "info", "debug, info, warn or error", func(c *Config, v string) error {
			return c.LogLevel.UnmarshalText([]byte(v))
		}},
		{"LOG_FORMAT", "text", "text or json", func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return errors.New("must be text or json")
			}
			c.LogFormat = v
			return nil
		}},
		{"JWT_SECRET", "", "HMAC key for access tokens, at least 32 bytes; required in production (generated and kept in DATA_DIR in development)", func(c *Config, v string) error {
			if v != "" && len(v) < 32 {
				return errors.New("must be at least 32 bytes")
			}
			c.JWTSecret = v
			return nil
		}},
		{"ENCRYPTION_KEY", "", "key that secrets kept at rest (TOTP secrets, recovery-code hashes) are sealed with, at least 32 bytes; unset: derived from JWT_SECRET. Set it, and keep it, to rotate JWT_SECRET without turning off everyone's authenticator app", func(c *Config, v string) error {
			if v != "" && len(v) < 32 {
				return errors.New("must be at least 32 bytes")
			}
			c.EncryptionKey = v
			return nil
		}},
		{"JWT_ISSUER", "listo", "iss and aud of access tokens", func(c *Config, v string) error {
			if v == "" {
				return errors.New("must not be empty")
			}
			c.JWTIssuer = v
			return nil
		}},
		{"ACCESS_TOKEN_TTL", "15m", "lifetime of access tokens", durationVar(func(c *Config) *time.Duration { return &c.AccessTTL }, time.Second)},
		{"REFRESH_TOKEN_TTL", "720h", "lifetime of a session (refresh token)", durationVar(func(c *Config) *time.Duration { return &c.RefreshTTL }, time.Second)},
		{"BCRYPT_COST", "12", "bcrypt cost for new password hashes (10-31)", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 10 || n > 31 {
				return errors.New("must be a whole number from 10 to 31")
			}
			c.BcryptCost = n
			return nil
		}},
		{"BCRYPT_QUEUE_TIMEOUT", "10s", "how long a request may wait for a free bcrypt slot before 503 (hashing runs at most one per CPU)", durationVar(func(c *Config) *time.Duration { return &c.BcryptWait }, 100*time.Millisecond)},
		{"BCRYPT_CONCURRENCY", "0", "bcrypt worker threads (at low OS priority, so requests come first); 0 means one per CPU", intVar(func(c *Config) *int { return &c.BcryptSlots })},
		{"CORS_ORIGINS", "", "comma-separated exact origins allowed to call the API from a browser", func(c *Config, v string) error {
			for _, o := range splitList(v) {
				u, err := url.Parse(o)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" {
					return fmt.Errorf("%q is not an origin like https://app.example.com", o)
				}
				c.CORSOrigins = append(c.CORSOrigins, o)
			}
			return nil
		}},
		{"TRUSTED_PROXIES", "", "comma-separated proxy IPs or CIDRs whose X-Forwarded-For is believed", func(c *Config, v string) error {
			for _, p := range splitList(v) {
				if net.ParseIP(p) == nil {
					if _, _, err := net.ParseCIDR(p); err != nil {
						return fmt.Errorf("%q is not an IP address or CIDR", p)
					}
				}
				c.TrustedProxy = append(c.TrustedProxy, p)
			}
			return nil
		}},
		{"METRICS_ADDR", "", "listen address for /metrics and /debug/pprof (off when empty; keep it on loopback or an internal network)", func(c *Config, v string) error {
			if v != "" {
				if _, _, err := net.SplitHostPort(v); err != nil {
					return errors.New("must be host:port")
				}
			}
			c.MetricsAddr = v
			return nil
		}},
		{"SESSION_CACHE_TTL", "5s", "how long a live session/user check is cached on MongoDB; bounds how late a revoke on another instance is seen (the embedded database has no other writer: there a check is cached until a change drops it; 0 turns the cache off)", durationVar(func(c *Config) *time.Duration { return &c.SessionCache }, 0)},
		{"DB_TIMEOUT", "3s", "timeout for one database operation and for server selection", durationVar(func(c *Config) *time.Duration { return &c.DBTimeout }, 100*time.Millisecond)},
		{"EMBEDDED_CACHE_MB", "64", "memory for the embedded database's cache of recently used users' todos, in MiB (the least recently used are dropped past it); 0 turns it off; no effect with MONGODB_URI", rangeVar(func(c *Config) *int { return &c.EmbeddedCacheMB }, 0, 1<<20)},
		{"RATE_AUTH_PER_MINUTE", "20", "POST /auth requests per minute per client IP (0 disables)", intVar(func(c *Config) *int { return &c.RateAuthPerMinute })},
		{"RATE_REGISTER_PER_MINUTE", "10", "POST /register requests per minute per client IP (0 disables)", intVar(func(c *Config) *int { return &c.RateRegisterPerMinute })},
		{"RATE_REFRESH_PER_MINUTE", "60", "POST /refresh requests per minute per client IP (0 disables)", intVar(func(c *Config) *int { return &c.RateRefreshPerMinute })},
		{"AUTH_FAILURE_MAX", "5", "failed logins for one email before it is locked for the rest of the window (0 disables)", intVar(func(c *Config) *int { return &c.AuthFailureMax })},
		{"AUTH_FAILURE_WINDOW", "15m", "window for AUTH_FAILURE_MAX", durationVar(func(c *Config) *time.Duration { return &c.AuthFailureWindow }, time.Second)},
		{"MAX_TODOS_PER_USER", "5000", "todos one user may hold; the next create is 409 limit-reached", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1_000_000 {
				return errors.New("must be a whole number from 1 to 1000000")
			}
			c.MaxTodosPerUser = n
			return nil
		}},
		{"RATE_TODO_WRITES_PER_SECOND", "10", "todo writes (create, change, delete, bulk) per second per user, beyond the burst (0 disables)", func(c *Config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
				return errors.New("must be a number, 0 or more")
			}
			c.RateTodoWritesPerSec = f
			return nil
		}},
		{"RATE_TODO_WRITES_BURST", "50", "todo writes one user may make at once before RATE_TODO_WRITES_PER_SECOND applies", func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return errors.New("must be a whole number, 1 or more")
			}
			c.RateTodoWritesBurst = n
			return nil
		}},
		{"RATE_PAT_PER_MINUTE", "600", "requests per personal access token per minute, from any IP; past it 429 with Retry-After (0 disables)", intVar(func(c *Config) *int { return &c.RatePATPerMinute })},
		{"EVENTS_MAX_STREAMS", "5000", "open GET /events streams in all; past it 503 with Retry-After", rangeVar(func(c *Config) *int { return &c.EventsMaxStreams }, 1, 1_000_000)},
		{"EVENTS_MAX_STREAMS_PER_USER", "10", "open GET /events streams of one user; one more closes that user's oldest", rangeVar(func(c *Config) *int { return &c.EventsPerUser }, 1, 1000)},
		{"EVENTS_QUEUE_SIZE", "64", "events waiting for one slow stream before it is closed (its client resumes with Last-Event-ID)", rangeVar(func(c *Config) *int { return &c.EventsQueue }, 1, 10_000)},
		{"EVENTS_PING_INTERVAL", "25s", "keep-alive comment on idle GET /events streams, below every proxy's idle timeout", durationVar(func(c *Config) *time.Duration { return &c.EventsPing }, 10*time.Millisecond)},
		{"PPROF", "false", "serve the runtime profiles under /debug/pprof on METRICS_ADDR", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("must be true or false")
			}
			c.Pprof = b
			return nil
		}},
		{"SMTP_URL", "", "SMTP server for mails: smtp://user:pass@host:587 (STARTTLS required), smtps://user:pass@host:465 (TLS), smtp://host:1025?tls=none (plain, a local relay or mail catcher only); unset: mails are logged in development, not sent in production", func(c *Config, v string) error {
			if v != "" {
				if _, err := ParseSMTPURL(v); err != nil {
					return err
				}
			}
			c.SMTPURL = v
			return nil
		}},
		{"MAIL_FROM", "", "From address of mails, like Listo <no-reply@example.com> (default " + DefaultMailFrom + ")", func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			a, err := mail.ParseAddress(v)
			if err != nil || !strings.Contains(a.Address, "@") {
				return errors.New("must be one address like Listo <no-reply@example.com>")
			}
			c.MailFrom = v
			return nil
		}},
		{"PUBLIC_URL", "", "base URL of the links in mails, like https://todo.example.com; required in production with SMTP_URL (default in development: http:// and the listen address)", func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil ||
				u.RawQuery != "" || u.ForceQuery || strings.Contains(v, "#") {
				return errors.New("must be an absolute http:// or https:// URL without user, query or fragment, like https://todo.example.com")
			}
			c.PublicURL = strings.TrimRight(v, "/")
			return nil
		}},
		{"WEBAUTHN_RP_ID", "", "passkeys' relying party: the domain they are scoped to, like todo.example.com (default: the host of PUBLIC_URL; localhost in development without PUBLIC_URL; passkeys are off in production without either)", func(c *Config, v string) error {
			if v != "" && !validRPID(v) {
				return errors.New("must be a domain name like todo.example.com, without scheme, port or path, and not an IP address")
			}
			c.WebAuthnRPID = strings.ToLower(v)
			return nil
		}},
		{"WEBAUTHN_ORIGINS", "", "comma-separated origins passkeys may be used from, each on WEBAUTHN_RP_ID (default: PUBLIC_URL's origin; in development also http://localhost on its port)", func(c *Config, v string) error {
			for _, o := range splitList(v) {
				u, err := url.Parse(o)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
					return fmt.Errorf("%q is not an origin like https://todo.example.com", o)
				}
				c.WebAuthnOrigins = append(c.WebAuthnOrigins, strings.ToLower(o))
			}
			return nil
		}},
		{"NOTIFY_NEW_DEVICE", "true", "mail a notice when a new device logs in to an account", boolVar(func(c *Config) *bool { return &c.NotifyNewDevice })},
		{"REQUIRE_VERIFIED_EMAIL", "false", "refuse logins (403) until the email address is verified", boolVar(func(c *Config) *bool { return &c.RequireVerifiedEmail })},
		{"RATE_FORGOT_PER_HOUR", "5", "POST /password/forgot and verification resends per hour per client IP (0 disables)", intVar(func(c *Config) *int { return &c.RateForgotPerHour })},
		{"MAIL_PER_EMAIL_PER_HOUR", "3", "recovery and verification mails to one address per hour; past it requests still answer 202 (0 disables)", intVar(func(c *Config) *int { return &c.MailPerEmailPerHour })},
	}
}

func boolVar(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("must be true or false")
		}
		*field(c) = b
		return nil
	}
}

func durationVar(field func(*Config) *time.Duration, min time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < min {
			return fmt.Errorf("must be a duration like 15m or 720h, at least %v", min)
		}
		*field(c) = d
		return nil
	}
}

func intVar(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("must be a whole number, 0 or more")
		}
		*field(c) = n
		return nil
	}
}

func rangeVar(field func(*Config) *int, lo, hi int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be a whole number from %d to %d", lo, hi)
		}
		*field(c) = n
		return nil
	}
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Load parses the configuration from getenv and validates it. Every bad
// value is reported, not just the first.
func Load(getenv func(string) string) (Config, error) {
	var c Config
	var errs []error
	bad := map[string]bool{}
	for _, v := range variables() {
		val := getenv(v.name)
		if val == "" {
			val = v.def
		}
		if err := v.set(&c, val); err != nil {
			errs = append(errs, fmt.Errorf("%s=%s: %w", v.name, shown(v.name, val), err))
			bad[v.name] = true
		}
	}
	if c.Host == "" {
		c.Host = "127.0.0.1"
		if c.Env == Production {
			c.Host = "0.0.0.0"
		}
	}
	if c.BcryptSlots == 0 {
		c.BcryptSlots = runtime.NumCPU()
	}
	if c.Env == Production && c.JWTSecret == "" {
		errs = append(errs, errors.New("JWT_SECRET is required when ENV=production (at least 32 random bytes, e.g. openssl rand -base64 48)"))
	}
	if c.MailFrom == "" {
		c.MailFrom = DefaultMailFrom
	}
	// PORT=0 picks the port at listen time: the app fills PublicURL in then.
	if c.PublicURL == "" && c.Env == Development && c.Port != 0 {
		host := c.Host
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			host = "localhost" // a browser cannot open 0.0.0.0
		}
		c.PublicURL = "http://" + net.JoinHostPort(host, strconv.Itoa(c.Port))
	}
	if c.WebAuthnRPID == "" && !bad["WEBAUTHN_RP_ID"] {
		// The host of a PUBLIC_URL that was set; localhost in
		// development; in production without either, passkeys are off.
		if u, err := url.Parse(getenv("PUBLIC_URL")); getenv("PUBLIC_URL") != "" && err == nil && validRPID(u.Hostname()) {
			c.WebAuthnRPID = strings.ToLower(u.Hostname())
		} else if c.Env == Development {
			c.WebAuthnRPID = "localhost"
		}
	}
	if origins := getenv("WEBAUTHN_ORIGINS"); c.WebAuthnRPID != "" {
		for _, o := range c.WebAuthnOrigins {
			if u, _ := url.Parse(o); !onRPID(u.Hostname(), c.WebAuthnRPID) {
				errs = append(errs, fmt.Errorf("WEBAUTHN_ORIGINS=%q: %q is not on the RP ID %q: its host must be the RP ID or a subdomain of it", origins, o, c.WebAuthnRPID))
			}
		}
	} else if len(c.WebAuthnOrigins) > 0 && !bad["WEBAUTHN_RP_ID"] {
		errs = append(errs, fmt.Errorf("WEBAUTHN_ORIGINS=%q: there is no RP ID to use them with (set WEBAUTHN_RP_ID, or PUBLIC_URL to take it from)", origins))
	}
	if c.Env == Production && c.SMTPURL != "" && c.PublicURL == "" && !bad["PUBLIC_URL"] {
		errs = append(errs, errors.New("PUBLIC_URL is required when ENV=production and SMTP_URL is set: it is the base of the links in mails, e.g. https://todo.example.com"))
	}
	if c.Env == Production && c.SMTPURL == "" && c.RequireVerifiedEmail {
		errs = append(errs, errors.New("REQUIRE_VERIFIED_EMAIL=true needs SMTP_URL when ENV=production: without mail nobody could verify an address and log in"))
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// PrintHelp writes the list of environment variables with their defaults.
func PrintHelp(w io.Writer) {
	fmt.Fprintln(w, "Environment variables:")
	for _, v := range variables() {
		def := v.def
		if def == "" {
			def = "(unset)"
		}
		fmt.Fprintf(w, "  %-26s %-10s %s\n", v.name, def, v.help)
	}
}

package config_test

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"listo/config"
)

// secret32 is a valid JWT_SECRET (32 bytes).
const secret32 = "0123456789abcdef0123456789abcdef"

// badValue is one value Load must refuse for a variable.
type badValue struct {
	value string
	// hidden, when set, is a part of value that must not be echoed in the
	// error (a secret that was merely malformed).
	hidden string
}

// badValues holds, for EVERY variable Load reads, the values it must refuse.
// TestEveryVariableHasABadValueCase fails when a variable is missing here, so
// a new setting cannot be added without saying how a bad value is reported.
// A variable that accepts any value has no bad values and an entry in
// anyValue instead, with the reason.
var badValues = map[string][]badValue{
	"ENV":              {{value: "staging"}, {value: "Production"}},
	"PORT":             {{value: "http"}, {value: "-1"}, {value: "65536"}, {value: " 8080"}},
	"MONGODB_URI":      {{value: "localhost:27017"}, {value: "postgres://admin:hunter2-db-password@db/listo", hidden: "hunter2-db-password"}},
	"MONGODB_DATABASE": {{value: "my.db"}, {value: "a b"}, {value: "a/b"}, {value: "$x"}},
	"LOG_LEVEL":        {{value: "loud"}},
	"LOG_FORMAT":       {{value: "xml"}, {value: "JSON"}},
	"JWT_SECRET":       {{value: "short-but-real-secret-31-bytes!", hidden: "short-but-real-secret-31-bytes!"}},
	"ENCRYPTION_KEY":   {{value: "short-encryption-key-31-bytes!!", hidden: "short-encryption-key-31-bytes!!"}},
	// An empty JWT_ISSUER falls back to the default, so only an
	// all-blank value can be bad; there is none.
	"ACCESS_TOKEN_TTL":            {{value: "15"}, {value: "500ms"}, {value: "-1m"}},
	"REFRESH_TOKEN_TTL":           {{value: "30d"}, {value: "0s"}},
	"BCRYPT_COST":                 {{value: "9"}, {value: "32"}, {value: "twelve"}},
	"BCRYPT_QUEUE_TIMEOUT":        {{value: "99ms"}, {value: "soon"}},
	"BCRYPT_CONCURRENCY":          {{value: "-1"}, {value: "many"}},
	"CORS_ORIGINS":                {{value: "app.example.com"}, {value: "https://app.example.com/"}, {value: "https://ok.example.com, ftp://files.example.com"}},
	"TRUSTED_PROXIES":             {{value: "10.0.0.300"}, {value: "10.0.0.0/33"}, {value: "127.0.0.1,proxy.local"}},
	"METRICS_ADDR":                {{value: "9090"}, {value: "localhost"}},
	"SESSION_CACHE_TTL":           {{value: "-1s"}, {value: "5"}},
	"DB_TIMEOUT":                  {{value: "50ms"}, {value: "3"}},
	"EMBEDDED_CACHE_MB":           {{value: "-1"}, {value: "64MB"}, {value: "1.5"}, {value: "1048577"}, {value: "big"}},
	"RATE_AUTH_PER_MINUTE":        {{value: "-1"}, {value: "1.5"}},
	"RATE_REGISTER_PER_MINUTE":    {{value: "-1"}, {value: "ten"}},
	"RATE_REFRESH_PER_MINUTE":     {{value: "-1"}, {value: "1e3"}},
	"AUTH_FAILURE_MAX":            {{value: "-1"}, {value: "five"}},
	"AUTH_FAILURE_WINDOW":         {{value: "999ms"}, {value: "15"}},
	"MAX_TODOS_PER_USER":          {{value: "0"}, {value: "-5"}, {value: "lots"}, {value: "1000001"}},
	"RATE_TODO_WRITES_PER_SECOND": {{value: "-1"}, {value: "fast"}, {value: "NaN"}, {value: "Inf"}},
	"RATE_TODO_WRITES_BURST":      {{value: "0"}, {value: "x"}},
	"RATE_PAT_PER_MINUTE":         {{value: "-1"}, {value: "lots"}, {value: "1.5"}, {value: "1e3"}},
	"PPROF":                       {{value: "yes please"}, {value: "2"}},
	"EVENTS_MAX_STREAMS":          {{value: "0"}, {value: "-1"}, {value: "many"}, {value: "1000001"}, {value: "1e3"}},
	"EVENTS_MAX_STREAMS_PER_USER": {{value: "0"}, {value: "1001"}, {value: "ten"}},
	"EVENTS_QUEUE_SIZE":           {{value: "0"}, {value: "10001"}, {value: "64k"}},
	"EVENTS_PING_INTERVAL":        {{value: "25"}, {value: "5ms"}, {value: "-25s"}, {value: "soon"}},
	"SMTP_URL": {
		{value: "mail.example.com:587"},
		{value: "http://mail.example.com"},
		{value: "smtp://"},
		{value: "smtp://mail.example.com:0"},
		{value: "smtp://mail.example.com:65536"},
		{value: "smtp://mail.example.com:587/listo"},
		{value: "smtp://mail.example.com:25?tls=maybe"},
		{value: "smtp://mail.example.com:25?tls=none&tls=none"},
		{value: "smtp://mail.example.com:25?tsl=none"},
		{value: "smtps://mail.example.com?tls=none"},
		{value: "smtp://:hunter2-smtp-password@mail.example.com", hidden: "hunter2-smtp-password"},
		{value: "smtp://listo:hunter2-smtp-password@mail.example.com:99999", hidden: "hunter2-smtp-password"},
		{value: "ftp://listo:hunter2-smtp-password@mail.example.com", hidden: "hunter2-smtp-password"},
		{value: "smtp://listo:hunter2-smtp-password@mail.example.com?tls=bogus", hidden: "hunter2-smtp-password"},
		{value: "smtp://listo:hunter2-smtp-%zz@mail.example.com", hidden: "hunter2-smtp-"},
		// An unencoded / in the password: url reads "listo" as the
		// host and "12345" as the port, the rest as a path.
		{value: "smtp://listo:12345/hunter2@mail.example.com", hidden: "hunter2"},
		{value: "smtp://listo:12345?hunter2@mail.example.com", hidden: "hunter2"},
	},
	"MAIL_FROM":               {{value: "no-reply"}, {value: "Listo"}, {value: "a@example.com, b@example.com"}, {value: "Listo <no-reply@example.com>\r\nBcc: x@example.com"}},
	"PUBLIC_URL":              {{value: "todo.example.com"}, {value: "ftp://todo.example.com"}, {value: "https://"}, {value: "https://todo.example.com/?a=1"}, {value: "https://todo.example.com/#/"}, {value: "https://todo.example.com?"}, {value: "https://admin:hunter2-public@todo.example.com", hidden: "hunter2-public"}},
	"NOTIFY_NEW_DEVICE":       {{value: "yes"}},
	"WEBAUTHN_RP_ID":          {{value: "https://todo.example.com"}, {value: "todo.example.com:443"}, {value: "127.0.0.1"}, {value: "::1"}, {value: "todo.example.com/app"}, {value: "-todo.example.com"}, {value: "todo..example.com"}, {value: "todo example.com"}},
	"WEBAUTHN_ORIGINS":        {{value: "todo.example.com"}, {value: "https://todo.example.com/app"}, {value: "ftp://todo.example.com"}, {value: "https://example.com"}, {value: "http://localhost.evil.example"}},
	"REQUIRE_VERIFIED_EMAIL":  {{value: "on"}},
	"RATE_FORGOT_PER_HOUR":    {{value: "-1"}, {value: "five"}},
	"MAIL_PER_EMAIL_PER_HOUR": {{value: "-1"}, {value: "3.5"}},
}

// anyValue lists the variables that have no bad value, with the reason and
// an odd value Load must accept. Moving a variable from here to badValues is
// the right move when it gains validation.
var anyValue = map[string]struct{ reason, value string }{
	"HOST":       {"any host name or address; a wrong one fails at listen", "listo.internal"},
	"DATA_DIR":   {"any path; a wrong one fails when the folder is created", "/var/lib/listo data"},
	"JWT_ISSUER": {"empty means the default and any other string is valid", "https://auth.example.com"},
}

// env is a getenv over a map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// readNames returns every name Load passes to getenv, over several
// environments so a variable read only in one of them is still seen.
func readNames(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	envs := []map[string]string{
		{},
		{"ENV": config.Production, "JWT_SECRET": secret32},
		{"ENV": config.Production},
		{"ENV": "bad", "PORT": "bad", "MONGODB_URI": "mongodb://db:27017"},
	}
	for _, m := range envs {
		_, _ = config.Load(func(k string) string {
			seen[k] = true
			return m[k]
		})
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, k)
	}
	sort.Strings(names)
	if len(names) == 0 {
		t.Fatal("Load read no variable at all")
	}
	return names
}

// helpNames returns the variable names PrintHelp lists: the first word of
// every indented line.
func helpNames(t *testing.T) []string {
	t.Helper()
	var b bytes.Buffer
	config.PrintHelp(&b)
	var names []string
	sc := bufio.NewScanner(&b)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "  ") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 {
			t.Errorf("PrintHelp line %q: want NAME DEFAULT HELP", line)
			continue
		}
		names = append(names, fields[0])
	}
	sort.Strings(names)
	return names
}

// namedIn returns the variables whose value err reports: Load starts each
// reported error with NAME=, on its own line after the first.
func namedIn(err error, names []string) []string {
	var out []string
	for _, n := range names {
		if regexp.MustCompile(`(?m)(^|: )` + regexp.QuoteMeta(n) + `=`).MatchString(err.Error()) {
			out = append(out, n)
		}
	}
	return out
}

func TestHelpListsEveryVariableLoadReads(t *testing.T) {
	read, help := readNames(t), helpNames(t)
	if diff := cmp.Diff(read, help); diff != "" {
		t.Errorf("names Load reads (-) vs names PrintHelp lists (+):\n%s", diff)
	}
	if dup := slices.Compact(slices.Clone(help)); len(dup) != len(help) {
		t.Errorf("PrintHelp lists a variable twice: %v", help)
	}
}

func TestEveryVariableHasABadValueCase(t *testing.T) {
	read := readNames(t)
	for _, n := range read {
		_, bad := badValues[n]
		_, anything := anyValue[n]
		switch {
		case !bad && !anything:
			t.Errorf("variable %s has no case in badValues (or in anyValue with a reason): add one", n)
		case bad && anything:
			t.Errorf("variable %s is in both badValues and anyValue", n)
		case bad && len(badValues[n]) == 0:
			t.Errorf("variable %s has an empty list in badValues", n)
		}
	}
	for n := range badValues {
		if !slices.Contains(read, n) {
			t.Errorf("badValues has %s, which Load does not read", n)
		}
	}
	for n := range anyValue {
		if !slices.Contains(read, n) {
			t.Errorf("anyValue has %s, which Load does not read", n)
		}
	}
}

func TestLoadReportsABadValueNamingItsVariable(t *testing.T) {
	names := readNames(t)
	for name, cases := range badValues {
		for _, bv := range cases {
			t.Run(name+"="+bv.value, func(t *testing.T) {
				cfg, err := config.Load(env(map[string]string{name: bv.value}))
				if err == nil {
					t.Fatalf("Load(%s=%q) = nil error; want one naming %s", name, bv.value, name)
				}
				if diff := cmp.Diff([]string{name}, namedIn(err, names)); diff != "" {
					t.Errorf("Load(%s=%q) error %q names (-want +got):\n%s", name, bv.value, err, diff)
				}
				if !strings.HasPrefix(err.Error(), "invalid configuration: ") {
					t.Errorf("Load(%s=%q) error = %q; want prefix %q", name, bv.value, err, "invalid configuration: ")
				}
				if bv.hidden != "" && strings.Contains(err.Error(), bv.hidden) {
					t.Errorf("Load(%s=%q) error = %q; it echoes the secret %q", name, bv.value, err, bv.hidden)
				}
				if diff := cmp.Diff(config.Config{}, cfg); diff != "" {
					t.Errorf("Load(%s=%q) config on error is not zero (-want +got):\n%s", name, bv.value, diff)
				}
			})
		}
	}
}

func TestLoadAcceptsAnyValueWhereDocumented(t *testing.T) {
	for name, c := range anyValue {
		if _, err := config.Load(env(map[string]string{name: c.value})); err != nil {
			t.Errorf("Load(%s=%q) = %v; want no error (%s)", name, c.value, err, c.reason)
		}
	}
}

func TestLoadReportsEveryBadValueAtOnce(t *testing.T) {
	names := readNames(t)
	m := map[string]string{}
	var want []string
	for name, cases := range badValues {
		m[name] = cases[0].value
		want = append(want, name)
	}
	sort.Strings(want)
	_, err := config.Load(env(m))
	if err == nil {
		t.Fatal("Load(every variable bad) = nil error")
	}
	if diff := cmp.Diff(want, namedIn(err, names)); diff != "" {
		t.Errorf("Load(every variable bad) names (-want +got):\n%s\nerror: %v", diff, err)
	}
}

func TestLoadProductionNeedsJWTSecretAndReportsItWithOtherErrors(t *testing.T) {
	_, err := config.Load(env(map[string]string{"ENV": config.Production, "PORT": "http"}))
	if err == nil {
		t.Fatal("Load(ENV=production, no JWT_SECRET, PORT=http) = nil error")
	}
	for _, want := range []string{`PORT="http"`, "JWT_SECRET is required when ENV=production"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Load(ENV=production, no JWT_SECRET, PORT=http) error = %q; want it to contain %q", err, want)
		}
	}
}

func TestLoad(t *testing.T) {
	devDefaults := config.Config{
		Env:                   config.Development,
		Host:                  "127.0.0.1",
		Port:                  8080,
		MongoDB:               "listo",
		DataDir:               "./data",
		LogLevel:              slog.LevelInfo,
		LogFormat:             "text",
		JWTIssuer:             "listo",
		AccessTTL:             15 * time.Minute,
		RefreshTTL:            720 * time.Hour,
		BcryptCost:            12,
		BcryptWait:            10 * time.Second,
		BcryptSlots:           runtime.NumCPU(),
		SessionCache:          5 * time.Second,
		DBTimeout:             3 * time.Second,
		EmbeddedCacheMB:       64,
		RateAuthPerMinute:     20,
		RateRegisterPerMinute: 10,
		RateRefreshPerMinute:  60,
		AuthFailureMax:        5,
		AuthFailureWindow:     15 * time.Minute,
		MaxTodosPerUser:       5000,
		RateTodoWritesPerSec:  10,
		RateTodoWritesBurst:   50,
		RatePATPerMinute:      600,
		EventsMaxStreams:      5000,
		EventsPerUser:         10,
		EventsQueue:           64,
		EventsPing:            25 * time.Second,
		MailFrom:              config.DefaultMailFrom,
		PublicURL:             "http://127.0.0.1:8080",
		WebAuthnRPID:          "localhost",
		NotifyNewDevice:       true,
		RateForgotPerHour:     5,
		MailPerEmailPerHour:   3,
	}
	with := func(f func(*config.Config)) config.Config {
		c := devDefaults
		f(&c)
		return c
	}
	tests := []struct {
		name       string
		env        map[string]string
		want       config.Config
		wantAddr   string
		wantSecure bool
		wantEmbed  bool
	}{
		{
			name:      "development defaults",
			env:       map[string]string{},
			want:      devDefaults,
			wantAddr:  "127.0.0.1:8080",
			wantEmbed: true,
		},
		{
			name: "production defaults listen on every interface",
			env:  map[string]string{"ENV": config.Production, "JWT_SECRET": secret32},
			want: with(func(c *config.Config) {
				c.Env, c.Host, c.JWTSecret = config.Production, "0.0.0.0", secret32
				c.PublicURL = ""    // no default in production: no SMTP_URL, no links
				c.WebAuthnRPID = "" // nor passkeys
			}),
			wantAddr:   "0.0.0.0:8080",
			wantSecure: true,
			wantEmbed:  true,
		},
		{
			name: "every variable set",
			env: map[string]string{
				"ENV":                         config.Production,
				"HOST":                        "::1",
				"PORT":                        "0",
				"MONGODB_URI":                 "mongodb+srv://listo:pw@cluster.example.com/?retryWrites=true",
				"MONGODB_DATABASE":            "listo_prod",
				"DATA_DIR":                    "/var/lib/listo",
				"LOG_LEVEL":                   "debug",
				"LOG_FORMAT":                  "json",
				"JWT_SECRET":                  secret32 + "more",
				"JWT_ISSUER":                  "https://listo.example.com",
				"ENCRYPTION_KEY":              secret32 + "-at-rest",
				"ACCESS_TOKEN_TTL":            "1s",
				"REFRESH_TOKEN_TTL":           "24h",
				"BCRYPT_COST":                 "10",
				"BCRYPT_QUEUE_TIMEOUT":        "100ms",
				"BCRYPT_CONCURRENCY":          "3",
				"CORS_ORIGINS":                " https://a.example.com, ,http://localhost:5173 ",
				"TRUSTED_PROXIES":             "10.0.0.1, 172.16.0.0/12,::1",
				"METRICS_ADDR":                "127.0.0.1:9090",
				"SESSION_CACHE_TTL":           "0s",
				"DB_TIMEOUT":                  "100ms",
				"EMBEDDED_CACHE_MB":           "8",
				"RATE_AUTH_PER_MINUTE":        "0",
				"RATE_REGISTER_PER_MINUTE":    "1",
				"RATE_REFRESH_PER_MINUTE":     "1000",
				"AUTH_FAILURE_MAX":            "0",
				"AUTH_FAILURE_WINDOW":         "1h",
				"MAX_TODOS_PER_USER":          "20",
				"RATE_TODO_WRITES_PER_SECOND": "0.5",
				"RATE_TODO_WRITES_BURST":      "3",
				"RATE_PAT_PER_MINUTE":         "100",
				"PPROF":                       "true",
				"EVENTS_MAX_STREAMS":          "20000",
				"EVENTS_MAX_STREAMS_PER_USER": "3",
				"EVENTS_QUEUE_SIZE":           "16",
				"EVENTS_PING_INTERVAL":        "10s",
				"SMTP_URL":                    "smtps://listo%40example.com:p%2Fss@smtp.example.com",
				"MAIL_FROM":                   "Listo Todo <todo@example.com>",
				"PUBLIC_URL":                  "https://example.com/todo/",
				"NOTIFY_NEW_DEVICE":           "false",
				"REQUIRE_VERIFIED_EMAIL":      "true",
				"RATE_FORGOT_PER_HOUR":        "0",
				"MAIL_PER_EMAIL_PER_HOUR":     "10",
				"WEBAUTHN_RP_ID":              "Example.com",
				"WEBAUTHN_ORIGINS":            "https://example.com, https://app.example.com",
			},
			want: config.Config{
				Env:                   config.Production,
				Host:                  "::1",
				Port:                  0,
				MongoURI:              "mongodb+srv://listo:pw@cluster.example.com/?retryWrites=true",
				MongoDB:               "listo_prod",
				DataDir:               "/var/lib/listo",
				LogLevel:              slog.LevelDebug,
				LogFormat:             "json",
				JWTSecret:             secret32 + "more",
				JWTIssuer:             "https://listo.example.com",
				EncryptionKey:         secret32 + "-at-rest",
				AccessTTL:             time.Second,
				RefreshTTL:            24 * time.Hour,
				BcryptCost:            10,
				BcryptWait:            100 * time.Millisecond,
				BcryptSlots:           3,
				CORSOrigins:           []string{"https://a.example.com", "http://localhost:5173"},
				TrustedProxy:          []string{"10.0.0.1", "172.16.0.0/12", "::1"},
				MetricsAddr:           "127.0.0.1:9090",
				SessionCache:          0,
				DBTimeout:             100 * time.Millisecond,
				EmbeddedCacheMB:       8,
				RateAuthPerMinute:     0,
				RateRegisterPerMinute: 1,
				RateRefreshPerMinute:  1000,
				AuthFailureMax:        0,
				AuthFailureWindow:     time.Hour,
				MaxTodosPerUser:       20,
				RateTodoWritesPerSec:  0.5,
				RateTodoWritesBurst:   3,
				RatePATPerMinute:      100,
				Pprof:                 true,
				EventsMaxStreams:      20000,
				EventsPerUser:         3,
				EventsQueue:           16,
				EventsPing:            10 * time.Second,
				SMTPURL:               "smtps://listo%40example.com:p%2Fss@smtp.example.com",
				MailFrom:              "Listo Todo <todo@example.com>",
				PublicURL:             "https://example.com/todo",
				NotifyNewDevice:       false,
				RequireVerifiedEmail:  true,
				RateForgotPerHour:     0,
				MailPerEmailPerHour:   10,
				WebAuthnRPID:          "example.com",
				WebAuthnOrigins:       []string{"https://example.com", "https://app.example.com"},
			},
			wantAddr:   "[::1]:0",
			wantSecure: true,
		},
		{
			name: "development with an explicit host and a 32-byte secret",
			env:  map[string]string{"HOST": "0.0.0.0", "JWT_SECRET": secret32, "LOG_LEVEL": "WARN"},
			want: with(func(c *config.Config) {
				c.Host, c.JWTSecret, c.LogLevel = "0.0.0.0", secret32, slog.LevelWarn
				c.PublicURL = "http://localhost:8080" // a browser cannot open 0.0.0.0
			}),
			wantAddr:  "0.0.0.0:8080",
			wantEmbed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := config.Load(env(tt.env))
			if err != nil {
				t.Fatalf("Load = %v; want no error", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Load (-want +got):\n%s", diff)
			}
			if got.Addr() != tt.wantAddr {
				t.Errorf("Addr() = %q; want %q", got.Addr(), tt.wantAddr)
			}
			if got.Secure() != tt.wantSecure {
				t.Errorf("Secure() = %v; want %v", got.Secure(), tt.wantSecure)
			}
			if got.Embedded() != tt.wantEmbed {
				t.Errorf("Embedded() = %v; want %v", got.Embedded(), tt.wantEmbed)
			}
		})
	}
}

// TestHelpShowsDefaults checks the default PrintHelp shows for a variable is
// the one Load uses: loading the shown default gives the same config as
// loading nothing.
func TestHelpShowsDefaults(t *testing.T) {
	var b bytes.Buffer
	config.PrintHelp(&b)
	base, err := config.Load(env(nil))
	if err != nil {
		t.Fatalf("Load(empty) = %v", err)
	}
	sc := bufio.NewScanner(&b)
	n := 0
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if !strings.HasPrefix(sc.Text(), "  ") || len(fields) < 2 || fields[1] == "(unset)" {
			continue
		}
		n++
		name, def := fields[0], fields[1]
		got, err := config.Load(env(map[string]string{name: def}))
		if err != nil {
			t.Errorf("Load(%s=%q), the default PrintHelp shows = %v", name, def, err)
			continue
		}
		if diff := cmp.Diff(base, got); diff != "" {
			t.Errorf("Load(%s=%q), the default PrintHelp shows, differs from the default (-default +got):\n%s", name, def, diff)
		}
	}
	if n == 0 {
		t.Error("PrintHelp shows no default at all")
	}
}

// Secrets used by the masking tests: none may appear in any rendering.
const (
	maskedJWT      = "jwt-secret-that-must-never-be-printed-0123456789"
	maskedPassword = "mongo-password-never-printed"
	maskedKeyPass  = "tls-key-password-never-printed"
	maskedSMTPPass = "smtp-password-never-printed"
	maskedAtRest   = "encryption-key-that-must-never-be-printed-0123"
)

func secretConfig(t *testing.T) config.Config {
	t.Helper()
	cfg, err := config.Load(env(map[string]string{
		"ENV":            config.Production,
		"JWT_SECRET":     maskedJWT,
		"ENCRYPTION_KEY": maskedAtRest,
		"MONGODB_URI":    "mongodb://listo:" + maskedPassword + "@db.example.com:27017/?authSource=admin&tlsCertificateKeyFilePassword=" + maskedKeyPass,
		"SMTP_URL":       "smtp://mailer:" + maskedSMTPPass + "@smtp.example.com:587",
		"PUBLIC_URL":     "https://todo.example.com",
	}))
	if err != nil {
		t.Fatalf("Load = %v", err)
	}
	if cfg.JWTSecret != maskedJWT || !strings.Contains(cfg.MongoURI, maskedPassword) || !strings.Contains(cfg.SMTPURL, maskedSMTPPass) {
		t.Fatalf("Load did not keep the secrets: %+v", cfg.LogValue())
	}
	return cfg
}

func TestConfigMasksSecrets(t *testing.T) {
	cfg := secretConfig(t)
	var text, json bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("start", "config", cfg)
	slog.New(slog.NewJSONHandler(&json, nil)).Info("start", "config", cfg)
	renderings := map[string]string{
		"slog text": text.String(),
		"slog json": json.String(),
		"%v":        fmt.Sprintf("%v", cfg),
		"%+v":       fmt.Sprintf("%+v", cfg),
		"%s":        cfg.String(), // what fmt's %s prints for a Stringer
		"%#v":       fmt.Sprintf("%#v", cfg),
		"Println":   fmt.Sprintln(cfg),
		"*Config":   fmt.Sprintf("%v", &cfg),
	}
	for how, s := range renderings {
		for _, secret := range []string{maskedJWT, maskedPassword, maskedKeyPass, maskedSMTPPass, maskedAtRest} {
			if strings.Contains(s, secret) {
				t.Errorf("config printed with %s shows a secret: %s", how, s)
			}
		}
		// What is safe to show is shown: the user and host of the URI,
		// and that a secret is set.
		for _, want := range []string{"listo@db.example.com", "authSource=admin", "production", "smtp://mailer@smtp.example.com:587", "https://todo.example.com"} {
			if !strings.Contains(s, want) {
				t.Errorf("config printed with %s = %s; want it to contain %q", how, s, want)
			}
		}
	}
	for _, want := range []string{`"jwt_secret_set":true`, `"encryption_key_set":true`} {
		if !strings.Contains(json.String(), want) {
			t.Errorf("slog json = %s; want it to contain %s", json.String(), want)
		}
	}
}

func TestConfigMasksPasswordsInEveryURIShape(t *testing.T) {
	tests := []struct{ uri, want string }{
		{"mongodb://listo:" + maskedPassword + "@db1:27017,db2:27017/?replicaSet=rs0", "mongodb_uri=mongodb://listo@db1:27017,db2:27017/?replicaSet=rs0"},
		{"mongodb+srv://listo:" + maskedPassword + "@cluster.example.com/listo?authMechanismProperties=AWS_SESSION_TOKEN:" + maskedKeyPass, "mongodb_uri=mongodb+srv://listo@cluster.example.com/listo?authMechanismProperties=xxxxx"},
		{"mongodb://listo:" + maskedPassword + "@db:27017/%zz", "mongodb_uri=(unparsable)"},
	}
	for _, tt := range tests {
		cfg, err := config.Load(env(map[string]string{"MONGODB_URI": tt.uri}))
		if err != nil {
			t.Fatalf("Load(MONGODB_URI=%q) = %v", tt.uri, err)
		}
		for how, s := range map[string]string{"%v": fmt.Sprintf("%v", cfg), "LogValue": cfg.LogValue().String()} {
			if strings.Contains(s, maskedPassword) || strings.Contains(s, maskedKeyPass) || !strings.Contains(s, tt.want) {
				t.Errorf("config with MONGODB_URI=%q printed with %s = %s; want %s and no secret", tt.uri, how, s, tt.want)
			}
		}
	}
}

func TestLogValueOfTheEmbeddedDatabase(t *testing.T) {
	cfg, err := config.Load(env(nil))
	if err != nil {
		t.Fatalf("Load = %v", err)
	}
	got := map[string]string{}
	for _, a := range cfg.LogValue().Group() {
		got[a.Key] = a.Value.String()
	}
	for k, want := range map[string]string{"mongodb_uri": "(embedded)", "jwt_secret_set": "false", "env": "development", "addr": "127.0.0.1:8080"} {
		if got[k] != want {
			t.Errorf("LogValue()[%s] = %q; want %q", k, got[k], want)
		}
	}
}

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		url  string
		want config.SMTPServer
	}{
		{"smtp://user:pass@mail.example.com:587", config.SMTPServer{Host: "mail.example.com", Port: 587, Username: "user", Password: "pass", Security: config.SMTPStartTLS}},
		{"smtp://mail.example.com", config.SMTPServer{Host: "mail.example.com", Port: 587, Security: config.SMTPStartTLS}},
		{"smtp://mail.example.com:25?tls=starttls", config.SMTPServer{Host: "mail.example.com", Port: 25, Security: config.SMTPStartTLS}},
		{"smtps://mail.example.com", config.SMTPServer{Host: "mail.example.com", Port: 465, Security: config.SMTPImplicitTLS}},
		{"smtps://apikey:s3cr%2Ft%40x@smtp.example.com:2465/", config.SMTPServer{Host: "smtp.example.com", Port: 2465, Username: "apikey", Password: "s3cr/t@x", Security: config.SMTPImplicitTLS}},
		{"smtp://mailpit:1025?tls=none", config.SMTPServer{Host: "mailpit", Port: 1025, Security: config.SMTPPlain}},
		{"smtp://u:p@ss@[::1]:1025?tls=none", config.SMTPServer{Host: "::1", Port: 1025, Username: "u", Password: "p@ss", Security: config.SMTPPlain}},
	}
	for _, tt := range tests {
		got, err := config.ParseSMTPURL(tt.url)
		if err != nil {
			t.Errorf("ParseSMTPURL(%q) = %v; want no error", tt.url, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseSMTPURL(%q) (-want +got):\n%s", tt.url, diff)
		}
	}
}

func TestSMTPServerHidesItsPassword(t *testing.T) {
	s, err := config.ParseSMTPURL("smtp://mailer:" + maskedSMTPPass + "@[::1]:1025?tls=none")
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("smtp", "server", s)
	want := "smtp://mailer@[::1]:1025?tls=none"
	for how, got := range map[string]string{"%v": fmt.Sprintf("%v", s), "%+v": fmt.Sprintf("%+v", s), "%#v": fmt.Sprintf("%#v", s), "slog": text.String()} {
		if strings.Contains(got, maskedSMTPPass) || !strings.Contains(got, want) {
			t.Errorf("SMTPServer printed with %s = %s; want %s and no password", how, got, want)
		}
	}
}

func TestLoadProductionWithSMTPNeedsPublicURL(t *testing.T) {
	base := map[string]string{"ENV": config.Production, "JWT_SECRET": secret32, "SMTP_URL": "smtp://mailer:" + maskedSMTPPass + "@smtp.example.com"}
	_, err := config.Load(env(base))
	if err == nil || !strings.Contains(err.Error(), "PUBLIC_URL is required") || strings.Contains(err.Error(), maskedSMTPPass) {
		t.Errorf("Load(production, SMTP_URL, no PUBLIC_URL) = %v; want PUBLIC_URL is required, without the password", err)
	}
	// A bad PUBLIC_URL is reported once, as bad, not also as missing.
	base["PUBLIC_URL"] = "todo.example.com"
	_, err = config.Load(env(base))
	if err == nil || strings.Contains(err.Error(), "PUBLIC_URL is required") || !strings.Contains(err.Error(), `PUBLIC_URL="todo.example.com"`) {
		t.Errorf("Load(production, SMTP_URL, PUBLIC_URL=todo.example.com) = %v; want only the bad value reported", err)
	}
	base["PUBLIC_URL"] = "https://todo.example.com/"
	cfg, err := config.Load(env(base))
	if err != nil || cfg.PublicURL != "https://todo.example.com" {
		t.Errorf("Load(production, SMTP_URL, PUBLIC_URL) = %q, %v; want https://todo.example.com", cfg.PublicURL, err)
	}
	// Without SMTP_URL, production needs no PUBLIC_URL: no mail, no link.
	cfg, err = config.Load(env(map[string]string{"ENV": config.Production, "JWT_SECRET": secret32}))
	if err != nil || cfg.PublicURL != "" || cfg.SMTPURL != "" {
		t.Errorf("Load(production, no SMTP_URL) = %+v, %v; want no error, no PUBLIC_URL", cfg, err)
	}
}

func TestPublicURLDefaultsToTheListenAddressInDevelopment(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "http://127.0.0.1:8080"},
		{map[string]string{"HOST": "::", "PORT": "9000"}, "http://localhost:9000"},
		{map[string]string{"HOST": "::1"}, "http://[::1]:8080"},
		{map[string]string{"PUBLIC_URL": "http://todo.test:8080/"}, "http://todo.test:8080"},
		{map[string]string{"PORT": "0"}, ""}, // known only once the app listens
	}
	for _, tt := range tests {
		cfg, err := config.Load(env(tt.env))
		if err != nil || cfg.PublicURL != tt.want {
			t.Errorf("Load(%v).PublicURL = %q, %v; want %q", tt.env, cfg.PublicURL, err, tt.want)
		}
	}
}

func TestAtRestKey(t *testing.T) {
	cfg, err := config.Load(env(map[string]string{"JWT_SECRET": secret32}))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(cfg.AtRestKey()); got != secret32 {
		t.Errorf("AtRestKey() without ENCRYPTION_KEY = %q; want JWT_SECRET", got)
	}
	cfg, err = config.Load(env(map[string]string{"JWT_SECRET": secret32, "ENCRYPTION_KEY": maskedAtRest}))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(cfg.AtRestKey()); got != maskedAtRest {
		t.Errorf("AtRestKey() = %q; want ENCRYPTION_KEY", got)
	}
}

func TestRelyingParty(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		rpID    string
		origins []string
	}{
		{"development", map[string]string{}, "localhost", []string{"http://localhost:8080"}},
		{"development on localhost", map[string]string{"HOST": "0.0.0.0"}, "localhost", []string{"http://localhost:8080"}},
		{"the host of PUBLIC_URL", map[string]string{"PUBLIC_URL": "https://Todo.Example.com/app"}, "todo.example.com", []string{"https://todo.example.com"}},
		{"PUBLIC_URL with an IP address in development", map[string]string{"PUBLIC_URL": "http://192.0.2.7:8080"}, "localhost", []string{"http://localhost:8080"}},
		{"production", map[string]string{"ENV": config.Production, "JWT_SECRET": secret32, "PUBLIC_URL": "https://todo.example.com"}, "todo.example.com", []string{"https://todo.example.com"}},
		{"production without PUBLIC_URL: off", map[string]string{"ENV": config.Production, "JWT_SECRET": secret32}, "", nil},
		{"set", map[string]string{"PUBLIC_URL": "https://todo.example.com", "WEBAUTHN_RP_ID": "example.com"}, "example.com", []string{"https://todo.example.com"}},
		{"origins set", map[string]string{"WEBAUTHN_RP_ID": "example.com", "WEBAUTHN_ORIGINS": "https://a.example.com,https://b.example.com:8443"}, "example.com", []string{"https://a.example.com", "https://b.example.com:8443"}},
		{"PUBLIC_URL off the RP ID", map[string]string{"PUBLIC_URL": "https://todo.example.org", "WEBAUTHN_RP_ID": "example.com"}, "example.com", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.WebAuthnRPID != tt.rpID {
				t.Errorf("WebAuthnRPID = %q; want %q", cfg.WebAuthnRPID, tt.rpID)
			}
			if diff := cmp.Diff(tt.origins, cfg.RelyingPartyOrigins()); diff != "" {
				t.Errorf("RelyingPartyOrigins() (-want +got):\n%s", diff)
			}
		})
	}
	// PORT=0: the app fills PUBLIC_URL in once it listens.
	cfg, err := config.Load(env(map[string]string{"PORT": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL = "http://127.0.0.1:41234"
	if diff := cmp.Diff([]string{"http://localhost:41234"}, cfg.RelyingPartyOrigins()); diff != "" {
		t.Errorf("RelyingPartyOrigins() with PORT=0 (-want +got):\n%s", diff)
	}
}

func TestEmbeddedCacheBytes(t *testing.T) {
	for _, c := range []struct {
		mb   string
		want int64
	}{{"", 64 << 20}, {"8", 8 << 20}, {"0", -1}, {"1048576", 1 << 40}} {
		cfg, err := config.Load(env(map[string]string{"EMBEDDED_CACHE_MB": c.mb}))
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.EmbeddedCacheBytes(); got != c.want {
			t.Errorf("EMBEDDED_CACHE_MB=%q: EmbeddedCacheBytes() = %d; want %d", c.mb, got, c.want)
		}
	}
}

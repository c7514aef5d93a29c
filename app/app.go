// Package app wires Listo together: configuration, logger, store, token
// service, middleware and routes, the HTTP server and its graceful stop, and
// the command-line subcommands. main only calls Run.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"listo/account"
	"listo/auth"
	"listo/config"
	"listo/controllers"
	"listo/dist"
	"listo/events"
	"listo/mail"
	"listo/metrics"
	"listo/middleware"
	"listo/ratelimit"
	"listo/schemas"
	"listo/store"
)

// MaxBodyBytes bounds every request body but those of the routes in
// bodyLimits.
const MaxBodyBytes = 1 << 20

// Options are what tests (and the benchmark harness) may change; the zero
// value is production.
type Options struct {
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Version is reported by the version subcommand and the logs.
	Version string
	// Metrics, when set, is fed by every request, bcrypt hash, database
	// operation and account event. Start makes one when METRICS_ADDR is set.
	Metrics *metrics.Metrics
}

type limiter = *ratelimit.Keyed

// App is one configured Listo: its handler and what it owns.
type App struct {
	cfg      config.Config
	log      *slog.Logger
	store    *store.Store
	now      func() time.Time
	tokens   *auth.Tokens
	checker  *auth.Checker
	csrf     *auth.CSRF
	hasher   *auth.Hasher
	accounts *account.Service
	mailer   *mail.Mailer
	hub      *events.Hub
	handlers handlers
	static   *controllers.Static
	events   account.Events
	limits   struct{ auth, register, refresh, todoWrites, forgot, pats limiter }
	handler  http.Handler
}

// handlers are the HTTP handlers, one per feature.
type handlers struct {
	health     *controllers.Health
	register   *controllers.Register
	login      *controllers.Login
	refresh    *controllers.Refresh
	logout     *controllers.Logout
	me         *controllers.Me
	mfa        *controllers.MFA
	secondStep *controllers.SecondStep
	mfaAdmin   *controllers.MFAAdmin
	passkeys   *controllers.Passkeys
	passkeyIn  *controllers.PasskeyLogin
	devices    *controllers.Devices
	usersAdmin *controllers.UsersAdmin
	todos      *controllers.Todos
	recovery   *controllers.Recovery
	emailLinks *controllers.EmailLinks
	events     *controllers.Events
	apiDocs    *controllers.APIDocs
	pats       *controllers.PATs
	export     *controllers.Export
	imports    *controllers.Import
}

// sessionCacheTTL is how long the session check caches an answer:
// SESSION_CACHE_TTL bounds how late a change made by another instance is
// seen, and the embedded database has no other writer, so there a cached
// answer lasts until this process changes what it says (0 still turns
// the cache off).
func sessionCacheTTL(cfg config.Config, st *store.Store) time.Duration {
	if cfg.SessionCache > 0 && st.SoleWriter() {
		return auth.UntilForgotten
	}
	return cfg.SessionCache
}

// New builds the application on an open store.
func New(cfg config.Config, st *store.Store, log *slog.Logger, o Options) (*App, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	validator, err := schemas.New()
	if err != nil {
		return nil, err
	}
	static, err := controllers.NewStatic(dist.Files)
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log, store: st, now: now, static: static}
	a.tokens = auth.NewTokens([]byte(cfg.JWTSecret), cfg.JWTIssuer, cfg.AccessTTL, now)
	a.checker = auth.NewChecker(st, sessionCacheTTL(cfg, st), now, 100_000)
	var _ auth.PATSource = st // the checker reads personal access tokens from its source
	a.csrf = auth.NewCSRF([]byte(cfg.JWTSecret))
	a.hasher = auth.NewHasher(cfg.BcryptCost, cfg.BcryptSlots, cfg.BcryptWait)
	if m := o.Metrics; m != nil {
		a.hasher.ObserveWait, a.hasher.ObserveRunning = m.ObserveBcryptWait, m.BcryptRunning
		a.events = account.Events{
			SessionCreated: m.SessionCreated, SessionsRevoked: m.SessionsRevoked,
			ReuseDetected: m.ReuseDetected, RateLimited: m.RateLimited,
		}
	}
	a.limits.auth = ratelimit.NewKeyed(cfg.RateAuthPerMinute, time.Minute, now)
	a.limits.register = ratelimit.NewKeyed(cfg.RateRegisterPerMinute, time.Minute, now)
	a.limits.refresh = ratelimit.NewKeyed(cfg.RateRefreshPerMinute, time.Minute, now)
	a.limits.todoWrites = ratelimit.NewKeyedRate(cfg.RateTodoWritesPerSec, cfg.RateTodoWritesBurst, now)
	a.limits.forgot = ratelimit.NewKeyed(cfg.RateForgotPerHour, time.Hour, now)
	a.limits.pats = ratelimit.NewKeyed(cfg.RatePATPerMinute, time.Minute, now)
	if a.mailer, err = mail.New(mail.OptionsFrom(cfg), log); err != nil {
		return nil, err
	}
	a.hub = newHub(cfg, now, o.Metrics)
	mfa, err := account.NewMFAConfig(cfg.AtRestKey(), "Listo")
	if err != nil {
		return nil, err
	}
	if mfa.Passkeys, err = passkeys(cfg, log); err != nil {
		return nil, err
	}
	a.accounts = account.New(account.Config{
		Store: st, Cache: a.checker, Tokens: a.tokens, Hasher: a.hasher,
		Refresh:    auth.NewRefreshTokens([]byte(cfg.JWTSecret)),
		Policy:     auth.NewPasswordPolicy(),
		Failures:   ratelimit.NewFailures(cfg.AuthFailureMax, cfg.AuthFailureWindow, now),
		Now:        now,
		RefreshTTL: cfg.RefreshTTL,
		Events:     a.events,
		Changes:    changes{a.hub, st, now, log},

		Mailer:          a.mailer,
		PublicURL:       cfg.PublicURL,
		MailCap:         ratelimit.NewKeyed(cfg.MailPerEmailPerHour, time.Hour, now),
		RequireVerified: cfg.RequireVerifiedEmail,
		NotifyNewDevice: cfg.NotifyNewDevice,
		Log:             log,
		MFA:             mfa,
	})
	cookies := controllers.Cookies{Secure: cfg.Secure(), AccessTTL: cfg.AccessTTL, CSRF: a.csrf, Now: now}
	a.handlers = handlers{
		health:     &controllers.Health{DB: st},
		register:   &controllers.Register{Accounts: a.accounts, Validate: validator},
		login:      &controllers.Login{Accounts: a.accounts, Validate: validator, Cookies: cookies},
		refresh:    &controllers.Refresh{Accounts: a.accounts, Validate: validator, Cookies: cookies},
		logout:     &controllers.Logout{Accounts: a.accounts, Cookies: cookies},
		me:         &controllers.Me{Accounts: a.accounts, MFA: a.accounts, Validate: validator, Cookies: cookies},
		mfa:        &controllers.MFA{Accounts: a.accounts, Validate: validator},
		secondStep: &controllers.SecondStep{Accounts: a.accounts, Validate: validator, Cookies: cookies},
		mfaAdmin:   &controllers.MFAAdmin{Accounts: a.accounts},
		passkeys:   &controllers.Passkeys{Accounts: a.accounts, Validate: validator},
		passkeyIn:  &controllers.PasskeyLogin{Accounts: a.accounts, Validate: validator, Cookies: cookies},
		devices:    &controllers.Devices{Sessions: st, Accounts: a.accounts, Now: now},
		usersAdmin: &controllers.UsersAdmin{Users: st, Accounts: a.accounts, Validate: validator},
		recovery:   &controllers.Recovery{Accounts: a.accounts, Validate: validator},
		emailLinks: &controllers.EmailLinks{Accounts: a.accounts, Validate: validator},
		events:     &controllers.Events{Hub: a.hub, Live: liveCheck{a.checker}, Now: now, Ping: cfg.EventsPing, Log: log},
		apiDocs:    controllers.NewAPIDocs(static),
		pats:       &controllers.PATs{Accounts: a.accounts, Validate: validator},
		export:     &controllers.Export{Store: st, Now: now, Log: log},
		imports: &controllers.Import{Store: st, Validate: validator, Now: now, MaxTodos: cfg.MaxTodosPerUser,
			Changes: changes{a.hub, st, now, log}},
		todos: &controllers.Todos{Store: st, Validate: validator, Now: now, Log: log, MaxTodos: cfg.MaxTodosPerUser,
			Changes: changes{a.hub, st, now, log}},
	}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	r.ContextWithFallback = true
	if err := r.SetTrustedProxies(cfg.TrustedProxy); err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	crossOrigin, err := middleware.CrossOrigin(cfg.CORSOrigins)
	if err != nil {
		return nil, err
	}
	if o.Metrics != nil {
		r.Use(o.Metrics.Middleware()) // first: it times the whole chain
	}
	r.Use(
		middleware.RequestID(),
		middleware.AccessLog(log),
		middleware.SecurityHeaders(cfg.Env == config.Production),
		middleware.Problems(log),
		middleware.Recovery(log),
		middleware.CORS(cfg.CORSOrigins),
		crossOrigin,
		middleware.BodyLimits(MaxBodyBytes, bodyLimits()),
		middleware.RequireJSON(),
	)
	a.routes(r)
	if err := a.handlers.apiDocs.Describe(r.Routes(), log); err != nil {
		return nil, err
	}
	a.benchRoutes(r) // GET /bench/ceiling with -tags bench only
	a.handler = r
	return a, nil
}

// close stops what the app runs in the background: the bcrypt workers,
// the account service's jobs and the mail queue (bounded by ctx and the
// mailer's own wait).
func (a *App) close(ctx context.Context) {
	a.hasher.Close()
	a.accounts.Close()
	a.mailer.Close(ctx)
}

// Handler is the whole HTTP API and SPA.
func (a *App) Handler() http.Handler { return a.handler }

// Server is a running Listo: its listener, HTTP server and store.
type Server struct {
	App  *App
	Addr string // host:port it listens on
	// MetricsAddr is the host:port of the /metrics and /debug/pprof
	// listener; empty when METRICS_ADDR is not set.
	MetricsAddr string
	srv         *http.Server
	metrics     *http.Server // nil when MetricsAddr is empty
	done        chan error
	stop        context.CancelFunc
	store       *store.Store
	background  chan struct{} // closed when the background loop has returned

	shutdownOnce sync.Once
	shutdownErr  error
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.Addr }

// Start opens the store, builds the app and serves on cfg.Addr() until
// Shutdown. It is what Run does, minus the signal handling, so tests run the
// real program in-process.
func Start(ctx context.Context, cfg config.Config, log *slog.Logger, o Options) (*Server, error) {
	if cfg.JWTSecret == "" {
		secret, err := developmentSecret(cfg.DataDir)
		if err != nil {
			return nil, err
		}
		cfg.JWTSecret = secret
	}
	if cfg.MetricsAddr != "" && o.Metrics == nil {
		o.Metrics = metrics.New()
	}
	var observe func(op string, d time.Duration, err error)
	if o.Metrics != nil {
		observe = o.Metrics.ObserveDB
	}
	st, err := store.Open(ctx, store.Options{
		URI: cfg.MongoURI, Database: cfg.MongoDB, DataDir: cfg.DataDir, Timeout: cfg.DBTimeout, Logger: log,
		Observe: observe, CacheBytes: cfg.EmbeddedCacheBytes(),
	})
	if err != nil {
		return nil, err
	}
	if o.Metrics != nil && st.CacheStats().Enabled {
		watchCache(o.Metrics, st, log)
	}
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		_ = st.Close(context.Background())
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr(), err)
	}
	if cfg.PublicURL == "" && cfg.Env == config.Development {
		// PORT=0: the links in mails point where this listener really is.
		cfg.PublicURL = "http://" + ln.Addr().String()
	}
	a, err := New(cfg, st, log, o)
	if err != nil {
		_ = ln.Close()
		_ = st.Close(context.Background())
		return nil, err
	}
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			_ = ln.Close()
			a.close(context.Background())
			_ = st.Close(context.Background())
			return nil, fmt.Errorf("listen on METRICS_ADDR %s: %w", cfg.MetricsAddr, err)
		}
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{
		App: a, Addr: ln.Addr().String(), store: st, done: make(chan error, 1), stop: stop,
		srv: &http.Server{
			Handler:           a.handler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
	}
	if mln != nil {
		s.MetricsAddr = mln.Addr().String()
		// The write timeout leaves room for a 30-second CPU profile
		// (/debug/pprof/profile?seconds=30, with PPROF=true).
		s.metrics = &http.Server{
			Handler:           o.Metrics.Handler(cfg.Pprof),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      45 * time.Second,
			IdleTimeout:       120 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		go func() { _ = s.metrics.Serve(mln) }()
		log.Info("metrics and pprof listening", "addr", s.MetricsAddr)
	}
	s.background = make(chan struct{})
	go func() {
		defer close(s.background)
		followed := a.followChanges(bg)
		a.background(bg)
		<-followed
	}()
	go func() { s.done <- s.srv.Serve(ln) }()
	log.Info("listo started", "addr", s.Addr, "version", o.Version, "config", cfg)
	return s, nil
}

// background prepares the database and then cleans up stale sessions every
// ten minutes, until ctx ends.
func (a *App) background(ctx context.Context) {
	go a.hasher.Warm(ctx)
	for delay := 250 * time.Millisecond; ; delay = min(delay*2, 30*time.Second) {
		err := a.store.EnsureIndexes(ctx)
		if err == nil {
			break
		}
		a.log.Warn("database not ready; retrying", "error", err.Error(), "in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
	if n, err := a.store.MigrateUsers(ctx); err != nil {
		a.log.Warn("user migration failed; it runs again at the next start", "error", err.Error())
	} else if n > 0 {
		a.checker.ForgetAll()
		a.log.Info("users from before email verification marked verified", "users", n)
	}
	tick := time.NewTicker(10 * time.Minute)
	defer tick.Stop()
	for {
		now := a.now()
		n, err := a.store.DeleteExpiredLinkTokens(ctx, now)
		a.logCleanup("link token", n, err)
		n, err = a.store.DeleteExpiredPATs(ctx, now)
		a.logCleanup("personal access token", n, err)
		n, err = a.store.DeleteStaleSessions(ctx, now, now.Add(-24*time.Hour))
		a.logCleanup("session", n, err)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// logCleanup logs the outcome of the periodic cleanup named what: its
// failure, or how many documents it deleted when it deleted any.
func (a *App) logCleanup(what string, n int, err error) {
	if err != nil {
		a.log.Warn(what+" cleanup failed", "error", err.Error())
	} else if n > 0 {
		a.log.Info(what+" cleanup", "deleted", n)
	}
}

// Shutdown stops accepting requests, lets in-flight ones finish (bounded by
// ctx), then disconnects and stops the embedded database.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() {
		s.stop()
		// Event streams last until their token expires: end them first,
		// or the server's Shutdown would wait for them.
		s.App.hub.Close()
		if s.metrics != nil {
			_ = s.metrics.Close() // scrapes and profiles need no draining
		}
		err := s.srv.Shutdown(ctx)
		<-s.background // the cleanup loop uses the store: let it finish first
		s.App.close(ctx)
		if cerr := s.store.Close(ctx); err == nil {
			err = cerr
		}
		s.shutdownErr = err
	})
	return s.shutdownErr
}

// Store is the server's store, for tests that check what is stored.
func (s *Server) Store() *store.Store { return s.store }

// Done is closed with the serve error when the server stops serving.
func (s *Server) Done() <-chan error { return s.done }

// developmentSecret reads the JWT key kept in dataDir, creating it (0600)
// on first start, so development tokens survive restarts.
func developmentSecret(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "jwt-secret")
	if b, err := os.ReadFile(path); err == nil {
		if s := strings.TrimSpace(string(b)); len(s) >= 32 {
			return s, nil
		}
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("development JWT secret: %w", err)
	}
	var b [48]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	s := base64.RawURLEncoding.EncodeToString(b[:])
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("development JWT secret: %w", err)
	}
	return s, nil
}

// NewLogger builds the process logger from the configuration.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Run is the whole program: it dispatches the subcommand and, for the
// server, runs until ctx is cancelled (SIGINT/SIGTERM in main).
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, version string) error {
	cmd := ""
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "-h", "--help", "help":
		usage(stdout)
		return nil
	case "version", "--version":
		fmt.Fprintln(stdout, "listo", version)
		return nil
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "create-admin":
		return createAdmin(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "", "serve":
	default:
		usage(stderr)
		return fmt.Errorf("unknown command %q", cmd)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	// bcrypt workers run on low-priority OS threads that each hold a P
	// while they hash; one extra P per worker keeps every CPU's worth of P
	// for request handling. The kernel, not the Go scheduler, then decides
	// who gets a contended core, and it prefers requests.
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + cfg.BcryptSlots)
	log := NewLogger(cfg, stderr)
	s, err := Start(ctx, cfg, log, Options{Version: version})
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-s.Done():
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Listo: a todo web app with a serious account system.

Usage:
  listo                     serve the API and the web app
  listo create-admin EMAIL  create or promote an admin (password on stdin)
  listo healthcheck         exit 0 when the local server answers /healthz
  listo version             print the version
  listo --help              this text

`)
	config.PrintHelp(w)
}

// healthcheck is the Docker HEALTHCHECK: distroless images have no curl.
func healthcheck(ctx context.Context, getenv func(string) string) error {
	port := getenv("PORT")
	if port == "" {
		port = "8080"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: status %d", resp.StatusCode)
	}
	return nil
}

// Build is the hash that versions the SPA's asset URLs.
func (a *App) Build() string { return a.static.Build() }

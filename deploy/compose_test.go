package deploy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"listo/config"
)

// root is the repository root, where the deployment files live.
const root = ".."

// requiredSecrets are the variables that .env.example leaves empty and that
// docker-compose.prod.yml must refuse to start without.
var requiredSecrets = []string{"MONGO_INITDB_ROOT_PASSWORD", "JWT_SECRET"}

// loadCompose loads a compose file the way `docker compose` does, with env as
// the whole interpolation environment (the machine's is not consulted).
func loadCompose(t *testing.T, file string, env map[string]string, profiles ...string) (*types.Project, error) {
	t.Helper()
	wd, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	details := types.ConfigDetails{
		WorkingDir:  wd,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(wd, file)}},
		Environment: types.Mapping(env),
	}
	return loader.LoadWithContext(context.Background(), details, loader.WithProfiles(profiles))
}

func mustLoadCompose(t *testing.T, file string, env map[string]string, profiles ...string) *types.Project {
	t.Helper()
	p, err := loadCompose(t, file, env, profiles...)
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("service %q missing; have %v", name, slices.Sorted(maps.Keys(p.Services)))
	}
	return s
}

// env returns the value of an environment entry of s ("" when unset).
func env(s types.ServiceConfig, key string) string {
	if v := s.Environment[key]; v != nil {
		return *v
	}
	return ""
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// exampleEnv reads .env.example as Compose would read .env.
func exampleEnv(t *testing.T) map[string]string {
	t.Helper()
	m, err := dotenv.Read(filepath.Join(root, ".env.example"))
	if err != nil {
		t.Fatalf("read .env.example: %v", err)
	}
	return m
}

// prodEnv is .env.example with its secrets filled in, as an operator would.
func prodEnv(t *testing.T) map[string]string {
	t.Helper()
	m := exampleEnv(t)
	m["MONGO_INITDB_ROOT_PASSWORD"] = randomHex(t, 24)
	m["JWT_SECRET"] = randomHex(t, 32)
	return m
}

// appConfig loads Listo's configuration from a service's environment, as
// the program in the container would.
func appConfig(s types.ServiceConfig) (config.Config, error) {
	return config.Load(func(k string) string { return env(s, k) })
}

func assertHealthcheck(t *testing.T, s types.ServiceConfig, want ...string) {
	t.Helper()
	hc := s.HealthCheck
	if hc == nil || hc.Disable {
		t.Errorf("%s: no healthcheck", s.Name)
		return
	}
	if !slices.Equal([]string(hc.Test), want) {
		t.Errorf("%s: healthcheck test = %q; want %q", s.Name, hc.Test, want)
	}
	if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil {
		t.Errorf("%s: healthcheck without interval, timeout or retries", s.Name)
	}
}

func assertDependsHealthy(t *testing.T, s types.ServiceConfig, on string) {
	t.Helper()
	d, ok := s.DependsOn[on]
	if !ok {
		t.Errorf("%s: does not depend on %s", s.Name, on)
		return
	}
	if d.Condition != types.ServiceConditionHealthy {
		t.Errorf("%s: depends_on %s condition = %q; want %q", s.Name, on, d.Condition, types.ServiceConditionHealthy)
	}
}

// assertNamedVolume checks that s mounts the project's named volume at target.
func assertNamedVolume(t *testing.T, p *types.Project, s types.ServiceConfig, target string) {
	t.Helper()
	for _, v := range s.Volumes {
		if v.Target != target {
			continue
		}
		if v.Type != types.VolumeTypeVolume {
			t.Errorf("%s: %s is a %s mount; want a named volume", s.Name, target, v.Type)
		}
		if _, ok := p.Volumes[v.Source]; !ok {
			t.Errorf("%s: volume %q for %s is not declared under volumes", s.Name, v.Source, target)
		}
		return
	}
	t.Errorf("%s: nothing mounted at %s", s.Name, target)
}

var (
	mongoImage   = regexp.MustCompile(`^mongo:[0-9]+(\.[0-9]+)?$`)
	mailpitImage = regexp.MustCompile(`^axllent/mailpit:v[0-9]+\.[0-9]+(\.[0-9]+)?$`)
)

func TestDevCompose(t *testing.T) {
	p := mustLoadCompose(t, "docker-compose.yml", map[string]string{})

	if got, want := slices.Sorted(maps.Keys(p.Services)), []string{"app", "mailpit", "mongo"}; !slices.Equal(got, want) {
		t.Fatalf("services = %v; want %v", got, want)
	}
	app, mongo, mailpit := service(t, p, "app"), service(t, p, "mongo"), service(t, p, "mailpit")

	if app.Build == nil || filepath.Clean(app.Build.Context) != filepath.Clean(p.WorkingDir) {
		t.Errorf("app is not built from the repository root: build = %+v", app.Build)
	} else if df := app.Build.Dockerfile; df != "" && df != "Dockerfile" {
		t.Errorf("app build dockerfile = %q; want Dockerfile", df)
	}
	for k, want := range map[string]string{"ENV": "development", "HOST": "0.0.0.0", "PORT": "8080"} {
		if got := env(app, k); got != want {
			t.Errorf("app %s = %q; want %q", k, got, want)
		}
	}
	if u, err := url.Parse(env(app, "MONGODB_URI")); err != nil || u.Scheme != "mongodb" || u.Hostname() != "mongo" {
		t.Errorf("app MONGODB_URI = %q; want mongodb://mongo:...", env(app, "MONGODB_URI"))
	}
	assertDependsHealthy(t, app, "mongo")
	assertHealthcheck(t, app, "CMD", "/listo", "healthcheck")

	// Mail goes to the Mailpit catcher, in clear on the compose network,
	// and its links open the app where the browser finds it.
	if srv, err := config.ParseSMTPURL(env(app, "SMTP_URL")); err != nil ||
		srv != (config.SMTPServer{Host: "mailpit", Port: 1025, Security: config.SMTPPlain}) {
		t.Errorf("app SMTP_URL = %q (%v); want smtp://mailpit:1025?tls=none", env(app, "SMTP_URL"), err)
	}
	if got := env(app, "PUBLIC_URL"); got != "http://127.0.0.1:8080" {
		t.Errorf("app PUBLIC_URL = %q; want http://127.0.0.1:8080, where the app is published", got)
	}
	assertDependsHealthy(t, app, "mailpit")
	if cfg, err := appConfig(app); err != nil {
		t.Errorf("Listo refuses the app's environment: %v", err)
	} else if cfg.Env != config.Development || cfg.SMTPURL == "" {
		t.Errorf("app config = %v; want development with SMTP_URL", cfg)
	}
	if !mailpitImage.MatchString(mailpit.Image) {
		t.Errorf("mailpit image = %q; want axllent/mailpit:vN.M[.P]", mailpit.Image)
	}
	assertHealthcheck(t, mailpit, "CMD", "/mailpit", "readyz")
	var inbox bool
	for _, port := range mailpit.Ports {
		if port.Target == 8025 && port.Published == "8025" {
			inbox = true
		}
	}
	if !inbox {
		t.Errorf("mailpit does not publish its web inbox on 127.0.0.1:8025: %+v", mailpit.Ports)
	}

	var published bool
	for _, s := range p.Services {
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %s:%s->%d; development ports must be on 127.0.0.1 only", s.Name, port.HostIP, port.Published, port.Target)
			}
			if s.Name == "app" && port.Target == 8080 && port.Published == "8080" {
				published = true
			}
		}
	}
	if !published {
		t.Errorf("app does not publish 127.0.0.1:8080->8080: %+v", app.Ports)
	}

	if !mongoImage.MatchString(mongo.Image) {
		t.Errorf("mongo image = %q; want the official image with a pinned major version (mongo:N[.M])", mongo.Image)
	}
	assertNamedVolume(t, p, mongo, "/data/db")
	assertHealthcheck(t, mongo, "CMD", "mongosh", "--quiet", "--eval", "db.adminCommand('ping')")
}

func TestEnvExampleHasNoSecrets(t *testing.T) {
	m := exampleEnv(t)
	for _, k := range requiredSecrets {
		v, ok := m[k]
		if !ok {
			t.Errorf(".env.example does not list %s", k)
		} else if v != "" {
			t.Errorf(".env.example ships a value for %s; secrets must be left empty for the operator", k)
		}
	}
	if m["MONGO_INITDB_ROOT_USERNAME"] == "" {
		t.Error(".env.example has no MONGO_INITDB_ROOT_USERNAME")
	}
	// Optional, but listed (so Compose does not warn about an unset
	// variable) and empty: SMTP_URL may hold a password.
	for _, k := range []string{"SMTP_URL", "PUBLIC_URL"} {
		if v, ok := m[k]; !ok || v != "" {
			t.Errorf(".env.example %s = %q (listed: %v); want it listed and empty", k, v, ok)
		}
	}
}

func TestProdComposeRequiresSecrets(t *testing.T) {
	// As shipped (secrets empty), compose must refuse to load.
	if _, err := loadCompose(t, "docker-compose.prod.yml", exampleEnv(t)); err == nil {
		t.Fatal("docker-compose.prod.yml loaded with the empty secrets of .env.example; want an error")
	}
	// Each secret missing on its own is named in the error.
	for _, k := range append([]string{"MONGO_INITDB_ROOT_USERNAME"}, requiredSecrets...) {
		for _, unset := range []bool{false, true} {
			e := prodEnv(t)
			if unset {
				delete(e, k)
			} else {
				e[k] = ""
			}
			_, err := loadCompose(t, "docker-compose.prod.yml", e)
			if err == nil || !strings.Contains(err.Error(), k) {
				t.Errorf("load with %s unset=%v: err = %v; want an error naming %s", k, unset, err, k)
			}
		}
	}
}

func TestProdCompose(t *testing.T) {
	e := prodEnv(t)
	p := mustLoadCompose(t, "docker-compose.prod.yml", e)

	if got, want := slices.Sorted(maps.Keys(p.Services)), []string{"app", "mongo"}; !slices.Equal(got, want) {
		t.Errorf("services without a profile = %v; want %v", got, want)
	}
	app, mongo := service(t, p, "app"), service(t, p, "mongo")

	// app
	for k, want := range map[string]string{
		"ENV":        "production",
		"HOST":       "0.0.0.0",
		"PORT":       "8080",
		"JWT_SECRET": e["JWT_SECRET"],
	} {
		if got := env(app, k); got != want {
			t.Errorf("app %s = %q; want %q", k, got, want)
		}
	}
	u, err := url.Parse(env(app, "MONGODB_URI"))
	if err != nil {
		t.Fatalf("app MONGODB_URI: %v", err)
	}
	pass, _ := u.User.Password()
	if u.Scheme != "mongodb" || u.Host != "mongo:27017" || u.User.Username() != e["MONGO_INITDB_ROOT_USERNAME"] ||
		pass != e["MONGO_INITDB_ROOT_PASSWORD"] || u.Query().Get("authSource") != "admin" || u.Query().Get("replicaSet") != replicaSet {
		t.Errorf("app MONGODB_URI = %q; want mongodb://<root user>:<root password>@mongo:27017/?authSource=admin&replicaSet=%s from .env", u.Redacted(), replicaSet)
	}
	if !app.ReadOnly {
		t.Error("app: read_only is not set")
	}
	if !slices.ContainsFunc(app.Tmpfs, func(s string) bool { return strings.Split(s, ":")[0] == "/tmp" }) {
		t.Errorf("app: tmpfs = %q; want /tmp", app.Tmpfs)
	}
	if d := env(app, "DATA_DIR"); !strings.HasPrefix(d, "/tmp/") {
		t.Errorf("app DATA_DIR = %q; want a folder on the /tmp tmpfs (the root filesystem is read-only)", d)
	}
	if !slices.Contains(app.CapDrop, "ALL") {
		t.Errorf("app: cap_drop = %q; want ALL", app.CapDrop)
	}
	if !slices.ContainsFunc(app.SecurityOpt, func(s string) bool { return strings.HasPrefix(s, "no-new-privileges") }) {
		t.Errorf("app: security_opt = %q; want no-new-privileges", app.SecurityOpt)
	}
	for _, port := range app.Ports {
		if port.HostIP != "127.0.0.1" {
			t.Errorf("app publishes %s:%s by default; want 127.0.0.1 (a proxy in front)", port.HostIP, port.Published)
		}
	}
	assertDependsHealthy(t, app, "mongo")
	assertHealthcheck(t, app, "CMD", "/listo", "healthcheck")

	// mongo
	if !mongoImage.MatchString(mongo.Image) {
		t.Errorf("mongo image = %q; want mongo:N[.M]", mongo.Image)
	}
	if len(mongo.Ports) > 0 || len(mongo.Expose) > 0 {
		t.Errorf("mongo publishes ports %+v (expose %v); want none", mongo.Ports, mongo.Expose)
	}
	assertReplicaSet(t, mongo)
	for _, k := range []string{"MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD"} {
		if got := env(mongo, k); got != e[k] {
			t.Errorf("mongo %s = %q; want the value from .env", k, got)
		}
	}
	for _, k := range []string{"JWT_SECRET", "SMTP_URL"} {
		if v, ok := mongo.Environment[k]; ok {
			t.Errorf("mongo receives %s (%v); it must not", k, v != nil)
		}
	}
	assertNamedVolume(t, p, mongo, "/data/db")
	for name := range mongo.Networks {
		if !p.Networks[name].Internal {
			t.Errorf("mongo is on network %q, which is not internal", name)
		}
	}

	// Rules for every service, including the optional proxy.
	pp := mustLoadCompose(t, "docker-compose.prod.yml", e, "https")
	for _, s := range pp.Services {
		if s.Restart != types.RestartPolicyUnlessStopped {
			t.Errorf("%s: restart = %q; want %q", s.Name, s.Restart, types.RestartPolicyUnlessStopped)
		}
		if s.Deploy == nil || s.Deploy.Resources.Limits == nil ||
			s.Deploy.Resources.Limits.MemoryBytes <= 0 || s.Deploy.Resources.Limits.NanoCPUs <= 0 {
			t.Errorf("%s: no cpu and memory limits under deploy.resources.limits", s.Name)
		}
		if s.Logging == nil || s.Logging.Driver != "json-file" || s.Logging.Options["max-size"] == "" || s.Logging.Options["max-file"] == "" {
			t.Errorf("%s: logging = %+v; want json-file with max-size and max-file", s.Name, s.Logging)
		}
		if s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) == 0 {
			t.Errorf("%s: no healthcheck", s.Name)
		}
		if strings.HasSuffix(s.Image, ":latest") && s.Build == nil || !strings.Contains(s.Image, ":") {
			t.Errorf("%s: image %q is not pinned", s.Name, s.Image)
		}
	}
}

// TestProdComposeMail checks that the mail settings come from .env, that
// Listo accepts what the app receives, and that mail stays optional.
// replicaSet is the name of the production MongoDB's replica set.
const replicaSet = "rs0"

// assertReplicaSet checks that the production MongoDB runs as a one-node
// replica set with authentication (change streams need a replica set;
// live events follow them): mongod with --auth, --replSet and a keyfile
// made once, random, in a volume, readable by mongod only; a healthcheck
// that authenticates from the container's environment, initiates the set
// with the member the app connects to, and is healthy only on a primary.
func assertReplicaSet(t *testing.T, mongo types.ServiceConfig) {
	t.Helper()
	script := strings.Join(append([]string(mongo.Entrypoint), mongo.Command...), " ")
	mongod := regexp.MustCompile(`(?m)^exec docker-entrypoint\.sh mongod (.*)$`).FindStringSubmatch(script)
	if mongod == nil {
		t.Fatalf("mongo: %q does not exec docker-entrypoint.sh mongod (the image's entrypoint creates the root user)", script)
	}
	args := strings.Fields(mongod[1])
	for _, want := range [][]string{{"--auth"}, {"--replSet", replicaSet}, {"--keyFile", `"$key"`}} {
		i := slices.Index(args, want[0])
		if i < 0 || (len(want) == 2 && (i+1 >= len(args) || args[i+1] != want[1])) {
			t.Errorf("mongod %s lacks %s", mongod[1], strings.Join(want, " "))
		}
	}
	for _, want := range []string{
		"key=/data/configdb/replica.key", // the mongo-config volume: made once
		`head -c 756 /dev/urandom | base64 -w0 > "$key"`,
		`if [ ! -s "$key" ]`,
		`chown mongodb:mongodb "$key"`,
		`chmod 400 "$key"`,
		"set -eu",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("mongo's start script lacks %q:\n%s", want, script)
		}
	}
	if !slices.Equal([]string(mongo.Entrypoint), []string{"bash", "-c"}) || len(mongo.Command) != 1 {
		t.Errorf("mongo entrypoint %q, command %q; want bash -c and one script", mongo.Entrypoint, mongo.Command)
	}

	hc := mongo.HealthCheck
	if hc == nil || len(hc.Test) != 5 || !slices.Equal([]string(hc.Test[:4]), []string{"CMD", "mongosh", "--quiet", "--eval"}) {
		t.Fatalf("mongo healthcheck = %+v; want CMD mongosh --quiet --eval <script>", hc)
	}
	js := hc.Test[4]
	for _, want := range []string{
		"db.getSiblingDB('admin').auth(process.env.MONGO_INITDB_ROOT_USERNAME, process.env.MONGO_INITDB_ROOT_PASSWORD)",
		"try { rs.status() } catch (e) { rs.initiate({_id: '" + replicaSet + "', members: [{_id: 0, host: 'mongo:27017'}]}) }",
		"if (!db.hello().isWritablePrimary) quit(1)",
	} {
		if !strings.Contains(js, want) {
			t.Errorf("mongo healthcheck %q lacks %q", js, want)
		}
	}
	if hc.Interval == nil || hc.Timeout == nil || hc.Retries == nil || hc.StartPeriod == nil {
		t.Errorf("mongo healthcheck without interval, timeout, retries or start_period")
	}
	for _, v := range mongo.Volumes {
		if v.Target == "/data/configdb" && v.Type == types.VolumeTypeVolume {
			return
		}
	}
	t.Error("mongo: /data/configdb (where the keyfile is kept) is not a named volume")
}

func TestProdComposeMail(t *testing.T) {
	t.Run("without SMTP_URL", func(t *testing.T) {
		app := service(t, mustLoadCompose(t, "docker-compose.prod.yml", prodEnv(t)), "app")
		for _, k := range []string{"SMTP_URL", "PUBLIC_URL", "MAIL_FROM"} {
			if got := env(app, k); got != "" {
				t.Errorf("app %s = %q with .env.example's values; want empty", k, got)
			}
		}
		cfg, err := appConfig(app)
		if err != nil {
			t.Fatalf("Listo refuses the app's environment: %v", err)
		}
		if cfg.SMTPURL != "" {
			t.Errorf("SMTP_URL = %q; want none (mail off, its flows answer 503)", cfg.SMTPURL)
		}
	})
	t.Run("with SMTP_URL", func(t *testing.T) {
		e := prodEnv(t)
		e["SMTP_URL"] = "smtp://listo:" + randomHex(t, 16) + "@smtp.example.com:587"
		e["PUBLIC_URL"] = "https://listo.example.com"
		e["MAIL_FROM"] = "Listo <no-reply@listo.example.com>"
		app := service(t, mustLoadCompose(t, "docker-compose.prod.yml", e), "app")
		for _, k := range []string{"SMTP_URL", "PUBLIC_URL", "MAIL_FROM"} {
			if got := env(app, k); got != e[k] {
				t.Errorf("app %s = %q; want %q from .env", k, got, e[k])
			}
		}
		cfg, err := appConfig(app)
		if err != nil {
			t.Fatalf("Listo refuses the app's environment: %v", err)
		}
		if cfg.SMTPURL != e["SMTP_URL"] || cfg.PublicURL != e["PUBLIC_URL"] || cfg.MailFrom != e["MAIL_FROM"] {
			t.Errorf("config = %v; want the mail settings of .env", cfg)
		}
	})
	t.Run("SMTP_URL without PUBLIC_URL stops Listo", func(t *testing.T) {
		e := prodEnv(t)
		e["SMTP_URL"] = "smtps://smtp.example.com"
		app := service(t, mustLoadCompose(t, "docker-compose.prod.yml", e), "app")
		if _, err := appConfig(app); err == nil || !strings.Contains(err.Error(), "PUBLIC_URL") {
			t.Errorf("Load(app env with SMTP_URL, no PUBLIC_URL) = %v; want an error naming PUBLIC_URL", err)
		}
	})
}

func TestProdComposeHTTPSProfile(t *testing.T) {
	e := prodEnv(t)
	p := mustLoadCompose(t, "docker-compose.prod.yml", e, "https")
	if got, want := slices.Sorted(maps.Keys(p.Services)), []string{"app", "caddy", "mongo"}; !slices.Equal(got, want) {
		t.Fatalf("services with profile https = %v; want %v", got, want)
	}
	app, caddy := service(t, p, "app"), service(t, p, "caddy")
	if !slices.Equal(caddy.Profiles, []string{"https"}) {
		t.Errorf("caddy profiles = %q; want [https]", caddy.Profiles)
	}
	assertDependsHealthy(t, caddy, "app")

	// The Caddyfile it mounts exists and proxies to the app.
	var caddyfile string
	for _, v := range caddy.Volumes {
		if v.Target == "/etc/caddy/Caddyfile" {
			caddyfile = v.Source
			if !v.ReadOnly {
				t.Error("caddy: Caddyfile mounted read-write; want :ro")
			}
		}
	}
	b, err := os.ReadFile(caddyfile)
	if err != nil {
		t.Fatalf("caddy mounts Caddyfile %q: %v", caddyfile, err)
	}
	if !regexp.MustCompile(`(?m)^\s*reverse_proxy\s+app:8080\b`).Match(b) {
		t.Errorf("%s has no `reverse_proxy app:8080`", caddyfile)
	}

	// The app trusts X-Forwarded-For from the proxy's fixed address, and
	// only from there.
	var shared bool
	for name, n := range caddy.Networks {
		if _, ok := app.Networks[name]; !ok {
			continue
		}
		shared = true
		if n == nil || n.Ipv4Address == "" {
			t.Fatalf("caddy has no fixed ipv4_address on network %q", name)
		}
		if got := env(app, "TRUSTED_PROXIES"); got != n.Ipv4Address {
			t.Errorf("app TRUSTED_PROXIES = %q; want caddy's address %q", got, n.Ipv4Address)
		}
		ip := net.ParseIP(n.Ipv4Address)
		var inSubnet bool
		for _, pool := range p.Networks[name].Ipam.Config {
			if _, cidr, err := net.ParseCIDR(pool.Subnet); err == nil && cidr.Contains(ip) {
				inSubnet = true
			}
		}
		if !inSubnet {
			t.Errorf("caddy address %s is not in network %q's subnet %+v", ip, name, p.Networks[name].Ipam.Config)
		}
		if _, ok := service(t, p, "mongo").Networks[name]; ok {
			t.Errorf("mongo is on the proxy network %q", name)
		}
	}
	if !shared {
		t.Fatal("caddy and app share no network")
	}

	// Moving the proxy moves the trust with it.
	e["LISTO_PROXY_SUBNET"] = "10.123.45.0/24"
	e["LISTO_PROXY_IP"] = "10.123.45.7"
	p = mustLoadCompose(t, "docker-compose.prod.yml", e, "https")
	if got := env(service(t, p, "app"), "TRUSTED_PROXIES"); got != "10.123.45.7" {
		t.Errorf("with LISTO_PROXY_IP=10.123.45.7, app TRUSTED_PROXIES = %q; want 10.123.45.7", got)
	}
}

// secretKey matches environment variable names whose values are secrets or
// may carry credentials.
var secretKey = regexp.MustCompile(`(?i)(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIAL|_URI|_URL|_DSN)`)

// interpolation matches one ${...} expression, nested ones included (up to
// two levels, enough for this file).
var interpolation = regexp.MustCompile(`\$\{(?:[^{}]|\$\{[^{}]*\})*\}`)

// requiredRef matches an expression with no default: ${NAME}, ${NAME?msg}
// or ${NAME:?msg}. A default (:- or -) would be a literal secret.
var requiredRef = regexp.MustCompile(`^\$\{[A-Za-z_][A-Za-z0-9_]*(:?\?[^}]*)?\}$`)

// TestProdComposeNoLiteralSecrets reads the raw file, before interpolation,
// and checks that every secret-looking environment value is only a
// reference to a variable without a default.
func TestProdComposeNoLiteralSecrets(t *testing.T) {
	wd, _ := filepath.Abs(root)
	model, err := loader.LoadModelWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  wd,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(wd, "docker-compose.prod.yml")}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) {
		o.SkipInterpolation = true
		o.SkipValidation = true
		o.SkipNormalization = true
		o.SkipResolveEnvironment = true
		o.SkipConsistencyCheck = true
		o.SetProjectName("listo", true)
	})
	if err != nil {
		t.Fatalf("load raw model: %v", err)
	}
	services, _ := model["services"].(map[string]any)
	if len(services) == 0 {
		t.Fatal("raw model has no services")
	}
	checked := map[string]bool{}
	for name, raw := range services {
		svc, _ := raw.(map[string]any)
		if _, ok := svc["env_file"]; ok {
			t.Errorf("%s: env_file hands every variable of the file to the container; pass each one explicitly", name)
		}
		for key, val := range rawEnvironment(t, svc["environment"]) {
			if !secretKey.MatchString(key) || val == nil {
				continue // nil: passed through from the environment, no value here
			}
			checked[name+"/"+key] = true
			v := *val
			refs := interpolation.FindAllString(v, -1)
			for _, r := range refs {
				if secretKey.MatchString(r) && !requiredRef.MatchString(r) {
					t.Errorf("%s: %s uses %s, which has a default: a default secret is a literal secret", name, key, r)
				}
			}
			rest := interpolation.ReplaceAllString(v, "")
			if strings.Contains(key, "URI") || strings.Contains(key, "URL") || strings.Contains(key, "DSN") {
				u, err := url.Parse(rest)
				if err != nil {
					t.Errorf("%s: %s = %q does not parse once variables are removed: %v", name, key, v, err)
					continue
				}
				if u.User != nil && strings.Trim(u.User.String(), ":") != "" {
					t.Errorf("%s: %s = %q has literal credentials %q", name, key, v, u.User.String())
				}
				continue
			}
			if rest != "" {
				t.Errorf("%s: %s = %q has literal text %q; want only ${VAR:?...}", name, key, v, rest)
			}
		}
	}
	for _, want := range []string{"app/JWT_SECRET", "app/MONGODB_URI", "app/SMTP_URL", "mongo/MONGO_INITDB_ROOT_PASSWORD"} {
		if !checked[want] {
			t.Errorf("%s was not checked (checked %v); the scan is not seeing the environment", want, slices.Sorted(maps.Keys(checked)))
		}
	}
}

// rawEnvironment turns a raw environment section (a mapping or a KEY=VALUE
// list) into key -> value, nil meaning "no value: taken from the environment".
func rawEnvironment(t *testing.T, raw any) map[string]*string {
	t.Helper()
	out := map[string]*string{}
	switch e := raw.(type) {
	case nil:
	case map[string]any:
		for k, v := range e {
			if v == nil {
				out[k] = nil
				continue
			}
			s, ok := v.(string)
			if !ok {
				t.Errorf("environment %s: value %v is a %T, not a string", k, v, v)
				continue
			}
			out[k] = &s
		}
	case []any:
		for _, item := range e {
			s, _ := item.(string)
			k, v, ok := strings.Cut(s, "=")
			if !ok {
				out[k] = nil
				continue
			}
			out[k] = &v
		}
	default:
		t.Errorf("environment is a %T", raw)
	}
	return out
}

func TestDockerignore(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for l := range strings.Lines(string(b)) {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, strings.TrimSuffix(strings.TrimPrefix(l, "/"), "/"))
		}
	}
	for _, want := range []string{".git", ".env", "data", "**/*.test", "**/*.out"} {
		if !slices.Contains(lines, want) {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
}

// TestCaddyfileStreamsEvents: the proxy compresses by an explicit list of
// types that leaves out text/event-stream, whose events a compressor would
// hold back (GET /events, live sync), and keeps compressing the rest.
func TestCaddyfileStreamsEvents(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "deploy", "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	inEncode, inMatch := false, false
	for l := range strings.Lines(string(b)) {
		f := strings.Fields(strings.SplitN(l, "#", 2)[0])
		switch {
		case len(f) == 0:
		case f[0] == "encode":
			if len(f) != 2 || f[1] != "{" {
				t.Errorf("encode line %q: want a block with a match of types (a bare encode compresses text/event-stream)", strings.TrimSpace(l))
			}
			inEncode = true
		case inEncode && f[0] == "match":
			inMatch = true
		case inMatch && f[0] == "}":
			inMatch = false
		case inEncode && f[0] == "}":
			inEncode = false
		case inMatch && len(f) == 3 && f[0] == "header" && f[1] == "Content-Type":
			types = append(types, f[2])
		case inMatch:
			t.Errorf("unexpected line in encode's match: %q", strings.TrimSpace(l))
		}
	}
	matches := func(pattern, ct string) bool {
		if p, ok := strings.CutSuffix(pattern, "*"); ok {
			return strings.HasPrefix(ct, p)
		}
		return pattern == ct
	}
	for _, ct := range []string{"text/event-stream", "text/event-stream; charset=utf-8"} {
		for _, p := range types {
			if matches(p, ct) {
				t.Errorf("encode compresses %s (matcher %s)", ct, p)
			}
		}
	}
	for _, ct := range []string{"text/html; charset=utf-8", "text/css; charset=utf-8", "text/javascript; charset=utf-8", "application/json; charset=utf-8", "application/problem+json", "image/svg+xml"} {
		if !slices.ContainsFunc(types, func(p string) bool { return matches(p, ct) }) {
			t.Errorf("encode does not compress %s; its types: %v", ct, types)
		}
	}
}

package deploy

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestImageBinary builds Listo with the Dockerfile's own `go build` command
// and runs it as the container would: production mode, configuration from
// the environment, health checked by `listo healthcheck`.
func TestImageBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGTERM")
	}
	bin := buildLikeDockerfile(t)

	t.Run("version", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, "version").CombinedOutput()
		if err != nil {
			t.Fatalf("listo version: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "test") {
			t.Errorf("listo version = %q; want the stamped version \"test\"", out)
		}
	})

	t.Run("prod compose passes every setting", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, "--help").CombinedOutput()
		if err != nil {
			t.Fatalf("listo --help: %v\n%s", err, out)
		}
		settings := helpVariable.FindAllStringSubmatch(string(out), -1)
		if len(settings) < 5 {
			t.Fatalf("found %d variables in listo --help; the format changed?\n%s", len(settings), out)
		}
		app := service(t, mustLoadCompose(t, "docker-compose.prod.yml", prodEnv(t)), "app")
		for _, m := range settings {
			if _, ok := app.Environment[m[1]]; !ok {
				t.Errorf("docker-compose.prod.yml: app does not set or pass through %s (from listo --help)", m[1])
			}
		}
	})

	t.Run("production without JWT_SECRET fails fast", func(t *testing.T) {
		for name, secret := range map[string]string{"missing": "", "too short": "0123456789abcdef"} {
			t.Run(name, func(t *testing.T) {
				env := []string{
					"ENV=production",
					"HOST=127.0.0.1",
					"PORT=" + strconv.Itoa(freePort(t)),
					"DATA_DIR=" + t.TempDir(),
					"MONGODB_URI=" + closedMongoURI(t),
					"JWT_SECRET=" + secret,
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, bin)
				cmd.Env = env
				start := time.Now()
				out, err := cmd.CombinedOutput()
				elapsed := time.Since(start)
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() == 0 || ctx.Err() != nil {
					t.Fatalf("listo with JWT_SECRET %s: err = %v; want a non-zero exit\n%s", name, err, out)
				}
				if elapsed > 5*time.Second {
					t.Errorf("listo took %v to refuse a bad JWT_SECRET; want under 5s", elapsed)
				}
				if !strings.Contains(string(out), "JWT_SECRET") {
					t.Errorf("listo output does not name JWT_SECRET:\n%s", out)
				}
			})
		}
	})

	t.Run("serves with the database down", func(t *testing.T) {
		port := freePort(t)
		env := []string{
			"ENV=production",
			"HOST=127.0.0.1",
			"PORT=" + strconv.Itoa(port),
			"DATA_DIR=" + t.TempDir(),
			"MONGODB_URI=" + closedMongoURI(t),
			"JWT_SECRET=" + rand.Text() + rand.Text()[:14], // 40 characters
			"LOG_FORMAT=json",
		}
		srv := startProcess(t, bin, env)
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		client := &http.Client{Timeout: 5 * time.Second}

		waitHealthy(t, srv, client, base+"/healthz", 30*time.Second)

		status, body, _ := get(t, client, base+"/healthz")
		var health struct{ Status string }
		if status != http.StatusOK || json.Unmarshal(body, &health) != nil || health.Status != "ok" {
			t.Errorf("GET /healthz = %d %s; want 200 {\"status\":\"ok\"}", status, body)
		}
		status, body, ctype := get(t, client, base+"/readyz")
		if status != http.StatusServiceUnavailable {
			t.Errorf("GET /readyz with MongoDB unreachable = %d %s; want 503", status, body)
		}
		if !strings.HasPrefix(ctype, "application/problem+json") {
			t.Errorf("GET /readyz Content-Type = %q; want application/problem+json", ctype)
		}

		if code, out := healthcheck(t, bin, env); code != 0 {
			t.Errorf("listo healthcheck on a live server exited %d; want 0\n%s", code, out)
		}

		if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-srv.done:
			if srv.err != nil {
				t.Errorf("listo after SIGTERM: %v; want a clean exit (0)\n%s", srv.err, srv.out.String())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("listo still running 10s after SIGTERM\n%s", srv.out.String())
		}

		if code, out := healthcheck(t, bin, env); code == 0 {
			t.Errorf("listo healthcheck on a stopped server exited 0; want non-zero\n%s", out)
		}
		if t.Failed() {
			t.Logf("server output:\n%s", srv.out.String())
		}
	})
}

// helpVariable matches a variable line of `listo --help`.
var helpVariable = regexp.MustCompile(`(?m)^\s+([A-Z][A-Z0-9_]+)\s`)

// buildLikeDockerfile runs the Dockerfile's `go build` command from the
// repository root, with VERSION=test and the output in a temporary folder.
func buildLikeDockerfile(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	gb := parseDockerfile(t).findGoBuild(t, map[string]string{"VERSION": "test"})
	bin := filepath.Join(t.TempDir(), "listo")
	args := []string{"build"}
	for i := 0; i < len(gb.args); i++ {
		if gb.args[i] == "-o" && i+1 < len(gb.args) {
			args = append(args, "-o", bin)
			i++
			continue
		}
		args = append(args, gb.args[i])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), gb.env...)
	t.Logf("%s go %s", strings.Join(gb.env, " "), strings.Join(args, " "))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}

// process is a running listo server.
type process struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed when it has exited; err is set then
	err  error
}

func startProcess(t *testing.T, bin string, env []string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// waitHealthy polls url until it answers 200, the process exits or the
// timeout passes.
func waitHealthy(t *testing.T, p *process, client *http.Client, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s not 200 after %v (last: %v)\n%s", url, timeout, err, p.out.String())
		}
		select {
		case <-p.done:
			t.Fatalf("listo exited before serving: %v\n%s", p.err, p.out.String())
		case <-tick.C:
		}
	}
}

func get(t *testing.T, client *http.Client, url string) (status int, body []byte, contentType string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, body, resp.Header.Get("Content-Type")
}

// healthcheck runs `listo healthcheck` as Docker's HEALTHCHECK does: in the
// server's environment. It returns the exit code.
func healthcheck(t *testing.T, bin string, env []string) (int, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "healthcheck")
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("listo healthcheck still running after %v", time.Since(start))
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out
	case errors.As(err, &exit):
		return exit.ExitCode(), out
	default:
		t.Fatalf("listo healthcheck: %v", err)
		return -1, nil
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// closedMongoURI points at a loopback port where nothing listens.
func closedMongoURI(t *testing.T) string {
	return fmt.Sprintf("mongodb://127.0.0.1:%d/", freePort(t))
}

// syncBuffer is a bytes.Buffer safe for the process's output goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

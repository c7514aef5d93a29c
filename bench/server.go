package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// server is a process under load: its URL and, when the harness started it,
// its pid for CPU and memory accounting.
type server struct {
	url        string
	metricsURL string // empty when metrics are off
	pid        int
	cmd        *exec.Cmd
	coldStart  time.Duration
	idleRSS    float64 // MB right after ready
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// startListo runs the Listo binary on a fresh data folder and waits for
// /readyz; coldStart is the time from exec to the first 200.
func startListo(bin, dataDir string, o options) (*server, error) {
	env := []string{
		"ENV=development", "HOST=127.0.0.1", "PORT=0", "DATA_DIR=" + dataDir,
		"BCRYPT_COST=" + strconv.Itoa(o.cost), "LOG_FORMAT=json", "LOG_LEVEL=info",
		"RATE_AUTH_PER_MINUTE=0", "RATE_REGISTER_PER_MINUTE=0", "RATE_REFRESH_PER_MINUTE=0", "AUTH_FAILURE_MAX=0", "RATE_TODO_WRITES_PER_SECOND=0",
		"JWT_SECRET=bench-secret-bench-secret-bench-secret-0123456789",
	}
	if o.metrics {
		// PPROF: the live events scenario has the server collect its
		// garbage before it reads the heap (nothing else uses it).
		env = append(env, "METRICS_ADDR=127.0.0.1:0", "PPROF=true")
	}
	for kv := range strings.SplitSeq(o.serverEnv, ",") {
		if kv = strings.TrimSpace(kv); kv != "" {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(bin)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, pid: cmd.Process.Pid}
	addrs := make(chan [2]string, 1)
	go func() {
		// The log gives the bound addresses; the rest (access log) is
		// drained, as a log shipper would.
		var addr, maddr string
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var l struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &l) != nil {
				continue
			}
			switch l.Msg {
			case "metrics and pprof listening":
				maddr = l.Addr
			case "listo started":
				addr = l.Addr
				addrs <- [2]string{addr, maddr}
				_, _ = io.Copy(io.Discard, stderr)
				return
			}
		}
		close(addrs)
	}()
	select {
	case a, ok := <-addrs:
		if !ok {
			s.stop()
			return nil, fmt.Errorf("listo exited before listening")
		}
		s.url = "http://" + a[0]
		if a[1] != "" {
			s.metricsURL = "http://" + a[1] + "/metrics"
		}
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, fmt.Errorf("listo did not start within 30s")
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("listo not ready within 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.coldStart = time.Since(start)
	time.Sleep(200 * time.Millisecond) // let start-up work (hasher warm-up, indexes) settle
	s.idleRSS = s.rssMB()
	return s, nil
}

// startBare runs this program with -serve-bare.
func startBare() (*server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve-bare")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, pid: cmd.Process.Pid}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("bare server: %w", err)
	}
	s.url = "http://" + strings.TrimSpace(line)
	return s, nil
}

func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// cpu is the process's user+system CPU time from /proc/<pid>/stat, or -1.
func (s *server) cpu() time.Duration {
	if s.pid == 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.pid))
	if err != nil {
		return -1
	}
	// Fields after the parenthesised command name; utime and stime are
	// fields 14 and 15 (1-based), in clock ticks (USER_HZ, 100 on Linux).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(ut+st) * (time.Second / 100)
}

// status reads a kB field of /proc/<pid>/status in MB, or 0.
func (s *server) status(field string) float64 {
	if s.pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, field+":") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func (s *server) rssMB() float64  { return s.status("VmRSS") }
func (s *server) peakMB() float64 { return s.status("VmHWM") }

// resetPeak resets VmHWM (Linux: "5" to clear_refs), so peakMB is the peak of
// the next scenario; harmless where not permitted.
func (s *server) resetPeak() {
	if s.pid != 0 {
		_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.pid), []byte("5"), 0)
	}
}

// dbOps is the server's total database operations so far (the sum of
// listo_db_operation_duration_seconds_count), or -1 without metrics.
func (s *server) dbOps() float64 {
	if s.metricsURL == "" {
		return -1
	}
	resp, err := http.Get(s.metricsURL)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var total float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, "listo_db_operation_duration_seconds_count{") {
			continue
		}
		v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		if err == nil {
			total += v
		}
	}
	return total
}

// Command bench is Listo's load harness: go run ./bench.
//
// It builds Listo with -tags bench (which adds GET /bench/ceiling), runs it
// as a child process on 127.0.0.1 with a fresh embedded database in a
// temporary folder, seeds users and todos through the public API, runs the
// scenarios of docs/BENCHMARKS.md with vegeta, and prints Markdown tables.
// The server's CPU time comes from /proc/<pid>/stat of the child, so the
// load generator's own CPU (same machine) is not counted; -target URL uses a
// running Listo instead (then server CPU and RSS are not available).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	vegeta "github.com/tsenart/vegeta/v12/lib"
	"golang.org/x/crypto/bcrypt"
)

// ceilingBody is what both ceiling handlers answer (app.CeilingBody).
const ceilingBody = `{"ok":true}`

type options struct {
	target      string
	quick       bool
	users       int
	todos       int
	concurrency int
	duration    time.Duration
	cost        int
	scale       string
	metrics     bool
	serverEnv   string // extra KEY=VALUE settings for the started server, comma-separated
	streams     int    // idle GET /events streams of the live events scenario
	eventsOnly  bool   // run only the live events scenario
	cacheReads  bool   // run only the write scenario and the embedded reads (8)
}

func main() {
	var o options
	bare := flag.Bool("serve-bare", false, "internal: serve the bare Gin ceiling handler and print its address")
	flag.StringVar(&o.target, "target", "", "base URL of a running Listo (default: build and start one)")
	flag.BoolVar(&o.quick, "quick", false, "run every scenario briefly (whole run under 90 s)")
	flag.StringVar(&o.serverEnv, "server-env", "", "extra settings for the started server, e.g. BCRYPT_CONCURRENCY=1,SESSION_CACHE_TTL=0s")
	flag.IntVar(&o.users, "users", 20, "users seeded for the read and write scenarios")
	flag.IntVar(&o.todos, "todos", 50, "todos per user for the read scenario")
	flag.IntVar(&o.concurrency, "c", 8, "concurrent connections of the fixed-concurrency scenarios")
	flag.DurationVar(&o.duration, "d", 10*time.Second, "duration of each scenario (-quick: 2s)")
	flag.IntVar(&o.cost, "bcrypt-cost", 12, "BCRYPT_COST of the started server (production default 12)")
	flag.StringVar(&o.scale, "scale", "100,1000,10000", "total todo counts of the scale curve")
	flag.BoolVar(&o.metrics, "metrics", true, "start the server with METRICS_ADDR (counts database operations per request)")
	flag.IntVar(&o.streams, "streams", 1000, "idle GET /events streams of the live events scenario (ten per user)")
	flag.BoolVar(&o.eventsOnly, "events-only", false, "run only the live events scenario (7)")
	flag.BoolVar(&o.cacheReads, "cache-reads", false, "run only the write scenario (2) and the embedded reads (8): issue 17's shapes, cold and warm, and EMBEDDED_CACHE_MB=8")
	flag.Parse()
	if *bare {
		serveBare()
		return
	}
	if o.quick {
		// The embedded backend seeds slowly (every insert is serialised):
		// -quick keeps the data small unless told otherwise.
		for name, set := range map[string]func(){
			"d":       func() { o.duration = 2 * time.Second },
			"users":   func() { o.users = 5 },
			"todos":   func() { o.todos = 20 },
			"scale":   func() { o.scale = "50,100,200" },
			"streams": func() { o.streams = 200 },
		} {
			if !isSet(name) {
				set()
			}
		}
	}
	if err := run(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func isSet(name string) (set bool) {
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// serveBare is the comparison for the ceiling scenario: a bare Gin engine,
// no middleware, answering the same bytes, in its own process so its CPU is
// accounted alike.
func serveBare() {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/bench/ceiling", func(c *gin.Context) {
		c.Data(http.StatusOK, "application/json; charset=utf-8", []byte(ceilingBody))
	})
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: r, ReadHeaderTimeout: 10 * time.Second}
	ln, err := netListen()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	_ = srv.Serve(ln)
}

func run(ctx context.Context, o options, out io.Writer) error {
	start := time.Now()
	env := environment(o)
	fmt.Fprintf(out, "# Listo benchmark\n\n%s\n\n", env)

	var srv *server
	var fresh func() (*server, error)
	var embeddedReads func(h *harness) error // scenario 8; nil with -target
	if o.target == "" {
		dir, err := os.MkdirTemp("", "listo-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		bin, err := build(dir)
		if err != nil {
			return err
		}
		n := 0
		fresh = func() (*server, error) {
			n++
			return startListo(bin, filepath.Join(dir, fmt.Sprint("data", n)), o)
		}
		embeddedReads = func(h *harness) error { return h.embeddedReads(bin, dir, out) }
		if srv, err = fresh(); err != nil {
			return err
		}
		defer srv.stop()
		fmt.Fprintf(out, "Cold start to ready (process start to /readyz 200, empty database): **%s**. Idle RSS after ready: **%.1f MB**.\n\n",
			srv.coldStart.Round(time.Millisecond), srv.rssMB())
	} else {
		srv = &server{url: strings.TrimRight(o.target, "/")}
	}

	h := &harness{o: o, srv: srv, out: out, fresh: fresh}
	if o.eventsOnly {
		h.fresh = nil // the server just started is fresh
		return h.runLiveEvents(out, start)
	}
	if o.cacheReads {
		return h.runCacheReads(embeddedReads, out, start)
	}
	fmt.Fprintf(out, "Seeding %d users × %d todos through the API...\n\n", o.users, o.todos)
	t0 := time.Now()
	var err error
	if h.users, err = h.seedUsers(o.users, "reader"); err != nil {
		return err
	}
	if err := h.seedTodos(h.users, o.users*o.todos); err != nil {
		return err
	}
	fmt.Fprintf(out, "Seeded in %s. Idle RSS after seeding: %.1f MB.\n\n", time.Since(t0).Round(time.Millisecond), srv.rssMB())

	var rows []row
	add := func(r row, err error) error {
		if err != nil {
			return err
		}
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "bench: %s done\n", r.name)
		return nil
	}
	// 1. read
	read, err := h.read(fmt.Sprintf("1 read (%d users × %d todos, c=%d)", o.users, o.todos, o.concurrency), h.users, vegeta.Rate{}, o.concurrency)
	if err := add(read, err); err != nil {
		return err
	}
	// 2. write
	if err := add(h.write()); err != nil {
		return err
	}
	// 3. login
	hashTime := measureHash(o.cost)
	limit := float64(runtime.NumCPU()) / hashTime.Seconds()
	login, err := h.login(fmt.Sprintf("3 login (c=%d)", 2*runtime.NumCPU()), vegeta.Rate{}, 2*runtime.NumCPU(), o.duration*2)
	if err := add(login, err); err != nil {
		return err
	}
	// 4. flood isolation
	readRate := vegeta.Rate{Freq: max(1, int(read.rps*0.3)), Per: time.Second}
	floodRate := vegeta.Rate{Freq: max(2, int(2*limit+0.5)), Per: time.Second}
	alone, err := h.read(fmt.Sprintf("4a read at %d/s alone", readRate.Freq), h.users, readRate, 0)
	if err := add(alone, err); err != nil {
		return err
	}
	flooded, flood, err := h.readUnderFlood(readRate, floodRate)
	if err := add(flooded, err); err != nil {
		return err
	}
	rows = append(rows, flood)
	// 5. ceiling
	var ceiling, bareRow row
	ceilingOK := false
	if c, err := h.ceiling(); err != nil {
		fmt.Fprintf(out, "Ceiling scenario skipped: %v\n\n", err)
	} else {
		ceiling, bareRow, ceilingOK = c[0], c[1], true
		rows = append(rows, c...)
	}
	writeTable(out, "Scenarios", rows)

	// 6. scale curve
	var curve []row
	if fresh != nil {
		curve, err = h.scaleCurve()
		if err != nil {
			return err
		}
		writeTable(out, "Scale curve (embedded backend): read scenario at growing total todos", curve)
	}

	// 7. live events
	if err := h.runLiveEvents(out, time.Time{}); err != nil {
		return err
	}

	// 8. embedded reads
	if embeddedReads != nil {
		if err := embeddedReads(h); err != nil {
			return err
		}
	}

	// Targets.
	fmt.Fprintf(out, "## Targets\n\n| target | measured | verdict |\n|---|---|---|\n")
	if ceilingOK && bareRow.cpuPerReq > 0 {
		ratio := float64(ceiling.cpuPerReq) / float64(bareRow.cpuPerReq)
		verdict(out, "ceiling CPU/request ≤ 2× bare Gin", fmt.Sprintf("%s vs %s = %.2f×", us(ceiling.cpuPerReq), us(bareRow.cpuPerReq), ratio), ratio <= 2, fmt.Sprintf("%.2f× over", ratio/2))
	}
	ratio := login.rps / limit
	verdict(out, "login throughput ≥ 90% of bcrypt limit", fmt.Sprintf("%.1f/s vs limit %.1f/s (%d CPUs ÷ %s per hash at cost %d) = %.0f%%", login.rps, limit, runtime.NumCPU(), hashTime.Round(time.Millisecond), o.cost, 100*ratio), ratio >= 0.9, fmt.Sprintf("%.0f points short", 100*(0.9-ratio)))
	if alone.p99 > 0 {
		r := float64(flooded.p99) / float64(alone.p99)
		verdict(out, "read p99 under login flood ≤ 2× alone", fmt.Sprintf("%s vs %s = %.2f×", ms(flooded.p99), ms(alone.p99), r), r <= 2, fmt.Sprintf("%.2f× over", r/2))
	}
	if read.dbOpsPerReq >= 0 {
		verdict(out, "≤ 2 DB round trips per authenticated GET /todos", fmt.Sprintf("%.2f per request (metrics: listo_db_operation_duration_seconds_count)", read.dbOpsPerReq), read.dbOpsPerReq <= 2.0001, fmt.Sprintf("%.2f over", read.dbOpsPerReq-2))
	}
	if srv.pid != 0 {
		verdict(out, "idle RSS < 60 MB", fmt.Sprintf("%.1f MB after ready", srv.idleRSS), srv.idleRSS < 60, fmt.Sprintf("%.1f MB over", srv.idleRSS-60))
		verdict(out, "cold start to ready < 1 s", srv.coldStart.Round(time.Millisecond).String(), srv.coldStart < time.Second, (srv.coldStart-time.Second).Round(time.Millisecond).String()+" over")
	}
	fmt.Fprintf(out, "\nWhole run: %s.\n", time.Since(start).Round(time.Second))
	return nil
}

func verdict(out io.Writer, target, measured string, ok bool, miss string) {
	v := "**achieved**"
	if !ok {
		v = "**missed** (" + miss + ")"
	}
	fmt.Fprintf(out, "| %s | %s | %s |\n", target, measured, v)
}

func environment(o options) string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		mem = strings.Fields(strings.SplitN(string(b), "\n", 2)[0])[1]
		if kb, err := strconv.Atoi(mem); err == nil {
			mem = fmt.Sprintf(", %.1f GB RAM", float64(kb)/1024/1024)
		}
	}
	mode := "full"
	if o.quick {
		mode = "quick"
	}
	return fmt.Sprintf("Machine: %s, %d CPUs%s, %s/%s, %s. Mode: %s, %s per scenario, c=%d, BCRYPT_COST=%d, started at %s.",
		cpu, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH, runtime.Version(), mode, o.duration, o.concurrency, o.cost, time.Now().UTC().Format(time.RFC3339))
}

// measureHash times one bcrypt comparison at cost (median of 5), in this
// process, while the server idles.
func measureHash(cost int) time.Duration {
	hash, _ := bcrypt.GenerateFromPassword([]byte("correct horse battery staple"), cost)
	var ds []time.Duration
	for range 5 {
		t := time.Now()
		_ = bcrypt.CompareHashAndPassword(hash, []byte("correct horse battery staple"))
		ds = append(ds, time.Since(t))
	}
	return median(ds)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

// build compiles Listo with the bench tag into dir.
func build(dir string) (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	bin := filepath.Join(dir, "listo")
	cmd := exec.Command("go", "build", "-tags", "bench", "-o", bin, ".")
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build -tags bench: %w", err)
	}
	return bin, nil
}

// harness holds the seeded state shared by the scenarios.
type harness struct {
	o     options
	srv   *server
	out   io.Writer
	users []user
	seq   atomic.Int64
	fresh func() (*server, error) // a new Listo on an empty database; nil with -target
}

type user struct {
	email, password, token string
}

func (h *harness) do(method, path, token string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, h.srv.url+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// parallel runs f(0..n-1) on a few goroutines and returns the first error.
func parallel(n, workers int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

func (h *harness) seedUsers(n int, kind string) ([]user, error) {
	users := make([]user, n)
	run := time.Now().UnixNano()
	err := parallel(n, 2*runtime.NumCPU(), func(i int) error {
		u := user{email: fmt.Sprintf("bench-%s-%d-%d@example.com", kind, run, i), password: fmt.Sprintf("bench password %d %d", run, i)}
		if st, b, err := h.do("POST", "/register", "", map[string]string{"email": u.email, "password": u.password}); err != nil || st != http.StatusCreated {
			return fmt.Errorf("register: %d %s %v", st, b, err)
		}
		st, b, err := h.do("POST", "/auth", "", map[string]string{"email": u.email, "password": u.password, "device": "bench"})
		if err != nil || st != http.StatusOK {
			return fmt.Errorf("login: %d %s %v", st, b, err)
		}
		var out struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			return err
		}
		u.token = out.AccessToken
		users[i] = u
		return nil
	})
	return users, err
}

// seedTodos creates total todos spread evenly over users.
func (h *harness) seedTodos(users []user, total int) error {
	return parallel(total, 2*runtime.NumCPU(), func(i int) error {
		id, err := h.createTodo(users[i%len(users)].token)
		_ = id
		return err
	})
}

func (h *harness) createTodo(token string) (string, error) {
	st, b, err := h.do("POST", "/todos", token, map[string]string{"title": fmt.Sprintf("Bench todo %d", h.seq.Add(1))})
	if err != nil || st != http.StatusCreated {
		return "", fmt.Errorf("create todo: %d %s %v", st, b, err)
	}
	var t struct {
		ID string `json:"id"`
	}
	return t.ID, json.Unmarshal(b, &t)
}

// row is one line of a result table.
type row struct {
	name               string
	requests           uint64
	rps                float64
	p50, p90, p99, max time.Duration
	errors             uint64
	cpuPerReq          time.Duration // 0 when unknown
	peakRSS            float64       // MB, 0 when unknown
	dbOpsPerReq        float64       // -1 when unknown
	codes              map[string]int
}

// attack runs one vegeta attack and measures the server process around it.
// rate.Freq 0 is "as fast as workers allow" with exactly workers
// connections; the attack stops after o.duration or maxHits.
func (h *harness) attack(name string, tr vegeta.Targeter, rate vegeta.Rate, workers int, d time.Duration, srv *server) (row, error) {
	if srv == nil {
		srv = h.srv
	}
	opts := []func(*vegeta.Attacker){vegeta.Timeout(30 * time.Second), vegeta.KeepAlive(true)}
	if rate.Freq == 0 {
		opts = append(opts, vegeta.Workers(uint64(workers)), vegeta.MaxWorkers(uint64(workers)), vegeta.Connections(workers))
	} else {
		opts = append(opts, vegeta.Workers(4), vegeta.MaxWorkers(1000))
	}
	atk := vegeta.NewAttacker(opts...)
	srv.resetPeak()
	cpu0, db0 := srv.cpu(), srv.dbOps()
	var m vegeta.Metrics
	for res := range atk.Attack(tr, rate, d, name) {
		if res.Error == vegeta.ErrNoTargets.Error() {
			continue // the count bound, not a request
		}
		m.Add(res)
	}
	m.Close()
	cpu1, db1 := srv.cpu(), srv.dbOps()
	r := row{
		name: name, requests: m.Requests, rps: m.Throughput,
		p50: m.Latencies.P50, p90: m.Latencies.P90, p99: m.Latencies.P99, max: m.Latencies.Max,
		peakRSS: srv.peakMB(), dbOpsPerReq: -1, codes: m.StatusCodes,
	}
	for code, n := range m.StatusCodes {
		if c, _ := strconv.Atoi(code); c == 0 || c >= 400 {
			r.errors += uint64(n)
		}
	}
	if m.Requests > 0 && cpu0 >= 0 && cpu1 >= 0 {
		r.cpuPerReq = (cpu1 - cpu0) / time.Duration(m.Requests)
		r.rps = float64(m.Requests) / m.Duration.Seconds() // all answers, not only successes
	}
	if m.Requests > 0 && db0 >= 0 && db1 >= 0 {
		r.dbOpsPerReq = (db1 - db0) / float64(m.Requests)
	}
	if r.requests == 0 {
		return r, fmt.Errorf("%s: no requests completed: %v", name, m.Errors)
	}
	return r, nil
}

func (h *harness) maxHits() int64 {
	if h.o.quick {
		return 100_000
	}
	return 1_000_000
}

// targeter is a thread-safe, bounded vegeta.Targeter.
func (h *harness) targeter(next func(t *vegeta.Target)) vegeta.Targeter {
	var mu sync.Mutex
	var n int64
	limit := h.maxHits()
	return func(t *vegeta.Target) error {
		mu.Lock()
		defer mu.Unlock()
		if n++; n > limit {
			return vegeta.ErrNoTargets
		}
		next(t)
		return nil
	}
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

func (h *harness) readTargeter(users []user) vegeta.Targeter {
	return h.targeter(func(t *vegeta.Target) {
		u := users[rand.IntN(len(users))]
		*t = vegeta.Target{Method: "GET", URL: h.srv.url + "/todos?per_page=50", Header: bearer(u.token)}
	})
}

func (h *harness) read(name string, users []user, rate vegeta.Rate, workers int) (row, error) {
	return h.attack(name, h.readTargeter(users), rate, workers, h.o.duration, nil)
}

// write is scenario 2: each user gets a pool of todos to delete; requests
// cycle create, toggle (PATCH completed) and delete on the caller's todos.
func (h *harness) write() (row, error) {
	users, err := h.seedUsers(max(2, h.o.users/4), "writer")
	if err != nil {
		return row{}, err
	}
	perUser := 30
	if !h.o.quick {
		perUser = 150
	}
	pools := make([][]string, len(users))
	var mu sync.Mutex
	if err := parallel(len(users)*perUser, 2*runtime.NumCPU(), func(i int) error {
		id, err := h.createTodo(users[i%len(users)].token)
		mu.Lock()
		pools[i%len(users)] = append(pools[i%len(users)], id)
		mu.Unlock()
		return err
	}); err != nil {
		return row{}, err
	}
	toggles := make([][]string, len(users))
	for i := range pools {
		toggles[i] = append([]string(nil), pools[i][:10]...)
		pools[i] = pools[i][10:]
	}
	var n int
	tr := h.targeter(func(t *vegeta.Target) {
		n++
		i := n % len(users)
		u := users[i]
		switch {
		case n%3 == 0 && len(pools[i]) > 0:
			id := pools[i][len(pools[i])-1]
			pools[i] = pools[i][:len(pools[i])-1]
			*t = vegeta.Target{Method: "DELETE", URL: h.srv.url + "/todos/" + id, Header: bearer(u.token)}
		case n%3 == 1:
			hdr := bearer(u.token)
			hdr.Set("Content-Type", "application/json")
			*t = vegeta.Target{Method: "POST", URL: h.srv.url + "/todos", Header: hdr, Body: []byte(`{"title":"Bench write"}`)}
		default:
			hdr := bearer(u.token)
			hdr.Set("Content-Type", "application/json")
			body := fmt.Sprintf(`{"completed":%t}`, n%2 == 0)
			*t = vegeta.Target{Method: "PATCH", URL: h.srv.url + "/todos/" + toggles[i][n%len(toggles[i])], Header: hdr, Body: []byte(body)}
		}
	})
	return h.attack(fmt.Sprintf("2 write (create/toggle/delete, c=%d)", h.o.concurrency), tr, vegeta.Rate{}, h.o.concurrency, h.o.duration, nil)
}

func (h *harness) loginTargeter() vegeta.Targeter {
	return h.targeter(func(t *vegeta.Target) {
		u := h.users[rand.IntN(len(h.users))]
		b, _ := json.Marshal(map[string]string{"email": u.email, "password": u.password, "device": "bench"})
		*t = vegeta.Target{Method: "POST", URL: h.srv.url + "/auth", Header: http.Header{"Content-Type": {"application/json"}}, Body: b}
	})
}

func (h *harness) login(name string, rate vegeta.Rate, workers int, d time.Duration) (row, error) {
	return h.attack(name, h.loginTargeter(), rate, workers, d, nil)
}

// readUnderFlood is scenario 4b: the read scenario at a fixed rate while a
// login flood runs at floodRate.
func (h *harness) readUnderFlood(readRate, floodRate vegeta.Rate) (row, row, error) {
	var flood row
	var floodErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		atk := vegeta.NewAttacker(vegeta.Timeout(30*time.Second), vegeta.Workers(4), vegeta.MaxWorkers(1000))
		var m vegeta.Metrics
		for res := range atk.Attack(h.loginTargeter(), floodRate, h.o.duration+time.Second, "flood") {
			if res.Error != vegeta.ErrNoTargets.Error() {
				m.Add(res)
			}
		}
		m.Close()
		flood = row{name: fmt.Sprintf("4c login flood at %d/s (during 4b)", floodRate.Freq), requests: m.Requests, rps: m.Throughput,
			p50: m.Latencies.P50, p90: m.Latencies.P90, p99: m.Latencies.P99, max: m.Latencies.Max, dbOpsPerReq: -1, codes: m.StatusCodes}
		for code, n := range m.StatusCodes {
			if c, _ := strconv.Atoi(code); c == 0 || c >= 400 {
				flood.errors += uint64(n)
			}
		}
		if m.Requests == 0 {
			floodErr = errors.New("login flood: no requests")
		}
	}()
	time.Sleep(500 * time.Millisecond) // let the bcrypt queue fill
	r, err := h.read(fmt.Sprintf("4b read at %d/s under login flood", readRate.Freq), h.users, readRate, 0)
	<-done
	if err == nil {
		err = floodErr
	}
	return r, flood, err
}

// ceiling is scenario 5: GET /bench/ceiling through Listo's whole chain, then
// the bare Gin handler in its own process.
func (h *harness) ceiling() ([]row, error) {
	u := h.users[0]
	if st, _, err := h.do("GET", "/bench/ceiling", u.token, nil); err != nil || st != http.StatusOK {
		return nil, fmt.Errorf("GET /bench/ceiling = %d %v (build with -tags bench)", st, err)
	}
	tr := func(base string) vegeta.Targeter {
		return h.targeter(func(t *vegeta.Target) {
			*t = vegeta.Target{Method: "GET", URL: base + "/bench/ceiling", Header: bearer(u.token)}
		})
	}
	listo, err := h.attack(fmt.Sprintf("5a ceiling: Listo chain + token + cached session (c=%d)", h.o.concurrency), tr(h.srv.url), vegeta.Rate{}, h.o.concurrency, h.o.duration, nil)
	if err != nil {
		return nil, err
	}
	bare, err := startBare()
	if err != nil {
		return nil, err
	}
	defer bare.stop()
	b, err := h.attack(fmt.Sprintf("5b ceiling: bare Gin, same bytes (c=%d)", h.o.concurrency), tr(bare.url), vegeta.Rate{}, h.o.concurrency, h.o.duration, bare)
	if err != nil {
		return nil, err
	}
	return []row{listo, b}, nil
}

// scaleCurve is scenario 6: the read scenario as the total number of todos
// grows (added through the API to the same users), on a fresh server so the
// collection holds exactly those todos.
func (h *harness) scaleCurve() ([]row, error) {
	srv, err := h.fresh()
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	main := h.srv
	h.srv = srv
	defer func() { h.srv = main }()
	users, err := h.seedUsers(h.o.users, "scale")
	if err != nil {
		return nil, err
	}
	have := 0
	var rows []row
	for _, f := range strings.Split(h.o.scale, ",") {
		total, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("-scale: %w", err)
		}
		if total > have {
			t0 := time.Now()
			if err := h.seedTodos(users, total-have); err != nil {
				return nil, err
			}
			fmt.Fprintf(os.Stderr, "bench: seeded %d todos in %s\n", total-have, time.Since(t0).Round(time.Millisecond))
			have = total
		}
		r, err := h.read(fmt.Sprintf("6 read, %d todos (%d users × %d)", total, len(users), total/len(users)), users, vegeta.Rate{}, h.o.concurrency)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/1e3) }

func writeTable(out io.Writer, title string, rows []row) {
	fmt.Fprintf(out, "## %s\n\n| scenario | requests | req/s | p50 | p90 | p99 | max | errors | server CPU/req | peak RSS | DB ops/req |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n", title)
	for _, r := range rows {
		cpu, rss, db := "n/a", "n/a", "n/a"
		if r.cpuPerReq > 0 {
			cpu = us(r.cpuPerReq)
		}
		if r.peakRSS > 0 {
			rss = fmt.Sprintf("%.0f MB", r.peakRSS)
		}
		if r.dbOpsPerReq >= 0 {
			db = fmt.Sprintf("%.2f", r.dbOpsPerReq)
		}
		errs := strconv.FormatUint(r.errors, 10)
		if r.errors > 0 {
			var codes []string
			for c, n := range r.codes {
				codes = append(codes, fmt.Sprintf("%s×%d", c, n))
			}
			errs += " (" + strings.Join(codes, " ") + ")"
		}
		fmt.Fprintf(out, "| %s | %d | %.1f | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.name, r.requests, r.rps, ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max), errs, cpu, rss, db)
	}
	fmt.Fprintln(out)
}

// runLiveEvents runs scenario 7 with o.streams streams, ten per user, and
// prints its table (and the whole run's time when start is set).
func (h *harness) runLiveEvents(out io.Writer, start time.Time) error {
	users := max(1, (h.o.streams+9)/10)
	writes := 200
	if h.o.quick {
		writes = 50
	}
	fmt.Fprintf(os.Stderr, "bench: live events: seeding %d users, opening %d streams...\n", users, h.o.streams)
	r, err := h.liveEvents(h.o.streams, users, writes)
	if err != nil {
		return fmt.Errorf("live events: %w", err)
	}
	writeEvents(out, r)
	if !start.IsZero() {
		fmt.Fprintf(out, "Whole run: %s.\n", time.Since(start).Round(time.Second))
	}
	return nil
}

// Command pocketbase measures PocketBase on the shape of Listo's scenario
// 8 (bench/cache.go), for the comparison in docs/BENCHMARKS.md: users ×
// todos in a "todos" collection whose rules let each user see only their
// own, then authenticated lists of 50 todos of random users on c
// connections for d, reporting server CPU per request (the server's
// /proc), requests per second, p50 and p99 and the server's RSS, as one
// Markdown row.
//
//	cd bench/pocketbase && go run . -users 1000 -todos 100
//
// It is a module of its own so that Listo's module does not depend on
// PocketBase. "serve ..." and "superuser ..." run PocketBase itself: the
// harness starts this binary again as the server, so that the server's
// CPU is a process's of its own.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "serve" || os.Args[1] == "superuser") {
		if err := pocketbase.New().Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	users := flag.Int("users", 20, "users")
	todos := flag.Int("todos", 50, "todos per user")
	conc := flag.Int("c", 16, "connections")
	dur := flag.Duration("d", 10*time.Second, "load duration")
	flag.Parse()
	if err := run(*users, *todos, *conc, *dur); err != nil {
		fmt.Fprintln(os.Stderr, "pbprobe:", err)
		os.Exit(1)
	}
}

type client struct {
	base  string
	http  *http.Client
	token string
}

func (c *client) do(method, path, token string, body any, out any) error {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

func rssMB(pid int) float64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func run(users, todos, conc int, dur time.Duration) error {
	self, _ := os.Executable()
	dir, err := os.MkdirTemp("", "pbprobe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "pb_data")
	const suEmail, suPass = "root@example.com", "root-password-123"
	if out, err := exec.Command(self, "superuser", "upsert", suEmail, suPass, "--dir", data).CombinedOutput(); err != nil {
		return fmt.Errorf("superuser: %v: %s", err, out)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	srv := exec.Command(self, "serve", "--http", addr, "--dir", data)
	srv.Stdout, srv.Stderr = io.Discard, io.Discard
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	c := &client{base: "http://" + addr, http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}}
	for i := 0; ; i++ {
		if c.do("GET", "/api/health", "", nil, nil) == nil {
			break
		}
		if i > 200 {
			return fmt.Errorf("server not ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var su struct{ Token string }
	if err := c.do("POST", "/api/collections/_superusers/auth-with-password", "", map[string]any{"identity": suEmail, "password": suPass}, &su); err != nil {
		return err
	}
	rule := "owner = @request.auth.id"
	coll := map[string]any{
		"name": "todos", "type": "base",
		"listRule": rule, "viewRule": rule, "createRule": rule, "updateRule": rule, "deleteRule": rule,
		"fields": []map[string]any{
			{"name": "title", "type": "text", "required": true, "max": 500},
			{"name": "notes", "type": "text", "max": 10000},
			{"name": "completed", "type": "bool"},
			{"name": "order", "type": "number"},
			{"name": "due", "type": "date"},
			{"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1, "required": true, "cascadeDelete": true},
			{"name": "created", "type": "autodate", "onCreate": true},
			{"name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true},
		},
		"indexes": []string{"CREATE INDEX `idx_todos_owner_order` ON `todos` (`owner`, `order`, `created`)"},
	}
	if err := c.do("POST", "/api/collections", su.Token, coll, nil); err != nil {
		return err
	}
	t0 := time.Now()
	ids := make([]string, users)
	tokens := make([]string, users)
	par := func(n int, f func(i int) error) error {
		var next atomic.Int64
		var wg sync.WaitGroup
		var mu sync.Mutex
		var first error
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					if err := f(i); err != nil {
						mu.Lock()
						if first == nil {
							first = err
						}
						mu.Unlock()
						return
					}
				}
			}()
		}
		wg.Wait()
		return first
	}
	if err := par(users, func(i int) error {
		var u struct{ ID string }
		email := fmt.Sprintf("user%d@example.com", i)
		if err := c.do("POST", "/api/collections/users/records", su.Token, map[string]any{"email": email, "password": "a fine long passphrase", "passwordConfirm": "a fine long passphrase", "verified": true}, &u); err != nil {
			return err
		}
		var imp struct{ Token string }
		if err := c.do("POST", "/api/collections/users/impersonate/"+u.ID, su.Token, map[string]any{"duration": 3600}, &imp); err != nil {
			return err
		}
		ids[i], tokens[i] = u.ID, imp.Token
		return nil
	}); err != nil {
		return err
	}
	if err := par(users*todos, func(k int) error {
		u, j := k/todos, k%todos
		return c.do("POST", "/api/collections/todos/records", su.Token, map[string]any{
			"title": fmt.Sprintf("todo %d of user %d", j, u), "completed": j%3 == 0, "order": j, "owner": ids[u],
		}, nil)
	}); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "pbprobe: seeded %d users × %d todos in %s\n", users, todos, time.Since(t0).Round(time.Millisecond))
	list := "/api/collections/todos/records?perPage=50&sort=order,created,id"
	// Check one answer, then read every user once (the same warm-up Listo gets).
	var page struct {
		TotalItems int `json:"totalItems"`
		Items      []json.RawMessage
	}
	if err := c.do("GET", list, tokens[0], nil, &page); err != nil {
		return err
	}
	if page.TotalItems != todos || len(page.Items) != min(50, todos) {
		return fmt.Errorf("user 0 sees %d todos (%d on the page); want %d", page.TotalItems, len(page.Items), todos)
	}
	if err := par(users, func(i int) error { return c.do("GET", list, tokens[i], nil, nil) }); err != nil {
		return err
	}
	pid := srv.Process.Pid
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	before := cpuTicks(pid)
	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) {
				tok := tokens[rand.IntN(users)]
				req, _ := http.NewRequest("GET", c.base+list, nil)
				req.Header.Set("Authorization", tok)
				t := time.Now()
				resp, err := c.http.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs.Add(1)
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	ticks := cpuTicks(pid) - before
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)] }
	cpu := time.Duration(ticks) * 10 * time.Millisecond
	fmt.Printf("| PocketBase 0.39.4, %d users × %d todos | %d µs | %.0f | %.2f ms | %.2f ms | %d | %.0f MB |\n",
		users, todos, cpu.Microseconds()/int64(len(lat)), float64(len(lat))/elapsed.Seconds(),
		float64(pct(0.5).Microseconds())/1000, float64(pct(0.99).Microseconds())/1000, errs.Load(), rssMB(pid))
	return nil
}

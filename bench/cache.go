package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"golang.org/x/crypto/bcrypt"

	"listo/models"
	"listo/store"
)

// Scenario 8, embedded reads (issue 17): authenticated
// GET /todos?per_page=50 on the embedded database, in the shapes the issue
// compares with PocketBase (20 users × 50 todos, 1,000 × 100), warm (every
// user read before) and cold (each user's first request after a restart),
// then at 100, 1,000 and 5,000 todos per user, then 1,000 × 100 with
// EMBEDDED_CACHE_MB=8, every answer checked. The data is written straight
// into the database before the server starts on it (the API would take
// minutes for 100,000 todos); the users' password hash has bcrypt's least
// cost, so that logging 1,000 users in is quick.

// readConcurrency is the connections of scenario 8's warm reads: the
// issue's wrk run used 16.
const readConcurrency = 16

// benchPassword is every scenario 8 user's password.
const benchPassword = "bench password of a seeded user"

// seededTitle is the title of a seeded user's i-th todo (order i): a list
// sorted by order starts with todo 0.
func seededTitle(i int) string { return fmt.Sprintf("Bench todo %05d", i) }

// shapeRow is what scenario 8 measured for one shape.
type shapeRow struct {
	name       string
	warm, cold row
	rss, peak  float64 // MB: after the warm reads, and the peak over the whole shape
	heap       float64 // MB: the Go heap in use after the warm reads (-1: unknown)
}

// runCacheReads is -cache-reads: the write scenario, then scenario 8.
func (h *harness) runCacheReads(reads func(*harness) error, out io.Writer, start time.Time) error {
	if reads == nil {
		return errors.New("-cache-reads needs a server the harness starts (no -target)")
	}
	w, err := h.write()
	if err != nil {
		return err
	}
	writeTable(out, "Scenarios", []row{w})
	if err := reads(h); err != nil {
		return err
	}
	fmt.Fprintf(out, "Whole run: %s.\n", time.Since(start).Round(time.Second))
	return nil
}

// embeddedReads runs scenario 8 and prints its tables. -quick makes the
// large shape 200 users, and the scale 100 and 1,000 todos per user.
func (h *harness) embeddedReads(bin, root string, out io.Writer) error {
	big, scaleUsers, perUser := 1000, 10, []int{100, 1000, 5000}
	if h.o.quick {
		big, scaleUsers, perUser = 200, 5, []int{100, 1000}
	}
	var rows []shapeRow
	for i, shape := range [][2]int{{20, 50}, {big, 100}} {
		r, err := h.readShape(bin, filepath.Join(root, fmt.Sprint("shape", i)), shape[0], shape[1])
		if err != nil {
			return err
		}
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "bench: 8 %s done\n", r.name)
	}
	scale, err := h.readScale(bin, filepath.Join(root, "scale"), scaleUsers, perUser)
	if err != nil {
		return err
	}
	bounded, err := h.boundedCache(bin, filepath.Join(root, "shape1"), big, 100, 8)
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "## Embedded reads (scenario 8): GET /todos?per_page=50, c=%d\n\n", readConcurrency)
	fmt.Fprintf(out, "Warm: every user read before; cold: each user's first request after a restart, one at a time.\n\n")
	fmt.Fprintf(out, "| data | warm CPU/req | warm req/s | warm p50 | warm p99 | warm DB ops/req | cold CPU/req | cold p50 | cold p99 | RSS after | Go heap after | peak RSS |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range append(rows, scale...) {
		fmt.Fprintf(out, "| %s | %s | %.0f | %s | %s | %.2f | %s | %s | %s | %.0f MB | %.0f MB | %.0f MB |\n",
			r.name, us(r.warm.cpuPerReq), r.warm.rps, ms(r.warm.p50), ms(r.warm.p99), r.warm.dbOpsPerReq,
			us(r.cold.cpuPerReq), ms(r.cold.p50), ms(r.cold.p99), r.rss, r.heap, r.peak)
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "EMBEDDED_CACHE_MB=8, %s: every user read once, then reads of random users for %s (c=%d), every answer checked:\n\n", rows[1].name, bounded.d, readConcurrency)
	fmt.Fprintf(out, "| requests | req/s | CPU/req | p50 | p99 | wrong answers | RSS at 1/4, 1/2, 3/4, end | cache |\n|---:|---:|---:|---:|---:|---:|---|---|\n")
	var rss []string
	for _, v := range bounded.rss {
		rss = append(rss, fmt.Sprintf("%.0f", v))
	}
	fmt.Fprintf(out, "| %d | %.0f | %s | %s | %s | %d | %s MB | %s |\n\n", bounded.r.requests, bounded.r.rps, us(bounded.r.cpuPerReq),
		ms(bounded.r.p50), ms(bounded.r.p99), bounded.wrong, strings.Join(rss, ", "), bounded.cache)

	fmt.Fprintf(out, "| target (issue 17) | measured | verdict |\n|---|---|---|\n")
	for _, r := range rows {
		verdict(out, "warm CPU/request ≤ 250 µs, "+r.name, us(r.warm.cpuPerReq), r.warm.cpuPerReq <= 250*time.Microsecond, us(r.warm.cpuPerReq-250*time.Microsecond)+" over")
	}
	lo, hi := scale[0].warm.cpuPerReq, scale[0].warm.cpuPerReq
	for _, r := range scale {
		lo, hi = min(lo, r.warm.cpuPerReq), max(hi, r.warm.cpuPerReq)
	}
	spread := float64(hi-lo) / float64(lo)
	verdict(out, "warm CPU/request within 20 % at 100, 1,000, 5,000 todos per user", fmt.Sprintf("%s to %s (+%.0f %%)", us(lo), us(hi), 100*spread), spread <= 0.2, fmt.Sprintf("%.0f %%", 100*spread))
	cold := rows[1].cold
	verdict(out, fmt.Sprintf("cold first list of 100 todos ≤ 20 ms (p50 of %d users)", big), ms(cold.p50)+", p99 "+ms(cold.p99), cold.p50 <= 20*time.Millisecond, ms(cold.p50-20*time.Millisecond)+" over")
	verdict(out, "RSS with "+rows[1].name+" cached ≤ 150 MB", fmt.Sprintf("%.0f MB", rows[1].rss), rows[1].rss <= 150, fmt.Sprintf("%.0f MB over", rows[1].rss-150))
	n := len(bounded.rss)
	growth := bounded.rss[n-1] - bounded.rss[n/2-1]
	verdict(out, "EMBEDDED_CACHE_MB=8: RSS stops growing, lists correct", fmt.Sprintf("%+.0f MB over the second half, %d wrong", growth, bounded.wrong), growth <= 5 && bounded.wrong == 0, fmt.Sprintf("%+.0f MB, %d wrong", growth, bounded.wrong))
	fmt.Fprintln(out)
	return nil
}

// readShape seeds users × perUser todos in dir, logs everyone in, restarts
// the server, reads each user once (cold), then reads at random (warm).
func (h *harness) readShape(bin, dir string, users, perUser int) (shapeRow, error) {
	r := shapeRow{name: fmt.Sprintf("%d users × %d todos", users, perUser)}
	if _, err := seedDirect(dir, users, 0, perUser, nil); err != nil {
		return r, err
	}
	srv, tokens, err := h.startAndLogin(bin, dir, users, "")
	if err != nil {
		return r, err
	}
	srv.stop()
	if srv, err = startListo(bin, dir, h.o); err != nil {
		return r, err
	}
	defer srv.stop()
	srv.resetPeak()
	waitIdle(srv)
	if r.cold, err = h.coldReads(srv, tokens); err != nil {
		return r, err
	}
	if r.warm, err = h.warmReads(srv, tokens, h.o.duration); err != nil {
		return r, err
	}
	r.rss, r.peak, r.heap = srv.rssMB(), srv.peakMB(), srv.heapMB()
	return r, nil
}

// readScale is the warm (and cold) reads of users with ever more todos.
func (h *harness) readScale(bin, dir string, users int, perUser []int) ([]shapeRow, error) {
	var rows []shapeRow
	var ids []string
	have := 0
	for _, n := range perUser {
		var err error
		if ids, err = seedDirect(dir, users, have, n, ids); err != nil {
			return nil, err
		}
		have = n
		srv, tokens, err := h.startAndLogin(bin, dir, users, "")
		if err != nil {
			return nil, err
		}
		srv.stop()
		if srv, err = startListo(bin, dir, h.o); err != nil {
			return nil, err
		}
		srv.resetPeak()
		waitIdle(srv)
		r := shapeRow{name: fmt.Sprintf("%d users × %d todos", users, n)}
		if r.cold, err = h.coldReads(srv, tokens); err == nil {
			r.warm, err = h.warmReads(srv, tokens, h.o.duration)
		}
		r.rss, r.peak, r.heap = srv.rssMB(), srv.peakMB(), srv.heapMB()
		srv.stop()
		if err != nil {
			return nil, err
		}
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "bench: 8 %s done\n", r.name)
	}
	return rows, nil
}

// boundedResult is the EMBEDDED_CACHE_MB=8 run.
type boundedResult struct {
	r     row
	d     time.Duration
	wrong int       // answers that were not the user's first 50 todos of 100
	rss   []float64 // MB at each quarter
	cache string    // the cache's own figures, from /metrics
}

// boundedCache reads the users of dir (seeded by readShape) at random with
// a cache of cacheMB, checks every answer, and samples the server's RSS.
func (h *harness) boundedCache(bin, dir string, users, perUser, cacheMB int) (boundedResult, error) {
	res := boundedResult{d: 2 * h.o.duration}
	srv, tokens, err := h.startAndLogin(bin, dir, users, fmt.Sprintf("EMBEDDED_CACHE_MB=%d", cacheMB))
	if err != nil {
		return res, err
	}
	defer srv.stop()
	want := make([]string, 0, models.DefaultPerPage)
	for i := range models.DefaultPerPage {
		want = append(want, seededTitle(i))
	}
	// Every user once first: the cache fills to its bound and starts
	// dropping users, which the timed reads then keep doing.
	for _, tok := range tokens {
		if st, _, err := h.getAt(srv.url, "/todos?per_page=50", tok); err != nil || st != http.StatusOK {
			return res, fmt.Errorf("first read: %d %v", st, err)
		}
	}
	tr := func(t *vegeta.Target) error {
		*t = vegeta.Target{Method: "GET", URL: srv.url + "/todos?per_page=50", Header: bearer(tokens[rand.IntN(len(tokens))])}
		return nil
	}
	stop := make(chan struct{})
	sampled := make(chan []float64)
	go func() {
		var rss []float64
		tick := time.NewTicker(res.d / 4)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				rss = append(rss, srv.rssMB())
			case <-stop:
				sampled <- rss
				return
			}
		}
	}()
	atk := vegeta.NewAttacker(vegeta.Timeout(30*time.Second), vegeta.KeepAlive(true),
		vegeta.Workers(readConcurrency), vegeta.MaxWorkers(readConcurrency), vegeta.Connections(readConcurrency))
	cpu0 := srv.cpu()
	var m vegeta.Metrics
	for r := range atk.Attack(tr, vegeta.Rate{}, res.d+time.Second/2, "bounded") {
		m.Add(r)
		var page struct {
			Total int `json:"total"`
			Items []struct {
				Title string `json:"title"`
			} `json:"items"`
		}
		var got []string
		if r.Code == http.StatusOK && json.Unmarshal(r.Body, &page) == nil {
			for _, it := range page.Items {
				got = append(got, it.Title)
			}
		}
		if page.Total != perUser || !slices.Equal(got, want) {
			res.wrong++
		}
	}
	m.Close()
	close(stop)
	res.rss = <-sampled
	for len(res.rss) < 4 {
		res.rss = append(res.rss, srv.rssMB())
	}
	res.rss = res.rss[:4]
	res.r = row{requests: m.Requests, rps: float64(m.Requests) / m.Duration.Seconds(), p50: m.Latencies.P50, p99: m.Latencies.P99}
	if cpu1 := srv.cpu(); m.Requests > 0 && cpu0 >= 0 && cpu1 >= 0 {
		res.r.cpuPerReq = (cpu1 - cpu0) / time.Duration(m.Requests)
	}
	res.cache = cacheFigures(srv)
	return res, nil
}

// waitIdle waits, up to 10 s, until the server has used no CPU for half a
// second: the work it does when it starts (the bcrypt pool's warm-up,
// indexes) is not charged to the first requests.
func waitIdle(srv *server) {
	last := srv.cpu()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
		now := srv.cpu()
		if now == last {
			return
		}
		last = now
	}
}

// cacheFigures is the server's cache metrics, in short.
func cacheFigures(srv *server) string {
	if srv.metricsURL == "" {
		return "n/a"
	}
	resp, err := http.Get(srv.metricsURL)
	if err != nil {
		return "n/a"
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	vals := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "listo_embedded_cache_") {
			if i := strings.LastIndexByte(l, ' '); i > 0 {
				vals[strings.TrimPrefix(l[:i], "listo_embedded_cache_")] = l[i+1:]
			}
		}
	}
	if len(vals) == 0 {
		return "none"
	}
	var mb float64
	fmt.Sscan(vals["bytes"], &mb)
	return fmt.Sprintf("%.1f MB, %s users, hit ratio %s, %s evictions", mb/(1<<20), vals["users"], vals["hit_ratio"], vals["evictions_total"])
}

// startAndLogin starts Listo on dir (with extra settings, comma-separated)
// and logs its first users in.
func (h *harness) startAndLogin(bin, dir string, users int, extra string) (*server, []string, error) {
	o := h.o
	if extra != "" {
		o.serverEnv = strings.Trim(o.serverEnv+","+extra, ",")
	}
	srv, err := startListo(bin, dir, o)
	if err != nil {
		return nil, nil, err
	}
	tokens := make([]string, users)
	err = parallel(users, 2*runtime.NumCPU(), func(i int) error {
		tok, err := loginAt(srv.url, seededEmail(i))
		tokens[i] = tok
		return err
	})
	if err != nil {
		srv.stop()
		return nil, nil, err
	}
	return srv, tokens, nil
}

func seededEmail(i int) string { return fmt.Sprintf("seeded-%d@example.com", i) }

func loginAt(base, email string) (string, error) {
	b, _ := json.Marshal(map[string]string{"email": email, "password": benchPassword, "device": "bench"})
	resp, err := http.Post(base+"/auth", "application/json", strings.NewReader(string(b)))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return "", fmt.Errorf("login %s: %d %s", email, resp.StatusCode, msg)
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	return out.AccessToken, err
}

// coldReads reads each user once, one request at a time.
func (h *harness) coldReads(srv *server, tokens []string) (row, error) {
	var mu sync.Mutex
	next := 0
	tr := func(t *vegeta.Target) error {
		mu.Lock()
		defer mu.Unlock()
		if next == len(tokens) {
			return vegeta.ErrNoTargets
		}
		*t = vegeta.Target{Method: "GET", URL: srv.url + "/todos?per_page=50", Header: bearer(tokens[next])}
		next++
		return nil
	}
	return h.attack("cold", tr, vegeta.Rate{}, 1, time.Hour, srv)
}

// warmReads reads random users (each one once first, so every user is
// warm) for d.
func (h *harness) warmReads(srv *server, tokens []string, d time.Duration) (row, error) {
	for _, tok := range tokens {
		if st, _, err := h.getAt(srv.url, "/todos?per_page=50", tok); err != nil || st != http.StatusOK {
			return row{}, fmt.Errorf("warm-up read: %d %v", st, err)
		}
	}
	tr := h.targeter(func(t *vegeta.Target) {
		*t = vegeta.Target{Method: "GET", URL: srv.url + "/todos?per_page=50", Header: bearer(tokens[rand.IntN(len(tokens))])}
	})
	return h.attack("warm", tr, vegeta.Rate{}, readConcurrency, d, srv)
}

func (h *harness) getAt(base, path, token string) (int, []byte, error) {
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// seedDirect writes users (made when ids is nil, with seededEmail and
// benchPassword) and their todos from..to-1 straight into the embedded
// database under dir, which no server may be running on. It returns the
// users' ids.
func seedDirect(dir string, users, from, to int, ids []string) ([]string, error) {
	ctx := context.Background()
	t0 := time.Now()
	st, err := store.Open(ctx, store.Options{Database: "listo", DataDir: dir, Timeout: time.Minute})
	if err != nil {
		return nil, err
	}
	defer st.Close(ctx)
	if err := st.EnsureIndexes(ctx); err != nil {
		return nil, err
	}
	if ids == nil {
		hash, err := bcrypt.GenerateFromPassword([]byte(benchPassword), bcrypt.MinCost)
		if err != nil {
			return nil, err
		}
		now := time.Now()
		for i := range users {
			u, err := st.CreateUser(ctx, models.User{Email: seededEmail(i), PasswordHash: string(hash), Role: models.RoleUser, EmailVerified: true, CreatedAt: now, UpdatedAt: now})
			if err != nil {
				return nil, err
			}
			ids = append(ids, u.ID)
		}
	}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range ids {
		todos := make([]models.Todo, 0, to-from)
		for i := from; i < to; i++ {
			at := created.Add(time.Duration(i) * time.Second)
			td := models.Todo{UserID: id, Title: seededTitle(i), Order: float64(i), Completed: i%3 == 0, CreatedAt: at, UpdatedAt: at}
			if td.Completed {
				td.CompletedAt = &at
			}
			todos = append(todos, td)
		}
		if _, err := st.ImportTodos(ctx, todos); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(os.Stderr, "bench: seeded %d users × todos %d..%d in %s\n", len(ids), from, to, time.Since(t0).Round(time.Millisecond))
	return ids, nil
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// eventsResult is what scenario 7 (live events, GET /events) measured.
type eventsResult struct {
	streams, users int
	rssBefore      float64 // MB, server, before the streams opened (0: unknown)
	rssAfter       float64 // MB, with every stream open and idle
	// The Go runtime's own view (from /metrics; -1 without): heap and
	// stacks in use (bytes) and goroutines, before and after.
	goBefore, goAfter [3]float64
	open              time.Duration
	writes            int
	expected          int // events the writes should have reached
	received          int // of those, received in time
	// From each write's response to its event at a stream (0 when the
	// event came first: the server publishes before it answers), and from
	// the write's request.
	p50, p99, max    time.Duration
	sentP50, sentP99 time.Duration
	early            int // events that arrived before their write's response
}

// eventStream is one open GET /events read in the background: the arrival
// time of every todo.created by todo id.
type eventStream struct {
	user   int
	ready  chan struct{} // closed at the first frame
	cancel context.CancelFunc
}

// liveEvents is scenario 7 on a fresh server: streams idle streams of users
// users (ten each at most: EVENTS_MAX_STREAMS_PER_USER), the server's RSS
// per stream, then writes todo creations by random users, each timed from
// its response to its event's arrival at every stream of its user.
func (h *harness) liveEvents(streams, users, writes int) (eventsResult, error) {
	r := eventsResult{streams: streams, users: users, writes: writes}
	srv := h.srv
	if h.fresh != nil {
		s, err := h.fresh()
		if err != nil {
			return r, err
		}
		defer s.stop()
		srv = s
	}
	hh := &harness{o: h.o, srv: srv, out: h.out}
	us, err := hh.seedUsers(users, "live")
	if err != nil {
		return r, err
	}
	runtime.GC()
	time.Sleep(500 * time.Millisecond)
	srv.collect()
	r.rssBefore = srv.rssMB()
	r.goBefore = srv.goMemory()

	// arrivals[todo id] = the times it reached each stream.
	var mu sync.Mutex
	arrivals := map[string][]time.Time{}
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: streams, DisableCompression: true}}
	var failed atomic.Int64
	ss := make([]*eventStream, streams)
	start := time.Now()
	for i := range streams {
		ctx, cancel := context.WithCancel(context.Background())
		s := &eventStream{user: i % users, ready: make(chan struct{}), cancel: cancel}
		ss[i] = s
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.url+"/events", nil)
		req.Header.Set("Authorization", "Bearer "+us[s.user].token)
		go func() {
			resp, err := client.Do(req)
			if err != nil || resp.StatusCode != http.StatusOK {
				failed.Add(1)
				close(s.ready)
				return
			}
			defer resp.Body.Close()
			readEvents(resp.Body, s.ready, func(name, data string, at time.Time) {
				if name != "todo.created" {
					return
				}
				var t struct {
					ID string `json:"id"`
				}
				if json.Unmarshal([]byte(data), &t) == nil {
					mu.Lock()
					arrivals[t.ID] = append(arrivals[t.ID], at)
					mu.Unlock()
				}
			})
		}()
	}
	defer func() {
		for _, s := range ss {
			s.cancel()
		}
	}()
	for _, s := range ss {
		select {
		case <-s.ready:
		case <-time.After(30 * time.Second):
			return r, fmt.Errorf("a stream did not open within 30s")
		}
	}
	if n := failed.Load(); n > 0 {
		return r, fmt.Errorf("%d of %d streams were refused", n, streams)
	}
	r.open = time.Since(start)
	time.Sleep(2 * time.Second)
	srv.collect()
	r.rssAfter = srv.rssMB()
	r.goAfter = srv.goMemory()

	// The writes: one at a time from four writers, each a todo creation
	// by a random user, timed from its response.
	type write struct {
		id         string
		user       int
		sent, done time.Time
	}
	var wmu sync.Mutex
	var ws []write
	err = parallel(writes, 4, func(int) error {
		u := rand.IntN(users)
		sent := time.Now()
		id, err := hh.createTodo(us[u].token)
		done := time.Now()
		if err != nil {
			return err
		}
		wmu.Lock()
		ws = append(ws, write{id, u, sent, done})
		wmu.Unlock()
		return nil
	})
	if err != nil {
		return r, err
	}
	time.Sleep(2 * time.Second) // the last events
	perUser := make([]int, users)
	for i := range streams {
		perUser[i%users]++
	}
	var lat, fromSent []time.Duration
	mu.Lock()
	for _, w := range ws {
		r.expected += perUser[w.user]
		for _, at := range arrivals[w.id] {
			if at.Before(w.done) {
				r.early++
			}
			lat = append(lat, max(at.Sub(w.done), 0))
			fromSent = append(fromSent, at.Sub(w.sent))
		}
	}
	mu.Unlock()
	r.received = len(lat)
	slices.Sort(lat)
	slices.Sort(fromSent)
	pct := func(ds []time.Duration, p int) time.Duration { return ds[min(len(ds)-1, len(ds)*p/100)] }
	if len(lat) > 0 {
		r.p50, r.p99, r.max = pct(lat, 50), pct(lat, 99), lat[len(lat)-1]
		r.sentP50, r.sentP99 = pct(fromSent, 50), pct(fromSent, 99)
	}
	return r, nil
}

// readEvents parses a text/event-stream, calling f for every named event;
// ready is closed at the first frame (the stream is open).
func readEvents(body io.Reader, ready chan struct{}, f func(name, data string, at time.Time)) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var name, data string
	first := true
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if first {
				close(ready)
				first = false
			}
			if name != "" {
				f(name, data, time.Now())
			}
			name, data = "", ""
			continue
		}
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			name = v
		} else if v, ok := strings.CutPrefix(line, "data: "); ok {
			data = v
		}
	}
	if first {
		close(ready)
	}
}

func writeEvents(out io.Writer, r eventsResult) {
	fmt.Fprintf(out, "## Live events (GET /events)\n\n| measure | value |\n|---|---:|\n")
	fmt.Fprintf(out, "| idle streams open | %d (%d users × %d) |\n", r.streams, r.users, r.streams/max(r.users, 1))
	fmt.Fprintf(out, "| time to open them all | %s |\n", r.open.Round(time.Millisecond))
	if r.rssBefore > 0 {
		per := (r.rssAfter - r.rssBefore) * 1024 / float64(r.streams)
		fmt.Fprintf(out, "| server RSS before → with the streams | %.1f MB → %.1f MB |\n", r.rssBefore, r.rssAfter)
		fmt.Fprintf(out, "| server RSS per idle stream | **%.1f KB** |\n", per)
	}
	if r.goBefore[0] >= 0 && r.goAfter[0] >= 0 {
		n := float64(r.streams)
		fmt.Fprintf(out, "| of which Go heap in use / goroutine stacks, per stream | %.1f KB / %.1f KB |\n",
			(r.goAfter[0]-r.goBefore[0])/1024/n, (r.goAfter[1]-r.goBefore[1])/1024/n)
		fmt.Fprintf(out, "| goroutines per stream | %.2f |\n", (r.goAfter[2]-r.goBefore[2])/n)
	}
	fmt.Fprintf(out, "| writes (todo creations by random users, 4 writers) | %d |\n", r.writes)
	fmt.Fprintf(out, "| events received / expected (every stream of the writer) | %d / %d |\n", r.received, r.expected)
	fmt.Fprintf(out, "| write response → event at a stream, p50 | **%s** |\n", ms(r.p50))
	fmt.Fprintf(out, "| … p99 | **%s** |\n", ms(r.p99))
	fmt.Fprintf(out, "| … max | %s |\n", ms(r.max))
	fmt.Fprintf(out, "| events that arrived before their write's response (counted as 0) | %d |\n", r.early)
	fmt.Fprintf(out, "| write request sent → event at a stream, p50 / p99 | %s / %s |\n\n", ms(r.sentP50), ms(r.sentP99))
}

// heapMB is the server's Go heap in use, in MB; -1 when unknown.
func (s *server) heapMB() float64 {
	if h := s.goMemory()[0]; h >= 0 {
		return h / (1 << 20)
	}
	return -1
}

// goMemory reads go_memstats_heap_inuse_bytes, go_memstats_stack_inuse_bytes
// and go_goroutines from the server's /metrics ({-1, -1, -1} without).
func (s *server) goMemory() [3]float64 {
	out := [3]float64{-1, -1, -1}
	if s.metricsURL == "" {
		return out
	}
	resp, err := http.Get(s.metricsURL)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	names := []string{"go_memstats_heap_inuse_bytes ", "go_memstats_stack_inuse_bytes ", "go_goroutines "}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		for i, n := range names {
			if v, ok := strings.CutPrefix(sc.Text(), n); ok {
				fmt.Sscan(v, &out[i])
			}
		}
	}
	return out
}

// collect has the server run a garbage collection (GET
// /debug/pprof/heap?gc=1, served with PPROF=true), so the heap measured is
// what is live; without pprof it does nothing.
func (s *server) collect() {
	if s.metricsURL == "" {
		return
	}
	resp, err := http.Get(strings.TrimSuffix(s.metricsURL, "/metrics") + "/debug/pprof/heap?gc=1")
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

package app_test

import (
	"bufio"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"listo/apptest"
)

// TestEmbeddedDatabaseIsPrivate starts Listo on its embedded database (also
// when the suite runs against MongoDB: this is about the embedded one) and
// checks that no other process or user can reach its data: the process
// listens on TCP only for HTTP and METRICS_ADDR (the database has a Unix
// socket in DATA_DIR), and nothing under DATA_DIR has a group or other
// permission bit, while it runs and after it stopped.
func TestEmbeddedDatabaseIsPrivate(t *testing.T) {
	dir := t.TempDir()
	srv := apptest.Start(t, apptest.Options{DataDir: dir, KeepRunning: true, Env: map[string]string{
		"MONGODB_URI":  "",
		"JWT_SECRET":   "", // generated and kept in DATA_DIR: one more file to check
		"METRICS_ADDR": "127.0.0.1:0",
	}})
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			srv.Stop()
		}
	})
	// Users and todos: the database creates its files (and, in embedded
	// mode, a todo collection per user).
	for range 2 {
		u := srv.NewUser(t)
		for i := range 3 {
			u.Do("POST", "/todos", map[string]any{"title": fmt.Sprint("todo ", i)}).Expect(t, http.StatusCreated)
		}
		u.Do("PATCH", "/todos", map[string]any{"completed": true}).Expect(t, http.StatusOK)
	}

	want := []int{port(t, srv.Addr), port(t, srv.MetricsAddr)}
	slices.Sort(want)
	if got := listeningTCPPorts(t); !slices.Equal(got, want) {
		t.Errorf("the process listens on TCP ports %v; want only HTTP and METRICS_ADDR %v", got, want)
	}
	expectPrivate(t, dir)

	srv.Stop()
	stopped = true
	expectPrivate(t, dir)
}

// expectPrivate fails for every file or folder below dir that has a group
// or other permission bit.
func expectPrivate(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n++
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v; want no group or other permission", path, info.Mode())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Errorf("only %d entries below %s; the database files are missing", n, dir)
	}
}

func port(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// listeningTCPPorts returns the local ports of this process's listening
// TCP sockets (IPv4 and IPv6): the kernel's socket table
// (/proc/self/net/tcp, tcp6) lists every listener in the network
// namespace with its inode; the process's own are those among its open
// file descriptors (/proc/self/fd, "socket:[inode]").
func listeningTCPPorts(t *testing.T) []int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd on this system: %v", err)
	}
	own := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			own[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var ports []int
	for _, table := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			const listen = "0A"
			if len(fields) < 10 || fields[3] != listen || !own[fields[9]] {
				continue
			}
			_, hexPort, _ := strings.Cut(fields[1], ":")
			p, err := strconv.ParseUint(hexPort, 16, 16)
			if err != nil {
				t.Fatalf("%s: bad local address %q", table, fields[1])
			}
			ports = append(ports, int(p))
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(ports)
	return ports
}

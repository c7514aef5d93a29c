package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

const (
	// socketName is the embedded database's Unix socket in DATA_DIR/db.
	socketName = "ferretdb.sock"
	// modeOfName is the empty 0600 file in DATA_DIR/db whose mode SQLite
	// gives every database file it creates (its modeof URI parameter).
	modeOfName = "modeof"
)

// embedded is a running embedded FerretDB.
type embedded struct {
	uri  string // how the driver reaches it
	stop func() // stops it and waits until it has stopped
}

// startEmbedded runs FerretDB with its SQLite backend inside the process,
// with its files in dataDir/db, reachable by the user Listo runs as and by
// nobody else:
//   - it listens on a Unix socket in dataDir/db and on no TCP port, so no
//     other machine and no other user's process can connect (the database
//     has no authentication);
//   - dataDir/db is 0700, the socket 0600 (connecting needs write
//     permission on it), and every file in dataDir/db 0600: SQLite creates
//     a new database file with the mode of the file that its modeof URI
//     parameter names, and its -wal, -shm and -journal files with the mode
//     of their database file, at any time and whatever the process umask;
//     files of an older Listo are made private at start. A folder made
//     readable later exposes nothing.
//
// A socket left by a crash is removed; one that another process still
// serves is an error (two processes must not share one data folder).
func startEmbedded(dataDir string, log *slog.Logger) (embedded, error) {
	dir, err := filepath.Abs(filepath.Join(dataDir, "db"))
	if err != nil {
		return embedded{}, fmt.Errorf("db: data dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return embedded{}, fmt.Errorf("db: data dir: %w", err)
	}
	if err := makePrivate(dir); err != nil {
		return embedded{}, err
	}
	sock := filepath.Join(dir, socketName)
	uri, err := socketURI(sock)
	if err != nil {
		return embedded{}, err
	}
	if err := removeStaleSocket(sock); err != nil {
		return embedded{}, err
	}
	modeOf, closeModeOf, err := sqliteModeOf(dir)
	if err != nil {
		return embedded{}, err
	}
	// FerretDB logs whole documents below warn level, and every driver
	// disconnect as a warning: only its errors reach Listo's log.
	quiet := slog.New(minLevel{log.Handler(), slog.LevelError}).With("component", "ferretdb")
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: sock},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/?modeof=" + url.QueryEscape(modeOf),
		Logger:    quiet,
	})
	if err != nil {
		closeModeOf()
		return embedded{}, fmt.Errorf("db: embedded ferretdb: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()
	stop := func() {
		cancel()
		<-done // the socket is removed, the SQLite files are closed
		closeModeOf()
	}
	// New has created the socket with the umask's mode; the folder (0700)
	// keeps others out until this narrows it.
	if err := os.Chmod(sock, 0o600); err != nil {
		stop()
		return embedded{}, fmt.Errorf("db: embedded ferretdb socket: %w", err)
	}
	return embedded{uri: uri, stop: stop}, nil
}

// makePrivate takes the group and other permissions off dir and the files
// and folders in it (those of a Listo that did not yet set them).
func makePrivate(dir string) error {
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("db: data dir: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("db: data dir: %w", err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("db: data dir: %w", err)
		}
		if !info.Mode().IsRegular() && !info.IsDir() || info.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := os.Chmod(filepath.Join(dir, e.Name()), info.Mode().Perm()&^0o077); err != nil {
			return fmt.Errorf("db: data dir: %w", err)
		}
	}
	return nil
}

// socketURI is the MongoDB URI of the Unix socket at path: the path,
// percent-encoded, as the host. The driver takes a host that ends in
// "sock" for a socket.
func socketURI(path string) (string, error) {
	// sun_path holds the path and a terminating NUL.
	if limit := len(syscall.RawSockaddrUnix{}.Path) - 1; len(path) > limit {
		return "", fmt.Errorf("db: the embedded database's socket %s is %d bytes long; Unix sockets allow %d: choose a shorter DATA_DIR", path, len(path), limit)
	}
	if strings.Contains(path, ":") {
		// The driver splits host:port after decoding the host.
		return "", fmt.Errorf("db: the embedded database's socket %s has a colon, which a MongoDB URI cannot carry: choose another DATA_DIR", path)
	}
	var b strings.Builder
	for i := range len(path) {
		c := path[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return "mongodb://" + b.String() + "/", nil
}

// removeStaleSocket removes the socket at path when nothing serves it any
// more (a crash left it). A socket that answers belongs to another process
// on the same data folder: an error, as is a path that is not a socket.
func removeStaleSocket(path string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("db: embedded ferretdb socket: %w", err)
	}
	if info.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("db: %s is in the way of the embedded database's socket", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("db: another process serves the embedded database at %s: one data folder serves one Listo", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("db: stale embedded ferretdb socket: %w", err)
	}
	return nil
}

// sqliteModeOf creates dir/modeof (empty, 0600) and returns the value of
// SQLite's modeof URI parameter that names it, and a func to call once the
// database has stopped. FerretDB re-encodes the query of its SQLite URI and
// turns a space into "+", which SQLite does not decode; so when the path
// has a space the value is the file's open descriptor (/dev/fd/N), which
// close closes.
func sqliteModeOf(dir string) (value string, close func(), err error) {
	path := filepath.Join(dir, modeOfName)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return "", nil, fmt.Errorf("db: data dir: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return "", nil, fmt.Errorf("db: data dir: %w", err)
	}
	if !strings.Contains(path, " ") {
		f.Close()
		return path, func() {}, nil
	}
	byFD := fmt.Sprintf("/dev/fd/%d", f.Fd())
	want, err := f.Stat()
	if err == nil {
		var got os.FileInfo
		if got, err = os.Stat(byFD); err == nil && !os.SameFile(want, got) {
			err = errors.New("another file")
		}
	}
	if err != nil {
		f.Close()
		return "", nil, fmt.Errorf("db: DATA_DIR %s has a space, and %s does not show the open file (%w): choose another DATA_DIR", dir, byFD, err)
	}
	return byFD, func() { f.Close() }, nil
}

// minLevel drops records below a level, whatever the wrapped handler allows.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}
func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(a), h.min}
}
func (h minLevel) WithGroup(n string) slog.Handler { return minLevel{h.Handler.WithGroup(n), h.min} }

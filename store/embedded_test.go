package store_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"listo/models"
	"listo/store"
)

// The tests in this file are about the embedded FerretDB: they open it
// whatever backend the rest of the suite uses.

func openEmbedded(dataDir string) (*store.Store, error) {
	return store.Open(context.Background(), store.Options{Database: "listo", DataDir: dataDir, Timeout: 10 * time.Second})
}

// mustOpenEmbedded opens the embedded store on dataDir with its indexes,
// and closes it when the test ends.
func mustOpenEmbedded(t *testing.T, dataDir string) *store.Store {
	t.Helper()
	s, err := openEmbedded(dataDir)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	if err := s.EnsureIndexes(context.Background()); err != nil {
		t.Fatalf("EnsureIndexes: %v", err)
	}
	return s
}

// fill creates a user with a few todos (a collection of their own).
func fill(t *testing.T, s *store.Store, email string) models.User {
	t.Helper()
	u := newUser(t, s, email, models.RoleUser)
	for range 3 {
		if _, err := s.CreateTodo(context.Background(), models.Todo{UserID: u.ID, Title: "t", CreatedAt: time.Now()}, true, 0); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// publicEntries lists the files and folders below dir (dir itself
// excluded) that have a group or other permission bit.
func publicEntries(t *testing.T, dir string) []string {
	t.Helper()
	var public []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o077 != 0 {
			public = append(public, path+" "+info.Mode().String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return public
}

func TestEmbeddedRemovesAStaleSocket(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	// What a crash leaves: the socket file, and nobody listening.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, "db", "ferretdb.sock"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()

	s := mustOpenEmbedded(t, dir)
	fill(t, s, "a@example.com")
}

func TestEmbeddedRefusesADataDirInUse(t *testing.T) {
	dir := t.TempDir()
	mustOpenEmbedded(t, dir)
	s, err := openEmbedded(dir)
	if err == nil {
		s.Close(context.Background())
		t.Fatal("a second store opened on a data folder that another one serves")
	}
	if !strings.Contains(err.Error(), "another process") {
		t.Errorf("second open: err = %v; want it to say another process serves the folder", err)
	}
}

func TestEmbeddedSocketPathTooLong(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	s, err := openEmbedded(dir)
	if err == nil {
		s.Close(context.Background())
		t.Fatal("opened with a socket path longer than a Unix socket allows")
	}
	if !strings.Contains(err.Error(), "socket") || !strings.Contains(err.Error(), "shorter DATA_DIR") {
		t.Errorf("err = %v; want it to name the socket and ask for a shorter DATA_DIR", err)
	}
}

// TestEmbeddedFilesArePrivate checks the files' modes where they could go
// wrong: files of an older Listo (0644, in a 0755 folder) are made private
// at start, and a DATA_DIR with a space (which SQLite's modeof parameter
// cannot name through FerretDB) still gets private files and keeps its
// data.
func TestEmbeddedFilesArePrivate(t *testing.T) {
	t.Run("older files", func(t *testing.T) {
		dir := t.TempDir()
		s, err := openEmbedded(dir)
		if err != nil {
			t.Fatal(err)
		}
		fill(t, s, "a@example.com")
		s.Close(context.Background())
		err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || path == dir {
				return err
			}
			if d.IsDir() {
				return os.Chmod(path, 0o755)
			}
			return os.Chmod(path, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
		s = mustOpenEmbedded(t, dir)
		if p := publicEntries(t, dir); len(p) > 0 {
			t.Errorf("after a restart, still readable by others: %v", p)
		}
		if _, err := s.UserByEmail(context.Background(), "a@example.com"); err != nil {
			t.Errorf("after a restart: %v", err)
		}
	})
	t.Run("a space in DATA_DIR", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "my data")
		s := mustOpenEmbedded(t, dir)
		u := fill(t, s, "a@example.com")
		if p := publicEntries(t, dir); len(p) > 0 {
			t.Errorf("readable by others: %v", p)
		}
		if err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		s = mustOpenEmbedded(t, dir)
		if p, err := s.ListTodos(context.Background(), u.ID, models.TodoQuery{Page: 1, PerPage: 10}); err != nil || p.Total != 3 {
			t.Errorf("after a restart: %d todos, %v; want 3", p.Total, err)
		}
	})
}

// TestEmbeddedExplainNamesTheUsersCollection checks that ExplainTodoList
// explains what runs on the embedded database: a scan of the user's own
// todo collection.
func TestEmbeddedExplainNamesTheUsersCollection(t *testing.T) {
	s := mustOpenEmbedded(t, t.TempDir())
	u := fill(t, s, "a@example.com")
	plan, err := s.ExplainTodoList(context.Background(), u.ID, models.TodoQuery{Page: 2, PerPage: 10})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(plan["queryPlanner"])
	if want := "SCAN todos_" + u.ID; !strings.Contains(string(b), want) {
		t.Errorf("plan = %s; want it to contain %q", b, want)
	}
}

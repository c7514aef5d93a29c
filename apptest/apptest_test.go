package apptest_test

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"listo/apptest"
)

// externalServer runs a FerretDB on a loopback port for the test, a
// stand-in for the MongoDB that LISTO_TEST_MONGODB_URI names (there is none
// on the machines that run this suite), and points the harness at it.
func externalServer(t *testing.T) (uri string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: addr}, Handler: "sqlite", SQLiteURL: "file:" + t.TempDir() + "/",
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = f.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	uri = "mongodb://" + addr + "/"
	t.Setenv(apptest.TestMongoURI, uri)
	return uri
}

func databases(t *testing.T, uri string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Disconnect(ctx)
	names, err := c.ListDatabaseNames(ctx, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestExternalDatabaseBelongsToTheTest runs what a restart test does
// against an external server: the second start on the same data folder,
// and a CLI run with the test's environment, see the first start's
// database; another test (folder) gets another one; the database is
// dropped when its test ends.
func TestExternalDatabaseBelongsToTheTest(t *testing.T) {
	uri := externalServer(t)
	var db string
	t.Run("restart", func(t *testing.T) {
		dir := t.TempDir()
		db = apptest.Env(t, dir)["MONGODB_DATABASE"]
		if db == "" || db == "listo" {
			t.Fatalf("MONGODB_DATABASE = %q; want a name of the test's own", db)
		}
		if other := apptest.Env(t, t.TempDir())["MONGODB_DATABASE"]; other == db {
			t.Errorf("two data folders share the database %s", db)
		}
		srv := apptest.Start(t, apptest.Options{DataDir: dir, KeepRunning: true})
		u := srv.NewUser(t)
		srv.Stop()
		srv2 := apptest.Start(t, apptest.Options{DataDir: dir})
		if srv2.Config.MongoDB != db {
			t.Errorf("restart uses database %s; want %s", srv2.Config.MongoDB, db)
		}
		if _, err := srv2.Store().UserByEmail(context.Background(), u.Email); err != nil {
			t.Fatalf("after restart: %v", err)
		}
		srv2.Login(t, u.Email, u.Password)
	})
	if slices.Contains(databases(t, uri), db) {
		t.Errorf("database %s is still there after its test ended", db)
	}
}

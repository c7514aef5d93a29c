package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"listo/app"
	"listo/apptest"
)

// TestRunServesAndStopsOnCancel runs the program as main does, on
// 127.0.0.1, polls /healthz, then cancels (what SIGTERM does) and expects a
// clean stop.
func TestRunServesAndStopsOnCancel(t *testing.T) {
	addr := freePort(t)
	port := addr[strings.LastIndex(addr, ":")+1:]
	env := map[string]string{"PORT": port, "DATA_DIR": t.TempDir(), "LOG_FORMAT": "json"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs apptest.Logs
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, nil, func(k string) string { return env[k] }, strings.NewReader(""), &logs, &logs, "test")
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never answered: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v; want a clean stop", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("no stop log line:\n%s", logs.String())
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("still serving after stop")
	}
}

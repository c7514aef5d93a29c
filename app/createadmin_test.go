package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"listo/app"
	"listo/apptest"
)

// A password the API could never receive (invalid UTF-8, controls) would
// make an admin who can never log in: create-admin refuses it, and creates
// nothing.
func TestCreateAdminRefusesPasswordsTheAPICannotCarry(t *testing.T) {
	dir := t.TempDir()
	env := apptest.Env(t, dir)
	getenv := func(k string) string { return env[k] }
	for _, pw := range []string{"a long password \xff\xfe", "a long pass\x00word", "a long\x1bpassword"} {
		var out bytes.Buffer
		err := app.Run(context.Background(), []string{"create-admin", "root@example.com"}, getenv, strings.NewReader(pw+"\n"), &out, &out, "test")
		if err == nil || !strings.Contains(err.Error(), "password") {
			t.Errorf("create-admin with %q: err = %v; want a refusal naming the password", pw, err)
		}
		if strings.Contains(out.String(), "created") {
			t.Errorf("create-admin with %q created an admin: %s", pw, out.String())
		}
	}
}

package openapi_test

import (
	"encoding/json"
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"

	"listo/schemas"
)

func fsGlob() ([]string, error) { return fs.Glob(schemas.Files(), "*.json") }

func readSchema(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(schemas.Files(), name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		return false
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return cmp.Equal(x, y)
}

package schemas_test

import (
	"errors"
	"testing"

	"listo/problem"
	"listo/schemas"
)

// FuzzDecode: for any body, Decode either succeeds or returns a 400/422
// problem. Any other error would mean a schema and its Go type disagree,
// which the API would answer with a 500.
func FuzzDecode(f *testing.F) {
	v, err := schemas.New()
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		`{"title":"milk"}`, `{"title":"  ","order":1e400}`, `{"title":"x","due":"2026-12-31T17:00:00Z","notes":"n","completed":true,"order":-3.5}`,
		`{"title":"x","due":null}`, `{"email":"a@b.co","password":"a fine passphrase","name":"A"}`, `[]`, `null`, `{"title":"x","extra":1}`, `{`,
	} {
		f.Add(seed)
	}
	type todoCreate struct {
		Title     string   `json:"title"`
		Notes     string   `json:"notes"`
		Completed bool     `json:"completed"`
		Order     *float64 `json:"order"`
		Due       *string  `json:"due"`
	}
	type register struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Name     string `json:"name"`
	}
	f.Fuzz(func(t *testing.T, body string) {
		for name, dst := range map[string]any{"todo_create": &todoCreate{}, "register": &register{}} {
			err := v.Decode(name, []byte(body), dst)
			var p *problem.Problem
			if err != nil && (!errors.As(err, &p) || (p.Status != 400 && p.Status != 422)) {
				t.Fatalf("Decode(%s, %q) = %v; want nil or a 400/422 problem", name, body, err)
			}
		}
	})
}

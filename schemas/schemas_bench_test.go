package schemas_test

import (
	"testing"

	"listo/schemas"
)

// todoBody is what POST /todos decodes into (the fields of todo_create).
type todoBody struct {
	Title     string  `json:"title"`
	Notes     string  `json:"notes"`
	Completed bool    `json:"completed"`
	Order     float64 `json:"order"`
	Due       *string `json:"due"`
}

// BenchmarkDecodeTodoCreate validates and decodes a typical todo body, as
// POST /todos does. Without the todo_create schema it falls back to register
// (and says so), so the benchmark keeps running while schemas change.
func BenchmarkDecodeTodoCreate(b *testing.B) {
	v, err := schemas.New()
	if err != nil {
		b.Fatal(err)
	}
	schema, body := "todo_create", []byte(`{"title":"Buy milk and bread","notes":"the semi-skimmed one","due":"2030-01-02T15:04:05Z","order":3}`)
	var dst any = &todoBody{}
	if err := v.Decode(schema, body, dst); err != nil {
		b.Logf("todo_create: %v; benchmarking register instead", err)
		schema, body = "register", []byte(`{"email":"someone@example.com","password":"correct horse battery staple","name":"Someone"}`)
		dst = &struct{ Email, Password, Name string }{}
		if err := v.Decode(schema, body, dst); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Decode(schema, body, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeTodoCreateInvalid is the rejection path: a body with two
// failing fields turned into a 422 problem.
func BenchmarkDecodeTodoCreateInvalid(b *testing.B) {
	v, err := schemas.New()
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"title":"","order":"first"}`)
	if err := v.Decode("todo_create", body, &todoBody{}); err == nil {
		b.Skip("todo_create accepted an invalid body (schema absent or changed)")
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = v.Decode("todo_create", body, &todoBody{})
	}
}

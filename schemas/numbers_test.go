package schemas_test

import (
	"errors"
	"testing"

	"listo/problem"
	"listo/schemas"
)

// A number with a huge exponent is a 422 on its field, not a panic in the
// validator (1e1000001) or a costly exact rational (1e1000000).
func TestOutsizedNumbersAreRefused(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{
		`{"title":"x","order":1e1000001}`, `{"title":"x","order":1e1000000}`,
		`{"title":"x","order":-1E-999999}`, `{"title":"x","order":1e401}`,
	} {
		var dst struct {
			Title string  `json:"title"`
			Order float64 `json:"order"`
		}
		err := v.Decode("todo_create", []byte(body), &dst)
		var p *problem.Problem
		if !errors.As(err, &p) || p.Status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "/order" {
			t.Errorf("Decode(%s) = %v; want a 422 on /order", body, err)
		}
	}
	var dst struct {
		Title string  `json:"title"`
		Order float64 `json:"order"`
	}
	if err := v.Decode("todo_create", []byte(`{"title":"x","order":1.5e3}`), &dst); err != nil || dst.Order != 1500 {
		t.Errorf("an ordinary exponent: %v, %v", dst, err)
	}
}

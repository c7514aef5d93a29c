package schemas_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"listo/problem"
	"listo/schemas"
)

// schemaNames lists the schema files beside the test, as New embeds them.
func schemaNames(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no schema files: %v", err)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(f, ".json"))
	}
	return names
}

// pointsInto reports whether field, a JSON pointer (RFC 6901), points
// into doc: at a value it holds or, for a missing field, at a member of an
// object it holds. Listo names the whole body "/".
func pointsInto(doc any, field string, missing bool) bool {
	if field == "/" {
		return true
	}
	if !strings.HasPrefix(field, "/") {
		return false
	}
	tokens := strings.Split(field[1:], "/")
	for i, tok := range tokens {
		for j := 0; j < len(tok); j++ {
			if tok[j] == '~' && (j+1 == len(tok) || (tok[j+1] != '0' && tok[j+1] != '1')) {
				return false
			}
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch d := doc.(type) {
		case map[string]any:
			v, ok := d[tok]
			if !ok {
				return missing && i == len(tokens)-1
			}
			doc = v
		case []any:
			n, err := strconv.Atoi(tok)
			if err != nil || n < 0 || n >= len(d) || strconv.Itoa(n) != tok {
				return false
			}
			doc = d[n]
		default:
			return false
		}
	}
	return !missing
}

// FuzzDecode runs any body through every schema in the package, decoding
// into a generic value (the real request types are fuzzed by FuzzBind in
// controllers). Decode never panics; it answers nil for a JSON object (or
// an array, for the import's TodoMVC form), a
// 400 exactly when the body is not JSON, or a 422 listing the failing
// fields: at least one, each a JSON pointer to the failing value (or to
// where a missing one belongs) with a message, sorted and without
// repeats. A client can always tell what to fix.
func FuzzDecode(f *testing.F) {
	v, err := schemas.New()
	if err != nil {
		f.Fatal(err)
	}
	names := schemaNames(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		isJSON := json.Valid(body)
		var parsed any
		_ = json.Unmarshal(body, &parsed)
		for _, name := range names {
			var doc any
			err := v.Decode(name, body, &doc)
			if err == nil {
				_, object := doc.(map[string]any)
				_, array := doc.([]any)
				if !isJSON || !(object || array && name == "todos_import") {
					t.Fatalf("Decode(%s, %q) accepted %#v; every schema wants a JSON object (todos_import: or an array)", name, body, doc)
				}
				continue
			}
			var p *problem.Problem
			if !errors.As(err, &p) {
				t.Fatalf("Decode(%s, %q) = %v; want nil or a problem", name, body, err)
			}
			switch p.Status {
			case 400:
				if isJSON {
					t.Fatalf("Decode(%s, %q) = 400 for valid JSON", name, body)
				}
			case 422:
				if !isJSON {
					t.Fatalf("Decode(%s, %q) = 422 for a body that is not JSON; want 400", name, body)
				}
				if len(p.Errors) == 0 {
					t.Fatalf("Decode(%s, %q) = 422 naming no field", name, body)
				}
				for i, fe := range p.Errors {
					if !pointsInto(parsed, fe.Field, fe.Message == "is required") || fe.Message == "" {
						t.Errorf("Decode(%s, %q): field error %+v; want a JSON pointer into the body and a message", name, body, fe)
					}
					if i > 0 && (fe.Field < p.Errors[i-1].Field || fe == p.Errors[i-1]) {
						t.Errorf("Decode(%s, %q): field errors not sorted or repeated: %+v", name, body, p.Errors)
					}
				}
			default:
				t.Fatalf("Decode(%s, %q) = %v; want a 400 or a 422", name, body, err)
			}
		}
	})
}

// TestDecodeUnknownSchema: asking for a schema that does not exist is a
// programming error, not the client's: a plain error, which the API
// answers with a 500.
func TestDecodeUnknownSchema(t *testing.T) {
	v, err := schemas.New()
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	err = v.Decode("no_such_schema", []byte(`{}`), &doc)
	var p *problem.Problem
	if err == nil || errors.As(err, &p) {
		t.Errorf("Decode(no_such_schema) = %v; want a plain error", err)
	}
	if !slices.Contains(schemaNames(t), "todo_create") {
		t.Errorf("schemaNames = %v; want todo_create among them", schemaNames(t))
	}
}

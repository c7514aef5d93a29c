// Package schemas holds the JSON Schema files that every request body is
// validated against, and a Validator that compiles them once at start and
// turns failures into field errors a person can read.
package schemas

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"listo/models"
	"listo/problem"
)

//go:embed *.json
var files embed.FS

// Files returns the embedded schema files ("todo_create.json", ...), as
// they are: the OpenAPI document embeds them as its request schemas, so the
// document and the validation cannot differ.
func Files() fs.FS { return files }

// Validator validates request bodies against the embedded schemas.
type Validator struct {
	schemas map[string]*jsonschema.Schema
}

// New compiles every embedded schema; a schema that does not compile is a
// programming error reported at start.
func New() (*Validator, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for _, f := range textFormats() {
		c.RegisterFormat(f)
	}
	names, err := fs.Glob(files, "*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", name, err)
		}
		if err := c.AddResource(url(name), doc); err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", name, err)
		}
	}
	v := &Validator{schemas: map[string]*jsonschema.Schema{}}
	for _, name := range names {
		sch, err := c.Compile(url(name))
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", name, err)
		}
		v.schemas[strings.TrimSuffix(name, ".json")] = sch
	}
	return v, nil
}

// textFormatPrefix names Listo's own string formats: "listo-line",
// "listo-title", "listo-multiline" and "listo-plain" accept the text that
// models.TextProblem accepts for that kind.
const textFormatPrefix = "listo-"

func textFormats() []*jsonschema.Format {
	var out []*jsonschema.Format
	for _, k := range []string{models.TextLine, models.TextTitle, models.TextMultiline, models.TextPlain} {
		out = append(out, &jsonschema.Format{Name: textFormatPrefix + k, Validate: func(v any) error {
			s, ok := v.(string)
			if !ok {
				return nil // formats apply to strings only
			}
			if msg := models.TextProblem(k, s); msg != "" {
				return errors.New(msg)
			}
			return nil
		}})
	}
	return out
}

func url(name string) string { return "https://listo.invalid/schemas/" + name }

// Decode validates body against the named schema and, when it passes,
// decodes it into dst. Malformed JSON is a 400 problem; a schema violation
// is a 422 problem listing every failing field.
func (v *Validator) Decode(schema string, body []byte, dst any) error {
	sch, ok := v.schemas[schema]
	if !ok {
		return fmt.Errorf("schemas: no schema %q", schema)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return problem.New(400, "The request body is not valid JSON.")
	}
	if fields := outsizedNumbers(doc, nil); len(fields) > 0 {
		return problem.Validation("The request body has invalid fields.", fields...)
	}
	if err := sch.Validate(doc); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return fmt.Errorf("schemas: validate %s: %w", schema, err)
		}
		fields := FieldErrors(ve)
		return problem.Validation("The request body has invalid fields.", fields...)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		// The schema and the Go type disagree: a bug, not bad input.
		return fmt.Errorf("schemas: decode %s after validation: %w", schema, err)
	}
	return nil
}

// maxExponent bounds the decimal exponent of any number in a body: the
// validator works on exact rationals, and 1e1000000 costs it a big
// allocation (beyond that it panics). No field of Listo's needs more than
// float64's range.
const maxExponent = 400

// outsizedNumbers reports every number in doc whose exponent is beyond
// maxExponent, located by JSON pointer.
func outsizedNumbers(doc any, at []string) []problem.FieldError {
	switch v := doc.(type) {
	case json.Number:
		if exponentTooLarge(string(v)) {
			field := pointer(at)
			if field == "" {
				field = "/"
			}
			return []problem.FieldError{{Field: field, Message: "must be a number of ordinary size"}}
		}
	case map[string]any:
		var out []problem.FieldError
		for k, e := range v {
			out = append(out, outsizedNumbers(e, append(slices.Clip(at), k))...)
		}
		return out
	case []any:
		var out []problem.FieldError
		for i, e := range v {
			out = append(out, outsizedNumbers(e, append(slices.Clip(at), strconv.Itoa(i)))...)
		}
		return out
	}
	return nil
}

// exponentTooLarge reads the exponent of a JSON number (and counts the
// digits before the point as exponent too).
func exponentTooLarge(n string) bool {
	mantissa, exp, _ := strings.Cut(strings.ToLower(n), "e")
	intPart, _, _ := strings.Cut(strings.TrimLeft(mantissa, "-"), ".")
	if len(intPart) > maxExponent || len(mantissa) > 10*maxExponent {
		return true
	}
	if exp == "" {
		return false
	}
	e, err := strconv.Atoi(exp)
	return err != nil || e > maxExponent || e < -maxExponent
}

// FieldErrors flattens a validation error into one message per failing
// field, sorted by field, in words rather than schema keywords.
func FieldErrors(ve *jsonschema.ValidationError) []problem.FieldError {
	seen := map[problem.FieldError]bool{}
	var out []problem.FieldError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		for _, fe := range describe(e) {
			if !seen[fe] {
				seen[fe] = true
				out = append(out, fe)
			}
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}

func describe(e *jsonschema.ValidationError) []problem.FieldError {
	at := pointer(e.InstanceLocation)
	one := func(msg string) []problem.FieldError {
		field := at
		if field == "" {
			field = "/"
		}
		return []problem.FieldError{{Field: field, Message: msg}}
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		var out []problem.FieldError
		for _, m := range k.Missing {
			out = append(out, problem.FieldError{Field: at + pointer([]string{m}), Message: "is required"})
		}
		return out
	case *kind.AdditionalProperties:
		var out []problem.FieldError
		for _, p := range k.Properties {
			out = append(out, problem.FieldError{Field: at + pointer([]string{p}), Message: "is not an allowed field"})
		}
		return out
	case *kind.Type:
		if at == "" {
			return one("the body must be a JSON " + article(k.Want))
		}
		return one("must be " + article(k.Want))
	case *kind.MinLength:
		if k.Want == 1 {
			return one("must not be empty")
		}
		return one(fmt.Sprintf("must be at least %d characters", k.Want))
	case *kind.MaxLength:
		return one(fmt.Sprintf("must be at most %d characters", k.Want))
	case *kind.Minimum:
		return one("must be at least " + ratString(k.Want))
	case *kind.Maximum:
		return one("must be at most " + ratString(k.Want))
	case *kind.ExclusiveMinimum:
		return one("must be greater than " + ratString(k.Want))
	case *kind.ExclusiveMaximum:
		return one("must be less than " + ratString(k.Want))
	case *kind.Enum:
		var want []string
		for _, w := range k.Want {
			b, _ := json.Marshal(w)
			want = append(want, string(b))
		}
		return one("must be one of " + strings.Join(want, ", "))
	case *kind.Const:
		b, _ := json.Marshal(k.Want)
		return one("must be " + string(b))
	case *kind.Format:
		if strings.HasPrefix(k.Want, textFormatPrefix) && k.Err != nil {
			return one(k.Err.Error())
		}
		switch k.Want {
		case "email":
			return one("must be a valid email address")
		case "date-time":
			return one("must be a date and time like 2026-12-31T17:00:00Z")
		case "date":
			return one("must be a date like 2026-12-31")
		}
		return one("must be a valid " + k.Want)
	case *kind.Pattern:
		if k.Want == `\S` {
			return one("must not be blank")
		}
		return one("has an invalid format")
	case *kind.MinProperties:
		return one(fmt.Sprintf("must have at least %d field(s)", k.Want))
	case *kind.MaxProperties:
		return one(fmt.Sprintf("must have at most %d field(s)", k.Want))
	case *kind.MinItems:
		return one(fmt.Sprintf("must have at least %d item(s)", k.Want))
	case *kind.MaxItems:
		return one(fmt.Sprintf("must have at most %d items", k.Want))
	case *kind.FalseSchema:
		return one("is not allowed")
	}
	return nil // groups (allOf, $ref, ...): their causes say what failed
}

func article(types []string) string {
	var parts []string
	for _, t := range types {
		switch t {
		case "object", "array", "integer":
			if t == "integer" {
				parts = append(parts, "a whole number")
				continue
			}
			parts = append(parts, "an "+t)
		case "null":
			parts = append(parts, "null")
		default:
			parts = append(parts, "a "+t)
		}
	}
	return strings.Join(parts, " or ")
}

func ratString(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return fmt.Sprint(f)
}

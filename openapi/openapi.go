// Package openapi builds Listo's OpenAPI 3.1 document from the router's
// routes, the request schemas of package schemas (embedded as they are:
// the document's request schemas are the validation schemas) and one table
// of what each operation answers (operations.go). The response schemas,
// security schemes, shared headers and parameters are in components.json.
//
// The document is built once, at start; a route without a table entry is
// still in it, with a bare operation marked x-undocumented, and is listed in
// Document.Undocumented, which the tests require to be empty.
package openapi

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// components holds components.json (an embed.FS: read-only, unlike a
// []byte).
//
//go:embed components.json
var components embed.FS

// Version is the OpenAPI version of the document.
const Version = "3.1.1"

// Route is one route of the router: its method and its Gin path
// ("/todos/:id", "/assets/*path").
type Route struct {
	Method, Path string
}

// Key is the route's key in the operations table: "PATCH /todos/{id}".
func (r Route) Key() string { return r.Method + " " + Path(r.Path) }

// Path turns a Gin path into an OpenAPI path template: ":id" and "*path"
// become "{id}" and "{path}".
func Path(ginPath string) string {
	parts := strings.Split(ginPath, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}

// Document is a built OpenAPI document.
type Document struct {
	// JSON is the document.
	JSON []byte
	// Undocumented lists the routes ("GET /x") that have no entry in the
	// operations table: they are in JSON with a bare operation.
	Undocumented []string
	// Unrouted lists the table's operations that no route serves: they
	// are left out of JSON.
	Unrouted []string
}

// Build makes the document of routes. requestSchemas holds the JSON Schema
// files that the table's request schemas name (package schemas' Files).
func Build(routes []Route, requestSchemas fs.FS) (*Document, error) {
	raw, err := components.ReadFile("components.json")
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	var comps componentsObject
	if err := json.Unmarshal(raw, &comps); err != nil {
		return nil, fmt.Errorf("openapi: components.json: %w", err)
	}
	if err := addRequestSchemas(&comps, requestSchemas); err != nil {
		return nil, err
	}
	ops := operations()
	doc := document{
		OpenAPI:           Version,
		Info:              info{Title: "Listo API", Version: "1", Description: description},
		JSONSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
		Tags:              tags(),
		Paths:             map[string]map[string]*operationObject{},
		Components:        comps,
	}
	pats := slices.ContainsFunc(routes, func(r Route) bool { return r.Key() == tokensRoute })
	out := &Document{}
	routed := map[string]bool{}
	ids := map[string]string{}
	for _, r := range routes {
		key := r.Key()
		if routed[key] {
			continue
		}
		routed[key] = true
		p := Path(r.Path)
		op, ok := ops[key]
		var obj *operationObject
		if ok {
			if prev, dup := ids[op.id]; dup {
				return nil, fmt.Errorf("openapi: operation id %q of %s is also %s's", op.id, key, prev)
			}
			ids[op.id] = key
			if op.schema != "" {
				if _, ok := comps.Schemas[op.schema]; !ok {
					return nil, fmt.Errorf("openapi: %s names request schema %q, which schemas/ does not have", key, op.schema)
				}
			}
			obj = op.object(r.Method, p, pats)
		} else {
			out.Undocumented = append(out.Undocumented, key)
			obj = undocumented(r.Method, p)
		}
		if doc.Paths[p] == nil {
			doc.Paths[p] = map[string]*operationObject{}
		}
		doc.Paths[p][strings.ToLower(r.Method)] = obj
	}
	for key := range ops {
		if !routed[key] {
			out.Unrouted = append(out.Unrouted, key)
		}
	}
	sort.Strings(out.Undocumented)
	sort.Strings(out.Unrouted)
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	out.JSON = b
	return out, nil
}

// addRequestSchemas embeds every schema file as the component of its name
// ("todo_create.json" is #/components/schemas/todo_create), byte for byte
// but compacted.
func addRequestSchemas(comps *componentsObject, files fs.FS) error {
	names, err := fs.Glob(files, "*.json")
	if err != nil {
		return fmt.Errorf("openapi: request schemas: %w", err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return fmt.Errorf("openapi: request schemas: %w", err)
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, b); err != nil {
			return fmt.Errorf("openapi: request schema %s: %w", name, err)
		}
		id := strings.TrimSuffix(path.Base(name), ".json")
		if _, taken := comps.Schemas[id]; taken {
			return fmt.Errorf("openapi: request schema %s has the name of a response schema", name)
		}
		comps.Schemas[id] = json.RawMessage(buf.Bytes())
	}
	return nil
}

// The document's objects, as much of OpenAPI 3.1 as Listo uses.
type (
	document struct {
		OpenAPI           string                                 `json:"openapi"`
		Info              info                                   `json:"info"`
		JSONSchemaDialect string                                 `json:"jsonSchemaDialect"`
		Tags              []tag                                  `json:"tags"`
		Paths             map[string]map[string]*operationObject `json:"paths"`
		Components        componentsObject                       `json:"components"`
	}
	info struct {
		Title       string `json:"title"`
		Version     string `json:"version"`
		Description string `json:"description"`
	}
	tag struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	componentsObject struct {
		Schemas         map[string]json.RawMessage `json:"schemas"`
		SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
		Headers         map[string]json.RawMessage `json:"headers"`
		Parameters      map[string]json.RawMessage `json:"parameters"`
	}
	operationObject struct {
		OperationID  string                `json:"operationId,omitempty"`
		Tags         []string              `json:"tags"`
		Summary      string                `json:"summary"`
		Description  string                `json:"description,omitempty"`
		Parameters   []parameter           `json:"parameters,omitempty"`
		RequestBody  *requestBody          `json:"requestBody,omitempty"`
		Responses    map[string]response   `json:"responses"`
		Security     []map[string][]string `json:"security"`
		Undocumented bool                  `json:"x-undocumented,omitempty"`
	}
	parameter struct {
		Ref         string `json:"$ref,omitempty"`
		Name        string `json:"name,omitempty"`
		In          string `json:"in,omitempty"`
		Description string `json:"description,omitempty"`
		Required    bool   `json:"required,omitempty"`
		Schema      any    `json:"schema,omitempty"`
	}
	requestBody struct {
		Description string               `json:"description,omitempty"`
		Required    bool                 `json:"required"`
		Content     map[string]mediaType `json:"content"`
	}
	response struct {
		Description string               `json:"description"`
		Headers     map[string]ref       `json:"headers,omitempty"`
		Content     map[string]mediaType `json:"content,omitempty"`
	}
	mediaType struct {
		Schema any `json:"schema,omitempty"`
	}
	ref struct {
		Ref string `json:"$ref"`
	}
)

func schemaRef(name string) ref { return ref{Ref: "#/components/schemas/" + name} }
func headerRef(name string) ref { return ref{Ref: "#/components/headers/" + name} }
func paramRef(name string) parameter {
	return parameter{Ref: "#/components/parameters/" + name}
}

// headerName is the HTTP name of the header a components.json header
// describes.
func headerName(component string) string {
	switch component {
	case "TodoETag":
		return "ETag"
	case "RetryAfter":
		return "Retry-After"
	case "WWWAuthenticate":
		return "WWW-Authenticate"
	case "AcceptPost":
		return "Accept-Post"
	case "SetCookie":
		return "Set-Cookie"
	case "ContentDisposition":
		return "Content-Disposition"
	}
	return component
}

// object is the OpenAPI operation of op on method and path. pats says
// whether this binary has personal access tokens (the route that creates
// them is routed): only then do the operations name the scopes they allow.
func (op operation) object(method, path string, pats bool) *operationObject {
	o := &operationObject{
		OperationID: op.id,
		Tags:        []string{op.tag},
		Summary:     op.summary,
		Description: op.description,
		Responses:   map[string]response{},
		Security:    op.security(method, pats),
	}
	for _, name := range pathParams(path) {
		if name == "id" {
			o.Parameters = append(o.Parameters, paramRef("id"))
			continue
		}
		o.Parameters = append(o.Parameters, parameter{Name: name, In: "path", Required: true,
			Description: "The rest of the path; it may contain slashes.", Schema: map[string]any{"type": "string"}})
	}
	o.Parameters = append(o.Parameters, op.params...)
	if op.schema != "" {
		o.RequestBody = &requestBody{
			Required: op.body == jsonBody,
			Content:  map[string]mediaType{"application/json": {Schema: schemaRef(op.schema)}},
		}
		if op.body == optionalBody {
			o.RequestBody.Description = "May be empty."
		}
	}
	for _, r := range op.replies {
		resp := response{Description: r.description, Headers: map[string]ref{}}
		for _, h := range r.headers {
			resp.Headers[headerName(h)] = headerRef(h)
		}
		if r.media != "" {
			mt := mediaType{}
			if r.schema != "" {
				mt.Schema = schemaRef(r.schema)
			}
			resp.Content = map[string]mediaType{r.media: mt}
		}
		o.Responses[strconv.Itoa(r.status)] = resp
	}
	for _, f := range op.failures(method, pats) {
		resp := response{Description: f.description(), Headers: map[string]ref{}}
		for _, h := range failureHeaders(f.status) {
			resp.Headers[headerName(h)] = headerRef(h)
		}
		resp.Content = map[string]mediaType{"application/problem+json": {Schema: problemSchema(f)}}
		if f.html {
			resp.Content["text/html"] = mediaType{}
		}
		o.Responses[strconv.Itoa(f.status)] = resp
	}
	return o
}

// problemSchema is the Problem schema narrowed to the failure's status and
// problem types.
func problemSchema(f failure) any {
	return map[string]any{"allOf": []any{
		schemaRef("Problem"),
		map[string]any{"properties": map[string]any{
			"type":   map[string]any{"enum": f.types},
			"status": map[string]any{"const": f.status},
		}},
	}}
}

// failureHeaders are the headers (components.json names) every problem of
// the status carries.
func failureHeaders(status int) []string {
	switch status {
	case http.StatusUnauthorized:
		return []string{"WWWAuthenticate"}
	case http.StatusUnsupportedMediaType:
		return []string{"AcceptPost"}
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return []string{"RetryAfter"}
	}
	return nil
}

func pathParams(p string) []string {
	var out []string
	for _, part := range strings.Split(p, "/") {
		if strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}") {
			out = append(out, part[1:len(part)-1])
		}
	}
	return out
}

// undocumented is the bare operation of a route the table lacks.
func undocumented(method, path string) *operationObject {
	o := &operationObject{
		Tags:         []string{"Undocumented"},
		Summary:      method + " " + path + " (not yet documented)",
		Responses:    map[string]response{"default": {Description: "Not yet documented."}},
		Security:     []map[string][]string{},
		Undocumented: true,
	}
	for _, name := range pathParams(path) {
		o.Parameters = append(o.Parameters, parameter{Name: name, In: "path", Required: true, Schema: map[string]any{"type": "string"}})
	}
	return o
}

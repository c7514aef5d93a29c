package openapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"

	"listo/apptest"
	"listo/openapi"
	"listo/schemas"
)

// routesOf lists the routes of the real router a running server serves.
func routesOf(t *testing.T, srv *apptest.Server) []openapi.Route {
	t.Helper()
	engine, ok := srv.App.Handler().(*gin.Engine)
	if !ok {
		t.Fatalf("the app's handler is a %T, not the Gin engine", srv.App.Handler())
	}
	var out []openapi.Route
	for _, r := range engine.Routes() {
		out = append(out, openapi.Route{Method: r.Method, Path: r.Path})
	}
	return out
}

// served fetches GET /openapi.json and loads it.
func served(t *testing.T, srv *apptest.Server) (*openapi3.T, []byte) {
	t.Helper()
	resp := srv.Client().Do("GET", "/openapi.json", nil).Expect(t, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	doc, err := openapi3.NewLoader().LoadFromData(resp.Body)
	if err != nil {
		t.Fatalf("load /openapi.json: %v", err)
	}
	return doc, resp.Body
}

// TestDocumentIsValidOpenAPI31: the served document is OpenAPI 3.1 by
// kin-openapi's validation, every example and default included.
func TestDocumentIsValidOpenAPI31(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	doc, raw := served(t, srv)
	if !doc.IsOpenAPI31OrLater() || !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Fatalf("openapi = %q; want 3.1.x", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableMultiError(), openapi3.EnableExamplesValidation(), openapi3.EnableSchemaDefaultsValidation(), openapi3.EnableSchemaPatternValidation()); err != nil {
		t.Fatalf("/openapi.json is not valid OpenAPI 3.1:\n%v", err)
	}
	// The request schemas are the files the server validates with, as
	// they are.
	var d struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	names, err := fsGlob()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		file := readSchema(t, name)
		if got := d.Components.Schemas[strings.TrimSuffix(name, ".json")]; !jsonEqual(t, got, file) {
			t.Errorf("components.schemas.%s differs from schemas/%s:\n%s\nwant\n%s", strings.TrimSuffix(name, ".json"), name, got, file)
		}
	}
}

// TestEveryRouteIsDocumented: every route of the real router is an
// operation of the document, and every operation of the table is routed.
func TestEveryRouteIsDocumented(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	routes := routesOf(t, srv)
	built, err := openapi.Build(routes, schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	if len(built.Undocumented) > 0 {
		t.Errorf("routes without an entry in openapi's operations table: %v", built.Undocumented)
	}
	if len(built.Unrouted) > 0 {
		t.Errorf("documented operations that no route serves: %v", built.Unrouted)
	}

	doc, _ := served(t, srv)
	var inDoc, inRouter []string
	for p, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			inDoc = append(inDoc, method+" "+p)
			if _, ok := op.Extensions["x-undocumented"]; ok {
				t.Errorf("%s %s is served undocumented", method, p)
			}
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 {
				t.Errorf("%s %s lacks an operationId, a summary or a tag", method, p)
			}
		}
	}
	for _, r := range routes {
		inRouter = append(inRouter, r.Key())
	}
	sort.Strings(inDoc)
	sort.Strings(inRouter)
	if diff := cmp.Diff(inRouter, inDoc); diff != "" {
		t.Errorf("the document's operations differ from the router's routes (-router +document):\n%s", diff)
	}
}

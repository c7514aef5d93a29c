package openapi

import (
	"encoding/json"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"listo/schemas"
)

func TestPath(t *testing.T) {
	for in, want := range map[string]string{
		"/":                     "/",
		"/todos":                "/todos",
		"/todos/:id":            "/todos/{id}",
		"/users/:id/x/:other":   "/users/{id}/x/{other}",
		"/assets/*path":         "/assets/{path}",
		"/email/change/confirm": "/email/change/confirm",
	} {
		if got := Path(in); got != want {
			t.Errorf("Path(%q) = %q; want %q", in, got, want)
		}
	}
}

// TestBuildReportsUndocumentedAndUnrouted: a route the table lacks is in
// the document, marked, and reported; an operation no route serves is
// reported and left out.
func TestBuildReportsUndocumentedAndUnrouted(t *testing.T) {
	doc, err := Build([]Route{{"GET", "/todos/:id"}, {"POST", "/frobnicate/:id"}}, schemas.Files())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"POST /frobnicate/{id}"}, doc.Undocumented); diff != "" {
		t.Errorf("Undocumented (-want +got):\n%s", diff)
	}
	if slices.Contains(doc.Unrouted, "GET /todos/{id}") || !slices.Contains(doc.Unrouted, "POST /todos") {
		t.Errorf("Unrouted = %v; want every operation but GET /todos/{id}", doc.Unrouted)
	}
	var d struct {
		Paths map[string]map[string]struct {
			Undocumented bool `json:"x-undocumented"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc.JSON, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Paths) != 2 || !d.Paths["/frobnicate/{id}"]["post"].Undocumented || d.Paths["/todos/{id}"]["get"].Undocumented {
		t.Errorf("paths = %+v; want /todos/{id} documented and /frobnicate/{id} marked undocumented", d.Paths)
	}
}

// TestEveryRequestSchemaIsUsed: each schema file is the request body of
// some operation, and each operation's request schema exists.
func TestEveryRequestSchemaIsUsed(t *testing.T) {
	names, err := fs.Glob(schemas.Files(), "*.json")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for key, op := range operations() {
		if op.schema == "" {
			if op.body != noBody {
				t.Errorf("%s reads a body but names no request schema", key)
			}
			continue
		}
		if op.body == noBody {
			t.Errorf("%s names request schema %q but reads no body", key, op.schema)
		}
		used[op.schema] = true
	}
	for _, n := range names {
		if !used[strings.TrimSuffix(n, ".json")] {
			t.Errorf("schemas/%s is no operation's request schema", n)
		}
	}
}

// TestPersonalAccessTokensFollowTheRoutes: operations name token scopes,
// and the 403 of a token without one, only in a binary that has personal
// access tokens.
func TestPersonalAccessTokensFollowTheRoutes(t *testing.T) {
	op := operations()["GET /todos"]
	if got := op.security("GET", false); len(got) != 2 {
		t.Errorf("security without tokens = %v; want bearer and cookie", got)
	}
	got := op.security("GET", true)
	if len(got) != 3 || !slices.Equal(got[2]["personalAccessToken"], []string{"todos:read"}) {
		t.Errorf("security with tokens = %v; want bearer, cookie and personalAccessToken [todos:read]", got)
	}
	if got := operations()["PATCH /user"].security("PATCH", true); len(got) != 2 || got[1]["csrf"] == nil {
		t.Errorf("PATCH /user security = %v; want bearer, cookie with csrf, and no token", got)
	}
	for _, pats := range []bool{false, true} {
		var types []string
		for _, f := range op.failures("GET", pats) {
			if f.status == 403 {
				types = f.types
			}
		}
		if got := slices.Contains(types, typeInsufficient); got != pats {
			t.Errorf("GET /todos with tokens %v: 403 types %v; want %s only with tokens", pats, types, typeInsufficient)
		}
	}
}

// TestFailuresMergeByStatus: one response per status, with every problem
// type the status comes with.
func TestFailuresMergeByStatus(t *testing.T) {
	fs := operations()["POST /auth"].failures("POST", false)
	var statuses []int
	var forbidden failure
	for _, f := range fs {
		statuses = append(statuses, f.status)
		if f.status == 403 {
			forbidden = f
		}
	}
	if want := []int{400, 401, 403, 413, 415, 422, 429, 500, 503}; !slices.Equal(statuses, want) {
		t.Errorf("POST /auth statuses = %v; want %v", statuses, want)
	}
	if want := []string{typeBlank, typeEmailUnverified}; !slices.Equal(forbidden.types, want) {
		t.Errorf("POST /auth 403 types = %v; want %v", forbidden.types, want)
	}
}

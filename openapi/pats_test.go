package openapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"listo/app"
	"listo/apptest"
	"listo/openapi"
)

// TestPATScopesAreDocumented: the document names, operation by operation,
// exactly the personal access token scopes the router enforces
// (app.PATScopes), and every route that takes a token exists.
func TestPATScopesAreDocumented(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	doc, _ := served(t, srv)
	enforced := map[string][]string{}
	for route, scopes := range app.PATScopes() {
		method, path, _ := strings.Cut(route, " ")
		enforced[method+" "+openapi.Path(path)] = slices.Sorted(slices.Values(scopes))
	}
	documented := map[string][]string{}
	for p, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security == nil {
				continue
			}
			for _, req := range *op.Security {
				if scopes, ok := req["personalAccessToken"]; ok {
					documented[method+" "+p] = slices.Sorted(slices.Values(scopes))
				}
			}
		}
	}
	if diff := cmp.Diff(enforced, documented); diff != "" {
		t.Errorf("token scopes enforced (-) and documented (+) differ:\n%s", diff)
	}
}

package openapi_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"listo/apptest"
	"listo/controllers"
)

// TestDocsPageLoadsItsAssets: GET /docs is an HTML page under the strict
// CSP, with no inline script or style, whose stylesheets and module (and
// the module it imports) are served from the app's own versioned assets.
func TestDocsPageLoadsItsAssets(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	c := srv.Client()
	page := c.Do("GET", "/docs", nil).Expect(t, http.StatusOK)
	if got := page.Header.Get("Content-Security-Policy"); got != controllers.ContentSecurityPolicy {
		t.Errorf("Content-Security-Policy = %q; want %q", got, controllers.ContentSecurityPolicy)
	}
	html := string(page.Body)
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]|<style|\sstyle=|\son[a-z]+=`).MatchString(html) {
		t.Error("docs.html has an inline script, style or handler, which the CSP refuses")
	}
	build := srv.App.Build()
	want := map[string]string{
		"/assets/" + build + "/docs/docs.js":  "text/javascript",
		"/assets/" + build + "/docs/docs.css": "text/css",
		"/assets/" + build + "/app.css":       "text/css",
		"/assets/" + build + "/js/dom.js":     "text/javascript", // docs.js imports ../js/dom.js
	}
	for path, ct := range want {
		if !strings.Contains(html, `"`+path+`"`) && !strings.HasSuffix(path, "dom.js") {
			t.Errorf("docs.html does not refer to %s", path)
		}
		r := c.Do("GET", path, nil).Expect(t, http.StatusOK)
		if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, ct) {
			t.Errorf("GET %s: Content-Type = %q; want %s", path, got, ct)
		}
	}
	js := string(c.Do("GET", "/assets/"+build+"/docs/docs.js", nil).Body)
	if !strings.Contains(js, `from '../js/dom.js'`) || !strings.Contains(js, `fetch('/openapi.json'`) {
		t.Error("docs.js no longer imports ../js/dom.js or fetches /openapi.json; update this test")
	}
}

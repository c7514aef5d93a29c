package browser_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserTokensExportImport: on the account screen, create an API
// token (shown once, and it works), revoke it (and it stops working),
// download my data; on the todo list, import a TodoMVC file.
func TestBrowserTokensExportImport(t *testing.T) {
	srv := startServer(t, nil)
	b := newBrowser(t, srv.URL(), "")
	email, password := uniqueEmail("tokens"), "a long enough password 42"
	register(t, srv, email, password)
	b.logIn(email, password, "Laptop")
	b.addTodo("Already here")
	b.waitUntil("the todo saved", settled+` && `+todoItems+`.length === 1`)

	b.open("#/account")
	b.do("create a token",
		chromedp.WaitVisible(`#pat-none`),
		chromedp.SendKeys(`#pat-name`, "Nightly backup"),
		chromedp.Click(`#pat-scope-todos-write`),
		chromedp.SendKeys(`#pat-password`, password),
		chromedp.Click(`#pat-create-form button[type="submit"]`),
		chromedp.WaitVisible(`#pat-token`),
	)
	token := eval[string](b, `document.getElementById('pat-token').textContent`)
	if !regexp.MustCompile(`^listo_pat_[A-Za-z0-9_-]{43}$`).MatchString(token) {
		b.fail("token shown = %q", token)
	}
	if got := eval[string](b, `document.activeElement.id`); got != "pat-created" {
		b.fail("focus on %q after creating; want the new token's panel", got)
	}
	script := srv.Client()
	script.Token = token
	script.Do("GET", "/todos", nil).Expect(t, http.StatusOK)
	script.Do("PATCH", "/user", map[string]any{"name": "x"}).Expect(t, http.StatusForbidden)
	b.screenshot("created")

	b.do("close the token", chromedp.Click(`#pat-done`))
	b.waitUntil("the token listed, its secret gone", `document.getElementById('pat-created').hidden && document.querySelectorAll('#pat-list li.pat').length === 1 && !document.body.textContent.includes('listo_pat_')`)
	if got := eval[string](b, `[...document.querySelectorAll('#pat-list .pat-scopes li')].map((li) => li.title).join(' ')`); got != "todos:read todos:write" {
		b.fail("scopes listed = %q", got)
	}
	b.do("revoke it",
		chromedp.Click(`#pat-list .pat-revoke`),
		chromedp.WaitVisible(`#confirm-dialog .confirm-ok`),
		chromedp.Click(`#confirm-dialog .confirm-ok`),
		chromedp.WaitVisible(`#pat-none`),
	)
	script.Do("GET", "/todos", nil).Expect(t, http.StatusUnauthorized)

	// Download my data: the SPA hands the browser a file; catch it.
	eval[bool](b, `(() => {
		window.__saved = null;
		let blob = null;
		const create = URL.createObjectURL;
		URL.createObjectURL = (b) => { blob = b; return create.call(URL, b); };
		const click = HTMLAnchorElement.prototype.click;
		HTMLAnchorElement.prototype.click = function () {
			if (!this.download) return click.call(this);
			const name = this.download;
			blob.text().then((text) => { window.__saved = {name, text}; });
		};
		return true;
	})()`)
	b.do("download my data", chromedp.Click(`#download-data`))
	b.waitUntil("the file", `window.__saved !== null`)
	saved := eval[struct{ Name, Text string }](b, `window.__saved`)
	if !regexp.MustCompile(`^listo-export-\d{4}-\d{2}-\d{2}\.json$`).MatchString(saved.Name) {
		b.fail("saved as %q", saved.Name)
	}
	var export struct {
		Format string `json:"format"`
		Todos  []todo `json:"todos"`
	}
	if err := json.Unmarshal([]byte(saved.Text), &export); err != nil || export.Format != "listo-export" || len(export.Todos) != 1 || export.Todos[0].Title != "Already here" {
		b.fail("saved export = %.300s (%v)", saved.Text, err)
	}

	// Import a TodoMVC list on the todo screen.
	file := filepath.Join(t.TempDir(), "todos-vanillajs.json")
	if err := os.WriteFile(file, []byte(`[{"id":1,"title":"From TodoMVC","completed":true},{"id":2,"title":"  Spaces kept  ","completed":false}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	b.open("#/")
	b.waitUntil("the list", settled)
	b.do("pick the file",
		chromedp.WaitVisible(`#import-todos`),
		chromedp.SetUploadFiles(`#import-file`, []string{file}),
		chromedp.WaitVisible(`#confirm-dialog .confirm-ok`),
	)
	if got := eval[string](b, `document.querySelector('#confirm-dialog .dialog-title').textContent`); got != "Import 2 todos?" {
		b.fail("dialog title = %q", got)
	}
	b.do("import", chromedp.Click(`#confirm-dialog .confirm-ok`))
	b.waitUntil("three todos", settled+` && `+todoItems+`.length === 3`)
	if got, want := b.labels(), []string{"Already here", "From TodoMVC", "  Spaces kept  "}; !equal(got, want) {
		b.fail("labels = %q; want %q", got, want)
	}
	u := srv.Login(t, email, password)
	if got := titles(serverTodos(t, u)); !equal(got, []string{"Already here", "From TodoMVC (completed)", "  Spaces kept  "}) {
		t.Errorf("server todos = %q", got)
	}
	if !strings.Contains(eval[string](b, `document.getElementById('status').textContent`), "Imported 2 todos") {
		t.Log("the status toast did not say it (it may have gone already)")
	}
	b.screenshot("")
}

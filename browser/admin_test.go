package browser_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"listo/apptest"
	"listo/models"
)

// adminPerPage is the admin screen's fixed page size (PER_PAGE in
// dist/assets/js/views/admin.js): the UI has no per_page control, so the
// test makes enough users for a second page.
const adminPerPage = 20

const (
	userRows = `document.querySelectorAll('#admin tr.user-row')`
	// adminSettled: the admin list has loaded and is not reloading.
	adminSettled = `(document.querySelector('#admin .admin-results') !== null && !document.querySelector('#admin .admin-results').hasAttribute('aria-busy') && document.querySelector('#admin .admin-results .loading') === null)`
)

// userRow is the selector of the admin list's row for the user id.
func userRow(id string) string { return fmt.Sprintf(`#admin tr.user-row[data-id=%q]`, id) }

// rowEmails lists the emails in the admin list, in order.
func (b *browser) rowEmails() []string {
	return eval[[]string](b, `[...`+userRows+`].map((tr) => tr.querySelector('.user-email').textContent)`)
}

// logOut clicks Log out and waits for the login screen.
func (b *browser) logOut() {
	b.t.Helper()
	b.do("log out", chromedp.Click(`#nav-logout`), chromedp.WaitVisible(`#login-form`))
}

// clearField empties a text field (chromedp.SetValue refuses "", and
// chromedp.Clear only resets the default value of a field typed into).
func (b *browser) clearField(sel string) {
	b.t.Helper()
	eval[bool](b, fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.value = ''; return true; })()`, sel))
}

// searchUsers replaces the admin search box's text with q and submits it.
func (b *browser) searchUsers(q string) {
	b.t.Helper()
	b.clearField(`#user-search-q`)
	b.do("search users for "+q,
		chromedp.SendKeys(`#user-search-q`, q),
		chromedp.Click(`#user-search button[type="submit"]`),
	)
}

// apiUser reads a user through the admin API.
func apiUser(t *testing.T, admin *apptest.User, id string) models.User {
	t.Helper()
	var u models.User
	admin.Do("GET", "/users/"+id, nil).Expect(t, http.StatusOK).Decode(t, &u)
	return u
}

// apiLogin logs in through the API on a fresh client and returns the status.
func apiLogin(t *testing.T, srv *apptest.Server, email, password string) int {
	t.Helper()
	return srv.Client().Do("POST", "/auth", map[string]any{"email": email, "password": password, "device": "api check"}).Status
}

// TestBrowserAdmin: an admin lists, pages through and searches users, and
// disables, enables, promotes and deletes them; an ordinary user has no
// Admin link and no admin screen.
func TestBrowserAdmin(t *testing.T) {
	srv := startServer(t, nil)
	ctx := context.Background()

	// The admin is promoted in the store before any authenticated request,
	// so no cached copy of the old role exists.
	admin := srv.NewUser(t)
	role := models.RoleAdmin
	if _, err := srv.Store().UpdateUser(ctx, admin.ID, models.UserPatch{Role: &role}, time.Now()); err != nil {
		t.Fatalf("promote the admin: %v", err)
	}
	alice := srv.NewUser(t) // disabled, enabled, then made admin
	bob := srv.NewUser(t)   // deleted

	// Enough newer users for a second page (made in the store: they never
	// log in, so they need no real password hash).
	const fillers = adminPerPage
	for i := range fillers {
		now := time.Now()
		if _, err := srv.Store().CreateUser(ctx, models.User{
			Email: fmt.Sprintf("filler-%02d@example.com", i), Name: fmt.Sprintf("Filler %02d", i),
			PasswordHash: "-", Role: models.RoleUser, CreatedAt: now, UpdatedAt: now,
		}); err != nil {
			t.Fatalf("create filler user %d: %v", i, err)
		}
	}
	total := fillers + 3

	b := newBrowser(t, srv.URL(), "")

	// An ordinary user: no Admin link, and the screen refuses.
	b.logIn(bob.Email, bob.Password, "Bob's laptop")
	if got := eval[bool](b, `document.getElementById('nav-admin-item').hidden && document.getElementById('nav-admin').offsetParent === null`); !got {
		b.fail("the Admin link is visible to an ordinary user")
	}
	b.open("#/admin")
	b.waitUntil("the admins-only message", `document.body.dataset.route === 'admin' && document.querySelector('#admin .empty-title') !== null`)
	if got := eval[string](b, `document.querySelector('#admin .empty-title').textContent`); got != "Admins only" {
		b.fail("admin screen for an ordinary user says %q; want Admins only", got)
	}
	if n := eval[int](b, `document.querySelectorAll('#admin table, #user-search').length`); n != 0 {
		b.fail("an ordinary user sees the user list or the search form")
	}
	bob.Do("GET", "/users", nil).Expect(t, http.StatusForbidden)
	b.logOut()

	// The admin logs in through the form and sees the Admin link.
	b.logIn(admin.Email, admin.Password, "Admin desktop")
	b.do("see the Admin link", chromedp.WaitVisible(`#nav-admin`))
	b.do("open Admin", chromedp.Click(`#nav-admin`))
	b.waitUntil("the first page of users", `location.hash === '#/admin' && `+adminSettled+` && `+userRows+`.length === `+fmt.Sprint(adminPerPage))

	// Pagination: newest first, so the three older accounts are on page 2.
	if got, want := eval[string](b, `document.querySelector('#admin .page-of').textContent`), "Page 1 of 2"; got != want {
		b.fail("pager = %q; want %q", got, want)
	}
	if got, want := eval[string](b, `document.querySelector('#admin .list-summary').textContent`), fmt.Sprintf("1–%d of %d users", adminPerPage, total); got != want {
		b.fail("summary = %q; want %q", got, want)
	}
	if got := eval[bool](b, `document.querySelector('#admin .prev-page').tagName !== 'A' && document.querySelector('#admin .prev-page').getAttribute('aria-disabled') === 'true'`); !got {
		b.fail("Previous is a link on the first page")
	}
	var apiPage2 struct {
		Items []models.User `json:"items"`
		Total int           `json:"total"`
	}
	admin.Do("GET", fmt.Sprintf("/users?page=2&per_page=%d", adminPerPage), nil).Expect(t, http.StatusOK).Decode(t, &apiPage2)
	wantPage2 := make([]string, len(apiPage2.Items))
	for i, u := range apiPage2.Items {
		wantPage2[i] = u.Email
	}
	if apiPage2.Total != total || !equal(wantPage2, []string{bob.Email, alice.Email, admin.Email}) {
		t.Fatalf("API page 2 = %q of %d; want bob, alice, admin of %d", wantPage2, apiPage2.Total, total)
	}
	b.do("next page", chromedp.Click(`#admin a.next-page`))
	b.waitUntil("the second page", `location.hash === '#/admin?page=2' && `+adminSettled+` && `+userRows+`.length === 3`)
	if got := b.rowEmails(); !equal(got, wantPage2) {
		b.fail("page 2 = %q; want %q", got, wantPage2)
	}
	if got, want := eval[string](b, `document.querySelector('#admin .page-of').textContent`), "Page 2 of 2"; got != want {
		b.fail("pager = %q; want %q", got, want)
	}
	// The admin cannot disable or delete themself from this screen.
	if got := eval[bool](b, `document.querySelector('`+userRow(admin.ID)+` .toggle-disabled').disabled && document.querySelector('`+userRow(admin.ID)+` .delete-user').disabled`); !got {
		b.fail("the admin's own row can be disabled or deleted")
	}
	if got := eval[string](b, `document.querySelector('`+userRow(admin.ID)+` select.role-select').value`); got != "admin" {
		b.fail("the admin's role shows %q; want admin", got)
	}
	b.do("previous page", chromedp.Click(`#admin a.prev-page`))
	b.waitUntil("the first page again", `location.hash === '#/admin' && `+adminSettled+` && `+userRows+`.length === `+fmt.Sprint(adminPerPage))

	// Search for Alice: exactly her row.
	b.searchUsers(alice.Email)
	b.waitUntil("only Alice", `location.hash === '#/admin?q=`+strings.ReplaceAll(alice.Email, "@", "%40")+`' && `+adminSettled+` && `+userRows+`.length === 1`)
	if got := eval[string](b, userRows+`[0].dataset.id`); got != alice.ID {
		b.fail("search result is user %s; want Alice %s", got, alice.ID)
	}
	if got, want := b.rowEmails(), []string{alice.Email}; !equal(got, want) {
		b.fail("search result = %q; want %q", got, want)
	}

	// Disable Alice (no confirmation: it can be undone).
	b.do("disable Alice", chromedp.Click(userRow(alice.ID)+` .toggle-disabled`))
	b.waitUntil("Alice disabled", adminSettled+` && document.querySelector('`+userRow(alice.ID)+` .user-status').textContent === 'Disabled' && document.querySelector('`+userRow(alice.ID)+` .toggle-disabled').textContent === 'Enable'`)
	if u := apiUser(t, admin, alice.ID); !u.Disabled {
		t.Fatalf("after Disable the API shows %+v; want disabled: true", u)
	}
	if got := apiLogin(t, srv, alice.Email, alice.Password); got != http.StatusForbidden {
		t.Fatalf("login of the disabled user = %d; want 403", got)
	}
	alice.Do("GET", "/user", nil).Expect(t, http.StatusUnauthorized) // logged out everywhere

	// Enable her again.
	b.do("enable Alice", chromedp.Click(userRow(alice.ID)+` .toggle-disabled`))
	b.waitUntil("Alice enabled", adminSettled+` && document.querySelector('`+userRow(alice.ID)+` .user-status').textContent === 'Active' && document.querySelector('`+userRow(alice.ID)+` .toggle-disabled').textContent === 'Disable'`)
	if u := apiUser(t, admin, alice.ID); u.Disabled {
		t.Fatalf("after Enable the API shows %+v; want disabled: false", u)
	}
	if got := apiLogin(t, srv, alice.Email, alice.Password); got != http.StatusOK {
		t.Fatalf("login of the enabled user = %d; want 200", got)
	}

	// Make her an admin with the role menu, by keyboard ("a" picks Admin).
	b.do("make Alice an admin", chromedp.SendKeys(userRow(alice.ID)+` select.role-select`, "a"))
	b.waitUntil("the role saved", `document.querySelector('`+userRow(alice.ID)+` select.role-select').value === 'admin' && !document.querySelector('`+userRow(alice.ID)+` select.role-select').disabled && document.getElementById('status').textContent.includes('is now an admin')`)
	if u := apiUser(t, admin, alice.ID); u.Role != models.RoleAdmin {
		t.Fatalf("after the role change the API shows role %q; want admin", u.Role)
	}
	if u, err := srv.Store().UserByID(ctx, alice.ID); err != nil || u.Role != models.RoleAdmin {
		t.Fatalf("stored user = %+v, %v; want role admin", u, err)
	}

	// Delete Bob, confirming in the dialog.
	b.searchUsers(bob.Email)
	b.waitUntil("only Bob", adminSettled+` && `+userRows+`.length === 1 && `+userRows+`[0].dataset.id === '`+bob.ID+`'`)
	b.do("delete Bob",
		chromedp.Click(userRow(bob.ID)+` .delete-user`),
		chromedp.WaitVisible(`#confirm-dialog .confirm-ok`),
	)
	if got := eval[string](b, `document.querySelector('#confirm-dialog .dialog-title').textContent`); !strings.Contains(got, bob.Email) {
		b.fail("confirm dialog title = %q; want it to name %s", got, bob.Email)
	}
	b.do("confirm the deletion", chromedp.Click(`#confirm-dialog .confirm-ok`))
	b.waitUntil("Bob gone", `document.getElementById('confirm-dialog') === null && `+adminSettled+` && `+userRows+`.length === 0 && document.querySelector('#admin .empty-title') !== null`)
	admin.Do("GET", "/users/"+bob.ID, nil).Expect(t, http.StatusNotFound)
	if got := apiLogin(t, srv, bob.Email, bob.Password); got != http.StatusUnauthorized {
		t.Fatalf("login of the deleted user = %d; want 401", got)
	}

	// Reload page 2: Bob is gone, Alice shows as an active admin.
	b.open("#/admin?page=2")
	b.do("reload", chromedp.Reload())
	b.waitUntil("page 2 after the changes", `location.hash === '#/admin?page=2' && `+adminSettled+` && `+userRows+`.length === 2`)
	if got, want := b.rowEmails(), []string{alice.Email, admin.Email}; !equal(got, want) {
		b.fail("page 2 = %q; want %q", got, want)
	}
	if got := eval[string](b, `document.querySelector('`+userRow(alice.ID)+` select.role-select').value + ' ' + document.querySelector('`+userRow(alice.ID)+` .user-status').textContent`); got != "admin Active" {
		b.fail("Alice's row shows %q; want admin Active", got)
	}
	b.screenshot("")
}

// TestBrowserAccount: a user changes their name and password (a wrong
// current password first) and deletes their account.
func TestBrowserAccount(t *testing.T) {
	srv := startServer(t, nil)
	email, password := uniqueEmail("account"), "a long enough password 42"
	newPassword := "another long password 43"
	register(t, srv, email, password)

	b := newBrowser(t, srv.URL(), "")
	b.logIn(email, password, "Test laptop")
	if got := eval[string](b, `document.getElementById('user-name').textContent`); got != email {
		b.fail("top bar name = %q; want the email %q before a name is set", got, email)
	}
	other := srv.Login(t, email, password) // another device, for API checks

	b.do("open Account", chromedp.Click(`#nav-account`), chromedp.WaitVisible(`#profile-form`))
	if got := b.hash(); got != "#/account" {
		b.fail("hash = %q; want #/account", got)
	}

	// Name.
	b.clearField(`#profile-name`)
	b.do("change the name",
		chromedp.SendKeys(`#profile-name`, "Ada Lovelace"),
		chromedp.Click(`#profile-form button[type="submit"]`),
	)
	b.waitUntil("the name saved", `document.querySelector('#profile-form .form-success').textContent === 'Saved.'`)
	if got := eval[string](b, `document.getElementById('user-name').textContent + ' | ' + document.querySelector('#account .summary-name').textContent`); got != "Ada Lovelace | Ada Lovelace" {
		b.fail("top bar | summary = %q; want the new name in both", got)
	}
	var me models.User
	other.Do("GET", "/user", nil).Expect(t, http.StatusOK).Decode(t, &me)
	if me.Name != "Ada Lovelace" {
		t.Fatalf("API name = %q; want Ada Lovelace", me.Name)
	}

	// What the API says about a wrong current password (changes nothing).
	apiMessage := fieldMessage(t, other.Do("PATCH", "/user", map[string]any{"password": newPassword, "current_password": "not my password 99"}).
		Expect(t, http.StatusForbidden), "/current_password")

	// Password, with the wrong current password first.
	const currentErr = `#password-form .field[data-field="current_password"] .field-error`
	b.do("change the password with a wrong current password",
		chromedp.SendKeys(`#password-current-password`, "not my password 99"),
		chromedp.SendKeys(`#new-password`, newPassword),
		chromedp.SendKeys(`#new-password-confirm`, newPassword),
		chromedp.Click(`#password-form button[type="submit"]`),
		chromedp.WaitVisible(currentErr),
	)
	if got := eval[string](b, `document.querySelector('`+currentErr+`').textContent.trim()`); !strings.Contains(got, apiMessage) {
		b.fail("current password error = %q; want it to contain the API's %q", got, apiMessage)
	}
	if got := eval[string](b, `document.querySelector('#password-current-password').getAttribute('aria-invalid')`); got != "true" {
		b.fail("current password aria-invalid = %q; want true", got)
	}
	if n := eval[int](b, `document.querySelectorAll('#password-form .field:not([data-field="current_password"]) .field-error').length`); n != 0 {
		b.fail("%d other password fields show an error; want 0", n)
	}
	if got := eval[string](b, `document.querySelector('#password-form .form-success').textContent`); got != "" {
		b.fail("success shown after a wrong current password: %q", got)
	}
	if got := apiLogin(t, srv, email, password); got != http.StatusOK {
		t.Fatalf("login with the old password after the refused change = %d; want 200", got)
	}

	// Now the right one.
	b.clearField(`#password-current-password`)
	b.do("change the password",
		chromedp.SendKeys(`#password-current-password`, password),
		chromedp.Click(`#password-form button[type="submit"]`),
	)
	b.waitUntil("the password changed", `document.querySelector('#password-form .form-success').textContent === 'Password changed.'`)
	if n := eval[int](b, `document.querySelectorAll('#password-form .field-error').length`); n != 0 {
		b.fail("%d password fields still show an error", n)
	}
	if got := eval[string](b, `[...document.querySelectorAll('#password-form input[type="password"]')].map((i) => i.value).join('')`); got != "" {
		b.fail("the password fields were not emptied")
	}
	if got := apiLogin(t, srv, email, password); got != http.StatusUnauthorized {
		t.Fatalf("login with the old password = %d; want 401", got)
	}
	if got := apiLogin(t, srv, email, newPassword); got != http.StatusOK {
		t.Fatalf("login with the new password = %d; want 200", got)
	}
	other.Do("GET", "/user", nil).Expect(t, http.StatusUnauthorized) // other devices logged out

	// This browser is still logged in.
	b.do("reload Account", chromedp.Reload())
	b.waitUntil("the account screen after reload", `location.hash === '#/account' && document.querySelector('#profile-form') !== null`)
	if got := eval[string](b, `document.getElementById('user-name').textContent`); got != "Ada Lovelace" {
		b.fail("top bar name after reload = %q; want Ada Lovelace", got)
	}

	// Delete the account: password, then the confirmation dialog.
	b.do("delete the account",
		chromedp.SendKeys(`#delete-password`, newPassword),
		chromedp.Click(`#delete-account-form button[type="submit"]`),
		chromedp.WaitVisible(`#confirm-dialog .confirm-ok`),
	)
	if got := eval[string](b, `document.querySelector('#confirm-dialog .dialog-message').textContent`); !strings.Contains(got, email) {
		b.fail("confirm message = %q; want it to name %s", got, email)
	}
	b.do("confirm", chromedp.Click(`#confirm-dialog .confirm-ok`), chromedp.WaitVisible(`#login-form`))
	if got := b.hash(); got != "#/login" {
		b.fail("hash after deleting = %q; want #/login", got)
	}
	if got := eval[string](b, `(document.querySelector('#login .notice') || {textContent: ''}).textContent`); !strings.Contains(got, "deleted") {
		b.fail("login notice = %q; want it to say the account was deleted", got)
	}
	if got := eval[bool](b, `document.getElementById('topbar').hidden`); !got {
		b.fail("the top bar is still shown after deleting the account")
	}
	if got := apiLogin(t, srv, email, newPassword); got != http.StatusUnauthorized {
		t.Fatalf("login after deleting the account = %d; want 401", got)
	}
	// The browser holds no session any more (what a reload would find).
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch('/user', {credentials: 'same-origin', cache: 'no-store'}).then((r) => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != http.StatusUnauthorized {
		b.fail("GET /user from the page after deleting = %d, %v; want 401", status, err)
	}
	b.screenshot("")
}

package openapi

import (
	"cmp"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// Problem types Listo sends (RFC 9457 "type"); about:blank means the
// status says it all.
const (
	typeBlank           = "about:blank"
	typeValidation      = "/problems/validation"
	typeInvalidToken    = "/problems/invalid-token"
	typeLimitReached    = "/problems/limit-reached"
	typeEmailUnverified = "/problems/email-unverified"
	typeInsufficient    = "/problems/insufficient-scope"
	typeMFATokenInvalid = "/problems/mfa-token-invalid"
)

// tokensRoute creates personal access tokens: when it is routed, the
// operations name the token scopes that allow them.
const tokensRoute = "POST /user/tokens"

// access is who may call an operation.
type access int

const (
	public access = iota // anyone
	user                 // a signed-in user: an access token (bearer or cookie)
	admin                // an admin's access token
)

// body is whether an operation reads a JSON body.
type body int

const (
	noBody       body = iota
	jsonBody          // required
	optionalBody      // may be empty
)

// operation is what the document says of one route beyond its method and
// path. The failures every operation of its kind can answer (a malformed
// body, a missing token, a rate limit, the database down, ...) are added by
// failures; fails lists the operation's own.
type operation struct {
	id, tag, summary, description string
	access                        access
	scope                         string // the personal access token scopes it needs, space-separated (as OAuth writes them); "" none: it takes no token
	body                          body
	schema                        string // request schema: schemas/<schema>.json
	params                        []parameter
	replies                       []reply // the successful answers
	fails                         []failure
	limited                       bool   // behind a rate limit: 429 with Retry-After
	store                         bool   // uses the database: 503 with Retry-After when it is down
	refresh                       bool   // POST /refresh: the refresh token, in the body or in its cookie
	bodyLimit                     string // the largest body, in words; "" is 1 MiB
}

// reply is one successful answer.
type reply struct {
	status      int
	description string
	media       string   // "" no body
	schema      string   // response schema (components.json); "" any
	headers     []string // components.json names: "TodoETag", "RetryAfter"
}

// failure is one error status with the problem types it comes with.
type failure struct {
	status int
	types  []string
	why    []string
	html   bool // a browser asking for a page gets text/html instead
}

func (f failure) description() string {
	return http.StatusText(f.status) + ": " + strings.Join(f.why, "; ") + "."
}

func fail(status int, why string, types ...string) failure {
	if len(types) == 0 {
		types = []string{typeBlank}
	}
	return failure{status: status, types: types, why: []string{why}}
}

func ok(status int, description, schema string, headers ...string) reply {
	return reply{status: status, description: description, media: "application/json", schema: schema, headers: headers}
}

func noContent(description string, headers ...string) reply {
	return reply{status: http.StatusNoContent, description: description, headers: headers}
}

func query(name, description string, schema map[string]any) parameter {
	return parameter{Name: name, In: "query", Description: description, Schema: schema}
}

// security lists the ways to authenticate an operation (any one of them).
func (op operation) security(method string, pats bool) []map[string][]string {
	switch {
	case op.refresh:
		return []map[string][]string{{}, {"refreshCookie": {}, "csrf": {}}}
	case op.access == public:
		return []map[string][]string{}
	}
	cookie := map[string][]string{"cookie": {}}
	if unsafe(method) {
		cookie["csrf"] = []string{}
	}
	out := []map[string][]string{{"bearer": {}}, cookie}
	if pats && op.scope != "" && op.access == user {
		out = append(out, map[string][]string{"personalAccessToken": strings.Fields(op.scope)})
	}
	return out
}

func unsafe(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}

// failures is every error the operation can answer on method: its own and
// those of its kind, one per status, sorted by status. pats says whether
// personal access tokens exist (see security).
func (op operation) failures(method string, pats bool) []failure {
	all := slices.Clone(op.fails)
	if op.body != noBody {
		all = append(all,
			fail(http.StatusBadRequest, "the body is not valid JSON"),
			fail(http.StatusUnprocessableEntity, "the body does not match the request schema; errors lists every failing field", typeValidation))
	}
	if unsafe(method) {
		all = append(all,
			fail(http.StatusForbidden, "a browser sent it from another origin"),
			fail(http.StatusRequestEntityTooLarge, "the body is larger than "+cmp.Or(op.bodyLimit, "1 MiB")),
			fail(http.StatusUnsupportedMediaType, "the body is not application/json"))
	}
	if op.access != public {
		all = append(all, fail(http.StatusUnauthorized, "no access token, or one that is invalid, expired or of an ended session"))
		if unsafe(method) {
			all = append(all, fail(http.StatusForbidden, "cookie mode without the session's X-CSRF-Token"))
		}
		if pats && op.scope != "" {
			all = append(all,
				fail(http.StatusForbidden, "a personal access token without the scope "+strings.Join(strings.Fields(op.scope), " and "), typeInsufficient),
				fail(http.StatusTooManyRequests, "the personal access token made RATE_PAT_PER_MINUTE requests in the last minute"))
		} else if pats {
			all = append(all, fail(http.StatusForbidden, "a personal access token, which this operation never takes", typeInsufficient))
		}
	}
	if op.access == admin {
		all = append(all, fail(http.StatusForbidden, "the caller is not an admin"))
	}
	if op.limited {
		all = append(all, fail(http.StatusTooManyRequests, "too many requests; wait Retry-After seconds"))
	}
	if op.store || op.access != public {
		all = append(all, fail(http.StatusServiceUnavailable, "the database is unavailable; try again after Retry-After seconds"))
	}
	all = append(all, fail(http.StatusInternalServerError, "something went wrong on the server's side"))

	byStatus := map[int]*failure{}
	var statuses []int
	for _, f := range all {
		m, seen := byStatus[f.status]
		if !seen {
			m = &failure{status: f.status}
			byStatus[f.status] = m
			statuses = append(statuses, f.status)
		}
		for _, t := range f.types {
			if !slices.Contains(m.types, t) {
				m.types = append(m.types, t)
			}
		}
		m.why = append(m.why, f.why...)
		m.html = m.html || f.html
	}
	sort.Ints(statuses)
	out := make([]failure, 0, len(statuses))
	for _, s := range statuses {
		f := *byStatus[s]
		sort.Slice(f.types, func(i, j int) bool { // about:blank first
			a, b := f.types[i], f.types[j]
			return a == typeBlank || (b != typeBlank && a < b)
		})
		out = append(out, f)
	}
	return out
}

// tags are the groups of operations, in the order the reference shows them.
func tags() []tag {
	return []tag{
		{"Authentication", "Accounts and sessions: sign up, log in, refresh, log out."},
		{"Recovery", "The links Listo mails: password reset, email verification, email change."},
		{"Account", "The caller's own account and devices."},
		{"Personal access tokens", "Long-lived tokens for scripts and cron jobs, each limited to its scopes."},
		{"Second factors", "The caller's authenticator app (TOTP), recovery codes and passkeys."},
		{"Todos", "The caller's todo list."},
		{"Users", "User management, for admins."},
		{"Health", "Probes for orchestrators and load balancers."},
		{"Web app", "The single-page app, this reference and the document it is rendered from."},
	}
}

// description is the document's introduction.
const description = `Listo's REST API: JSON in and out, errors as RFC 9457 problems (application/problem+json) with a type, a title, the status, a detail and, for invalid fields, errors: [{field, message}].

Authenticate with Authorization: Bearer and the access_token of POST /auth, or in a browser with cookies (POST /auth with "cookie": true): then every unsafe request also carries X-CSRF-Token, equal to the listo_csrf cookie. Access tokens are short-lived; POST /refresh trades the single-use refresh token for new ones. Scripts use a personal access token instead (POST /user/tokens): Authorization: Bearer listo_pat_..., accepted only on the operations whose security names its scopes.

Request bodies are validated against the JSON Schemas in components (the files the server validates with); their formats listo-line, listo-title, listo-multiline and listo-plain are Listo's own text rules: no control characters (line: one line; title: not blank; multiline: newlines and tabs allowed; plain: any text without controls). Bodies are at most 1 MiB (an import: 5 MiB).

Every response carries X-Request-ID (an incoming well-formed one is echoed). Authenticated answers are Cache-Control: no-store. Rate limits answer 429 with Retry-After; a database outage answers 503 with Retry-After. A method a path does not have is 405 with Allow; a path that does not exist is 404.`

// operations is the table of every documented operation, keyed by
// "METHOD /path" as the OpenAPI document writes it.
func operations() map[string]operation {
	page, perPage := paramRef("page"), paramRef("per_page")
	ifMatch, ifNoneMatch := paramRef("IfMatch"), paramRef("IfNoneMatch")
	str := func(extra map[string]any) map[string]any {
		s := map[string]any{"type": "string"}
		for k, v := range extra {
			s[k] = v
		}
		return s
	}
	html := func(what string) []reply {
		return []reply{
			{status: http.StatusOK, description: what, media: "text/html", headers: []string{"ETag"}},
			{status: http.StatusNotModified, description: "The copy named by If-None-Match is current."},
		}
	}
	head := func(what string) []reply {
		return []reply{
			{status: http.StatusOK, description: what + " Headers only.", headers: []string{"ETag"}},
			{status: http.StatusNotModified, description: "The copy named by If-None-Match is current."},
		}
	}
	tokenBadRequest := fail(http.StatusBadRequest, "the link's token is unknown, expired, used or of another purpose; ask for a new link", typeInvalidToken)
	emailTaken := fail(http.StatusConflict, "another account has this email (errors names /email)")
	lastAdmin := fail(http.StatusConflict, "it would leave no enabled admin")
	passwordRejected := fail(http.StatusUnprocessableEntity, "the new password is refused by the password policy (too short, too common, ...)", typeValidation)
	busy := fail(http.StatusServiceUnavailable, "the server is busy hashing passwords")
	noMail := fail(http.StatusServiceUnavailable, "mail is not configured (production without SMTP_URL)")
	notFound := fail(http.StatusNotFound, "no such resource, or one of another user's")
	changed := fail(http.StatusPreconditionFailed, "If-Match names another version: nothing changed; read the todo again")
	bulkStopped := fail(http.StatusServiceUnavailable, "the change stopped before it was complete (changed says how many todos it changed); send it again to continue")
	grantCookies := "SetCookie"
	passkeysOff := fail(http.StatusServiceUnavailable, "passkeys are not configured (no WEBAUTHN_RP_ID, or no origin on it)")

	return map[string]operation{
		"GET /healthz": {
			id: "live", tag: "Health", summary: "Liveness",
			description: "200 while the process serves requests; it does not touch the database.",
			replies:     []reply{ok(200, "Alive.", "Alive")},
		},
		"GET /readyz": {
			id: "ready", tag: "Health", summary: "Readiness",
			description: "200 when the database answers within a second.",
			replies:     []reply{ok(200, "Ready.", "Ready")},
			fails:       []failure{fail(http.StatusServiceUnavailable, "the database does not answer")},
		},

		"POST /register": {
			id: "register", tag: "Authentication", summary: "Sign up",
			description: "Creates an account with the role user and, when mail is configured, mails a verification link. The email is compared in any case.",
			body:        jsonBody, schema: "register", limited: true, store: true,
			replies: []reply{ok(201, "The new user. Location is /user.", "User", "Location")},
			fails:   []failure{emailTaken, passwordRejected, busy},
		},
		"POST /auth": {
			id: "login", tag: "Authentication", summary: "Log in",
			description: `Starts a session (a device) and answers its tokens: in the body, or with "cookie": true in cookies, with the CSRF token in the body. An unknown email and a wrong password get the same 401 after the same work; after AUTH_FAILURE_MAX failures an email is locked (429) for the rest of the window. An account with a second factor (an authenticator app or a passkey) gets no session yet: the answer is mfa_required with an mfa_token for POST /auth/mfa, no tokens and no cookies, and the right password does not clear the email's failure count.`,
			body:        jsonBody, schema: "auth", limited: true, store: true,
			replies: []reply{{status: 200, description: "The session's tokens, or the second step to take.", media: "application/json", schema: "LoginAnswer", headers: []string{grantCookies}}},
			fails: []failure{
				fail(http.StatusUnauthorized, "the email or the password is wrong"),
				fail(http.StatusForbidden, "the account is disabled"),
				fail(http.StatusForbidden, "the email is not verified yet (REQUIRE_VERIFIED_EMAIL)", typeEmailUnverified),
				fail(http.StatusTooManyRequests, "the email is locked after too many failures"),
				busy,
			},
		},
		"POST /auth/mfa": {
			id: "completeLogin", tag: "Authentication", summary: "Log in: the second step",
			description: "The mfa_token of POST /auth with one of code (the authenticator app's), recovery_code or credential (a passkey's assertion for POST /auth/mfa/passkey/options). The answer is POST /auth's, in the mode chosen there, and the session's access tokens say amr [pwd, otp|hwk|swk, mfa]. Each answer spends one of the token's 5; a wrong one counts toward the email's login lock. The token works once and for 5 minutes.",
			body:        jsonBody, schema: "auth_mfa", limited: true, store: true,
			replies: []reply{{status: 200, description: "The session's tokens.", media: "application/json", schema: "Grant", headers: []string{grantCookies}}},
			fails: []failure{
				fail(http.StatusUnauthorized, "the code, recovery code or passkey is wrong"),
				fail(http.StatusUnauthorized, "the mfa_token is unknown, expired, used, or burnt by 5 wrong answers: log in again", typeMFATokenInvalid),
				fail(http.StatusForbidden, "the account was disabled meanwhile"),
				fail(http.StatusTooManyRequests, "the email is locked after too many failures"),
			},
		},
		"POST /auth/mfa/passkey/options": {
			id: "mfaPasskeyOptions", tag: "Authentication", summary: "Log in: a passkey for the second step",
			description: "Request options allowing the user's passkeys, for POST /auth/mfa with credential. Newer options replace older ones; the mfa_token stays as it was.",
			body:        jsonBody, schema: "mfa_token", limited: true, store: true,
			replies: []reply{ok(200, "The options for navigator.credentials.get().", "PasskeyRequestOptions")},
			fails: []failure{
				fail(http.StatusUnauthorized, "the mfa_token is unknown, expired, used, or burnt", typeMFATokenInvalid),
				fail(http.StatusConflict, "the account has no passkey"),
				passkeysOff,
			},
		},
		"POST /auth/passkey/options": {
			id: "passkeyLoginOptions", tag: "Authentication", summary: "Log in with a passkey: the options",
			description: "Begins a passwordless login: request options for any discoverable passkey of this site, user verification required, and the challenge_id (single use, 5 minutes, kept in the database) to answer POST /auth/passkey with.",
			limited:     true, store: true,
			replies: []reply{ok(200, "The options and their challenge_id.", "PasskeyLoginOptions")},
			fails:   []failure{passkeysOff},
		},
		"POST /auth/passkey": {
			id: "passkeyLogin", tag: "Authentication", summary: "Log in with a passkey",
			description: `With the challenge_id and the authenticator's assertion: a complete login, no second step, answered as POST /auth (device and "cookie" as there); the access tokens say amr [hwk or swk, mfa]. The challenge is used up first, so an assertion works once; its origin and RP ID are checked, and a sign counter that goes backwards (a cloned key) is refused and logged.`,
			body:        jsonBody, schema: "auth_passkey", limited: true, store: true,
			replies: []reply{{status: 200, description: "The session's tokens.", media: "application/json", schema: "Grant", headers: []string{grantCookies}}},
			fails: []failure{
				fail(http.StatusUnauthorized, "an unknown, deleted or cloned passkey, another user handle, a wrong origin or RP ID, no user verification, or a used or expired challenge_id"),
				fail(http.StatusForbidden, "the account is disabled"),
				fail(http.StatusForbidden, "the email is not verified yet (REQUIRE_VERIFIED_EMAIL)", typeEmailUnverified),
				fail(http.StatusUnprocessableEntity, "credential is not a WebAuthn assertion (errors names /credential)", typeValidation),
				passkeysOff,
			},
		},
		"POST /refresh": {
			id: "refresh", tag: "Authentication", summary: "Refresh the tokens",
			description: "Trades the refresh token (in the body, or the listo_refresh cookie with X-CSRF-Token) for new tokens, in the same mode. A refresh token works once: presenting a used one again revokes the session.",
			body:        optionalBody, schema: "refresh", limited: true, store: true, refresh: true,
			replies: []reply{{status: 200, description: "New tokens.", media: "application/json", schema: "Grant", headers: []string{grantCookies}}},
			fails: []failure{
				fail(http.StatusUnauthorized, "no refresh token, or one that is expired, revoked or used before (which revokes the session)"),
				fail(http.StatusForbidden, "cookie mode without the session's X-CSRF-Token"),
			},
		},
		"POST /logout": {
			id: "logout", tag: "Authentication", summary: "Log out",
			description: "Ends this session (scope=local, the default), every other session of the user (others) or all of them (global). The cookies are cleared unless this session lives on.",
			access:      user,
			params:      []parameter{query("scope", "Which sessions to end.", map[string]any{"enum": []string{"local", "others", "global"}, "default": "local"})},
			replies:     []reply{noContent("Logged out.", grantCookies)},
			fails:       []failure{fail(http.StatusUnprocessableEntity, "an unknown scope", typeValidation)},
		},

		"POST /password/forgot": {
			id: "forgotPassword", tag: "Recovery", summary: "Ask for a password reset link",
			description: "202 whatever the address, in the same time: a known, enabled account gets a reset link by mail.",
			body:        jsonBody, schema: "password_forgot", limited: true,
			replies: []reply{ok(202, "Accepted.", "Accepted")},
		},
		"POST /password/reset": {
			id: "resetPassword", tag: "Recovery", summary: "Set a new password from a reset link",
			description: "Sets the password, uses the token up and ends every session of the account; a notice is mailed. A password the policy refuses does not use the token up.",
			body:        jsonBody, schema: "password_reset", limited: true, store: true,
			replies: []reply{noContent("The password is set; log in again.")},
			fails:   []failure{tokenBadRequest, passwordRejected, busy},
		},
		"POST /email/verify": {
			id: "verifyEmail", tag: "Recovery", summary: "Verify the email from its link",
			body: jsonBody, schema: "email_token", limited: true, store: true,
			replies: []reply{ok(200, "The user, now verified.", "User")},
			fails:   []failure{tokenBadRequest},
		},
		"POST /email/verify/resend": {
			id: "resendVerification", tag: "Recovery", summary: "Mail a new verification link",
			description: "202 whatever the address: an unverified account gets a new link.",
			body:        jsonBody, schema: "email_resend", limited: true,
			replies: []reply{ok(202, "Accepted.", "Accepted")},
			fails:   []failure{noMail},
		},
		"POST /email/change/confirm": {
			id: "confirmEmailChange", tag: "Recovery", summary: "Confirm a new email from its link",
			description: "Moves the account to the address the link was mailed to (PATCH /user with email asked for it).",
			body:        jsonBody, schema: "email_token", limited: true, store: true,
			replies: []reply{ok(200, "The user at the new address.", "User")},
			fails:   []failure{tokenBadRequest, fail(http.StatusConflict, "another account took the address meanwhile (errors names /email)")},
		},

		"GET /user": {
			id: "getMe", tag: "Account", summary: "The caller's account",
			access: user, scope: "account:read",
			replies: []reply{ok(200, "The caller, with which second factors it has.", "Me")},
		},
		"PATCH /user": {
			id: "updateMe", tag: "Account", summary: "Change the caller's account",
			description: "Changing the email or the password needs current_password. A new email is only recorded as pending_email until it is confirmed from the link mailed there; a new password ends every other session.",
			access:      user, body: jsonBody, schema: "user_patch",
			replies: []reply{ok(200, "The caller, changed.", "User")},
			fails: []failure{
				fail(http.StatusForbidden, "current_password is wrong (errors names /current_password)"),
				emailTaken,
				fail(http.StatusUnprocessableEntity, "current_password is missing, or the new password is refused by the policy", typeValidation),
				fail(http.StatusTooManyRequests, "the account's email is locked after too many wrong passwords, or another password check of the account is running"),
				noMail, busy,
			},
		},
		"DELETE /user": {
			id: "deleteMe", tag: "Account", summary: "Delete the caller's account",
			description: "With the password: deletes the account, its sessions and its todos, and clears the cookies.",
			access:      user, body: jsonBody, schema: "user_delete",
			replies: []reply{noContent("Deleted.", grantCookies)},
			fails: []failure{
				fail(http.StatusForbidden, "the password is wrong (errors names /password)"),
				lastAdmin,
				fail(http.StatusTooManyRequests, "the account's email is locked after too many wrong passwords, or another password check of the account is running"),
				busy,
			},
		},
		"GET /user/sessions": {
			id: "listSessions", tag: "Account", summary: "The caller's devices",
			description: "The caller's live sessions; current marks this one.",
			access:      user,
			replies:     []reply{ok(200, "The sessions.", "SessionList")},
		},
		"DELETE /user/sessions/{id}": {
			id: "revokeSession", tag: "Account", summary: "Log a device out",
			description: "Ends one of the caller's sessions, at once.",
			access:      user,
			replies:     []reply{noContent("Ended.")},
			fails:       []failure{fail(http.StatusNotFound, "no such session of the caller's")},
		},
		"GET /user/export": {
			id: "exportData", tag: "Account", summary: "Download my data",
			description: "Everything Listo keeps of the caller, as a JSON attachment: the account, its live sessions and every todo; no password hash, token or secret. It is streamed, todos in no particular order (each has its order); POST /todos/import takes it back. Should the server fail part way, the connection is cut, so a partial file is never complete JSON.",
			access:      user, scope: "account:read todos:read",
			replies: []reply{{status: http.StatusOK, description: "The export, to save.", media: "application/json", schema: "Export", headers: []string{"ContentDisposition"}}},
		},
		"GET /user/tokens": {
			id: "listPATs", tag: "Personal access tokens", summary: "The caller's personal access tokens",
			description: "Newest first, without their secrets.",
			access:      user,
			replies:     []reply{ok(200, "The tokens.", "PATList")},
		},
		"POST /user/tokens": {
			id: "createPAT", tag: "Personal access tokens", summary: "Create a personal access token",
			description: "With the current password: a token for scripts, sent as Authorization: Bearer and accepted only on the operations its scopes allow: todos:read GET /todos and GET /todos/{id}; todos:write the todo writes and the import; events:read GET /events; account:read GET /user, and with todos:read GET /user/export. Never on account changes, sessions, tokens or admin operations, whatever its scopes. expires_in_days (1 to 365) sets its expiry; without it, it never expires. The token is in this answer only: Listo keeps its SHA-256. A new password (changed or reset), a disable or a deletion of the account revokes every token. At most 50 tokens per user; each makes at most RATE_PAT_PER_MINUTE requests a minute.",
			access:      user, body: jsonBody, schema: "pat_create",
			replies: []reply{ok(201, "The token, shown this once.", "PATCreated")},
			fails: []failure{
				fail(http.StatusForbidden, "current_password is wrong (errors names /current_password)"),
				fail(http.StatusConflict, "the caller holds 50 tokens already", typeLimitReached),
				fail(http.StatusTooManyRequests, "the account's email is locked after too many wrong passwords, or another password check of the account is running"),
				busy,
			},
		},
		"DELETE /user/tokens/{id}": {
			id: "revokePAT", tag: "Personal access tokens", summary: "Revoke a personal access token",
			description: "The token is refused from the next request on (by other instances within SESSION_CACHE_TTL); an event stream it opened on this instance ends at once (on another instance, at that stream's next keep-alive).",
			access:      user,
			replies:     []reply{noContent("Revoked.")},
			fails:       []failure{fail(http.StatusNotFound, "no such token of the caller's")},
		},
		"GET /events": {
			id: "events", tag: "Account", summary: "Live changes (Server-Sent Events)", scope: "events:read",
			description: "A text/event-stream of the caller's changes made on any device, each event with an id (increasing), a name and one line of JSON: todo.created and todo.updated (the todo as GET /todos/{id} returns it), todo.deleted {id}, todos.changed {reason: toggle_all, clear_completed or import} after a bulk change, user.updated (the user), session.revoked {session_id} (that session's streams then end), and resync {} when the resume point is gone (reload everything); a comment (: ping) keeps idle streams open. Last-Event-ID, or last_event_id for a new EventSource, resumes after that event. The stream ends when the access token expires, the session is revoked, the user is disabled or deleted, the client reads too slowly, or an 11th stream of the user opens (the oldest ends). A GET: cookie mode needs no X-CSRF-Token.",
			access:      user,
			params: []parameter{
				{Name: "Last-Event-ID", In: "header", Description: "The id of the last event received: the stream starts with the events after it, or with resync.", Schema: str(nil)},
				query("last_event_id", "Last-Event-ID for clients that cannot set the header.", str(nil)),
			},
			replies: []reply{{status: http.StatusOK, description: "The event stream, until it ends.", media: "text/event-stream"}},
			fails:   []failure{fail(http.StatusServiceUnavailable, "too many streams are open on this server; try again after Retry-After seconds")},
		},

		"POST /user/mfa/totp": {
			id: "setupTOTP", tag: "Second factors", summary: "Set up an authenticator app",
			description: "With the current password: a new TOTP secret, as text, as an otpauth URL and as its QR code, shown this once and stored encrypted. It is pending until confirmed; a new setup replaces a pending one.",
			access:      user, body: jsonBody, schema: "current_password",
			replies: []reply{ok(200, "The secret to put in the app.", "TOTPSetup")},
			fails: []failure{
				fail(http.StatusForbidden, "current_password is wrong (errors names /current_password)"),
				fail(http.StatusConflict, "an authenticator app is already on"),
				fail(http.StatusTooManyRequests, "the account's email is locked after too many wrong passwords, or another password check of the account is running"),
				busy,
			},
		},
		"POST /user/mfa/totp/confirm": {
			id: "confirmTOTP", tag: "Second factors", summary: "Confirm the authenticator app",
			description: "With the app's current code: TOTP is on from now, and a password login needs a second step. The answer is 10 new recovery codes, shown this once.",
			access:      user, body: jsonBody, schema: "totp_confirm",
			replies: []reply{ok(200, "The recovery codes.", "RecoveryCodes")},
			fails: []failure{
				fail(http.StatusUnprocessableEntity, "the code is not the app's current one (errors names /code)", typeValidation),
				fail(http.StatusConflict, "no setup to confirm, or a newer one replaced it"),
			},
		},
		"DELETE /user/mfa/totp": {
			id: "disableTOTP", tag: "Second factors", summary: "Turn the authenticator app off",
			description: "With the current password and the app's code or a recovery code. The recovery codes go too, unless passkeys remain.",
			access:      user, body: jsonBody, schema: "totp_delete",
			replies: []reply{noContent("Off.")},
			fails: []failure{
				fail(http.StatusForbidden, "current_password is wrong (errors names /current_password)"),
				fail(http.StatusForbidden, "the code is wrong (errors names /code)"),
				fail(http.StatusConflict, "no authenticator app is on"),
				fail(http.StatusTooManyRequests, "the account's email is locked after too many wrong passwords, or another password check of the account is running"),
				busy,
			},
		},
		"POST /user/mfa/recovery-codes": {
			id: "regenerateRecoveryCodes", tag: "Second factors", summary: "New recovery codes",
			description: "With the current password: 10 new recovery codes, shown this once; the old ones stop working.",
			access:      user, body: jsonBody, schema: "current_password",
			replies: []reply{ok(200, "The recovery codes.", "RecoveryCodes")},
			fails: []failure{
				fail(http.StatusForbidden, "current_password is wrong (errors names /current_password)"),
				fail(http.StatusConflict, "the account has no second factor for codes to stand in for"),
				fail(http.StatusTooManyRequests, "the account's email is locked after too many wrong passwords, or another password check of the account is running"),
				busy,
			},
		},

		"POST /user/passkeys/options": {
			id: "passkeyCreationOptions", tag: "Second factors", summary: "Add a passkey: the options",
			description: "Creation options for navigator.credentials.create(), excluding the caller's passkeys; the answer goes to POST /user/passkeys within 5 minutes.",
			access:      user,
			replies:     []reply{ok(200, "The options.", "PasskeyCreationOptions")},
			fails:       []failure{fail(http.StatusConflict, "the caller holds the most passkeys an account may (20)", typeLimitReached), passkeysOff},
		},
		"POST /user/passkeys": {
			id: "createPasskey", tag: "Second factors", summary: "Add a passkey",
			description: "The authenticator's answer to the options registers a passkey (its challenge is used up). From now on a password login needs a second step, and the passkey can log in alone.",
			access:      user, body: jsonBody, schema: "passkey_create",
			replies: []reply{ok(201, "The passkey. Location is /user/passkeys/{id}.", "Passkey", "Location")},
			fails: []failure{
				fail(http.StatusUnprocessableEntity, "credential is not a registration, answers no registration in progress of the caller's, or does not verify (origin, RP ID, challenge); errors names /credential", typeValidation),
				fail(http.StatusConflict, "the passkey is registered already"),
				fail(http.StatusConflict, "the caller holds the most passkeys an account may (20)", typeLimitReached),
				passkeysOff,
			},
		},
		"GET /user/passkeys": {
			id: "listPasskeys", tag: "Second factors", summary: "The caller's passkeys",
			access:  user,
			replies: []reply{ok(200, "The passkeys, oldest first.", "PasskeyList")},
		},
		"PATCH /user/passkeys/{id}": {
			id: "renamePasskey", tag: "Second factors", summary: "Rename a passkey",
			access: user, body: jsonBody, schema: "passkey_patch",
			replies: []reply{ok(200, "The passkey, renamed.", "Passkey")},
			fails:   []failure{fail(http.StatusNotFound, "no such passkey of the caller's")},
		},
		"DELETE /user/passkeys/{id}": {
			id: "deletePasskey", tag: "Second factors", summary: "Delete a passkey",
			description: "With the current password. It can no longer log in; the last second factor gone, the recovery codes go too.",
			access:      user, body: jsonBody, schema: "current_password",
			replies: []reply{noContent("Deleted.")},
			fails: []failure{
				fail(http.StatusForbidden, "current_password is wrong (errors names /current_password)"),
				fail(http.StatusNotFound, "no such passkey of the caller's"),
				fail(http.StatusTooManyRequests, "the account's email is locked after too many wrong passwords, or another password check of the account is running"),
				busy,
			},
		},

		"GET /users": {
			id: "listUsers", tag: "Users", summary: "List users",
			access:  admin,
			params:  []parameter{page, perPage, query("q", "Plain text matched against email and name, in any case.", str(map[string]any{"maxLength": 200}))},
			replies: []reply{ok(200, "One page of users.", "UserPage")},
			fails:   []failure{fail(http.StatusUnprocessableEntity, "a parameter is invalid (errors names it)", typeValidation)},
		},
		"POST /users": {
			id: "createUser", tag: "Users", summary: "Create a user",
			description: "The address counts as verified.",
			access:      admin, body: jsonBody, schema: "users_create",
			replies: []reply{ok(201, "The new user. Location is /users/{id}.", "User", "Location")},
			fails:   []failure{emailTaken, passwordRejected, busy},
		},
		"GET /users/{id}": {
			id: "getUser", tag: "Users", summary: "A user",
			access:  admin,
			replies: []reply{ok(200, "The user.", "User")},
			fails:   []failure{notFound},
		},
		"PATCH /users/{id}": {
			id: "updateUser", tag: "Users", summary: "Change a user",
			description: "Disabling a user or setting their password ends all their sessions. An email set by an admin counts as verified.",
			access:      admin, body: jsonBody, schema: "users_patch",
			replies: []reply{ok(200, "The user, changed.", "User")},
			fails:   []failure{notFound, emailTaken, lastAdmin, passwordRejected, busy},
		},
		"DELETE /users/{id}": {
			id: "deleteUser", tag: "Users", summary: "Delete a user",
			description: "Deletes the user, their sessions and their todos.",
			access:      admin,
			replies:     []reply{noContent("Deleted.")},
			fails:       []failure{notFound, lastAdmin},
		},

		"DELETE /users/{id}/mfa": {
			id: "removeUserFactors", tag: "Users", summary: "Remove a user's second factors",
			description: "For someone who lost theirs: the authenticator app, the recovery codes and the passkeys go, every session of the user ends, and they are told by mail when mail is configured. The password stays.",
			access:      admin,
			replies:     []reply{noContent("Removed.")},
			fails:       []failure{notFound},
		},

		"GET /todos": {
			id: "listTodos", tag: "Todos", summary: "List todos",
			access: user, scope: "todos:read",
			params: []parameter{
				query("completed", "Only completed (true) or open (false) todos.", map[string]any{"enum": []string{"true", "false"}}),
				query("q", "Plain text found in the title or the notes, in any case.", str(map[string]any{"maxLength": 200})),
				query("due_before", "Only todos due before this date (2026-12-31, midnight UTC) or date and time (2026-12-31T17:00:00Z).", str(nil)),
				query("sort", "order: the manual order (default); -created_at: newest first; due: soonest due first, todos without due last.", map[string]any{"enum": []string{"order", "-created_at", "due"}, "default": "order"}),
				page, perPage,
			},
			replies: []reply{ok(200, "One page of the caller's todos.", "TodoPage")},
			fails:   []failure{fail(http.StatusUnprocessableEntity, "a parameter is invalid (errors names every one)", typeValidation)},
		},
		"POST /todos": {
			id: "createTodo", tag: "Todos", summary: "Create a todo",
			description: "Without order the todo goes after the caller's others.",
			access:      user, scope: "todos:write", body: jsonBody, schema: "todo_create", limited: true,
			replies: []reply{ok(201, "The new todo. Location is /todos/{id}; ETag is its version.", "Todo", "Location", "TodoETag")},
			fails: []failure{
				fail(http.StatusConflict, "the caller holds MAX_TODOS_PER_USER todos already; nothing is created", typeLimitReached),
				fail(http.StatusUnprocessableEntity, "due is out of range", typeValidation),
			},
		},
		"PATCH /todos": {
			id: "setAllTodosCompleted", tag: "Todos", summary: "Complete or reopen every todo",
			description: `"Toggle all": sets completed on every todo of the caller's.`,
			access:      user, scope: "todos:write", body: jsonBody, schema: "todos_patch_all", limited: true,
			replies: []reply{ok(200, "How many todos changed.", "Updated")},
			fails:   []failure{bulkStopped},
		},
		"DELETE /todos": {
			id: "deleteCompletedTodos", tag: "Todos", summary: "Delete the completed todos",
			description: "Needs completed=true, so a bare DELETE /todos never empties a list.",
			access:      user, scope: "todos:write", limited: true,
			params:  []parameter{{Name: "completed", In: "query", Required: true, Description: "Must be true.", Schema: map[string]any{"const": "true"}}},
			replies: []reply{ok(200, "How many todos were deleted.", "Deleted")},
			fails:   []failure{fail(http.StatusUnprocessableEntity, "completed is not true", typeValidation), bulkStopped},
		},
		"GET /todos/{id}": {
			id: "getTodo", tag: "Todos", summary: "A todo",
			access: user, scope: "todos:read",
			replies: []reply{ok(200, "The todo; ETag is its version.", "Todo", "TodoETag")},
			fails:   []failure{notFound},
		},
		"PATCH /todos/{id}": {
			id: "updateTodo", tag: "Todos", summary: "Change a todo",
			description: `Changes the fields sent ("due": null clears the due date). With If-Match, only while the todo is at that version: the check and the write are one.`,
			access:      user, scope: "todos:write", body: jsonBody, schema: "todo_patch", limited: true,
			params:  []parameter{ifMatch},
			replies: []reply{ok(200, "The todo, changed; ETag is its new version.", "Todo", "TodoETag")},
			fails:   []failure{notFound, changed, fail(http.StatusUnprocessableEntity, "due is out of range", typeValidation)},
		},
		"DELETE /todos/{id}": {
			id: "deleteTodo", tag: "Todos", summary: "Delete a todo",
			description: "With If-Match, only while the todo is at that version.",
			access:      user, scope: "todos:write", limited: true,
			params:  []parameter{ifMatch},
			replies: []reply{noContent("Deleted.")},
			fails:   []failure{notFound, changed},
		},
		"POST /todos/import": {
			id: "importTodos", tag: "Todos", summary: "Import todos",
			description: "Listo's export document (its todos, in the order of their order; due dates, creation and completion times kept) or a TodoMVC localStorage array ([{title, completed}], in its order; id and order ignored). The todos go after the caller's own, titles and notes exactly as they are. Every todo is checked before any is stored: one invalid todo, or more than 10,000, and nothing is. One todos.changed event follows.",
			access:      user, scope: "todos:write", body: jsonBody, schema: "todos_import", limited: true, bodyLimit: "5 MiB",
			replies: []reply{ok(200, "How many todos were added.", "Imported")},
			fails: []failure{
				fail(http.StatusConflict, "the caller would hold more than MAX_TODOS_PER_USER todos; nothing is imported", typeLimitReached),
				fail(http.StatusUnprocessableEntity, "more than 10,000 todos, or an invalid one, named by its index (/todos/3/title; /3/title in an array): nothing is imported", typeValidation),
			},
		},

		"GET /": {
			id: "app", tag: "Web app", summary: "The web app",
			params: []parameter{ifNoneMatch}, replies: html("The single-page app."),
		},
		"HEAD /": {
			id: "appHead", tag: "Web app", summary: "The web app's headers",
			params: []parameter{ifNoneMatch}, replies: head("The single-page app."),
		},
		"GET /index.html": {
			id: "appIndex", tag: "Web app", summary: "The web app (by its file name)",
			params: []parameter{ifNoneMatch}, replies: html("The single-page app."),
		},
		"GET /assets/{path}": {
			id: "asset", tag: "Web app", summary: "A file of the web app",
			description: "Under /assets/<build>/ (the URLs the pages use) a file is cached for a year; without the build, or with an older one, it is revalidated.",
			params:      []parameter{ifNoneMatch},
			replies: []reply{
				{status: http.StatusOK, description: "The file, in its media type.", media: "*/*", headers: []string{"ETag"}},
				{status: http.StatusNotModified, description: "The copy named by If-None-Match is current."},
			},
			fails: []failure{{status: http.StatusNotFound, types: []string{typeBlank}, why: []string{"no such file (a browser asking for a page gets the 404 page)"}, html: true}},
		},
		"HEAD /assets/{path}": {
			id: "assetHead", tag: "Web app", summary: "A file's headers",
			params: []parameter{ifNoneMatch},
			replies: []reply{
				{status: http.StatusOK, description: "The file's headers.", headers: []string{"ETag"}},
				{status: http.StatusNotModified, description: "The copy named by If-None-Match is current."},
			},
			fails: []failure{{status: http.StatusNotFound, types: []string{typeBlank}, why: []string{"no such file"}, html: true}},
		},
		"GET /openapi.json": {
			id: "openapi", tag: "Web app", summary: "This API's OpenAPI 3.1 document",
			description: "Built by the server from its own routes and request schemas.",
			params:      []parameter{ifNoneMatch},
			replies: []reply{
				ok(200, "The document.", "OpenAPI", "ETag"),
				{status: http.StatusNotModified, description: "The copy named by If-None-Match is current."},
			},
		},
		"GET /docs": {
			id: "docs", tag: "Web app", summary: "This API reference",
			description: "A page that renders GET /openapi.json.",
			params:      []parameter{ifNoneMatch}, replies: html("The reference page."),
		},
	}
}

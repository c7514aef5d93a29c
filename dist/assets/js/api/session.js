// Requests with a session: on 401, one POST /refresh (shared by concurrent
// callers and serialised across tabs), one retry, and the
// "unauthenticated" event when the session is gone.

import { ApiError } from './errors.js';
import { CSRF_COOKIE, forgetSession, keepCsrfFrom, readCookie } from './csrf.js';
import { buildURL, parseBody, send, toError } from './http.js';

// Statuses of POST /refresh that mean "there is no session to refresh".
const REFRESH_REJECTED = new Set([400, 401, 403, 404, 422]);

// Counts successful refreshes, so a request that was sent before a refresh
// and fails with 401 retries without refreshing a second time.
let generation = 0;
let refreshing = null;

const listeners = { unauthenticated: new Set(), user: new Set() };

/**
 * Subscribes to client events: "unauthenticated" (the session is gone and
 * refresh failed) and "user" (a /refresh answer carried the current user).
 * Returns a function that unsubscribes.
 */
export function on(event, fn) {
  listeners[event].add(fn);
  return () => listeners[event].delete(fn);
}

function emit(event, value) {
  for (const fn of listeners[event]) {
    try {
      fn(value);
    } catch (err) {
      console.error(err);
    }
  }
}

/** Notes a new session from the body of a successful /auth. */
export function sessionStarted(data) {
  keepCsrfFrom(data);
  generation += 1;
}

async function sessionEnded(res) {
  forgetSession();
  emit('unauthenticated');
  return res ? toError(res, { unauthenticated: true }) : new ApiError(401, { title: 'Unauthorized', detail: 'Your session has ended.' }, { unauthenticated: true });
}

// Runs fn while holding a lock shared by every tab of this origin, where the
// browser has the Web Locks API (secure contexts: HTTPS or localhost).
function withRefreshLock(fn) {
  if (typeof navigator !== 'undefined' && navigator.locks && navigator.locks.request) {
    return navigator.locks.request('listo-refresh', fn);
  }
  return fn();
}

// One refresh, under the lock: true when a new access token was issued
// (here or by another tab), false when the session is gone.
async function refreshOnce(csrfWhenSent) {
  const now = readCookie(CSRF_COOKIE);
  if (csrfWhenSent !== undefined && now && now !== csrfWhenSent) {
    generation += 1;
    return true;
  }
  const res = await send('POST', '/refresh', { body: {} });
  if (res.ok) {
    const data = await parseBody(res);
    keepCsrfFrom(data);
    generation += 1;
    if (data && data.user) emit('user', data.user);
    return true;
  }
  if (REFRESH_REJECTED.has(res.status)) return false;
  throw await toError(res);
}

/**
 * Refreshes the session with the listo_refresh cookie. Resolves true when a
 * new access token was issued, false when the session is gone; rejects with
 * an ApiError when the server could not be asked (network, 429, 5xx).
 * Concurrent callers share one request.
 *
 * Tabs share the cookies, and the server treats a refresh token presented
 * twice as stolen (it revokes the session). So refreshes are serialised
 * across tabs, and a tab skips its own when the listo_csrf cookie (new on
 * every refresh) changed since its failed request was sent: another tab has
 * already refreshed, and a retry is enough.
 */
export function refreshSession(csrfWhenSent) {
  if (!refreshing) {
    refreshing = withRefreshLock(() => refreshOnce(csrfWhenSent)).finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/**
 * Sends one API request and resolves with the parsed JSON body (null for
 * 204). Options: body (JSON-encoded), query (object), headers, auth (false
 * for requests where 401 means "wrong credentials", not "expired token"),
 * raw (resolve with the Response of a successful answer, unread: a file to
 * save).
 */
export async function request(method, path, { body, query, headers, auth = true, raw = false } = {}) {
  const url = buildURL(path, query);
  const sentAt = generation;
  const csrfWhenSent = readCookie(CSRF_COOKIE);
  let res = await send(method, url, { body, headers });
  if (res.status === 401 && auth) {
    // If another request refreshed the session while this one was in
    // flight, the retry alone is enough.
    if (sentAt === generation) {
      const refreshed = await refreshSession(csrfWhenSent);
      if (!refreshed) throw await sessionEnded(res);
    }
    res = await send(method, url, { body, headers });
    if (res.status === 401) throw await sessionEnded(res);
  }
  if (!res.ok) throw await toError(res);
  return raw ? res : parseBody(res);
}

/** Shorthands for request. */
export const api = {
  get: (path, options) => request('GET', path, options),
  post: (path, body, options) => request('POST', path, { ...options, body }),
  put: (path, body, options) => request('PUT', path, { ...options, body }),
  patch: (path, body, options) => request('PATCH', path, { ...options, body }),
  del: (path, options) => request('DELETE', path, options),
};

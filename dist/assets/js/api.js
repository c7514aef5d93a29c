// API client for Listo's own JSON API, in cookie mode.
//
// The server keeps the tokens in HttpOnly cookies (listo_access, listo_refresh)
// and gives us a JS-readable listo_csrf cookie. This module:
//   - sends X-CSRF-Token (read from document.cookie at request time) on every
//     unsafe request;
//   - sends JSON bodies with Content-Type: application/json (the server answers
//     415 otherwise), and an empty {} for POST/PUT/PATCH without a body;
//   - on 401 calls POST /refresh once (concurrent 401s share that one call),
//     retries the request once, and reports "unauthenticated" when the
//     refresh fails;
//   - turns RFC 9457 problem+json answers into ApiError.
// No token is ever written to localStorage or sessionStorage.

const CSRF_COOKIE = 'listo_csrf';
const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);
// Statuses of POST /refresh that mean "there is no session to refresh".
const REFRESH_REJECTED = new Set([400, 401, 403, 404, 422]);

/** An error answer from the API (or no answer at all: status 0). */
export class ApiError extends Error {
  constructor(status, problem = {}, options = {}) {
    super(problem.detail || problem.title || `Request failed with status ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
    this.retryAfter = options.retryAfter ?? null;
    this.network = Boolean(options.network);
    // True when the session is gone and the app has been told to show the
    // login screen; views should not show their own error for it.
    this.unauthenticated = Boolean(options.unauthenticated);
  }

  /** The problem's field errors: [{field: "/password", message}]. */
  get fieldErrors() {
    return Array.isArray(this.problem?.errors) ? this.problem.errors : [];
  }
}

// The CSRF token from the last /auth or /refresh body: a fallback for when the
// cookie cannot be read. Memory only.
let csrfFromBody = null;
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

/** Returns the value of the cookie called name, or null. */
export function readCookie(name) {
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return part.slice(eq + 1).trim();
      }
    }
  }
  return null;
}

function csrfToken() {
  return readCookie(CSRF_COOKIE) || csrfFromBody;
}

function buildURL(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  if (!qs) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${qs}`;
}

async function send(method, url, { body, headers } = {}) {
  const h = new Headers(headers);
  h.set('Accept', 'application/json, application/problem+json');
  let payload;
  if (body !== undefined) {
    payload = JSON.stringify(body);
  } else if (BODY_METHODS.has(method)) {
    payload = '{}';
  }
  if (payload !== undefined) h.set('Content-Type', 'application/json');
  if (UNSAFE_METHODS.has(method)) {
    const token = csrfToken();
    if (token) h.set('X-CSRF-Token', token);
  }
  try {
    return await fetch(url, {
      method,
      headers: h,
      body: payload,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(
      0,
      { title: 'Network error', detail: "Can't reach Listo. Check your connection and try again." },
      { network: true },
    );
  }
}

function parseRetryAfter(value) {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds));
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.max(0, Math.round((date - Date.now()) / 1000));
  return null;
}

async function parseBody(res) {
  if (res.status === 204 || res.status === 205) return null;
  const text = await res.text();
  if (!text) return null;
  const type = res.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  }
  return text;
}

async function toError(res, options = {}) {
  let problem = {};
  try {
    const body = await parseBody(res);
    if (body && typeof body === 'object' && !Array.isArray(body)) problem = body;
  } catch {
    // An unreadable body still leaves us the status.
  }
  if (!problem.status) problem.status = res.status;
  if (!problem.title) problem.title = res.statusText || `Error ${res.status}`;
  return new ApiError(res.status, problem, {
    retryAfter: parseRetryAfter(res.headers.get('Retry-After')),
    ...options,
  });
}

async function sessionEnded(res) {
  csrfFromBody = null;
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
    refreshing = withRefreshLock(async () => {
      const now = readCookie(CSRF_COOKIE);
      if (csrfWhenSent !== undefined && now && now !== csrfWhenSent) {
        generation += 1;
        return true;
      }
      const res = await send('POST', '/refresh', { body: {} });
      if (res.ok) {
        const data = await parseBody(res);
        if (data && data.csrf_token) csrfFromBody = data.csrf_token;
        generation += 1;
        if (data && data.user) emit('user', data.user);
        return true;
      }
      if (REFRESH_REJECTED.has(res.status)) return false;
      throw await toError(res);
    }).finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/**
 * Sends one API request and resolves with the parsed JSON body (null for
 * 204). Options: body (JSON-encoded), query (object), headers, auth (false
 * for requests where 401 means "wrong credentials", not "expired token").
 */
export async function request(method, path, { body, query, headers, auth = true } = {}) {
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
  return parseBody(res);
}

/** Shorthands for request. */
export const api = {
  get: (path, options) => request('GET', path, options),
  post: (path, body, options) => request('POST', path, { ...options, body }),
  put: (path, body, options) => request('PUT', path, { ...options, body }),
  patch: (path, body, options) => request('PATCH', path, { ...options, body }),
  del: (path, options) => request('DELETE', path, options),
};

/** Logs in with a password; resolves with the user. */
export async function login({ email, password, device }) {
  const body = { email, password, cookie: true };
  if (device) body.device = device;
  const data = await request('POST', '/auth', { body, auth: false });
  if (data && data.csrf_token) csrfFromBody = data.csrf_token;
  generation += 1;
  return data.user;
}

/** Creates an account; resolves with the new user (not logged in yet). */
export function register({ email, password, name }) {
  const body = { email, password };
  if (name) body.name = name;
  return request('POST', '/register', { body, auth: false });
}

/**
 * Ends this session (scope undefined), every other session ("others") or
 * all of them ("global").
 */
export async function logout(scope) {
  await request('POST', '/logout', { body: {}, query: scope ? { scope } : undefined });
  if (scope !== 'others') forgetSession();
}

/** Drops what this module remembers about the session. */
export function forgetSession() {
  csrfFromBody = null;
}

/** A sentence for the user describing err. */
export function errorMessage(err) {
  if (!err) return 'Something went wrong.';
  if (typeof err === 'string') return err;
  if (err.network) return "Can't reach Listo. Check your connection and try again.";
  const problem = err.problem || {};
  let message = problem.detail || problem.title || err.message || 'Something went wrong.';
  if (err.status === 429) {
    if (!problem.detail) message = 'Too many attempts.';
    if (err.retryAfter) message += ` Try again in ${formatWait(err.retryAfter)}.`;
  }
  if (err.status >= 500 && !problem.detail) message = 'Something went wrong on our side. Please try again.';
  return message;
}

function formatWait(seconds) {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

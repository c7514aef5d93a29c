// The CSRF token sent with unsafe requests: the JS-readable listo_csrf
// cookie, or, when the cookie cannot be read, the token from the last
// /auth or /refresh body (kept in memory only).

export const CSRF_COOKIE = 'listo_csrf';

let csrfFromBody = null;

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

export function csrfToken() {
  return readCookie(CSRF_COOKIE) || csrfFromBody;
}

/** Remembers the csrf_token of an /auth or /refresh body, if it has one. */
export function keepCsrfFrom(data) {
  if (data && data.csrf_token) csrfFromBody = data.csrf_token;
}

/** Drops what this module remembers about the session. */
export function forgetSession() {
  csrfFromBody = null;
}

// Tokens from mailed links (#/reset-password?token=…, #/verify-email?token=…,
// #/confirm-email?token=…). The token is read as soon as the page or the
// hash changes, kept in memory only, and removed from the address bar (and
// so from history) with history.replaceState before anything else runs.

const LINK_PATHS = new Set(['/reset-password', '/verify-email', '/confirm-email']);

// The shape of the tokens Listo mails: base64url, at most 200 characters.
const TOKEN = /^[A-Za-z0-9_-]{1,200}$/;

const tokens = new Map(); // path → token

/** Reads a link token from the address bar, keeps it, and removes it there. */
export function captureLinkToken() {
  const raw = window.location.hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  if (q < 0) return;
  const path = raw.slice(0, q).replace(/(.)\/$/, '$1');
  if (!LINK_PATHS.has(path)) return;
  const query = new URLSearchParams(raw.slice(q + 1));
  if (!query.has('token')) return;
  const token = query.get('token') || '';
  query.delete('token');
  const rest = query.toString();
  const url = `${window.location.pathname}${window.location.search}#${path}${rest ? `?${rest}` : ''}`;
  window.history.replaceState(window.history.state, '', url);
  tokens.set(path, token);
}

/**
 * Captures the token of the current address now and of every later one;
 * call once, before the router starts, so its listener runs first.
 */
export function watchLinkTokens() {
  captureLinkToken();
  window.addEventListener('hashchange', captureLinkToken);
}

/**
 * The token last read for path, once: later calls answer null, as does a
 * token that cannot be one of Listo's (both are shown as an invalid link).
 */
export function takeLinkToken(path) {
  const token = tokens.get(path);
  tokens.delete(path);
  return token && TOKEN.test(token) ? token : null;
}

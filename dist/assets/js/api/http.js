// One request over the wire: the URL, the headers (JSON, X-CSRF-Token),
// and reading the answer or turning it into an ApiError.

import { ApiError } from './errors.js';
import { csrfToken } from './csrf.js';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export function buildURL(path, query) {
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

// The JSON body to send: body encoded, {} for POST/PUT/PATCH without one.
function jsonPayload(method, body) {
  if (body !== undefined) return JSON.stringify(body);
  if (BODY_METHODS.has(method)) return '{}';
  return undefined;
}

/** Sends one request; rejects with an ApiError (status 0) when there is no answer. */
export async function send(method, url, { body, headers } = {}) {
  const h = new Headers(headers);
  h.set('Accept', 'application/json, application/problem+json');
  const payload = jsonPayload(method, body);
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

/** The answer's body: parsed JSON, text, or null when empty. */
export async function parseBody(res) {
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

/** Turns an error answer (RFC 9457 problem+json or not) into an ApiError. */
export async function toError(res, options = {}) {
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

// The endpoints that start and end sessions: /auth, /register, /logout.

import { forgetSession } from './csrf.js';
import { request, sessionStarted } from './session.js';

/**
 * Logs in with a password; resolves with the user, or, for an account
 * with a second factor, with POST /auth's {mfa_required, mfa_token,
 * methods, expires_in} (no session yet: api/mfa.js completeLogin goes on).
 */
export async function login({ email, password, device }) {
  const body = { email, password, cookie: true };
  if (device) body.device = device;
  const data = await request('POST', '/auth', { body, auth: false });
  if (data && data.mfa_required) return data;
  sessionStarted(data);
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

// The endpoints of mailed links: password reset, email verification and
// confirmed email change. None needs a session; a 401 here is an answer,
// not an expired token.

import { request } from './session.js';

const NO_SESSION = { auth: false };

/** Asks for a reset link; the answer is 202 whether or not the address has an account. */
export function forgotPassword(email) {
  return request('POST', '/password/forgot', { ...NO_SESSION, body: { email } });
}

/** Sets a new password with the token of a reset link (204). */
export function resetPassword(token, password) {
  return request('POST', '/password/reset', { ...NO_SESSION, body: { token, password } });
}

/** Confirms an address with the token of a verification link; resolves with the user. */
export function verifyEmail(token) {
  return request('POST', '/email/verify', { ...NO_SESSION, body: { token } });
}

/** Asks for a new verification link (202 whatever the address). */
export function resendVerification(email) {
  return request('POST', '/email/verify/resend', { ...NO_SESSION, body: { email } });
}

/** Moves the account to its pending address; resolves with the user. */
export function confirmEmailChange(token) {
  return request('POST', '/email/change/confirm', { ...NO_SESSION, body: { token } });
}

/** True when err is the 400 problem of an invalid, expired or used link token. */
export function isInvalidToken(err) {
  if (!err) return false;
  if (err.status === 400 && problemType(err) === 'invalid-token') return true;
  // A token the schema refuses (422 on /token) is no better.
  return err.status === 422 && err.fieldErrors.some((fe) => fe.field === '/token');
}

/** True when err is the 403 of POST /auth for an address not confirmed yet. */
export function isEmailUnverified(err) {
  return Boolean(err) && err.status === 403 && problemType(err) === 'email-unverified';
}

// The last segment of the problem's type ("/problems/invalid-token" → "invalid-token").
function problemType(err) {
  const type = String((err.problem && err.problem.type) || '');
  return type.slice(type.lastIndexOf('/') + 1);
}

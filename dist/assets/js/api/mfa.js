// Second factors and passkeys: a login's second step, passwordless logins,
// and the account's authenticator app, recovery codes and passkeys.

import { api, request, sessionStarted } from './session.js';

const NO_SESSION = { auth: false };

/**
 * Answers a login's second step (answer: {code} or {recovery_code} or
 * {credential}) with the mfa_token of POST /auth; resolves with the user.
 */
export async function completeLogin(mfaToken, answer) {
  const data = await request('POST', '/auth/mfa', { ...NO_SESSION, body: { mfa_token: mfaToken, ...answer } });
  sessionStarted(data);
  return data.user;
}

/** Request options for a passkey as the second step. */
export function secondStepPasskeyOptions(mfaToken) {
  return request('POST', '/auth/mfa/passkey/options', { ...NO_SESSION, body: { mfa_token: mfaToken } });
}

/** A passwordless login's options: {challenge_id, publicKey}. */
export function passkeyLoginOptions() {
  return request('POST', '/auth/passkey/options', NO_SESSION);
}

/** Logs in with a passkey's assertion; resolves with the user. */
export async function passkeyLogin({ challengeID, credential, device }) {
  const body = { challenge_id: challengeID, credential, cookie: true };
  if (device) body.device = device;
  const data = await request('POST', '/auth/passkey', { ...NO_SESSION, body });
  sessionStarted(data);
  return data.user;
}

/** True when err says a login's second step is over (expired, used or burnt). */
export function isLoginStepExpired(err) {
  const type = String((err && err.problem && err.problem.type) || '');
  return Boolean(err) && err.status === 401 && type.endsWith('/mfa-token-invalid');
}

/** The account's second factors. */
export const factors = {
  status: async () => ((await api.get('/user')) || {}).mfa || { totp: false, passkeys: 0, recovery_codes_left: 0 },
  setupTOTP: (currentPassword) => api.post('/user/mfa/totp', { current_password: currentPassword }),
  confirmTOTP: (code) => api.post('/user/mfa/totp/confirm', { code }),
  disableTOTP: (currentPassword, code) => api.del('/user/mfa/totp', { body: { current_password: currentPassword, code } }),
  newRecoveryCodes: (currentPassword) => api.post('/user/mfa/recovery-codes', { current_password: currentPassword }),
  passkeys: async () => ((await api.get('/user/passkeys')) || {}).items || [],
  passkeyOptions: () => api.post('/user/passkeys/options'),
  addPasskey: (name, credential) => api.post('/user/passkeys', { name, credential }),
  renamePasskey: (id, name) => api.patch(`/user/passkeys/${encodeURIComponent(id)}`, { name }),
  deletePasskey: (id, currentPassword) => api.del(`/user/passkeys/${encodeURIComponent(id)}`, { body: { current_password: currentPassword } }),
};

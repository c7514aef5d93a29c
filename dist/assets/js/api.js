// API client for Listo's own JSON API, in cookie mode.
//
// The server keeps the tokens in HttpOnly cookies (listo_access, listo_refresh)
// and gives us a JS-readable listo_csrf cookie. This client:
//   - sends X-CSRF-Token (read from document.cookie at request time) on every
//     unsafe request;
//   - sends JSON bodies with Content-Type: application/json (the server answers
//     415 otherwise), and an empty {} for POST/PUT/PATCH without a body;
//   - on 401 calls POST /refresh once (concurrent 401s share that one call),
//     retries the request once, and reports "unauthenticated" when the
//     refresh fails;
//   - turns RFC 9457 problem+json answers into ApiError.
// No token is ever written to localStorage or sessionStorage.
//
// This module is the client's public face; the parts live in api/:
//   errors.js   ApiError and errorMessage
//   csrf.js     the CSRF token (cookie, or memory) and readCookie
//   http.js     one request over the wire, answers and error answers
//   session.js  request with refresh-and-retry, the api shorthands, events
//   auth.js     login, register, logout
//   recovery.js the mailed links: password reset, email verification and change
//   mfa.js      a login's second step, passkey logins, the account's factors

export { ApiError, errorMessage } from './api/errors.js';
export { readCookie, forgetSession } from './api/csrf.js';
export { on, refreshSession, request, api } from './api/session.js';
export { login, register, logout } from './api/auth.js';
export { forgotPassword, resetPassword, verifyEmail, resendVerification, confirmEmailChange, isInvalidToken, isEmailUnverified } from './api/recovery.js';
export { completeLogin, secondStepPasskeyOptions, passkeyLoginOptions, passkeyLogin, isLoginStepExpired, factors } from './api/mfa.js';

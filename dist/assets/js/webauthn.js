// Passkeys in the browser: the server's WebAuthn options (JSON, binary
// members in base64url) to navigator.credentials, and the credential back
// to the JSON the server reads (what PublicKeyCredential.toJSON() gives).
// Where the browser has the JSON helpers they are used; otherwise the same
// conversion is done here.

/** True when this browser can use passkeys. */
export function passkeysSupported() {
  return typeof window.PublicKeyCredential === 'function' && Boolean(navigator.credentials && navigator.credentials.create);
}

/** Resolves true when the browser offers passkeys in a field's autofill (conditional UI). */
export async function autofillSupported() {
  if (!passkeysSupported() || typeof PublicKeyCredential.isConditionalMediationAvailable !== 'function') return false;
  try {
    return await PublicKeyCredential.isConditionalMediationAvailable();
  } catch {
    return false;
  }
}

function fromB64url(s) {
  const b64 = String(s).replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

function toB64url(buf) {
  if (!buf) return undefined;
  const bytes = new Uint8Array(buf instanceof ArrayBuffer ? buf : buf.buffer);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function descriptors(list) {
  return (list || []).map((d) => ({ ...d, id: fromB64url(d.id) }));
}

function creationOptions(json) {
  if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function') {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  }
  return {
    ...json,
    challenge: fromB64url(json.challenge),
    user: { ...json.user, id: fromB64url(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  };
}

function requestOptions(json) {
  if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function') {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  }
  return { ...json, challenge: fromB64url(json.challenge), allowCredentials: descriptors(json.allowCredentials) };
}

function credentialJSON(cred) {
  if (typeof cred.toJSON === 'function') {
    try {
      return cred.toJSON();
    } catch {
      // Fall through to the manual form.
    }
  }
  const r = cred.response;
  const response = { clientDataJSON: toB64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toB64url(r.attestationObject);
    if (typeof r.getTransports === 'function') response.transports = r.getTransports();
  } else {
    response.authenticatorData = toB64url(r.authenticatorData);
    response.signature = toB64url(r.signature);
    if (r.userHandle) response.userHandle = toB64url(r.userHandle);
  }
  return {
    id: cred.id,
    rawId: toB64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
    response,
  };
}

/** Creates a passkey for the creation options ({publicKey}); resolves with its JSON. */
export async function createPasskey(options) {
  const cred = await navigator.credentials.create({ publicKey: creationOptions(options.publicKey) });
  return credentialJSON(cred);
}

/**
 * Asks for an assertion for the request options' publicKey member;
 * resolves with its JSON. mediation "conditional" waits for the person to
 * pick a passkey in a field's autofill; signal aborts.
 */
export async function getPasskey(publicKey, { mediation, signal } = {}) {
  const request = { publicKey: requestOptions(publicKey) };
  if (mediation) request.mediation = mediation;
  if (signal) request.signal = signal;
  const cred = await navigator.credentials.get(request);
  return credentialJSON(cred);
}

/** A sentence for an error of navigator.credentials (the person cancelled, and the like). */
export function passkeyErrorMessage(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
      return 'The passkey was not used (cancelled or timed out).';
    case 'InvalidStateError':
      return 'This authenticator already holds a passkey for your account.';
    case 'SecurityError':
      return "Passkeys can't be used on this address.";
    case 'NotSupportedError':
      return "This browser or authenticator can't make a passkey Listo accepts.";
    default:
      return null;
  }
}

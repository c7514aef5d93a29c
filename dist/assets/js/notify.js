// Status and error messages. index.html holds two live regions, #status
// (polite) and #alert (assertive); they are shown as toasts and read by
// screen readers. A message disappears after a while, on click or on Escape.

import { errorMessage } from './api.js';

const timers = new WeakMap();

function show(id, message, timeout) {
  const el = document.getElementById(id);
  if (!el) return;
  clearTimeout(timers.get(el));
  // Empty first, then fill on the next frame, so an identical message is
  // announced again.
  el.textContent = '';
  el.classList.remove('visible');
  requestAnimationFrame(() => {
    el.textContent = message;
    el.classList.add('visible');
    timers.set(el, setTimeout(() => dismiss(el), timeout));
  });
}

function dismiss(el) {
  clearTimeout(timers.get(el));
  el.classList.remove('visible');
  el.textContent = '';
}

/** Shows and announces a status message. */
export function announce(message, { timeout = 5000 } = {}) {
  show('status', message, timeout);
}

/**
 * Shows and announces an error. err may be a string or an ApiError; errors
 * that ended the session are left to the login screen.
 */
export function announceError(err, { timeout = 9000 } = {}) {
  if (err && err.unauthenticated) return;
  show('alert', typeof err === 'string' ? err : errorMessage(err), timeout);
}

/** Wires click and Escape dismissal of the toasts; call once. */
export function setupToasts() {
  for (const id of ['status', 'alert']) {
    const el = document.getElementById(id);
    if (el) el.addEventListener('click', () => dismiss(el));
  }
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || event.defaultPrevented) return;
    if (document.querySelector('dialog[open]')) return;
    for (const id of ['status', 'alert']) {
      const el = document.getElementById(id);
      if (el && el.classList.contains('visible')) dismiss(el);
    }
  });
}

// A "Resend the link" button for an address waiting for confirmation, with
// a polite status beside it. Used by the banner and the login screen.
// Hooks: .resend-button, .resend-status.

import { resendVerification, errorMessage } from './api.js';
import { h } from './dom.js';

/**
 * Returns [button, status]. email() gives the address at click time. The
 * answer is the same whether or not the address has an account, so the
 * status only says it was sent.
 */
export function resendControl({ id, email, label = 'Resend the link', className = 'button small' }) {
  const status = h('span', { class: 'resend-status', id: id ? `${id}-status` : null, role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id, class: `${className} resend-button` }, label);
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = 'Sending…';
    try {
      await resendVerification(email());
      status.textContent = 'Sent. Check your inbox.';
    } catch (err) {
      status.textContent = errorMessage(err);
    } finally {
      button.disabled = false;
    }
  });
  return [button, status];
}

// Confirm email change (#/confirm-email, from the mail sent to the new
// address): moves the account to it. Outcomes: #confirm-done, #confirm-taken
// (409: another account has the address now) and #confirm-invalid.

import { confirmEmailChange } from '../api.js';
import { showOutcome, linkButton } from './auth-layout.js';
import { INVALID_LINK, mountLinkScreen } from './link-screen.js';

/** Mounts the confirm-email screen. */
export function mountConfirmEmail(root, ctx) {
  // Where to go next: the account screen when signed in, else log in.
  const next = (label) => (ctx.user ? linkButton('#/account', label, { id: 'confirm-next' }) : linkButton('#/login', 'Log in', { id: 'confirm-next' }));

  return mountLinkScreen(root, {
    id: 'confirm',
    path: '/confirm-email',
    title: 'Confirm your new address',
    working: 'Moving your account…',
    post: confirmEmailChange,
    done(body, user) {
      if (ctx.user && user && ctx.user.id === user.id) ctx.setUser(user);
      showOutcome(body, {
        kind: 'success',
        id: 'confirm-done',
        message: [`Your account now uses ${user.email}.`, 'Log in with this address from now on.'],
        next: next('Go to your account'),
      });
    },
    failed(body, err) {
      if (err.status !== 409) return false;
      showOutcome(body, {
        kind: 'error',
        id: 'confirm-taken',
        message: ['That address is already used by another account.', 'Your account keeps its current address.'],
        next: next('Choose another address'),
      });
      return true;
    },
    invalid(body) {
      showOutcome(body, {
        kind: 'error',
        id: 'confirm-invalid',
        message: [INVALID_LINK, 'To change your address, ask again from your account screen.'],
        next: next('Go to your account'),
      });
    },
  });
}

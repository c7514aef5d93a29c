// Verify email (#/verify-email, from the mail sent at sign-up): confirms
// the address with the link's token. Outcomes: #verify-done, or
// #verify-invalid with a form for a new link (#verify-resend-form).

import { resendVerification, verifyEmail } from '../api.js';
import { h } from '../dom.js';
import { clearFormErrors, field, formValues, setFieldError, showFormErrors, showFormSuccess, withBusy } from '../forms.js';
import { linkButton, showOutcome } from './auth-layout.js';
import { INVALID_LINK, mountLinkScreen } from './link-screen.js';

function resendForm(email) {
  const form = h(
    'form',
    { id: 'verify-resend-form', class: 'form', novalidate: true, 'aria-label': 'Ask for a new link' },
    field({ id: 'verify-resend-email', name: 'email', label: 'Email', type: 'email', autocomplete: 'email', required: true, inputmode: 'email', value: email }),
    h(
      'div',
      { class: 'form-actions' },
      h('button', { type: 'submit', class: 'button primary block' }, 'Send a new link'),
      h('p', { class: 'form-success', role: 'status' }),
    ),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFormErrors(form);
    const value = formValues(form).email.trim();
    if (!value) {
      const control = form.elements.namedItem('email');
      setFieldError(control, 'Enter the address to confirm.');
      control.focus();
      return;
    }
    await withBusy(form, 'Sending…', async () => {
      try {
        await resendVerification(value);
      } catch (err) {
        showFormErrors(form, err);
        return;
      }
      showFormSuccess(form, 'Sent. If that address is waiting for confirmation, a new link is on its way.');
    });
  });
  return form;
}

/** Mounts the verify-email screen. */
export function mountVerifyEmail(root, ctx) {
  return mountLinkScreen(root, {
    id: 'verify',
    path: '/verify-email',
    title: 'Confirm your email address',
    working: 'Confirming your address…',
    post: verifyEmail,
    done(body, user) {
      // The banner for an unconfirmed address goes away.
      if (ctx.user && user && ctx.user.id === user.id) ctx.setUser(user);
      showOutcome(body, {
        kind: 'success',
        id: 'verify-done',
        message: 'Your address is confirmed.',
        next: ctx.user ? linkButton('#/', 'Go to your todos', { id: 'verify-next' }) : linkButton('#/login', 'Log in', { id: 'verify-next' }),
      });
    },
    invalid(body) {
      showOutcome(body, {
        kind: 'error',
        id: 'verify-invalid',
        message: [INVALID_LINK, 'Enter your address to get a new link.'],
        next: resendForm(ctx.user ? ctx.user.email : ''),
      });
    },
  });
}

// Reset password (#/reset-password, from the mailed link; form
// #reset-form): a new password for the token the link carried. The token
// was taken out of the address bar by linktoken.js before this screen
// mounts. Outcomes: #reset-done (with #reset-to-login) or #reset-invalid
// (with #reset-ask-again).

import { isInvalidToken, resetPassword } from '../api.js';
import { h } from '../dom.js';
import { field, formValues, setFieldError, showFormErrors, withBusy } from '../forms.js';
import { takeLinkToken } from '../linktoken.js';
import { authLayout, linkButton, showOutcome } from './auth-layout.js';
import { INVALID_LINK } from './link-screen.js';

/** Mounts the reset-password screen. */
export function mountResetPassword(root, ctx) {
  const token = takeLinkToken('/reset-password');
  const body = h('div', { class: 'auth-body' });
  let form = null;

  function showInvalid() {
    showOutcome(body, {
      kind: 'error',
      id: 'reset-invalid',
      message: [INVALID_LINK, 'Reset links work for 1 hour, and only once. Ask for a new one.'],
      next: linkButton('#/forgot-password', 'Ask for a new link', { id: 'reset-ask-again' }),
    });
  }

  function showDone() {
    // Every session has ended, this browser's too.
    ctx.forgetUser();
    showOutcome(body, {
      kind: 'success',
      id: 'reset-done',
      message: ['Your password was changed.', 'We logged you out on every device. Log in with your new password.'],
      next: linkButton('#/login', 'Log in', { id: 'reset-to-login' }),
    });
  }

  if (token) {
    form = h(
      'form',
      { id: 'reset-form', class: 'form', novalidate: true, 'aria-labelledby': 'reset-title' },
      field({
        id: 'reset-password',
        name: 'password',
        label: 'New password',
        type: 'password',
        autocomplete: 'new-password',
        required: true,
        reveal: true,
        hint: 'At least 8 characters. Common passwords are not accepted.',
      }),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary block' }, 'Set new password')),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const { password } = formValues(form);
      if (!password) {
        const control = form.elements.namedItem('password');
        setFieldError(control, 'Enter a new password.');
        control.focus();
        return;
      }
      await withBusy(form, 'Saving…', async () => {
        try {
          await resetPassword(token, password);
        } catch (err) {
          if (isInvalidToken(err)) showInvalid();
          // A weak password (422 on /password) leaves the link usable.
          else showFormErrors(form, err);
          return;
        }
        showDone();
      });
    });
    body.append(form);
  }

  root.append(
    authLayout({
      id: 'reset',
      title: 'Set a new password',
      lead: 'Choose a new password for your Listo account.',
      form: body,
      footer: ['Remembered it? ', h('a', { href: '#/login', id: 'reset-login' }, 'Log in')],
    }),
  );
  if (!token) showInvalid();

  return {
    focus() {
      if (!form) return; // the outcome has focus
      const control = form.elements.namedItem('password');
      if (control) control.focus();
    },
  };
}

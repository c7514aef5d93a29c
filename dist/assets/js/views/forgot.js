// Forgot password (#/forgot-password, form #forgot-form): asks for a reset
// link. The answer never tells whether the address has an account, so the
// screen always shows the same confirmation (#forgot-sent).

import { forgotPassword } from '../api.js';
import { h } from '../dom.js';
import { field, formValues, setFieldError, showFormErrors, withBusy } from '../forms.js';
import { authLayout, linkButton, showOutcome } from './auth-layout.js';

export const FORGOT_SENT = 'If an account exists for that address, we sent a link to reset the password. It works for 1 hour.';

/** Mounts the forgot-password screen. */
export function mountForgotPassword(root, ctx) {
  const body = h('div', { class: 'auth-body' });

  function showForm(email = '') {
    const form = h(
      'form',
      { id: 'forgot-form', class: 'form', novalidate: true, 'aria-labelledby': 'forgot-title' },
      field({ id: 'forgot-email', name: 'email', label: 'Email', type: 'email', autocomplete: 'email', required: true, inputmode: 'email', value: email }),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary block' }, 'Send me a link')),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const value = formValues(form).email.trim();
      if (!value) {
        const control = form.elements.namedItem('email');
        setFieldError(control, 'Enter the email address you log in with.');
        control.focus();
        return;
      }
      await withBusy(form, 'Sending…', async () => {
        try {
          await forgotPassword(value);
        } catch (err) {
          // Too many requests, no connection, a malformed address: say so.
          showFormErrors(form, err);
          return;
        }
        showSent(value);
      });
    });
    body.replaceChildren(form);
    return form;
  }

  function showSent(email) {
    const again = h('button', { type: 'button', id: 'forgot-again', class: 'button quiet' }, 'Send another link');
    again.addEventListener('click', () => {
      const form = showForm(email);
      form.elements.namedItem('email').focus();
    });
    showOutcome(body, {
      kind: 'info',
      id: 'forgot-sent',
      message: [FORGOT_SENT, 'Nothing there? Check your spam folder, or the spelling of the address.'],
      next: [linkButton('#/login', 'Back to log in', { id: 'forgot-to-login' }), h('p', { class: 'auth-more' }, again)],
    });
  }

  const form = showForm(ctx.user ? ctx.user.email : '');
  root.append(
    authLayout({
      id: 'forgot',
      title: 'Forgot your password?',
      lead: 'Enter the address you log in with, and we will mail you a link to set a new password.',
      form: body,
      footer: ['Remembered it? ', h('a', { href: '#/login', id: 'forgot-login' }, 'Log in')],
    }),
  );

  return {
    focus() {
      const email = form.elements.namedItem('email');
      if (email) email.focus();
    },
  };
}

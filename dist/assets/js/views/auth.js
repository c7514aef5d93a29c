// Log in (#/login, form #login-form) and sign up (#/signup, form
// #signup-form). Both send a device name, prefilled from the browser and
// editable; sign-up logs in right after the account is created. An address
// not confirmed yet (403 email-unverified) gets a notice with a resend
// button (#login-unverified, #login-resend). An account with a second
// factor goes on to the second step (second-step.js). "Log in with a
// passkey" (#login-passkey) logs in without a password, and where the
// browser offers passkeys in the email field's autofill, picking one there
// does too.

import { login, register, isEmailUnverified, passkeyLoginOptions, passkeyLogin, errorMessage } from '../api.js';
import { h } from '../dom.js';
import { icon } from '../icons.js';
import { clearFormErrors, field, formValues, showFormErrors, withBusy } from '../forms.js';
import { defaultDeviceName } from '../format.js';
import { authLayout } from './auth-layout.js';
import { resendControl } from '../resend.js';
import { autofillSupported, getPasskey, passkeyErrorMessage, passkeysSupported } from '../webauthn.js';
import { showSecondStep } from './second-step.js';

function deviceField(prefix) {
  return field({
    id: `${prefix}-device`,
    name: 'device',
    label: 'Device name',
    autocomplete: 'off',
    value: defaultDeviceName(),
    maxlength: 100,
    hint: 'Shown in your list of devices, so you can tell your sessions apart.',
  });
}

// The notice for a right password of an address not confirmed yet.
function unverifiedNotice(email) {
  return h(
    'div',
    { id: 'login-unverified', class: 'notice notice-warning', role: 'alert', tabindex: '-1' },
    icon('mail', { size: 18 }),
    h(
      'div',
      { class: 'notice-body' },
      h('p', {}, `Please confirm your email address first: follow the link we sent to ${email}.`),
      h('p', { class: 'notice-actions' }, resendControl({ id: 'login-resend', email: () => email })),
    ),
  );
}

/** Mounts the login screen. */
export function mountLogin(root, ctx) {
  const notice = ctx.takeNotice();
  const form = h(
    'form',
    { id: 'login-form', class: 'form', novalidate: true, 'aria-labelledby': 'login-title' },
    field({ id: 'login-email', name: 'email', label: 'Email', type: 'email', autocomplete: passkeysSupported() ? 'username webauthn' : 'email', required: true, inputmode: 'email' }),
    field({ id: 'login-password', name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true, reveal: true }),
    h('p', { class: 'auth-forgot' }, h('a', { href: '#/forgot-password', id: 'to-forgot' }, 'Forgot password?')),
    deviceField('login'),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary block' }, 'Log in')),
  );

  let secondStepFocus = null;
  // The passkey offered in the email field's autofill: a request that
  // waits for the person to pick one, aborted when they do anything else.
  let autofill = null;
  function stopAutofill() {
    if (autofill) autofill.abort();
    autofill = null;
  }

  async function logInWithPasskey(credentialFor, busyText) {
    const v = formValues(form);
    const device = v.device.trim();
    const options = await passkeyLoginOptions();
    const credential = await credentialFor(options);
    if (!credential) return;
    await withBusy(form, busyText, async () => {
      const user = await passkeyLogin({ challengeID: options.challenge_id, credential, device });
      ctx.signIn(user);
    });
  }

  async function startAutofill() {
    if (!(await autofillSupported()) || !form.isConnected) return;
    const controller = new AbortController();
    autofill = controller;
    try {
      await logInWithPasskey(async (options) => {
        try {
          return await getPasskey(options.publicKey, { mediation: 'conditional', signal: controller.signal });
        } catch {
          return null; // aborted, or nothing picked
        }
      }, 'Logging in…');
    } catch (err) {
      if (!controller.signal.aborted) showFormErrors(form, passkeyFailure(err));
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    stopAutofill();
    const v = formValues(form);
    const email = v.email.trim();
    const old = form.querySelector('#login-unverified');
    if (old) old.remove();
    await withBusy(form, 'Logging in…', async () => {
      try {
        const result = await login({ email, password: v.password, device: v.device.trim() });
        if (result && result.mfa_required) {
          secondStepFocus = showSecondStep(root, ctx, result);
          secondStepFocus();
          return;
        }
        ctx.signIn(result);
      } catch (err) {
        if (isEmailUnverified(err)) {
          clearFormErrors(form);
          const notice = unverifiedNotice(email);
          form.prepend(notice);
          notice.focus();
          return;
        }
        showFormErrors(form, err);
      }
    });
  });

  let passkeyBlock = null;
  if (passkeysSupported()) {
    const button = h('button', { type: 'button', class: 'button block', id: 'login-passkey' }, icon('key', { size: 18 }), 'Log in with a passkey');
    button.addEventListener('click', async () => {
      stopAutofill();
      clearFormErrors(form);
      button.disabled = true;
      try {
        await logInWithPasskey(async (options) => {
          try {
            return await getPasskey(options.publicKey);
          } catch (err) {
            showFormErrors(form, passkeyErrorMessage(err) || String(err.message || err));
            return null;
          }
        }, 'Logging in with your passkey…');
      } catch (err) {
        showFormErrors(form, passkeyFailure(err));
      } finally {
        button.disabled = false;
      }
    });
    passkeyBlock = h('div', { class: 'login-passkey' }, h('p', { class: 'or' }, 'or'), button);
  }

  root.append(
    authLayout({
      id: 'login',
      title: 'Log in',
      lead: 'Welcome back. Your todos are waiting.',
      notice,
      form: passkeyBlock ? h('div', { class: 'login-methods' }, form, passkeyBlock) : form,
      footer: ['New to Listo? ', h('a', { href: '#/signup', id: 'to-signup' }, 'Create an account')],
    }),
  );
  startAutofill();

  return {
    focus() {
      if (secondStepFocus) {
        secondStepFocus();
        return;
      }
      const email = form.elements.namedItem('email');
      if (email) email.focus();
    },
    unmount() {
      stopAutofill();
    },
  };
}

// What to say when a passkey login is refused.
function passkeyFailure(err) {
  if (err && err.status === 401) return "This passkey can't log you in here. Try again, or log in with your password.";
  return errorMessage(err);
}

/** Mounts the sign-up screen. */
export function mountSignup(root, ctx) {
  const form = h(
    'form',
    { id: 'signup-form', class: 'form', novalidate: true, 'aria-labelledby': 'signup-title' },
    field({ id: 'signup-name', name: 'name', label: 'Name', autocomplete: 'name', optional: true, maxlength: 100 }),
    field({ id: 'signup-email', name: 'email', label: 'Email', type: 'email', autocomplete: 'email', required: true, inputmode: 'email' }),
    field({
      id: 'signup-password',
      name: 'password',
      label: 'Password',
      type: 'password',
      autocomplete: 'new-password',
      required: true,
      reveal: true,
      hint: 'At least 8 characters. Common passwords are not accepted.',
    }),
    deviceField('signup'),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary block' }, 'Create account')),
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const v = formValues(form);
    const email = v.email.trim();
    await withBusy(form, 'Creating your account…', async () => {
      try {
        await register({ email, password: v.password, name: v.name.trim() });
      } catch (err) {
        // A duplicate email (409) belongs next to the email field.
        showFormErrors(form, err, { fallbackField: 'email', fallbackStatuses: [409] });
        return;
      }
      try {
        const user = await login({ email, password: v.password, device: v.device.trim() });
        if (user && user.mfa_required) throw user; // cannot happen to a new account; log in as usual
        ctx.signIn(user);
      } catch (err) {
        ctx.setNotice(
          isEmailUnverified(err)
            ? `Your account was created. Follow the link we sent to ${email} to confirm your address, then log in.`
            : 'Your account was created. Please log in.',
        );
        ctx.navigate('#/login');
      }
    });
  });

  root.append(
    authLayout({
      id: 'signup',
      title: 'Create your account',
      lead: 'Lists that follow you to every device.',
      form,
      footer: ['Already have an account? ', h('a', { href: '#/login', id: 'to-login' }, 'Log in')],
    }),
  );

  return {
    focus() {
      const name = form.elements.namedItem('name');
      if (name) name.focus();
    },
  };
}

// The second step of a login (after the right password, for an account
// with an authenticator app or a passkey): a code from the app, a
// recovery code, or the passkey. An expired or used-up step goes back to
// the password.
// Hooks: #second-step, #mfa-form, #mfa-code, #mfa-recovery,
// #mfa-use-recovery, #mfa-use-code, #mfa-passkey, #mfa-back.

import { completeLogin, secondStepPasskeyOptions, isLoginStepExpired, errorMessage } from '../api.js';
import { h } from '../dom.js';
import { icon } from '../icons.js';
import { clearFormErrors, field, formValues, setFieldError, showFormErrors, withBusy } from '../forms.js';
import { getPasskey, passkeyErrorMessage, passkeysSupported } from '../webauthn.js';
import { authLayout } from './auth-layout.js';

/**
 * Shows the second step in root for challenge (POST /auth's answer).
 * Returns the screen's focus function.
 */
export function showSecondStep(root, ctx, challenge) {
  const methods = challenge.methods || [];
  const hasCode = methods.includes('totp');
  const hasRecovery = methods.includes('recovery_code');
  const hasPasskey = methods.includes('passkey') && passkeysSupported();
  let mode = hasCode ? 'code' : 'recovery';

  const codeField = field({
    id: 'mfa-code',
    name: 'code',
    label: 'Code from your authenticator app',
    autocomplete: 'one-time-code',
    inputmode: 'numeric',
    maxlength: 6,
    hint: 'The 6 digits your app shows for Listo now.',
  });
  const recoveryField = field({
    id: 'mfa-recovery',
    name: 'recovery_code',
    label: 'Recovery code',
    autocomplete: 'off',
    maxlength: 20,
    hint: 'One of the codes you saved when you turned on two-step verification, like ABCDE-FGHJK. Each works once.',
  });
  const toRecovery = h('button', { type: 'button', class: 'button quiet small', id: 'mfa-use-recovery' }, 'Use a recovery code instead');
  const toCode = h('button', { type: 'button', class: 'button quiet small', id: 'mfa-use-code' }, 'Use the authenticator app instead');
  const submit = h('button', { type: 'submit', class: 'button primary block' }, 'Verify');
  const form = h(
    'form',
    { id: 'mfa-form', class: 'form', novalidate: true, 'aria-labelledby': 'second-step-title' },
    codeField,
    recoveryField,
    h('div', { class: 'form-actions' }, submit),
    h('p', { class: 'mfa-switch' }, hasCode && hasRecovery ? [toRecovery, toCode] : null),
  );

  function setMode(next) {
    mode = next;
    codeField.hidden = mode !== 'code';
    recoveryField.hidden = mode !== 'recovery';
    toRecovery.hidden = mode !== 'code';
    toCode.hidden = mode !== 'recovery';
    const showForm = hasCode || hasRecovery;
    form.hidden = !showForm;
  }
  toRecovery.addEventListener('click', () => {
    clearFormErrors(form);
    setMode('recovery');
    form.elements.namedItem('recovery_code').focus();
  });
  toCode.addEventListener('click', () => {
    clearFormErrors(form);
    setMode('code');
    form.elements.namedItem('code').focus();
  });

  // A step that is over sends the person back to the password.
  function restart() {
    ctx.setNotice('Your login took too long or had too many wrong codes. Please log in again.');
    ctx.navigate('#/login', { replace: true });
  }

  async function finish(answer, control) {
    try {
      const user = await completeLogin(challenge.mfa_token, answer);
      ctx.signIn(user);
    } catch (err) {
      if (isLoginStepExpired(err)) {
        restart();
        return;
      }
      if (err.status === 401 && control) {
        clearFormErrors(form);
        setFieldError(control, 'is not right. Check it and try again.');
        control.select();
        control.focus();
        return;
      }
      showFormErrors(form, err);
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFormErrors(form);
    const v = formValues(form);
    const name = mode === 'code' ? 'code' : 'recovery_code';
    const control = form.elements.namedItem(name);
    const value = (v[name] || '').replace(/\s+/g, '');
    if (mode === 'code' && !/^\d{6}$/.test(value)) {
      setFieldError(control, 'must be the 6 digits your app shows.');
      control.focus();
      return;
    }
    if (!value) {
      setFieldError(control, 'is required.');
      control.focus();
      return;
    }
    await withBusy(form, 'Checking…', () => finish({ [name]: value }, control));
  });

  const passkeyButton = hasPasskey
    ? h('button', { type: 'button', class: ['button', 'block', !hasCode && 'primary'], id: 'mfa-passkey' }, icon('key', { size: 18 }), 'Use your passkey')
    : null;
  const passkeyError = h('p', { class: 'form-error', id: 'mfa-passkey-error', role: 'alert', hidden: true });
  if (passkeyButton) {
    passkeyButton.addEventListener('click', async () => {
      passkeyButton.disabled = true;
      passkeyError.hidden = true;
      try {
        const options = await secondStepPasskeyOptions(challenge.mfa_token);
        let credential;
        try {
          credential = await getPasskey(options.publicKey);
        } catch (err) {
          passkeyError.textContent = passkeyErrorMessage(err) || String(err.message || err);
          passkeyError.hidden = false;
          return;
        }
        const user = await completeLogin(challenge.mfa_token, { credential });
        ctx.signIn(user);
      } catch (err) {
        if (isLoginStepExpired(err)) {
          restart();
          return;
        }
        passkeyError.textContent = err.status === 401 ? "This passkey didn't work. Try again, or use a code." : errorMessage(err);
        passkeyError.hidden = false;
      } finally {
        passkeyButton.disabled = false;
      }
    });
  }

  setMode(mode);
  const lead = hasCode
    ? 'Enter the code from your authenticator app to finish logging in.'
    : 'Use your passkey to finish logging in.';
  root.replaceChildren(
    authLayout({
      id: 'second-step',
      title: 'Two-step verification',
      lead,
      form: h(
        'div',
        { class: 'second-step' },
        form,
        passkeyButton ? h('div', { class: 'mfa-passkey' }, hasCode || hasRecovery ? h('p', { class: 'or' }, 'or') : null, passkeyButton, passkeyError) : null,
      ),
      // The address is #/login already: the link starts the login again.
      footer: [
        h('a', {
          href: '#/login',
          id: 'mfa-back',
          onclick: (event) => {
            event.preventDefault();
            ctx.navigate('#/login', { replace: true });
          },
        }, 'Back to log in'),
      ],
    }),
  );
  // Without the app, the recovery code form stays reachable beside the passkey.
  if (!hasCode && hasRecovery) setMode('recovery');

  return () => {
    const target = mode === 'code' && hasCode ? form.elements.namedItem('code') : passkeyButton && !hasCode ? passkeyButton : form.elements.namedItem('recovery_code');
    if (target) target.focus();
  };
}

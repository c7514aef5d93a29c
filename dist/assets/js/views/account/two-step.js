// The account screen's "Two-step verification" card: set up an
// authenticator app (QR code and the secret as text, confirmed with a
// code), the recovery codes shown once (copy, download), new recovery
// codes, and turning the app off.
// Hooks: #two-step, #two-step-status, #totp-setup-form, #totp-setup,
// #totp-qr, #totp-secret, #totp-confirm-form, #totp-code, #totp-cancel,
// #recovery-codes-panel, #recovery-codes, #copy-codes, #download-codes,
// #codes-done, #codes-left, #regenerate-codes-form, #totp-disable-form.

import { factors, errorMessage } from '../../api.js';
import { h, errorBlock, loadingBlock } from '../../dom.js';
import { icon } from '../../icons.js';
import { announce } from '../../notify.js';
import { clearFormErrors, field, formValues, setFieldError, showFormErrors, withBusy } from '../../forms.js';
import { plural } from '../../format.js';

function passwordField(id) {
  return field({ id, name: 'current_password', label: 'Current password', type: 'password', autocomplete: 'current-password', required: true, reveal: true });
}

function submitRow(label, { danger = false } = {}) {
  return h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: `button ${danger ? 'danger' : 'primary'}` }, label));
}

// The secret in groups of four, as authenticator apps show it.
function grouped(secret) {
  return secret.replace(/(.{4})/g, '$1 ').trim();
}

/**
 * The card. It loads its own state (GET /user's mfa); reload() loads it
 * again (after a passkey was added or deleted).
 */
export function twoStepCard() {
  let status = null;
  const body = h('div', { class: 'two-step-body', 'aria-live': 'polite' });
  const card = h(
    'section',
    { id: 'two-step', class: 'card settings-card', 'aria-labelledby': 'two-step-title' },
    h('h2', { id: 'two-step-title', class: 'card-title' }, 'Two-step verification'),
    h(
      'p',
      { class: 'card-description' },
      'With an authenticator app (or a passkey), logging in with your password also needs a code from the app, so a stolen password alone is not enough.',
    ),
    body,
  );

  async function reload() {
    body.replaceChildren(loadingBlock('Loading…'));
    try {
      status = await factors.status();
      render();
    } catch (err) {
      if (err.unauthenticated) return;
      body.replaceChildren(errorBlock(`Couldn't load your two-step verification. ${errorMessage(err)}`, reload));
    }
  }

  function statusLine() {
    const on = status.totp || status.passkeys > 0;
    const what = status.totp && status.passkeys > 0 ? 'with your authenticator app or a passkey' : status.totp ? 'with your authenticator app' : status.passkeys > 0 ? 'with a passkey' : '';
    return h(
      'p',
      { id: 'two-step-status', class: 'two-step-status', dataset: { on: on ? 'true' : 'false' } },
      h('span', { class: ['badge', on ? 'badge-success' : ''] }, on ? 'On' : 'Off'),
      ' ',
      on ? `Logging in with your password needs a second step ${what}.` : 'Logging in needs only your password.',
    );
  }

  function render() {
    const parts = [statusLine()];
    if (!status.totp) parts.push(setupForm());
    if (status.totp || status.passkeys > 0) parts.push(codesSection());
    if (status.totp) parts.push(disableForm());
    body.replaceChildren(...parts);
  }

  // Step 1: the password, then a new secret.
  function setupForm() {
    const form = h(
      'form',
      { id: 'totp-setup-form', class: 'form', novalidate: true },
      h('h3', { class: 'subsection-title' }, 'Authenticator app'),
      h('p', { class: 'muted' }, 'Use an app such as Google Authenticator, Microsoft Authenticator, 1Password or Aegis.'),
      passwordField('totp-setup-password'),
      submitRow('Set up an authenticator app'),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFormErrors(form);
      const v = formValues(form);
      if (!v.current_password) {
        const control = form.elements.namedItem('current_password');
        setFieldError(control, 'is required to set up two-step verification.');
        control.focus();
        return;
      }
      await withBusy(form, 'Preparing…', async () => {
        try {
          const setup = await factors.setupTOTP(v.current_password);
          form.replaceWith(setupPanel(setup));
          document.getElementById('totp-code').focus();
        } catch (err) {
          showFormErrors(form, err, { fallbackField: 'current_password', fallbackStatuses: [403] });
        }
      });
    });
    return form;
  }

  // Step 2: scan or type the secret, confirm with a code.
  function setupPanel(setup) {
    const confirm = h(
      'form',
      { id: 'totp-confirm-form', class: 'form', novalidate: true },
      field({ id: 'totp-code', name: 'code', label: 'Code from the app', autocomplete: 'one-time-code', inputmode: 'numeric', maxlength: 6, required: true, hint: 'Enter the 6 digits the app shows for Listo to turn two-step verification on.' }),
      h(
        'div',
        { class: 'form-actions' },
        h('button', { type: 'submit', class: 'button primary' }, 'Turn on'),
        h('button', { type: 'button', class: 'button', id: 'totp-cancel', onclick: () => render() }, 'Cancel'),
      ),
    );
    confirm.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFormErrors(confirm);
      const code = formValues(confirm).code.replace(/\s+/g, '');
      const control = confirm.elements.namedItem('code');
      if (!/^\d{6}$/.test(code)) {
        setFieldError(control, 'must be the 6 digits the app shows.');
        control.focus();
        return;
      }
      await withBusy(confirm, 'Checking…', async () => {
        try {
          const { recovery_codes: codes } = await factors.confirmTOTP(code);
          status = { ...status, totp: true, recovery_codes_left: codes.length };
          announce('Two-step verification is on. Save your recovery codes.');
          showCodes(codes);
        } catch (err) {
          showFormErrors(confirm, err, { fallbackField: 'code', fallbackStatuses: [409] });
        }
      });
    });
    return h(
      'div',
      { id: 'totp-setup', class: 'totp-setup' },
      h('h3', { class: 'subsection-title' }, 'Scan this QR code with your authenticator app'),
      h('img', { id: 'totp-qr', class: 'totp-qr', src: setup.qr_png, width: 200, height: 200, alt: 'QR code to add Listo to your authenticator app' }),
      h(
        'p',
        { class: 'muted' },
        "Can't scan it? Add an account by hand with this key (time-based, 6 digits):",
      ),
      h('p', {}, h('code', { id: 'totp-secret', class: 'totp-secret', dataset: { secret: setup.secret } }, grouped(setup.secret))),
      confirm,
    );
  }

  // The recovery codes, shown once.
  function showCodes(codes) {
    const text = `Listo recovery codes\nEach code works once, in place of a code from your app.\n\n${codes.join('\n')}\n`;
    const copyButton = h('button', { type: 'button', class: 'button', id: 'copy-codes' }, 'Copy');
    copyButton.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(text);
        announce('Recovery codes copied.');
      } catch {
        announce("Couldn't copy; select the codes and copy them by hand.");
      }
    });
    const downloadButton = h('button', { type: 'button', class: 'button', id: 'download-codes' }, 'Download');
    downloadButton.addEventListener('click', () => {
      const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
      const a = h('a', { href: url, download: 'listo-recovery-codes.txt', hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    });
    const done = h('button', { type: 'button', class: 'button primary', id: 'codes-done', onclick: () => render() }, "I've saved them");
    const panel = h(
      'div',
      { id: 'recovery-codes-panel', class: 'recovery-codes-panel', tabindex: '-1', 'aria-labelledby': 'recovery-codes-title' },
      h('h3', { id: 'recovery-codes-title', class: 'subsection-title' }, 'Your recovery codes'),
      h('div', { class: 'notice notice-warning' }, icon('alert', { size: 18 }), h('p', {}, 'Save these codes somewhere safe now: they are shown only once. If you lose your phone, each code logs you in once in place of a code from the app.')),
      h('ul', { id: 'recovery-codes', class: 'recovery-codes' }, codes.map((c) => h('li', {}, h('code', {}, c)))),
      h('div', { class: 'form-actions' }, copyButton, downloadButton, done),
    );
    body.replaceChildren(statusLine(), panel);
    panel.focus();
  }

  function codesSection() {
    const form = h(
      'form',
      { id: 'regenerate-codes-form', class: 'form', novalidate: true },
      h('h3', { class: 'subsection-title' }, 'Recovery codes'),
      h('p', { id: 'codes-left' }, status.recovery_codes_left > 0 ? `${plural(status.recovery_codes_left, 'recovery code')} left.` : 'No recovery codes left: get new ones so you can log in without your second factor.'),
      passwordField('codes-password'),
      submitRow('Get new recovery codes'),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFormErrors(form);
      const v = formValues(form);
      await withBusy(form, 'Making new codes…', async () => {
        try {
          const { recovery_codes: codes } = await factors.newRecoveryCodes(v.current_password);
          status = { ...status, recovery_codes_left: codes.length };
          announce('New recovery codes made; the old ones no longer work.');
          showCodes(codes);
        } catch (err) {
          showFormErrors(form, err, { fallbackField: 'current_password', fallbackStatuses: [403] });
        }
      });
    });
    return form;
  }

  function disableForm() {
    const form = h(
      'form',
      { id: 'totp-disable-form', class: 'form', novalidate: true },
      h('h3', { class: 'subsection-title' }, 'Turn off the authenticator app'),
      passwordField('totp-disable-password'),
      field({ id: 'totp-disable-code', name: 'code', label: 'Code from the app, or a recovery code', autocomplete: 'one-time-code', required: true, maxlength: 20 }),
      submitRow('Turn off', { danger: true }),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFormErrors(form);
      const v = formValues(form);
      await withBusy(form, 'Turning off…', async () => {
        try {
          await factors.disableTOTP(v.current_password, v.code.trim());
          announce('The authenticator app is off.');
          await reload();
        } catch (err) {
          showFormErrors(form, err, { fallbackField: 'current_password', fallbackStatuses: [403] });
        }
      });
    });
    return form;
  }

  reload();
  return { element: card, reload };
}

// The account screen's "Passkeys" card: the account's passkeys (name,
// added, last used, synced), add one with a name, rename, delete (with the
// password).
// Hooks: #passkeys, #passkey-list, li.passkey (data-id), .passkey-name,
// .passkey-rename, .passkey-rename-form, .passkey-delete,
// .passkey-delete-form, #passkey-add-form, #passkey-name.

import { factors, errorMessage } from '../../api.js';
import { h, errorBlock, loadingBlock } from '../../dom.js';
import { icon } from '../../icons.js';
import { announce } from '../../notify.js';
import { clearFormErrors, field, formValues, setFieldError, showFormErrors, withBusy } from '../../forms.js';
import { defaultDeviceName, formatDate, formatDateTime, relativeTime } from '../../format.js';
import { createPasskey, passkeyErrorMessage, passkeysSupported } from '../../webauthn.js';

/** The card; onChange is called after a passkey was added or deleted. */
export function passkeysCard({ onChange } = {}) {
  let items = [];
  const listWrap = h('div', { class: 'passkey-list-wrap', 'aria-live': 'polite' });
  const changed = () => {
    if (onChange) onChange();
  };

  async function load() {
    listWrap.replaceChildren(loadingBlock('Loading your passkeys…'));
    try {
      items = await factors.passkeys();
      render();
    } catch (err) {
      if (err.unauthenticated) return;
      listWrap.replaceChildren(errorBlock(`Couldn't load your passkeys. ${errorMessage(err)}`, load));
    }
  }

  function render() {
    if (items.length === 0) {
      listWrap.replaceChildren(h('p', { class: 'muted', id: 'passkeys-none' }, 'No passkeys yet.'));
      return;
    }
    listWrap.replaceChildren(h('ul', { id: 'passkey-list', class: 'passkey-list' }, items.map(item)));
  }

  function item(pk) {
    const name = h('span', { class: 'passkey-name' }, pk.name);
    const used = pk.last_used_at
      ? h('time', { datetime: pk.last_used_at, title: formatDateTime(pk.last_used_at) }, `last used ${relativeTime(pk.last_used_at) || formatDate(pk.last_used_at)}`)
      : 'never used yet';
    const li = h(
      'li',
      { class: 'passkey', dataset: { id: pk.id } },
      h('span', { class: 'passkey-icon' }, icon('key', { size: 20 })),
      h(
        'div',
        { class: 'passkey-main' },
        h('p', { class: 'passkey-title' }, name, pk.backed_up ? h('span', { class: 'badge' }, 'Synced') : null),
        h('p', { class: 'muted passkey-meta' }, `Added ${formatDate(pk.created_at)}, `, used),
      ),
    );
    const rename = h('button', { type: 'button', class: 'button small passkey-rename', 'aria-label': `Rename ${pk.name}` }, 'Rename');
    const del = h('button', { type: 'button', class: 'button small danger-quiet passkey-delete', 'aria-label': `Delete ${pk.name}` }, 'Delete');
    const actions = h('div', { class: 'passkey-actions' }, rename, del);
    li.append(actions);
    rename.addEventListener('click', () => showRename(li, pk, actions));
    del.addEventListener('click', () => showDelete(li, pk, actions));
    return li;
  }

  function showRename(li, pk, actions) {
    const form = h(
      'form',
      { class: 'form passkey-rename-form', novalidate: true },
      field({ id: `passkey-rename-${pk.id}`, name: 'name', label: 'New name', value: pk.name, maxlength: 100, required: true }),
      h(
        'div',
        { class: 'form-actions' },
        h('button', { type: 'submit', class: 'button primary small' }, 'Save'),
        h('button', { type: 'button', class: 'button small', onclick: () => render() }, 'Cancel'),
      ),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFormErrors(form);
      const name = formValues(form).name.trim();
      if (!name) {
        const control = form.elements.namedItem('name');
        setFieldError(control, 'must not be empty.');
        control.focus();
        return;
      }
      await withBusy(form, 'Saving…', async () => {
        try {
          const updated = await factors.renamePasskey(pk.id, name);
          items = items.map((x) => (x.id === pk.id ? updated : x));
          render();
          announce(`Renamed to ${updated.name}.`);
        } catch (err) {
          showFormErrors(form, err);
        }
      });
    });
    actions.replaceWith(form);
    form.elements.namedItem('name').focus();
  }

  function showDelete(li, pk, actions) {
    const form = h(
      'form',
      { class: 'form passkey-delete-form', novalidate: true },
      field({ id: `passkey-delete-password-${pk.id}`, name: 'current_password', label: 'Current password', type: 'password', autocomplete: 'current-password', required: true, reveal: true, hint: `Deleting “${pk.name}” means it can no longer log you in.` }),
      h(
        'div',
        { class: 'form-actions' },
        h('button', { type: 'submit', class: 'button danger small' }, 'Delete passkey'),
        h('button', { type: 'button', class: 'button small', onclick: () => render() }, 'Cancel'),
      ),
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearFormErrors(form);
      const v = formValues(form);
      await withBusy(form, 'Deleting…', async () => {
        try {
          await factors.deletePasskey(pk.id, v.current_password);
          items = items.filter((x) => x.id !== pk.id);
          render();
          announce(`Passkey ${pk.name} deleted.`);
          changed();
        } catch (err) {
          showFormErrors(form, err, { fallbackField: 'current_password', fallbackStatuses: [403] });
        }
      });
    });
    actions.replaceWith(form);
    form.elements.namedItem('current_password').focus();
  }

  const supported = passkeysSupported();
  const addForm = h(
    'form',
    { id: 'passkey-add-form', class: 'form', novalidate: true },
    field({ id: 'passkey-name', name: 'name', label: 'Name', value: defaultDeviceName(), maxlength: 100, hint: 'So you can tell your passkeys apart, like "Laptop" or "Phone".' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary', disabled: !supported }, icon('key', { size: 18 }), 'Add a passkey')),
  );
  addForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFormErrors(addForm);
    const name = formValues(addForm).name.trim() || 'Passkey';
    await withBusy(addForm, 'Waiting for your passkey…', async () => {
      try {
        const options = await factors.passkeyOptions();
        let credential;
        try {
          credential = await createPasskey(options);
        } catch (err) {
          showFormErrors(addForm, passkeyErrorMessage(err) || String(err.message || err));
          return;
        }
        const pk = await factors.addPasskey(name, credential);
        items = [...items, pk];
        render();
        announce(`Passkey ${pk.name} added. You can now log in with it, without your password.`);
        changed();
      } catch (err) {
        showFormErrors(addForm, err);
      }
    });
  });

  load();
  return h(
    'section',
    { id: 'passkeys', class: 'card settings-card', 'aria-labelledby': 'passkeys-title' },
    h('h2', { id: 'passkeys-title', class: 'card-title' }, 'Passkeys'),
    h(
      'p',
      { class: 'card-description' },
      'A passkey logs you in with your fingerprint, face or screen lock instead of your password, and serves as the second step after your password.',
    ),
    listWrap,
    supported ? null : h('p', { class: 'muted' }, "This browser can't create passkeys."),
    addForm,
  );
}

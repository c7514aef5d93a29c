// The account screen's "API tokens" card: personal access tokens for
// scripts (see /docs). Lists them (scopes, expiry, last use), creates one
// (name, scopes, expiry, the current password) and shows its token once,
// with a copy button; revokes one after a confirmation.
// Hooks: #api-tokens, #pat-list, li.pat (data-id), .pat-name, .pat-revoke,
// #pat-none, #pat-created, #pat-token, #pat-copy, #pat-done,
// #pat-create-form, #pat-name, input[name="scopes"] (#pat-scope-todos-read,
// …), #pat-expires, #pat-password.

import { api, errorMessage } from '../../api.js';
import { h, confirmDialog, errorBlock, loadingBlock } from '../../dom.js';
import { icon } from '../../icons.js';
import { announce, announceError } from '../../notify.js';
import { clearFormErrors, field, formValues, setFieldError, showFormErrors, withBusy } from '../../forms.js';
import { formatDate, formatDateTime, relativeTime } from '../../format.js';

const SCOPES = [
  { value: 'todos:read', label: 'Read todos', hint: 'List and read your todos.' },
  { value: 'todos:write', label: 'Change todos', hint: 'Add, change, delete and import todos.' },
  { value: 'events:read', label: 'Live changes', hint: 'Follow your changes as they happen (todos and account).' },
  { value: 'account:read', label: 'Read account', hint: 'Read your account; with “Read todos”, download your data.' },
];

const EXPIRIES = [
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: '', label: 'Never' },
];

const scopeLabel = (value) => (SCOPES.find((s) => s.value === value) || { label: value }).label;
const scopeID = (value) => `pat-scope-${value.replace(':', '-')}`;

function expiryText(t) {
  if (!t.expires_at) return 'never expires';
  const at = Date.parse(t.expires_at);
  return at <= Date.now() ? `expired ${formatDate(t.expires_at)}` : `expires ${formatDate(t.expires_at)}`;
}

/** The card. */
export function tokensCard() {
  let items = [];
  const listWrap = h('div', { class: 'pat-list-wrap', 'aria-live': 'polite' });
  const created = h('div', { id: 'pat-created', class: 'pat-created', tabindex: '-1', hidden: true, 'aria-labelledby': 'pat-created-title' });

  async function load() {
    listWrap.replaceChildren(loadingBlock('Loading your API tokens…'));
    try {
      const res = await api.get('/user/tokens');
      items = (res && res.items) || [];
      render();
    } catch (err) {
      if (err.unauthenticated) return;
      listWrap.replaceChildren(errorBlock(`Couldn't load your API tokens. ${errorMessage(err)}`, load));
    }
  }

  function render() {
    if (items.length === 0) {
      listWrap.replaceChildren(h('p', { class: 'muted', id: 'pat-none' }, 'No API tokens yet.'));
      return;
    }
    listWrap.replaceChildren(h('ul', { id: 'pat-list', class: 'pat-list' }, items.map(item)));
  }

  function item(t) {
    const expired = t.expires_at && Date.parse(t.expires_at) <= Date.now();
    const used = t.last_used_at
      ? h('time', { datetime: t.last_used_at, title: formatDateTime(t.last_used_at) }, `last used ${relativeTime(t.last_used_at) || formatDate(t.last_used_at)}`)
      : 'never used';
    const revoke = h('button', { type: 'button', class: 'button small danger-quiet pat-revoke', 'aria-label': `Revoke ${t.name}` }, 'Revoke');
    revoke.addEventListener('click', () => revokeToken(t, revoke));
    return h(
      'li',
      { class: 'pat', dataset: { id: t.id } },
      h('span', { class: 'pat-icon' }, icon('key', { size: 20 })),
      h(
        'div',
        { class: 'pat-main' },
        h('p', { class: 'pat-title' }, h('span', { class: 'pat-name' }, t.name), expired ? h('span', { class: 'badge badge-warning' }, 'Expired') : null),
        h('ul', { class: 'pat-scopes', 'aria-label': 'Scopes' }, t.scopes.map((s) => h('li', { class: 'badge', title: s }, scopeLabel(s)))),
        h('p', { class: 'muted pat-meta' }, `Created ${formatDate(t.created_at)}, ${expiryText(t)}, `, used),
      ),
      h('div', { class: 'pat-actions' }, revoke),
    );
  }

  async function revokeToken(t, button) {
    const ok = await confirmDialog({
      title: `Revoke “${t.name}”?`,
      message: 'Scripts that use this token stop working at once. This cannot be undone.',
      confirmLabel: 'Revoke token',
      cancelLabel: 'Keep it',
      danger: true,
    });
    if (!ok) return;
    button.disabled = true;
    try {
      await api.del(`/user/tokens/${encodeURIComponent(t.id)}`);
      announce(`Token ${t.name} revoked.`);
    } catch (err) {
      if (err.unauthenticated) return;
      if (err.status !== 404) {
        announceError(`Couldn't revoke ${t.name}. ${errorMessage(err)}`);
        button.disabled = false;
        return;
      }
    }
    items = items.filter((x) => x.id !== t.id);
    render();
    (listWrap.querySelector('.pat-revoke') || form.querySelector('input')).focus();
  }

  // The new token, shown this once.
  function showCreated(t) {
    const copy = h('button', { type: 'button', class: 'button primary', id: 'pat-copy' }, 'Copy');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(t.token);
        announce('Token copied.');
      } catch {
        announce("Couldn't copy; select the token and copy it by hand.");
      }
    });
    const done = h('button', { type: 'button', class: 'button', id: 'pat-done' }, 'Done');
    done.addEventListener('click', () => {
      created.hidden = true;
      created.replaceChildren();
      form.querySelector('input').focus();
    });
    created.replaceChildren(
      h('h3', { id: 'pat-created-title', class: 'subsection-title' }, `Your new token “${t.name}”`),
      h('div', { class: 'notice notice-warning' }, icon('alert', { size: 18 }), h('p', {}, 'Copy it now: it is shown only this once. Anyone who has it can do what its scopes allow.')),
      h('p', {}, h('code', { id: 'pat-token', class: 'pat-token' }, t.token)),
      h('div', { class: 'form-actions' }, copy, done),
    );
    created.hidden = false;
    created.focus();
  }

  const scopes = h(
    'fieldset',
    { class: 'pat-scope-set', dataset: { field: 'scopes' } },
    h('legend', {}, 'Scopes'),
    SCOPES.map((s) =>
      // The whole row is the checkbox's target (44 px high on a phone).
      h(
        'label',
        { class: 'pat-scope', for: scopeID(s.value) },
        h('input', { type: 'checkbox', name: 'scopes', id: scopeID(s.value), value: s.value, checked: s.value === 'todos:read' }),
        h('span', { class: 'pat-check', 'aria-hidden': 'true' }, icon('check', { size: 14 })),
        h('span', { class: 'pat-scope-text' }, h('span', { class: 'pat-scope-name' }, s.label, ' ', h('code', {}, s.value)), h('span', { class: 'hint' }, s.hint)),
      ),
    ),
  );
  const expires = h(
    'div',
    { class: 'field', dataset: { field: 'expires_in_days' } },
    h('label', { for: 'pat-expires' }, 'Expires after'),
    h('select', { id: 'pat-expires', name: 'expires_in_days', value: '30' }, EXPIRIES.map((e) => h('option', { value: e.value }, e.label))),
  );
  const form = h(
    'form',
    { id: 'pat-create-form', class: 'form', novalidate: true },
    h('h3', { class: 'subsection-title' }, 'New token'),
    field({ id: 'pat-name', name: 'name', label: 'Name', maxlength: 100, required: true, hint: 'What will use it, like “Nightly backup”.' }),
    scopes,
    expires,
    field({ id: 'pat-password', name: 'current_password', label: 'Current password', type: 'password', autocomplete: 'current-password', required: true, reveal: true }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary' }, icon('key', { size: 18 }), 'Create token')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFormErrors(form);
    const v = formValues(form);
    const chosen = [...form.querySelectorAll('input[name="scopes"]:checked')].map((c) => c.value);
    if (!v.name.trim()) {
      const control = form.elements.namedItem('name');
      setFieldError(control, 'Give the token a name.');
      control.focus();
      return;
    }
    if (chosen.length === 0) {
      const control = form.querySelector('input[name="scopes"]');
      setFieldError(control, 'Choose at least one scope.');
      control.focus();
      return;
    }
    const body = { name: v.name.trim(), scopes: chosen, current_password: v.current_password };
    if (v.expires_in_days) body.expires_in_days = Number(v.expires_in_days);
    await withBusy(form, 'Creating…', async () => {
      try {
        const t = await api.post('/user/tokens', body);
        form.elements.namedItem('name').value = '';
        form.elements.namedItem('current_password').value = '';
        const { token, ...listed } = t;
        items = [listed, ...items];
        render();
        showCreated(t);
        announce(`Token ${t.name} created. Copy it now: it is shown only once.`);
      } catch (err) {
        showFormErrors(form, err, { fallbackField: 'current_password', fallbackStatuses: [403] });
      }
    });
  });

  load();
  return h(
    'section',
    { id: 'api-tokens', class: 'card settings-card', 'aria-labelledby': 'api-tokens-title' },
    h('h2', { id: 'api-tokens-title', class: 'card-title' }, 'API tokens'),
    h(
      'p',
      { class: 'card-description' },
      'Personal access tokens let your scripts and cron jobs use the Listo API without your password. A token can only do what its scopes allow, never change your account, and stops working when you change your password. ',
      h('a', { href: '/docs', target: '_blank', rel: 'noopener' }, 'API reference'),
    ),
    listWrap,
    created,
    form,
  );
}

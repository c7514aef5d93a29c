// One user's row in the admin table, with its role select and its
// Disable/Enable and Delete buttons.

import { h, initials } from '../../dom.js';
import { icon } from '../../icons.js';
import { formatDate } from '../../format.js';
import { changeRole, deleteUser, setDisabled } from './user-actions.js';

function userCell(u, self) {
  return h(
    'div',
    { class: 'user-cell' },
    h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(u.name, u.email)),
    h(
      'div',
      { class: 'user-text' },
      h('span', { class: 'user-name' }, u.name || '—', self ? h('span', { class: 'badge you' }, 'You') : null),
      h('span', { class: 'user-email' }, u.email),
    ),
  );
}

function buildControls(u, self) {
  const roleSelect = h(
    'select',
    { id: `role-${u.id}`, class: 'role-select', name: 'role', value: u.role },
    h('option', { value: 'user' }, 'User'),
    h('option', { value: 'admin' }, 'Admin'),
  );
  const toggleDisabled = h(
    'button',
    { type: 'button', class: 'button small toggle-disabled', disabled: self, title: self ? 'You cannot disable yourself here' : null, 'aria-label': `${u.disabled ? 'Enable' : 'Disable'} ${u.email}` },
    u.disabled ? 'Enable' : 'Disable',
  );
  const del = h(
    'button',
    { type: 'button', class: 'button small danger-quiet delete-user', disabled: self, title: self ? 'Delete your own account on the Account page' : null, 'aria-label': `Delete ${u.email}` },
    icon('trash', { size: 16 }),
    'Delete',
  );
  return { roleSelect, toggleDisabled, del };
}

/** The <tr> of user u; state is the admin screen's (see admin.js). */
export function userRow(state, u) {
  const self = u.id === state.ctx.user.id;
  const { roleSelect, toggleDisabled, del } = buildControls(u, self);
  roleSelect.addEventListener('change', () => changeRole(state, u, roleSelect));
  toggleDisabled.addEventListener('click', () => setDisabled(state, u, toggleDisabled));
  del.addEventListener('click', () => deleteUser(state, u, del));
  return h(
    'tr',
    { class: ['user-row', u.disabled && 'is-disabled'], dataset: { id: u.id } },
    h('td', { dataset: { label: 'User' } }, userCell(u, self)),
    h('td', { dataset: { label: 'Role' } }, h('label', { for: roleSelect.id, class: 'visually-hidden' }, `Role of ${u.email}`), roleSelect),
    h('td', { dataset: { label: 'Status' } }, h('span', { class: `badge ${u.disabled ? 'badge-danger' : 'badge-success'} user-status` }, u.disabled ? 'Disabled' : 'Active')),
    h('td', { dataset: { label: 'Joined' } }, h('time', { datetime: u.created_at }, formatDate(u.created_at))),
    h('td', { dataset: { label: 'Actions' }, class: 'row-actions' }, toggleDisabled, del),
  );
}

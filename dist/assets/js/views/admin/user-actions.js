// What an admin can do to a user: change the role, disable or enable,
// delete. Each takes the admin screen's state (see admin.js) and reloads
// the list through state.load when the list changed.

import { api, errorMessage } from '../../api.js';
import { confirmDialog } from '../../dom.js';
import { announce, announceError } from '../../notify.js';
import { hashFor } from '../../router.js';

export async function changeRole(state, u, select) {
  const { ctx } = state;
  const role = select.value;
  select.disabled = true;
  try {
    const updated = await api.patch(`/users/${encodeURIComponent(u.id)}`, { role });
    Object.assign(u, updated || { role });
    announce(`${u.email} is now ${role === 'admin' ? 'an admin' : 'a regular user'}.`);
    if (u.id === ctx.user.id) {
      ctx.setUser({ ...ctx.user, role: u.role });
      if (u.role !== 'admin') {
        ctx.navigate('#/');
        return;
      }
    }
  } catch (err) {
    select.value = u.role;
    announceError(err.status === 409 ? errorMessage(err) : `Couldn't change the role of ${u.email}. ${errorMessage(err)}`);
  } finally {
    select.disabled = false;
  }
}

export async function setDisabled(state, u, button) {
  const disabled = !u.disabled;
  button.disabled = true;
  try {
    await api.patch(`/users/${encodeURIComponent(u.id)}`, { disabled });
    announce(disabled ? `${u.email} is disabled and was logged out everywhere.` : `${u.email} can log in again.`);
    await state.load();
    const row = state.results.querySelector(`tr[data-id="${CSS.escape(u.id)}"] .toggle-disabled`);
    if (row) row.focus();
  } catch (err) {
    button.disabled = false;
    announceError(err.status === 409 ? errorMessage(err) : `Couldn't update ${u.email}. ${errorMessage(err)}`);
  }
}

function confirmDelete(u) {
  return confirmDialog({
    title: `Delete ${u.email}?`,
    message: 'This deletes the account, all of its todos and sessions. This cannot be undone.',
    confirmLabel: 'Delete user',
    danger: true,
  });
}

export async function deleteUser(state, u, button) {
  if (!(await confirmDelete(u))) return;
  button.disabled = true;
  try {
    await api.del(`/users/${encodeURIComponent(u.id)}`);
    announce(`Deleted ${u.email}.`);
    const { data, page, q } = state;
    if (data && data.items.length === 1 && page > 1) {
      state.ctx.navigate(hashFor('/admin', { q, page: page - 1 > 1 ? page - 1 : undefined }));
      return;
    }
    await state.load();
    state.searchInput.focus();
  } catch (err) {
    button.disabled = false;
    announceError(err.status === 409 ? errorMessage(err) : `Couldn't delete ${u.email}. ${errorMessage(err)}`);
  }
}

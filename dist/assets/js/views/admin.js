// Admin (#/admin?q=&page=): list and search users, change role,
// disable/enable, delete. Only for role "admin" (the server checks too).
// Hooks: #admin, #user-search, #user-search-q, table.users, tr.user-row
// (data-id), select.role-select, .toggle-disabled, .delete-user,
// nav.pagination (.prev-page, .next-page).

import { api, errorMessage } from '../api.js';
import { h, confirmDialog, errorBlock, initials, loadingBlock } from '../dom.js';
import { icon } from '../icons.js';
import { announce, announceError } from '../notify.js';
import { formatDate, plural } from '../format.js';
import { hashFor } from '../router.js';

const PER_PAGE = 20;

function readQuery(route) {
  const page = Math.max(1, parseInt(route.query.get('page') || '1', 10) || 1);
  return { page, q: (route.query.get('q') || '').trim() };
}

/** Mounts the admin screen. */
export function mountAdmin(root, ctx, route) {
  if (!ctx.user || ctx.user.role !== 'admin') {
    root.append(
      h(
        'section',
        { id: 'admin', class: 'page', 'aria-labelledby': 'admin-title' },
        h('header', { class: 'page-header' }, h('h1', { id: 'admin-title', tabindex: '-1' }, 'Users')),
        h('div', { class: 'card empty-state' }, icon('shield', { size: 40 }), h('p', { class: 'empty-title' }, 'Admins only'), h('p', {}, 'This page is for administrators.'), h('p', {}, h('a', { href: '#/' }, 'Back to your todos'))),
      ),
    );
    return {};
  }

  let { page, q } = readQuery(route);
  let data = null;
  let dead = false;
  let loadSeq = 0;

  const searchInput = h('input', { id: 'user-search-q', name: 'q', type: 'search', value: q, autocomplete: 'off', placeholder: 'Email or name', spellcheck: 'false' });
  const searchForm = h(
    'form',
    { id: 'user-search', class: 'search-form', role: 'search', novalidate: true },
    h('label', { for: 'user-search-q', class: 'visually-hidden' }, 'Search users'),
    h('div', { class: 'search-box' }, icon('search', { size: 18 }), searchInput),
    h('button', { type: 'submit', class: 'button' }, 'Search'),
  );
  const summary = h('p', { class: 'list-summary', role: 'status' });
  const results = h('div', { class: 'admin-results' });
  const pager = h('nav', { class: 'pagination', 'aria-label': 'Pages of users' });

  root.append(
    h(
      'section',
      { id: 'admin', class: 'page page-wide', 'aria-labelledby': 'admin-title' },
      h('header', { class: 'page-header' }, h('h1', { id: 'admin-title', tabindex: '-1' }, 'Users'), h('p', { class: 'lead' }, 'Everyone with a Listo account. Disabling or deleting a user logs them out everywhere.')),
      h('div', { class: 'toolbar' }, searchForm, summary),
      h('div', { class: 'card table-card' }, results),
      pager,
    ),
  );

  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    ctx.navigate(hashFor('/admin', { q: searchInput.value.trim() }));
  });

  function userRow(u) {
    const self = u.id === ctx.user.id;
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
    roleSelect.addEventListener('change', () => changeRole(u, roleSelect));
    toggleDisabled.addEventListener('click', () => setDisabled(u, toggleDisabled));
    del.addEventListener('click', () => deleteUser(u, del));
    return h(
      'tr',
      { class: ['user-row', u.disabled && 'is-disabled'], dataset: { id: u.id } },
      h(
        'td',
        { dataset: { label: 'User' } },
        h(
          'div',
          { class: 'user-cell' },
          h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(u.name, u.email)),
          h(
            'div',
            { class: 'user-text' },
            h('span', { class: 'user-name' }, u.name || '—', self ? h('span', { class: 'badge you' }, 'You') : null),
            h('span', { class: 'user-email' }, u.email),
          ),
        ),
      ),
      h('td', { dataset: { label: 'Role' } }, h('label', { for: roleSelect.id, class: 'visually-hidden' }, `Role of ${u.email}`), roleSelect),
      h('td', { dataset: { label: 'Status' } }, h('span', { class: `badge ${u.disabled ? 'badge-danger' : 'badge-success'} user-status` }, u.disabled ? 'Disabled' : 'Active')),
      h('td', { dataset: { label: 'Joined' } }, h('time', { datetime: u.created_at }, formatDate(u.created_at))),
      h('td', { dataset: { label: 'Actions' }, class: 'row-actions' }, toggleDisabled, del),
    );
  }

  function renderPager() {
    if (!data) {
      pager.replaceChildren();
      return;
    }
    const pages = Math.max(1, Math.ceil((data.total || 0) / (data.per_page || PER_PAGE)));
    const link = (n, label, cls, iconName) =>
      n >= 1 && n <= pages && n !== page
        ? h('a', { href: hashFor('/admin', { q, page: n > 1 ? n : undefined }), class: `button small ${cls}`, rel: cls === 'prev-page' ? 'prev' : 'next' }, iconName === 'prev' ? '← ' : null, label, iconName === 'next' ? ' →' : null)
        : h('span', { class: `button small ${cls}`, 'aria-disabled': 'true' }, iconName === 'prev' ? '← ' : null, label, iconName === 'next' ? ' →' : null);
    pager.replaceChildren(
      link(page - 1, 'Previous', 'prev-page', 'prev'),
      h('span', { class: 'page-of' }, `Page ${Math.min(page, pages)} of ${pages}`),
      link(page + 1, 'Next', 'next-page', 'next'),
    );
  }

  function render() {
    if (dead) return;
    const users = (data && data.items) || [];
    const total = (data && data.total) || 0;
    const from = total ? (page - 1) * PER_PAGE + 1 : 0;
    const to = Math.min(total, (page - 1) * PER_PAGE + users.length);
    summary.textContent = total ? `${from}–${to} of ${plural(total, 'user')}${q ? ` matching “${q}”` : ''}` : '';
    if (!users.length) {
      results.replaceChildren(
        h(
          'div',
          { class: 'empty-state' },
          icon('users', { size: 40 }),
          h('p', { class: 'empty-title' }, q ? `No users match “${q}”` : 'No users on this page'),
          q ? h('p', {}, h('a', { href: '#/admin' }, 'Clear the search')) : page > 1 ? h('p', {}, h('a', { href: '#/admin' }, 'Go to the first page')) : null,
        ),
      );
    } else {
      results.replaceChildren(
        h(
          'table',
          { class: 'users' },
          h('caption', { class: 'visually-hidden' }, 'Users'),
          h('thead', {}, h('tr', {}, ['User', 'Role', 'Status', 'Joined', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, users.map(userRow)),
        ),
      );
    }
    renderPager();
  }

  async function load() {
    const seq = ++loadSeq;
    results.setAttribute('aria-busy', 'true');
    if (!data) results.replaceChildren(loadingBlock('Loading users…'));
    try {
      const res = await api.get('/users', { query: { page, per_page: PER_PAGE, q } });
      if (dead || seq !== loadSeq) return;
      data = res || { items: [], total: 0 };
      render();
    } catch (err) {
      if (dead || seq !== loadSeq || err.unauthenticated) return;
      results.replaceChildren(errorBlock(`Couldn't load users. ${errorMessage(err)}`, load));
    } finally {
      if (seq === loadSeq) results.removeAttribute('aria-busy');
    }
  }

  async function changeRole(u, select) {
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

  async function setDisabled(u, button) {
    const disabled = !u.disabled;
    button.disabled = true;
    try {
      await api.patch(`/users/${encodeURIComponent(u.id)}`, { disabled });
      announce(disabled ? `${u.email} is disabled and was logged out everywhere.` : `${u.email} can log in again.`);
      await load();
      const row = results.querySelector(`tr[data-id="${CSS.escape(u.id)}"] .toggle-disabled`);
      if (row) row.focus();
    } catch (err) {
      button.disabled = false;
      announceError(err.status === 409 ? errorMessage(err) : `Couldn't update ${u.email}. ${errorMessage(err)}`);
    }
  }

  async function deleteUser(u, button) {
    const ok = await confirmDialog({
      title: `Delete ${u.email}?`,
      message: 'This deletes the account, all of its todos and sessions. This cannot be undone.',
      confirmLabel: 'Delete user',
      danger: true,
    });
    if (!ok) return;
    button.disabled = true;
    try {
      await api.del(`/users/${encodeURIComponent(u.id)}`);
      announce(`Deleted ${u.email}.`);
      if (data && data.items.length === 1 && page > 1) {
        ctx.navigate(hashFor('/admin', { q, page: page - 1 > 1 ? page - 1 : undefined }));
        return;
      }
      await load();
      searchInput.focus();
    } catch (err) {
      button.disabled = false;
      announceError(err.status === 409 ? errorMessage(err) : `Couldn't delete ${u.email}. ${errorMessage(err)}`);
    }
  }

  load();

  return {
    update(next) {
      if (next.name !== 'admin') return false;
      ({ page, q } = readQuery(next));
      if (searchInput.value.trim() !== q) searchInput.value = q;
      load();
      return true;
    },
    unmount() {
      dead = true;
    },
  };
}

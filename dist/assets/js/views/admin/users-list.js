// Loading one page of users and drawing it: the summary, the table (or
// an empty state) and the pager.

import { api, errorMessage } from '../../api.js';
import { h, errorBlock, loadingBlock } from '../../dom.js';
import { icon } from '../../icons.js';
import { plural } from '../../format.js';
import { hashFor } from '../../router.js';
import { userRow } from './user-row.js';

function pageLink(state, pages, n, label, cls, iconName) {
  const children = [iconName === 'prev' ? '← ' : null, label, iconName === 'next' ? ' →' : null];
  return n >= 1 && n <= pages && n !== state.page
    ? h('a', { href: hashFor('/admin', { q: state.q, page: n > 1 ? n : undefined }), class: `button small ${cls}`, rel: cls === 'prev-page' ? 'prev' : 'next' }, ...children)
    : h('span', { class: `button small ${cls}`, 'aria-disabled': 'true' }, ...children);
}

function renderPager(state) {
  const { data, page, pager } = state;
  if (!data) {
    pager.replaceChildren();
    return;
  }
  const pages = Math.max(1, Math.ceil((data.total || 0) / (data.per_page || state.perPage)));
  pager.replaceChildren(
    pageLink(state, pages, page - 1, 'Previous', 'prev-page', 'prev'),
    h('span', { class: 'page-of' }, `Page ${Math.min(page, pages)} of ${pages}`),
    pageLink(state, pages, page + 1, 'Next', 'next-page', 'next'),
  );
}

function summaryText(state, users, total) {
  const { page, perPage, q } = state;
  const from = total ? (page - 1) * perPage + 1 : 0;
  const to = Math.min(total, (page - 1) * perPage + users.length);
  return total ? `${from}–${to} of ${plural(total, 'user')}${q ? ` matching “${q}”` : ''}` : '';
}

function noUsers(state) {
  const { page, q } = state;
  return h(
    'div',
    { class: 'empty-state' },
    icon('users', { size: 40 }),
    h('p', { class: 'empty-title' }, q ? `No users match “${q}”` : 'No users on this page'),
    q ? h('p', {}, h('a', { href: '#/admin' }, 'Clear the search')) : page > 1 ? h('p', {}, h('a', { href: '#/admin' }, 'Go to the first page')) : null,
  );
}

function usersTable(state, users) {
  return h(
    'table',
    { class: 'users' },
    h('caption', { class: 'visually-hidden' }, 'Users'),
    h('thead', {}, h('tr', {}, ['User', 'Role', 'Status', 'Joined', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, users.map((u) => userRow(state, u))),
  );
}

function render(state) {
  if (state.dead) return;
  const { data } = state;
  const users = (data && data.items) || [];
  const total = (data && data.total) || 0;
  state.summary.textContent = summaryText(state, users, total);
  state.results.replaceChildren(users.length ? usersTable(state, users) : noUsers(state));
  renderPager(state);
}

/** Loads the page of users state.page and q ask for, then draws it. */
export async function loadUsers(state) {
  const { results } = state;
  const seq = ++state.loadSeq;
  results.setAttribute('aria-busy', 'true');
  if (!state.data) results.replaceChildren(loadingBlock('Loading users…'));
  try {
    const res = await api.get('/users', { query: { page: state.page, per_page: state.perPage, q: state.q } });
    if (state.dead || seq !== state.loadSeq) return;
    state.data = res || { items: [], total: 0 };
    render(state);
  } catch (err) {
    if (state.dead || seq !== state.loadSeq || err.unauthenticated) return;
    results.replaceChildren(errorBlock(`Couldn't load users. ${errorMessage(err)}`, () => loadUsers(state)));
  } finally {
    if (seq === state.loadSeq) results.removeAttribute('aria-busy');
  }
}

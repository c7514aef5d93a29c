// The admin screen's fixed markup: the page for non-admins, and the
// header, search form, results and pager for admins.

import { h } from '../../dom.js';
import { icon } from '../../icons.js';

/** The page shown to a user who is not an admin. */
export function adminsOnlyPage() {
  return h(
    'section',
    { id: 'admin', class: 'page', 'aria-labelledby': 'admin-title' },
    h('header', { class: 'page-header' }, h('h1', { id: 'admin-title', tabindex: '-1' }, 'Users')),
    h('div', { class: 'card empty-state' }, icon('shield', { size: 40 }), h('p', { class: 'empty-title' }, 'Admins only'), h('p', {}, 'This page is for administrators.'), h('p', {}, h('a', { href: '#/' }, 'Back to your todos'))),
  );
}

function buildSearch(q) {
  const searchInput = h('input', { id: 'user-search-q', name: 'q', type: 'search', value: q, autocomplete: 'off', placeholder: 'Email or name', spellcheck: 'false' });
  const searchForm = h(
    'form',
    { id: 'user-search', class: 'search-form', role: 'search', novalidate: true },
    h('label', { for: 'user-search-q', class: 'visually-hidden' }, 'Search users'),
    h('div', { class: 'search-box' }, icon('search', { size: 18 }), searchInput),
    h('button', { type: 'submit', class: 'button' }, 'Search'),
  );
  return { searchInput, searchForm };
}

/** Builds the admin page with q in the search box; returns its parts. */
export function buildAdminPage(q) {
  const { searchInput, searchForm } = buildSearch(q);
  const summary = h('p', { class: 'list-summary', role: 'status' });
  const results = h('div', { class: 'admin-results' });
  const pager = h('nav', { class: 'pagination', 'aria-label': 'Pages of users' });
  const section = h(
    'section',
    { id: 'admin', class: 'page page-wide', 'aria-labelledby': 'admin-title' },
    h('header', { class: 'page-header' }, h('h1', { id: 'admin-title', tabindex: '-1' }, 'Users'), h('p', { class: 'lead' }, 'Everyone with a Listo account. Disabling or deleting a user logs them out everywhere.')),
    h('div', { class: 'toolbar' }, searchForm, summary),
    h('div', { class: 'card table-card' }, results),
    pager,
  );
  return { section, searchInput, searchForm, summary, results, pager };
}

// Admin (#/admin?q=&page=): list and search users, change role,
// disable/enable, delete. Only for role "admin" (the server checks too).
// Hooks: #admin, #user-search, #user-search-q, table.users, tr.user-row
// (data-id), select.role-select, .toggle-disabled, .delete-user,
// nav.pagination (.prev-page, .next-page).
//
// This module mounts the screen; its parts live in admin/: page.js (the
// markup), users-list.js (loading and drawing a page of users),
// user-row.js (one user's row) and user-actions.js (role, disable, delete).

import { hashFor } from '../router.js';
import { adminsOnlyPage, buildAdminPage } from './admin/page.js';
import { loadUsers } from './admin/users-list.js';

const PER_PAGE = 20;

function readQuery(route) {
  const page = Math.max(1, parseInt(route.query.get('page') || '1', 10) || 1);
  return { page, q: (route.query.get('q') || '').trim() };
}

/** Mounts the admin screen. */
export function mountAdmin(root, ctx, route) {
  if (!ctx.user || ctx.user.role !== 'admin') {
    root.append(adminsOnlyPage());
    return {};
  }

  const query = readQuery(route);
  const { section, searchForm, ...parts } = buildAdminPage(query.q);
  // The screen's state, shared with the modules in admin/.
  const state = { ctx, ...query, perPage: PER_PAGE, data: null, dead: false, loadSeq: 0, ...parts };
  state.load = () => loadUsers(state);
  root.append(section);

  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    ctx.navigate(hashFor('/admin', { q: state.searchInput.value.trim() }));
  });

  state.load();

  return {
    update(next) {
      if (next.name !== 'admin') return false;
      Object.assign(state, readQuery(next));
      if (state.searchInput.value.trim() !== state.q) state.searchInput.value = state.q;
      state.load();
      return true;
    },
    unmount() {
      state.dead = true;
    },
  };
}
